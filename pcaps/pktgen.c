/*
 * pktgen.c - deterministic packet builder (see pktgen.h).
 *
 * Header layouts: Ethernet II / IEEE 802.1Q, ARP (RFC 826), IPv4 (RFC 791),
 * IPv6 (RFC 8200), TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792), ICMPv6
 * (RFC 4443), IGMPv2 (RFC 2236).  Checksums per RFC 1071.
 */
#include "pktgen.h"

#include <string.h>

/* ---- PRNG: splitmix64 for seeding, xorshift64* for the stream ------------- */

void pg_rng_seed(pg_rng_t *r, uint64_t seed)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    r->s = z ? z : 0x2545f4914f6cdd1dull; /* xorshift must not start at 0 */
}

uint64_t pg_rng_next(pg_rng_t *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dull;
}

uint32_t pg_rng_below(pg_rng_t *r, uint32_t n)
{
    /* Multiply-shift: no modulo bias worth mentioning, no division. */
    return (uint32_t)(((pg_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

uint32_t pg_rng_range(pg_rng_t *r, uint32_t lo, uint32_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (uint32_t)(((pg_rng_next(r) >> 32) * ((uint64_t)hi - lo + 1)) >> 32);
}

int pg_rng_chance(pg_rng_t *r, uint32_t permille)
{
    return pg_rng_below(r, 1000) < permille;
}

void pg_rng_fill(pg_rng_t *r, uint8_t *p, size_t n)
{
    /* Bytes taken low first by shifting, not memcpy: the same on every host. */
    while (n) {
        uint64_t v = pg_rng_next(r);
        for (int i = 0; i < 8 && n; i++, n--) {
            *p++ = (uint8_t)v;
            v >>= 8;
        }
    }
}

/* ---- byte helpers --------------------------------------------------------- */

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Room for n more bytes, or NULL (and the sticky error) when they do not fit. */
static uint8_t *room(pg_frame_t *f, size_t n)
{
    if (f->err || n > f->cap - f->len) {
        f->err = 1;
        return NULL;
    }
    uint8_t *q = f->p + f->len;
    f->len += n;
    return q;
}

void pg_frame_init(pg_frame_t *f, uint8_t *buf, size_t cap)
{
    f->p = buf;
    f->cap = cap;
    f->len = 0;
    f->err = 0;
    f->ipver = 0;
    f->l3 = PG_NONE;
    f->l4 = PG_NONE;
    f->proto = 0;
}

void pg_put_u8(pg_frame_t *f, uint8_t v)
{
    uint8_t *q = room(f, 1);
    if (q)
        q[0] = v;
}

void pg_put_be16(pg_frame_t *f, uint16_t v)
{
    uint8_t *q = room(f, 2);
    if (q)
        wr16(q, v);
}

void pg_put_be32(pg_frame_t *f, uint32_t v)
{
    uint8_t *q = room(f, 4);
    if (q)
        wr32(q, v);
}

void pg_put_bytes(pg_frame_t *f, const void *data, size_t n)
{
    uint8_t *q = room(f, n);
    if (q && n)
        memcpy(q, data, n);
}

void pg_put_str(pg_frame_t *f, const char *s)
{
    pg_put_bytes(f, s, strlen(s));
}

void pg_put_random(pg_frame_t *f, pg_rng_t *r, size_t n)
{
    uint8_t *q = room(f, n);
    if (q)
        pg_rng_fill(r, q, n);
}

size_t pg_put_zero(pg_frame_t *f, size_t n)
{
    uint8_t *q = room(f, n);
    if (!q)
        return PG_NONE;
    memset(q, 0, n);
    return (size_t)(q - f->p);
}

/* ---- link layer ----------------------------------------------------------- */

void pg_put_eth(pg_frame_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
    uint8_t *q = room(f, 14);
    if (!q)
        return;
    memcpy(q, dst, 6);
    memcpy(q + 6, src, 6);
    wr16(q + 12, type);
}

void pg_put_vlan(pg_frame_t *f, uint16_t tci, uint16_t type)
{
    pg_put_be16(f, tci);
    pg_put_be16(f, type);
}

void pg_put_arp(pg_frame_t *f, uint16_t op, const uint8_t sha[6], uint32_t spa,
                const uint8_t tha[6], uint32_t tpa)
{
    uint8_t *q = room(f, 28);
    if (!q)
        return;
    wr16(q, 1);           /* hardware: Ethernet */
    wr16(q + 2, 0x0800);  /* protocol: IPv4 */
    q[4] = 6;             /* hardware address length */
    q[5] = 4;             /* protocol address length */
    wr16(q + 6, op);
    memcpy(q + 8, sha, 6);
    wr32(q + 14, spa);
    memcpy(q + 18, tha, 6);
    wr32(q + 24, tpa);
}

/* ---- network layer -------------------------------------------------------- */

void pg_put_ipv4(pg_frame_t *f, const pg_ipv4_t *h)
{
    if (h->optlen > 40 || h->optlen % 4) {
        f->err = 1; /* caller bug: options must be padded and fit the IHL */
        return;
    }
    size_t at = f->len;
    uint8_t *q = room(f, 20 + h->optlen);
    if (!q)
        return;
    q[0] = (uint8_t)(0x40 | (5 + h->optlen / 4));
    q[1] = h->tos;
    wr16(q + 2, 0); /* total length: pg_finish */
    wr16(q + 4, h->id);
    wr16(q + 6, h->frag);
    q[8] = h->ttl;
    q[9] = h->proto;
    wr16(q + 10, 0); /* checksum: pg_finish */
    wr32(q + 12, h->src);
    wr32(q + 16, h->dst);
    if (h->optlen)
        memcpy(q + 20, h->opts, h->optlen);
    f->ipver = 4;
    f->l3 = at;
    f->proto = h->proto;
}

void pg_put_ipv6(pg_frame_t *f, uint8_t tclass, uint32_t flow, uint8_t next, uint8_t hlim,
                 const uint8_t src[16], const uint8_t dst[16])
{
    size_t at = f->len;
    uint8_t *q = room(f, 40);
    if (!q)
        return;
    wr32(q, 0x60000000u | (uint32_t)tclass << 20 | (flow & 0xfffffu));
    wr16(q + 4, 0); /* payload length: pg_finish */
    q[6] = next;
    q[7] = hlim;
    memcpy(q + 8, src, 16);
    memcpy(q + 24, dst, 16);
    f->ipver = 6;
    f->l3 = at;
    f->proto = next;
}

void pg_put_ipv6_hbh_ra(pg_frame_t *f, uint8_t next)
{
    /* next, hdr-ext-len 0 (8 bytes), Router Alert (type 5, len 2, value 0 =
     * MLD), PadN with no data bytes: 2 + 4 + 2 = 8. */
    static const uint8_t body[7] = {0, 5, 2, 0, 0, 1, 0};
    pg_put_u8(f, next);
    pg_put_bytes(f, body, sizeof body);
    f->proto = next;
}

/* ---- transport layer ------------------------------------------------------ */

void pg_put_tcp(pg_frame_t *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                uint8_t flags, uint16_t win, const uint8_t *opts, size_t optlen)
{
    if (optlen > 40 || optlen % 4) {
        f->err = 1;
        return;
    }
    size_t at = f->len;
    uint8_t *q = room(f, 20 + optlen);
    if (!q)
        return;
    wr16(q, sport);
    wr16(q + 2, dport);
    wr32(q + 4, seq);
    wr32(q + 8, ack);
    q[12] = (uint8_t)((5 + optlen / 4) << 4);
    q[13] = flags;
    wr16(q + 14, win);
    wr16(q + 16, 0); /* checksum: pg_finish */
    wr16(q + 18, 0); /* urgent pointer */
    if (optlen)
        memcpy(q + 20, opts, optlen);
    f->l4 = at;
    f->proto = PG_IP_TCP;
}

void pg_put_udp(pg_frame_t *f, uint16_t sport, uint16_t dport)
{
    size_t at = f->len;
    uint8_t *q = room(f, 8);
    if (!q)
        return;
    wr16(q, sport);
    wr16(q + 2, dport);
    wr16(q + 4, 0);
    wr16(q + 6, 0);
    f->l4 = at;
    f->proto = PG_IP_UDP;
}

static void put_icmp_any(pg_frame_t *f, uint8_t proto, uint8_t type, uint8_t code, uint32_t rest)
{
    size_t at = f->len;
    uint8_t *q = room(f, 8);
    if (!q)
        return;
    q[0] = type;
    q[1] = code;
    wr16(q + 2, 0);
    wr32(q + 4, rest);
    f->l4 = at;
    f->proto = proto;
}

void pg_put_icmp(pg_frame_t *f, uint8_t type, uint8_t code, uint32_t rest)
{
    put_icmp_any(f, PG_IP_ICMP, type, code, rest);
}

void pg_put_icmp6(pg_frame_t *f, uint8_t type, uint8_t code, uint32_t rest)
{
    put_icmp_any(f, PG_IP_ICMPV6, type, code, rest);
}

void pg_put_igmp2(pg_frame_t *f, uint8_t type, uint8_t maxresp, uint32_t group)
{
    size_t at = f->len;
    uint8_t *q = room(f, 8);
    if (!q)
        return;
    q[0] = type;
    q[1] = maxresp;
    wr16(q + 2, 0);
    wr32(q + 4, group);
    f->l4 = at;
    f->proto = PG_IP_IGMP; /* checksummed like ICMP, by pg_finish */
}

/* ---- checksums and lengths ------------------------------------------------ */

uint32_t pg_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    /* Only the last chunk of a sum may have an odd length. */
    while (n >= 2) {
        sum += (uint32_t)(p[0] << 8 | p[1]);
        p += 2;
        n -= 2;
    }
    if (n)
        sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

uint16_t pg_csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Sum of the pseudo-header for a transport segment of seglen bytes. */
static uint32_t pseudo_sum(const pg_frame_t *f, size_t seglen)
{
    const uint8_t *ip = f->p + f->l3;
    uint8_t tail[8];
    if (f->ipver == 4) {
        uint32_t sum = pg_csum_add(0, ip + 12, 8); /* source, destination */
        wr16(tail, f->proto);
        wr16(tail + 2, (uint16_t)seglen);
        return pg_csum_add(sum, tail, 4);
    }
    uint32_t sum = pg_csum_add(0, ip + 8, 32);
    wr32(tail, (uint32_t)seglen);
    wr32(tail + 4, f->proto);
    return pg_csum_add(sum, tail, 8);
}

long pg_finish(pg_frame_t *f)
{
    if (f->err)
        return -1;
    if (f->l3 != PG_NONE) {
        uint8_t *ip = f->p + f->l3;
        size_t total = f->len - f->l3;
        if (f->ipver == 4) {
            if (total > 0xffff)
                return -1;
            size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
            wr16(ip + 2, (uint16_t)total);
            wr16(ip + 10, 0);
            wr16(ip + 10, pg_csum_fold(pg_csum_add(0, ip, ihl)));
        } else {
            if (total - 40 > 0xffff)
                return -1;
            wr16(ip + 4, (uint16_t)(total - 40));
        }
    }
    if (f->l4 != PG_NONE) {
        uint8_t *l4 = f->p + f->l4;
        size_t seglen = f->len - f->l4;
        size_t at;
        int pseudo = 1;
        switch (f->proto) {
        case PG_IP_TCP:
            at = 16;
            break;
        case PG_IP_UDP:
            at = 6;
            wr16(l4 + 4, (uint16_t)seglen);
            break;
        case PG_IP_ICMP:
        case PG_IP_IGMP:
            at = 2;
            pseudo = 0; /* IPv4 ICMP/IGMP: no pseudo-header */
            break;
        case PG_IP_ICMPV6:
            at = 2;
            break;
        default:
            return -1;
        }
        if (pseudo && f->l3 == PG_NONE)
            return -1;
        wr16(l4 + at, 0);
        uint32_t sum = pseudo ? pseudo_sum(f, seglen) : 0;
        uint16_t c = pg_csum_fold(pg_csum_add(sum, l4, seglen));
        if (c == 0 && f->proto == PG_IP_UDP)
            c = 0xffff; /* 0 means "no checksum" in UDP */
        wr16(l4 + at, c);
    }
    return (long)f->len;
}

void pg_pad_to(pg_frame_t *f, size_t min)
{
    if (f->len < min)
        pg_put_zero(f, min - f->len);
}

/* ---- fragmentation -------------------------------------------------------- */

long pg_ipv4_fragment(const uint8_t *src, size_t src_len, size_t l3, size_t off, size_t n,
                      int more, uint8_t *out, size_t out_cap)
{
    if (l3 + 20 > src_len || (src[l3] >> 4) != 4 || off % 8)
        return -1;
    const uint8_t *ip = src + l3;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    size_t total = rd16(ip + 2);
    if (ihl < 20 || total < ihl || l3 + total > src_len || off > total - ihl
        || n > total - ihl - off)
        return -1;

    /* Options for this fragment: all of them in the first; in the others
     * those without the copy flag become NOPs (RFC 791 3.1; Linux's
     * ip_options_fragment does the same), so every fragment keeps the IHL. */
    uint8_t opts[40];
    size_t optlen = ihl - 20;
    memcpy(opts, ip + 20, optlen);
    if (off != 0) {
        size_t i = 0;
        while (i < optlen && opts[i] != 0) {
            size_t olen = opts[i] == 1 ? 1 : (i + 1 < optlen ? opts[i + 1] : 0);
            if (olen < 1 || i + olen > optlen)
                return -1;
            if (opts[i] != 1 && !(opts[i] & 0x80))
                memset(opts + i, 1, olen);
            i += olen;
        }
    }

    size_t flen = l3 + 20 + optlen + n;
    if (flen > out_cap)
        return -1;
    memcpy(out, src, l3);
    uint8_t *q = out + l3;
    memcpy(q, ip, 20);
    memcpy(q + 20, opts, optlen);
    memcpy(q + 20 + optlen, ip + ihl + off, n);
    q[0] = (uint8_t)(0x40 | (5 + optlen / 4));
    wr16(q + 2, (uint16_t)(20 + optlen + n));
    uint16_t ofrag = rd16(ip + 6);
    uint16_t units = (uint16_t)((ofrag & 0x1fff) + off / 8);
    uint16_t flags = (uint16_t)(ofrag & PG_IP_DF);
    if (more || (ofrag & PG_IP_MF))
        flags |= PG_IP_MF;
    wr16(q + 6, (uint16_t)(flags | (units & 0x1fff)));
    wr16(q + 10, 0);
    wr16(q + 10, pg_csum_fold(pg_csum_add(0, q, 20 + optlen)));
    return (long)flen;
}
