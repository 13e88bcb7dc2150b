/* packets.c - test packet builder (see packets.h). */
#include "packets.h"

#include <string.h>

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
}

int pkt_dlt(enum pkt_link link)
{
    static const int dlt[] = {[PL_ETH] = 1,    [PL_SLL] = 113,  [PL_SLL2] = 276, [PL_RAW] = 12,
                              [PL_IPV4] = 228, [PL_IPV6] = 229, [PL_NULL] = 0,   [PL_LOOP] = 108};
    return dlt[link];
}

/* The link header for protocol @p etype; returns its length. */
static size_t link_header(const pkt_spec_t *s, uint16_t etype, uint8_t *p)
{
    size_t n = 0;
    switch (s->link) {
    case PL_ETH:
        memset(p, 0, 12);
        p[0] = 0x02, p[11] = 0x01;
        n = 12;
        if (s->vlan) {
            put16(p + n, 0x8100);
            put16(p + n + 2, (unsigned)(s->vlan - 1) & 0x0fff);
            n += 4;
        }
        if (s->l3 == P3_LLC) {
            put16(p + n, 100); /* 802.3 length, then LLC/SNAP */
            memcpy(p + n + 2, "\xaa\xaa\x03\x00\x00\x00", 6);
            put16(p + n + 8, etype);
            return n + 10;
        }
        put16(p + n, etype);
        return n + 2;
    case PL_SLL:
        memset(p, 0, 16);
        put16(p + 14, etype);
        return 16;
    case PL_SLL2:
        memset(p, 0, 20);
        put16(p, etype);
        return 20;
    case PL_RAW:
    case PL_IPV4:
    case PL_IPV6: return 0;
    case PL_NULL: { /* host order (little-endian in these tests) */
        uint32_t af = etype == 0x86dd ? 30 : 2;
        p[0] = (uint8_t)af, p[1] = p[2] = p[3] = 0;
        return 4;
    }
    case PL_LOOP: put32(p, etype == 0x86dd ? 24 : 2); return 4;
    }
    return 0;
}

/* Transport header for protocol @p proto at @p p; returns its length. */
static size_t l4(const pkt_spec_t *s, uint8_t proto, uint8_t *p)
{
    unsigned sport = s->sport ? s->sport : 1024, dport = s->dport ? s->dport : 80;
    if (proto == 6) {
        memset(p, 0, 20);
        put16(p, sport);
        put16(p + 2, dport);
        p[12] = 0x50;
        p[13] = s->flags ? s->flags : 0x02;
        put16(p + 14, 0x2000);
        return 20;
    }
    if (proto == 17 || proto == 132) {
        memset(p, 0, 8);
        put16(p, sport);
        put16(p + 2, dport);
        put16(p + 4, 8);
        return 8;
    }
    memset(p, 0, 8); /* ICMP echo request, or anything else */
    p[0] = 8;
    return 8;
}

size_t pkt_build(const pkt_spec_t *s, uint8_t *out)
{
    uint8_t proto = s->proto ? s->proto : 6;
    uint16_t etype = s->l3 == P3_IPV6 ? 0x86dd : s->l3 == P3_ARP ? 0x0806 : 0x0800;
    size_t n = link_header(s, etype, out);
    uint8_t *ip = out + n;
    if (s->l3 == P3_ARP) {
        memset(ip, 0, 28);
        put16(ip, 1);
        put16(ip + 2, 0x0800);
        ip[4] = 6, ip[5] = 4;
        put16(ip + 6, 1);
        put32(ip + 14, s->src ? s->src : 0x0a000001);
        put32(ip + 24, s->dst ? s->dst : 0x0a000002);
        n += 28;
    } else if (s->l3 == P3_IPV6) {
        memset(ip, 0, 40);
        ip[0] = 0x60;
        ip[6] = proto;
        ip[7] = s->ttl ? s->ttl : 64;
        ip[8] = 0xfe, ip[9] = 0x80;
        ip[23] = s->src6_last ? s->src6_last : 1;
        ip[39] = 1;
        size_t t = l4(s, proto, ip + 40);
        put16(ip + 4, (unsigned)t);
        n += 40 + t;
    } else {
        unsigned ihl = s->ihl ? s->ihl : 5;
        memset(ip, 0, ihl * 4);
        ip[0] = (uint8_t)(0x40 | ihl);
        ip[1] = s->tos;
        put16(ip + 4, 0x1234);
        put16(ip + 6, s->frag & 0x1fff);
        ip[8] = s->ttl ? s->ttl : 64;
        ip[9] = proto;
        put32(ip + 12, s->src ? s->src : 0x0a000001);
        put32(ip + 16, s->dst ? s->dst : 0x0a000002);
        for (unsigned i = 20; i < ihl * 4; i++)
            ip[i] = 1; /* NOP options */
        size_t t = l4(s, proto, ip + ihl * 4);
        put16(ip + 2, (unsigned)(ihl * 4 + t));
        n += ihl * 4 + t;
    }
    if (s->cut && s->cut < n)
        n = s->cut;
    return n;
}
