/*
 * decode.c - a packet's IP header and flow key, as ndpiReader 4.2 finds them.
 *
 * ndpiReader is the reference for what a flow is (ndpi_workflow_process_packet
 * and get_ndpi_flow_info in its example/reader_util.c), so this follows its
 * rules, quirks included, and says where it does more:
 *  - link layers: Ethernet (802.1Q tags, MPLS, PPPoE, LLC/SNAP), Linux SLL,
 *    raw IPv4/IPv6, BSD loopback; in addition Linux SLL2, OpenBSD loopback and
 *    802.1ad/QinQ service tags, which ndpiReader 4.2 does not read;
 *  - IP-in-IP and IPv6-in-IPv4 (and in IPv6) are unwrapped to the inner header;
 *  - non-first IPv4 fragments are dropped, but only when the link said IPv4
 *    (ndpiReader reads the fragment field only then); IPv6 ones are dropped
 *    by nDPI's own extension-header walk, used here too;
 *  - an IPv4 packet cut short by the snap length is dropped (ipsize < total
 *    length), as is an IPv6 one whose payload is not all captured;
 *  - TCP/UDP ports only when the transport header is all there, else 0.
 * The VLAN id (innermost tag) is part of the key, as in ndpiReader.
 */
#include <string.h>

#include "decode.h"

/* Exported by libndpi 4.2 (used by ndpiReader) but not declared in its headers. */
extern int ndpi_handle_ipv6_extension_headers(uint16_t l3len, const uint8_t **l4ptr,
                                              uint16_t *l4len, uint8_t *nxt_hdr);

enum {
    ET_IP = 0x0800,
    ET_IPV6 = 0x86dd,
    ET_VLAN = 0x8100,
    ET_QINQ = 0x88a8,
    ET_QINQ_OLD = 0x9100,
    ET_MPLS_UC = 0x8847,
    ET_MPLS_MC = 0x8848,
    ET_PPPOE = 0x8864,
};

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool vfmn_linktype_ok(int linktype)
{
    switch (linktype) {
    case 0: case 1: case 12: case 14: case 101: case 108: case 113: case 228: case 229: case 276:
        return true;
    default: return false;
    }
}

/* The link header: where IP starts and the EtherType-like type (0 = unknown). */
static bool link_header(int linktype, const uint8_t *pkt, size_t caplen, uint32_t *ip_off,
                        uint16_t *type)
{
    *type = 0;
    switch (linktype) {
    case 0:   /* BSD loopback: ndpiReader reads the host-order AF as big-endian */
    case 108: /* OpenBSD loopback: network order */
        *type = be32(pkt) == 2 ? ET_IP : ET_IPV6;
        *ip_off = 4;
        return true;
    case 1: {
        uint16_t check = be16(pkt + 12);
        *ip_off = 14;
        if (check >= 1536) {
            *type = check;
        } else if (check != 0 && check <= 1500) {
            uint8_t dsap = pkt[14], ssap = pkt[15];
            if (dsap == 0xaa || ssap == 0xaa) {
                /* SNAP: ndpiReader takes the protocol id in host order */
                uint16_t id;
                memcpy(&id, pkt + 20, sizeof id);
                *type = id;
                *ip_off += 8;
            } else if (dsap == 0x42 || ssap == 0x42) {
                return false; /* spanning tree */
            }
        }
        return true;
    }
    case 113: *type = be16(pkt + 14), *ip_off = 16; return true;
    case 276: *type = be16(pkt), *ip_off = 20; return true;
    case 12: case 14: case 101: *ip_off = 0; return true;
    case 228: *type = ET_IP, *ip_off = 0; return true;
    case 229: *type = ET_IPV6, *ip_off = 0; return true;
    }
    (void)caplen;
    return false;
}

/* VLAN tags, MPLS labels, PPPoE: step over them (ndpiReader's ether_type_check). */
static bool link_shims(const uint8_t *pkt, size_t caplen, uint32_t *ip_off, uint16_t *type,
                       uint16_t *vlan)
{
    for (;;) {
        switch (*type) {
        case ET_VLAN:
        case ET_QINQ:
        case ET_QINQ_OLD:
            if (*ip_off + 4 >= caplen)
                return false;
            do {
                *vlan = be16(pkt + *ip_off) & 0xfff;
                *type = be16(pkt + *ip_off + 2);
                *ip_off += 4;
            } while ((*type == ET_VLAN || *type == ET_QINQ || *type == ET_QINQ_OLD) &&
                     *ip_off + 4 < caplen);
            continue;
        case ET_MPLS_UC:
        case ET_MPLS_MC: {
            if (*ip_off + 4 > caplen)
                return false;
            uint32_t label = be32(pkt + *ip_off);
            *type = ET_IP;
            *ip_off += 4;
            while (!(label & 0x100) && *ip_off + 4 < caplen) { /* until bottom of stack */
                label = be32(pkt + *ip_off);
                *ip_off += 4;
            }
            continue;
        }
        case ET_PPPOE:
            *type = ET_IP;
            *ip_off += 8;
            continue;
        default: return true;
        }
    }
}

/* The IP header nDPI gets: IP-in-IP unwrapped, fragments and short packets dropped. */
static bool ip_header(const uint8_t *pkt, size_t caplen, uint32_t *ip_off, uint16_t type,
                      uint8_t *version)
{
    uint16_t frag_off = 0;
    for (;;) {
        if (caplen < (size_t)*ip_off + 20)
            return false;
        const uint8_t *ip = pkt + *ip_off;
        if (type == ET_IP)
            frag_off = be16(ip + 6);
        *version = ip[0] >> 4;
        if (*version == 4) {
            uint32_t ihl = (ip[0] & 0xfu) * 4u;
            if ((ip[9] == 41 || ip[9] == 4) && ihl > 0) {
                *ip_off += ihl;
                continue;
            }
            return (frag_off & 0x1fff) == 0;
        }
        if (*version != 6)
            return false;
        uint16_t plen = be16(ip + 4);
        if (caplen < (size_t)*ip_off + 40 + plen)
            return false;
        const uint8_t *l4 = ip + 40;
        uint16_t l4len = plen;
        uint8_t nxt = ip[6];
        uint16_t ipsize = (uint16_t)(caplen - *ip_off);
        if (ndpi_handle_ipv6_extension_headers((uint16_t)(ipsize - 40), &l4, &l4len, &nxt) != 0)
            return false;
        if (nxt == 41 || nxt == 4) {
            *ip_off = (uint32_t)(l4 - pkt);
            continue;
        }
        return true;
    }
}

/* Order the endpoints so both directions give one key. */
static void make_key(vfmn_packet_t *o, uint8_t version, uint8_t proto, uint16_t vlan)
{
    vfmn_key_t *k = &o->key;
    memset(k, 0, sizeof *k);
    int c = memcmp(o->src, o->dst, 16);
    o->a_is_src = c < 0 || (c == 0 && o->sport <= o->dport);
    memcpy(k->a, o->a_is_src ? o->src : o->dst, 16);
    memcpy(k->b, o->a_is_src ? o->dst : o->src, 16);
    k->pa = o->a_is_src ? o->sport : o->dport;
    k->pb = o->a_is_src ? o->dport : o->sport;
    k->vlan = vlan;
    k->proto = proto;
    k->version = version;
}

bool vfmn_decode(int linktype, const uint8_t *pkt, size_t caplen, vfmn_packet_t *o)
{
    uint32_t ip_off;
    uint16_t type, vlan = 0;
    uint8_t version;
    if (!pkt || caplen < 28) /* ndpiReader: 20 for IPv4 + 8 for UDP at least */
        return false;
    if (!link_header(linktype, pkt, caplen, &ip_off, &type) ||
        !link_shims(pkt, caplen, &ip_off, &type, &vlan) ||
        !ip_header(pkt, caplen, &ip_off, type, &version))
        return false;

    /* get_ndpi_flow_info(): the transport header and the ports. */
    const uint8_t *ip = pkt + ip_off;
    uint16_t ipsize = (uint16_t)(caplen - ip_off);
    uint16_t l4off, l4len;
    uint8_t proto;
    memset(o->src, 0, sizeof o->src);
    memset(o->dst, 0, sizeof o->dst);
    if (version == 4) {
        uint16_t ihl = (uint16_t)((ip[0] & 0xfu) * 4u), tot = be16(ip + 2);
        if (ipsize < 20 || ihl > ipsize || ipsize < tot)
            return false;
        l4off = ihl;
        l4len = (uint16_t)(tot - ihl);
        proto = ip[9];
        memcpy(o->src, ip + 12, 4);
        memcpy(o->dst, ip + 16, 4);
    } else {
        if (ipsize < 40)
            return false;
        const uint8_t *l4 = ip + 40;
        l4len = be16(ip + 4);
        proto = ip[6];
        if (ndpi_handle_ipv6_extension_headers((uint16_t)(ipsize - 40), &l4, &l4len, &proto) != 0)
            return false;
        l4off = (uint16_t)(l4 - ip);
        if (l4off > ipsize)
            return false;
        memcpy(o->src, ip + 8, 16);
        memcpy(o->dst, ip + 24, 16);
    }
    if ((uint32_t)ipsize < (uint32_t)l4off + l4len)
        return false;
    const uint8_t *l4 = ip + l4off;
    o->sport = o->dport = 0;
    if ((proto == 6 && l4len >= 20) || (proto == 17 && l4len >= 8)) {
        o->sport = be16(l4);
        o->dport = be16(l4 + 2);
    }
    o->ip_off = ip_off;
    o->ipsize = ipsize;
    make_key(o, version, proto, vlan);
    return true;
}
