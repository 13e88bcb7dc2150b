/*
 * hash5.c - find the IP header under any supported link layer, and hash the
 * 5-tuple (protocol, addresses, ports) for HASH5.  Every read is checked
 * against the captured length; a packet too short for a field simply lacks it.
 */
#include <string.h>

#include "internal.h"

/* LINKTYPE_/DLT_ values (pcap-linktype(7)). */
enum {
    LT_NULL = 0, LT_EN10MB = 1, LT_RAW_DLT12 = 12, LT_RAW_DLT14 = 14, LT_RAW = 101,
    LT_LOOP = 108, LT_LINUX_SLL = 113, LT_IPV4 = 228, LT_IPV6 = 229, LT_LINUX_SLL2 = 276,
};

bool vfmi_linktype_supported(int linktype)
{
    switch (linktype) {
    case LT_NULL: case LT_EN10MB: case LT_RAW_DLT12: case LT_RAW_DLT14: case LT_RAW:
    case LT_LOOP: case LT_LINUX_SLL: case LT_IPV4: case LT_IPV6: case LT_LINUX_SLL2:
        return true;
    default:
        return false;
    }
}

static unsigned rd16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

static int version_of_ethertype(unsigned type)
{
    return type == 0x0800 ? 4 : type == 0x86dd ? 6 : 0;
}

/* The IP version nibble must agree with what the link layer announced. */
static int check_version(const uint8_t *pkt, size_t len, size_t l3, int v)
{
    if (v == 0 || l3 >= len || (pkt[l3] >> 4) != v)
        return 0;
    return v;
}

int vfmi_l3_offset(const uint8_t *pkt, size_t len, int linktype, size_t *l3)
{
    int v = 0;
    switch (linktype) {
    case LT_EN10MB: {
        size_t off = 12;
        /* Up to two 802.1Q / 802.1ad / QinQ tags. */
        for (int tags = 0; tags <= 2; tags++) {
            if (len < off + 2)
                return 0;
            unsigned type = rd16(pkt + off);
            if ((type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < 2) {
                off += 4;
                continue;
            }
            v = version_of_ethertype(type);
            *l3 = off + 2;
            break;
        }
        break;
    }
    case LT_RAW_DLT12: case LT_RAW_DLT14: case LT_RAW:
        v = len ? pkt[0] >> 4 : 0;
        *l3 = 0;
        break;
    case LT_IPV4: v = 4; *l3 = 0; break;
    case LT_IPV6: v = 6; *l3 = 0; break;
    case LT_NULL: case LT_LOOP: {
        if (len < 4)
            return 0;
        /* Address family in host order (NULL) or network order (LOOP): try both. */
        uint32_t le = (uint32_t)pkt[0] | (uint32_t)pkt[1] << 8 | (uint32_t)pkt[2] << 16 | (uint32_t)pkt[3] << 24;
        uint32_t be = __builtin_bswap32(le);
        uint32_t af = (le < 256) ? le : be;
        v = af == 2 ? 4 : (af == 10 || af == 24 || af == 28 || af == 30) ? 6 : 0;
        *l3 = 4;
        break;
    }
    case LT_LINUX_SLL:
        if (len < 16)
            return 0;
        v = version_of_ethertype(rd16(pkt + 14));
        *l3 = 16;
        break;
    case LT_LINUX_SLL2:
        if (len < 20)
            return 0;
        v = version_of_ethertype(rd16(pkt));
        *l3 = 20;
        break;
    default:
        return 0;
    }
    return check_version(pkt, len, *l3, v);
}

static bool has_ports(unsigned proto)
{
    return proto == 6 || proto == 17 || proto == 132 || proto == 136; /* TCP UDP SCTP UDP-Lite */
}

/* 64-bit finaliser (a well-known avalanche mix); constants are arbitrary odd numbers. */
static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t absorb(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i < 8 ? n - i : 8);
        h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
    }
    return h;
}

/* Walk IPv6 extension headers to the transport protocol; *frag: not the first fragment. */
static unsigned ipv6_transport(const uint8_t *pkt, size_t len, size_t *off, unsigned nh, bool *frag)
{
    for (int i = 0; i < 8; i++) {
        if (nh == 0 || nh == 43 || nh == 60) { /* hop-by-hop, routing, destination options */
            if (len < *off + 2)
                return 256;
            unsigned next = pkt[*off];
            *off += ((size_t)pkt[*off + 1] + 1) * 8;
            nh = next;
        } else if (nh == 44) { /* fragment */
            if (len < *off + 8)
                return 256;
            if (rd16(pkt + *off + 2) & 0xfff8)
                *frag = true;
            nh = pkt[*off];
            *off += 8;
        } else {
            return nh;
        }
    }
    return 256; /* too many extension headers: protocol unknown */
}

uint64_t vfm_hash5(const uint8_t *pkt, size_t len, int linktype)
{
    size_t l3 = 0, l4;
    if (!pkt)
        return 0;
    int v = vfmi_l3_offset(pkt, len, linktype, &l3);
    uint64_t h = 0x56464d48ULL ^ (uint64_t)v; /* "VFMH" */
    unsigned proto;
    bool frag = false;
    if (v == 4) {
        if (len < l3 + 20)
            return 0;
        size_t ihl = (size_t)(pkt[l3] & 0x0f) * 4;
        proto = pkt[l3 + 9];
        frag = (rd16(pkt + l3 + 6) & 0x1fff) != 0;
        h = absorb(h, pkt + l3 + 12, 8);
        l4 = l3 + (ihl < 20 ? 20 : ihl);
        if (ihl < 20)
            frag = true; /* malformed header: do not trust what follows */
    } else if (v == 6) {
        if (len < l3 + 40)
            return 0;
        h = absorb(h, pkt + l3 + 8, 32);
        l4 = l3 + 40;
        proto = ipv6_transport(pkt, len, &l4, pkt[l3 + 6], &frag);
    } else {
        return 0;
    }
    uint8_t ports[4] = {0};
    if (has_ports(proto) && !frag && len >= 4 && l4 <= len - 4)
        memcpy(ports, pkt + l4, 4);
    h = absorb(h, ports, 4);
    h = mix64(h ^ proto);
    return h ? h : 1; /* 0 means "not IP" */
}
