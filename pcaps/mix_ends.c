/*
 * mix_ends.c - who talks to whom in the traffic mix: hosts, addresses, MACs,
 * directions, VLAN tags, IPv4 options, and the link + IP headers of a packet.
 */
#include <string.h>

#include "mix_internal.h"

const uint8_t mix_gw_mac[6] = {0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x01};
const uint8_t mix_bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const uint8_t mix_zero_mac[6] = {0};

/* One of ~100 clients; their MACs and IPv6 interface IDs follow from the index. */
void mix_pick_client(pg_rng_t *r, mix_host_t *h)
{
    uint32_t idx = pg_rng_range(r, 0, 99);
    h->ip4 = 0x0a010000u | (idx / 50) << 8 | (10 + idx % 50);
    static const uint8_t pfx[8] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00};
    uint8_t iid[8] = {0x02, 0x42, 0x0a, 0xff, 0xfe, 0x01, (uint8_t)(idx >> 8), (uint8_t)idx};
    memcpy(h->ip6, pfx, 8);
    memcpy(h->ip6 + 8, iid, 8);
    memset(h->ll6, 0, 16);
    h->ll6[0] = 0xfe;
    h->ll6[1] = 0x80;
    memcpy(h->ll6 + 8, iid, 8);
    /* The MAC the EUI-64 interface ID above was formed from. */
    uint8_t mac[6] = {0x00, 0x42, 0x0a, 0x01, (uint8_t)(idx >> 8), (uint8_t)idx};
    memcpy(h->mac, mac, 6);
}

/* Servers sit behind the gateway, so frames to and from them use its MAC. */
void mix_pick_server(pg_rng_t *r, mix_host_t *h)
{
    static const uint32_t nets[3] = {0xc0000200u, 0xc6336400u, 0xcb007100u};
    uint32_t net = nets[pg_rng_below(r, 3)];
    h->ip4 = net | pg_rng_range(r, 1, 254);
    static const uint8_t pfx[6] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0xff};
    memset(h->ip6, 0, 16);
    memcpy(h->ip6, pfx, 6);
    h->ip6[14] = (uint8_t)pg_rng_range(r, 0, 3);
    h->ip6[15] = (uint8_t)pg_rng_range(r, 1, 254);
    memset(h->ll6, 0, 16);
    memcpy(h->mac, mix_gw_mac, 6);
}

void mix_fixed_server(mix_host_t *h, uint32_t ip4)
{
    memset(h, 0, sizeof *h);
    h->ip4 = ip4;
    static const uint8_t pfx[6] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x53};
    memcpy(h->ip6, pfx, 6);
    h->ip6[15] = (uint8_t)ip4;
    memcpy(h->mac, mix_gw_mac, 6);
}

static uint8_t server_ttl(pg_rng_t *r)
{
    static const uint8_t base[3] = {64, 128, 255};
    unsigned b = base[pg_rng_below(r, 3)];
    return (uint8_t)(b - pg_rng_range(r, 5, 20));
}

uint16_t mix_ephemeral_port(pg_rng_t *r)
{
    /* Linux 32768-60999 mostly, Windows-style 49152-65535 otherwise; never
     * 49152 itself, which tcpdump decodes as a Broadcom LI shim. */
    uint16_t p = (uint16_t)(pg_rng_chance(r, 700) ? pg_rng_range(r, 32768, 60999)
                                                  : pg_rng_range(r, 49152, 65535));
    return p == 49152 ? 49153 : p;
}

/* IPv4 options of exactly n bytes (a multiple of 4, 4..40): Router Alert,
 * Record Route or Timestamp, partly filled, padded with NOP/EOL. */
static void make_ipopts(pg_rng_t *r, uint8_t *o, size_t n)
{
    memset(o, 0, n);
    uint32_t pick = pg_rng_below(r, 100);
    if (n == 4 || pick < 20) {
        o[0] = 0x94; /* Router Alert (copied), RFC 2113 */
        o[1] = 4;
        for (size_t i = 4; i + 1 < n; i++)
            o[i] = 1; /* NOP; the last byte stays EOL */
        return;
    }
    if (pick < 65) {
        /* NOP, then Record Route with k of its slots filled. */
        size_t slots = (n - 4) / 4;
        size_t k = pg_rng_range(r, 0, (uint32_t)slots);
        o[0] = 1;
        o[1] = 7;
        o[2] = (uint8_t)(3 + 4 * slots);
        o[3] = (uint8_t)(4 + 4 * k);
        for (size_t i = 0; i < k; i++) {
            uint32_t a = 0xc6336400u | pg_rng_range(r, 1, 254);
            o[4 + 4 * i] = (uint8_t)(a >> 24);
            o[5 + 4 * i] = (uint8_t)(a >> 16);
            o[6 + 4 * i] = (uint8_t)(a >> 8);
            o[7 + 4 * i] = (uint8_t)a;
        }
        return;
    }
    /* Timestamp, timestamps only (flag 0), RFC 791. */
    size_t slots = (n - 4) / 4;
    size_t k = pg_rng_range(r, 0, (uint32_t)slots);
    o[0] = 0x44;
    o[1] = (uint8_t)n;
    o[2] = (uint8_t)(5 + 4 * k);
    o[3] = 0;
    for (size_t i = 0; i < k; i++) {
        uint32_t ms = 80000000u + pg_rng_below(r, 1000000); /* ms since midnight UTC */
        o[4 + 4 * i] = (uint8_t)(ms >> 24);
        o[5 + 4 * i] = (uint8_t)(ms >> 16);
        o[6 + 4 * i] = (uint8_t)(ms >> 8);
        o[7 + 4 * i] = (uint8_t)ms;
    }
}

/* Fill e for a packet between client c and server s in the given direction. */
void mix_make_ends(pg_rng_t *r, mix_ends_t *e, const mix_shape_t *sh, const mix_host_t *c, const mix_host_t *s,
                      int c2s)
{
    memset(e, 0, sizeof *e);
    e->v6 = sh->v6;
    e->vlan = sh->vlan;
    static const uint16_t vids[3] = {10, 20, 100};
    unsigned prio = pg_rng_chance(r, 150) ? 5u << 13 : 0;
    e->tci = (uint16_t)(prio | vids[pg_rng_below(r, 3)]);
    e->outer_tci = (uint16_t)(200 + pg_rng_below(r, 4));
    e->smac = c2s ? c->mac : s->mac;
    e->dmac = c2s ? s->mac : c->mac;
    e->s4 = c2s ? c->ip4 : s->ip4;
    e->d4 = c2s ? s->ip4 : c->ip4;
    e->s6 = c2s ? c->ip6 : s->ip6;
    e->d6 = c2s ? s->ip6 : c->ip6;
    e->ttl = c2s ? (pg_rng_chance(r, 750) ? 64 : 128) : server_ttl(r);
    e->ipid = (uint16_t)pg_rng_next(r);
    e->ipflags = PG_IP_DF;
    if (sh->optlen) {
        e->optlen = sh->optlen;
        make_ipopts(r, e->opts, sh->optlen);
    }
}

/* Ethernet (+ tags) and the IP header. */
void mix_put_l3(pg_frame_t *f, const mix_ends_t *e, uint8_t proto)
{
    uint16_t l3type = e->v6 ? PG_ETH_IPV6 : PG_ETH_IPV4;
    if (e->vlan == 2) {
        pg_put_eth(f, e->dmac, e->smac, PG_ETH_QINQ);
        pg_put_vlan(f, e->outer_tci, PG_ETH_VLAN);
        pg_put_vlan(f, e->tci, l3type);
    } else if (e->vlan == 1) {
        pg_put_eth(f, e->dmac, e->smac, PG_ETH_VLAN);
        pg_put_vlan(f, e->tci, l3type);
    } else {
        pg_put_eth(f, e->dmac, e->smac, l3type);
    }
    if (e->v6) {
        pg_put_ipv6(f, e->tos, e->ipid, proto, e->ttl, e->s6, e->d6);
        return;
    }
    pg_ipv4_t h = {.tos = e->tos, .id = e->ipid, .frag = e->ipflags, .ttl = e->ttl,
                   .proto = proto, .src = e->s4, .dst = e->d4, .opts = e->opts,
                   .optlen = e->optlen};
    pg_put_ipv4(f, &h);
}

/* Finish, then pad short frames to the Ethernet minimum about half the time
 * (as seen on the receiving side of a link). */
int mix_finish(pg_frame_t *f, pg_rng_t *r)
{
    if (pg_finish(f) < 0)
        return -1;
    if (f->len < PG_ETH_MIN && pg_rng_chance(r, 500))
        pg_pad_to(f, PG_ETH_MIN);
    return f->err ? -1 : 0;
}
