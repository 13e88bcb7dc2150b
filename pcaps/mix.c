/*
 * mix.c - the traffic model behind vfm-gen-mix and vfm-bench --synth.
 *
 * Each draw picks a class by weight (PG_MIX_CLASSES in mix.h), then the
 * endpoints (a client LAN 10.1.0.0/23 and 2001:db8:1::/64 behind one
 * gateway, servers in the documentation ranges 192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24 and 2001:db8:ff::/48), the direction, and
 * the transport fields.  Addresses and names are documentation-only.
 */
#include "mix.h"

#include <string.h>

#include "mix_internal.h"

static const char *const class_names[] = {
#define PG_X_(name, label, weight) label,
    PG_MIX_CLASSES(PG_X_)
#undef PG_X_
};

static const uint16_t class_weights[] = {
#define PG_X_(name, label, weight) weight,
    PG_MIX_CLASSES(PG_X_)
#undef PG_X_
};

const char *pg_mix_class_name(int cls)
{
    return cls >= 0 && cls < PG_MIX_NCLASSES ? class_names[cls] : "?";
}

/* ---- TCP ------------------------------------------------------------------ */

static uint16_t pick_service(pg_rng_t *r)
{
    static const struct {
        uint16_t port, weight;
    } services[] = {
        {443, 450}, {80, 180}, {22, 70}, {25, 40}, {993, 50}, {8080, 80},
        {3306, 40}, {5432, 30}, {8443, 60},
    };
    uint32_t x = pg_rng_below(r, 1000);
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
        if (x < services[i].weight)
            return services[i].port;
        x -= services[i].weight;
    }
    return 443;
}

static size_t data_size(pg_rng_t *r, int c2s, int ts)
{
    uint32_t x = pg_rng_below(r, 100);
    if (c2s ? x < 65 : x < 40)
        return pg_rng_range(r, 20, 200);
    if (c2s ? x < 95 : x < 80)
        return pg_rng_range(r, 200, 1000);
    return ts ? 1448 : 1460; /* full MSS */
}

static int gen_tcp(pg_mix_t *m, pg_frame_t *f, const mix_shape_t *sh)
{
    pg_rng_t *r = &m->rng;
    mix_host_t c, s;
    mix_pick_client(r, &c);
    mix_pick_server(r, &s);

    /* Flags first; they decide the direction of handshake and reset segments. */
    static const struct {
        uint8_t flags, data, weight;
    } kinds[] = {
        {PG_TCP_SYN, 0, 7},
        {PG_TCP_SYN | PG_TCP_ACK, 0, 6},
        {PG_TCP_ACK, 0, 34},
        {PG_TCP_PSH | PG_TCP_ACK, 1, 33},
        {PG_TCP_ACK, 1, 10},
        {PG_TCP_FIN | PG_TCP_ACK, 0, 6},
        {PG_TCP_RST, 0, 2},
        {PG_TCP_RST | PG_TCP_ACK, 0, 2},
    };
    size_t k = 0;
    uint32_t x = pg_rng_below(r, 100);
    while (k + 1 < sizeof kinds / sizeof kinds[0] && x >= kinds[k].weight)
        x -= kinds[k++].weight;
    uint8_t flags = kinds[k].flags;
    int data = kinds[k].data || sh->min_payload;
    if (sh->min_payload && (flags & (PG_TCP_SYN | PG_TCP_RST | PG_TCP_FIN))) {
        flags = PG_TCP_PSH | PG_TCP_ACK;
    }

    int c2s;
    if (flags == PG_TCP_SYN)
        c2s = 1;
    else if (flags == (PG_TCP_SYN | PG_TCP_ACK) || (flags & PG_TCP_RST))
        c2s = 0;
    else
        c2s = pg_rng_chance(r, data ? 380 : 500);
    if (sh->dport) {
        c2s = 1;
        if (flags == (PG_TCP_SYN | PG_TCP_ACK))
            flags = PG_TCP_SYN;
    }

    uint16_t service = sh->dport ? sh->dport : pick_service(r);
    uint16_t eph = mix_ephemeral_port(r);

    /* Options: SYNs carry MSS, SACK-permitted, timestamps, window scale
     * (Linux order); most other segments carry timestamps. */
    uint8_t opts[20];
    size_t optlen = 0;
    int ts = pg_rng_chance(r, 650);
    if (flags & PG_TCP_SYN) {
        static const uint8_t syn_opts[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                             0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
        memcpy(opts, syn_opts, 20);
        uint32_t tsval = (uint32_t)pg_rng_next(r);
        opts[8] = (uint8_t)(tsval >> 24);
        opts[9] = (uint8_t)(tsval >> 16);
        opts[10] = (uint8_t)(tsval >> 8);
        opts[11] = (uint8_t)tsval;
        optlen = 20;
    } else if (ts && !(flags & PG_TCP_RST)) {
        opts[0] = 1;
        opts[1] = 1;
        opts[2] = 8;
        opts[3] = 10;
        pg_rng_fill(r, opts + 4, 8);
        optlen = 12;
    }

    size_t size = 0;
    if (data) {
        size = data_size(r, c2s, optlen == 12);
        if (size < sh->min_payload)
            size = sh->min_payload;
    }

    mix_ends_t e;
    mix_make_ends(r, &e, sh, &c, &s, c2s);
    mix_put_l3(f, &e, PG_IP_TCP);
    static const uint16_t wins[5] = {64240, 65535, 502, 501, 2048};
    uint32_t seq = (uint32_t)pg_rng_next(r);
    uint32_t ack = (flags & PG_TCP_ACK) ? (uint32_t)pg_rng_next(r) : 0;
    uint16_t win = (flags & PG_TCP_RST) ? 0 : wins[pg_rng_below(r, 5)];
    pg_put_tcp(f, c2s ? eph : service, c2s ? service : eph, seq, ack, flags, win, opts, optlen);
    mix_put_tcp_payload(f, r, service, c2s, size);
    return mix_finish(f, r);
}

/* ---- UDP ------------------------------------------------------------------ */

static int gen_dns(pg_mix_t *m, pg_frame_t *f, const mix_shape_t *sh, int response, int big)
{
    pg_rng_t *r = &m->rng;
    mix_host_t c, s;
    mix_pick_client(r, &c);
    mix_fixed_server(&s, MIX_DNS_IP4);
    mix_ends_t e;
    mix_make_ends(r, &e, sh, &c, &s, !response);
    e.ipflags = pg_rng_chance(r, 500) ? PG_IP_DF : 0;
    mix_put_l3(f, &e, PG_IP_UDP);
    uint16_t eph = mix_ephemeral_port(r);
    pg_put_udp(f, response ? 53 : eph, response ? eph : 53);
    if (response)
        mix_put_dns_response(f, r, big);
    else
        mix_put_dns_query(f, r, pg_rng_chance(r, 400));
    return mix_finish(f, r);
}

static int gen_ntp(pg_mix_t *m, pg_frame_t *f, const mix_shape_t *sh)
{
    pg_rng_t *r = &m->rng;
    mix_host_t c, s;
    mix_pick_client(r, &c);
    mix_fixed_server(&s, MIX_NTP_IP4);
    int client = pg_rng_chance(r, 500);
    mix_ends_t e;
    mix_make_ends(r, &e, sh, &c, &s, client);
    e.tos = 0xb8; /* chrony marks NTP as EF */
    mix_put_l3(f, &e, PG_IP_UDP);
    uint16_t cport = pg_rng_chance(r, 300) ? 123 : mix_ephemeral_port(r);
    pg_put_udp(f, client ? cport : 123, client ? 123 : cport);
    mix_put_ntp(f, r, client, m->ts_usec);
    return mix_finish(f, r);
}

static int gen_quic(pg_mix_t *m, pg_frame_t *f, const mix_shape_t *sh)
{
    pg_rng_t *r = &m->rng;
    mix_host_t c, s;
    mix_pick_client(r, &c);
    mix_pick_server(r, &s);
    int c2s = pg_rng_chance(r, 400);
    int longhdr = pg_rng_chance(r, 150);
    size_t size;
    if (longhdr)
        size = c2s ? (pg_rng_chance(r, 500) ? 1250 : 1200) : pg_rng_range(r, 1200, 1252);
    else
        size = c2s ? pg_rng_range(r, 30, 200) : pg_rng_range(r, 100, 1350);
    mix_ends_t e;
    mix_make_ends(r, &e, sh, &c, &s, c2s);
    mix_put_l3(f, &e, PG_IP_UDP);
    uint16_t eph = mix_ephemeral_port(r);
    pg_put_udp(f, c2s ? eph : 443, c2s ? 443 : eph);
    mix_put_quic(f, r, c2s, longhdr, size);
    return mix_finish(f, r);
}

/* A datagram over 1400 bytes of IP between two high ports (media, VPN,
 * game traffic); no well-known port, so nothing decodes it. */
static int gen_udp_large(pg_mix_t *m, pg_frame_t *f, const mix_shape_t *sh, size_t min_ip,
                         size_t max_ip)
{
    pg_rng_t *r = &m->rng;
    mix_host_t c, s;
    mix_pick_client(r, &c);
    mix_pick_server(r, &s);
    int c2s = pg_rng_chance(r, 300);
    mix_ends_t e;
    mix_make_ends(r, &e, sh, &c, &s, c2s);
    mix_put_l3(f, &e, PG_IP_UDP);
    uint16_t dport = (uint16_t)pg_rng_range(r, 40000, 44999);
    uint16_t sport = (uint16_t)pg_rng_range(r, 40000, 44999);
    pg_put_udp(f, sport, dport);
    size_t ip = pg_rng_range(r, (uint32_t)min_ip, (uint32_t)max_ip);
    size_t hdr = (sh->v6 ? 40 : 20 + sh->optlen) + 8;
    pg_put_random(f, r, ip > hdr ? ip - hdr : 0);
    return mix_finish(f, r);
}

static int gen_syslog(pg_mix_t *m, pg_frame_t *f, const mix_shape_t *sh)
{
    pg_rng_t *r = &m->rng;
    mix_host_t c, s;
    mix_pick_client(r, &c);
    mix_fixed_server(&s, 0xc0000272u); /* 192.0.2.114 */
    mix_ends_t e;
    mix_make_ends(r, &e, sh, &c, &s, 1);
    e.ipflags = 0;
    mix_put_l3(f, &e, PG_IP_UDP);
    pg_put_udp(f, mix_ephemeral_port(r), 514);
    mix_put_syslog(f, r);
    return mix_finish(f, r);
}

/* ---- ICMP ----------------------------------------------------------------- */

static void put_ping_data(pg_frame_t *f, pg_rng_t *r, uint64_t ts_usec, size_t n)
{
    /* Linux ping: a struct timeval, then bytes counting up from 0x10. */
    uint64_t sec = ts_usec / 1000000u, usec = ts_usec % 1000000u;
    for (int i = 0; i < 8 && n; i++, n--)
        pg_put_u8(f, (uint8_t)((i < 4 ? sec : usec) >> (8 * (i % 4))));
    (void)r;
    for (size_t i = 0; i < n; i++)
        pg_put_u8(f, (uint8_t)(0x10 + i));
}

/* The datagram an ICMP error quotes: a small UDP or TCP packet from c. */
static size_t make_quoted(pg_rng_t *r, uint8_t *buf, size_t cap, const mix_host_t *c, uint32_t dst,
                          uint8_t proto, uint16_t dport, uint8_t ttl)
{
    pg_frame_t q;
    pg_frame_init(&q, buf, cap);
    pg_ipv4_t h = {.id = (uint16_t)pg_rng_next(r), .frag = PG_IP_DF, .ttl = ttl,
                   .proto = proto, .src = c->ip4, .dst = dst};
    pg_put_ipv4(&q, &h);
    if (proto == PG_IP_TCP) {
        uint32_t ack = (uint32_t)pg_rng_next(r);
        uint32_t seq = (uint32_t)pg_rng_next(r);
        uint16_t sport = mix_ephemeral_port(r);
        pg_put_tcp(&q, sport, dport, seq, ack, PG_TCP_ACK | PG_TCP_PSH, 502, NULL, 0);
        pg_put_random(&q, r, 1372); /* the 1412-byte packet that did not fit */
        if (pg_finish(&q) < 0)
            return 0;
        return 20 + 20 + 8; /* RFC 792: IP header and the first 8 data bytes */
    }
    pg_put_udp(&q, mix_ephemeral_port(r), dport);
    pg_put_random(&q, r, pg_rng_range(r, 16, 64));
    return pg_finish(&q) < 0 ? 0 : q.len;
}

static int gen_icmp(pg_mix_t *m, pg_frame_t *f, const mix_shape_t *sh)
{
    pg_rng_t *r = &m->rng;
    mix_host_t c, s;
    mix_pick_client(r, &c);
    mix_pick_server(r, &s);
    uint32_t kind = pg_rng_below(r, 100);
    mix_ends_t e;
    if (kind < 70) { /* echo request / reply */
        int req = kind < 35;
        mix_make_ends(r, &e, sh, &c, &s, req);
        mix_put_l3(f, &e, PG_IP_ICMP);
        uint32_t id = (uint32_t)pg_rng_range(r, 1, 0xffff);
        uint32_t seq = (uint32_t)pg_rng_range(r, 1, 300);
        pg_put_icmp(f, req ? 8 : 0, 0, id << 16 | seq);
        put_ping_data(f, r, m->ts_usec, 56);
        return mix_finish(f, r);
    }
    uint8_t quoted[1500];
    size_t qlen;
    uint8_t type, code;
    uint32_t rest = 0;
    if (kind < 82) { /* port unreachable from a server, quoting the whole UDP packet */
        type = 3;
        code = 3;
        qlen = make_quoted(r, quoted, sizeof quoted, &c, s.ip4, PG_IP_UDP,
                           (uint16_t)pg_rng_range(r, 5000, 9999), 64);
    } else if (kind < 90) { /* traceroute probe expired at a router */
        type = 11;
        code = 0;
        qlen = make_quoted(r, quoted, sizeof quoted, &c, s.ip4, PG_IP_UDP,
                           (uint16_t)pg_rng_range(r, 33434, 33534), 1);
    } else { /* path MTU: fragmentation needed, next-hop MTU 1400 */
        type = 3;
        code = 4;
        rest = 1400;
        qlen = make_quoted(r, quoted, sizeof quoted, &c, s.ip4, PG_IP_TCP, 443, 64);
    }
    if (qlen == 0)
        return -1;
    if (type == 11 || code == 4)
        s.ip4 = pg_rng_chance(r, 500) ? MIX_GW_IP4 : 0xc6336401u; /* 10.1.0.1 or 198.51.100.1 */
    mix_make_ends(r, &e, sh, &c, &s, 0);
    e.ipflags = 0;
    e.tos = 0xc0; /* Linux sends ICMP errors as internetwork control */
    mix_put_l3(f, &e, PG_IP_ICMP);
    pg_put_icmp(f, type, code, rest);
    pg_put_bytes(f, quoted, qlen);
    return mix_finish(f, r);
}

static int gen_icmp6(pg_mix_t *m, pg_frame_t *f, const mix_shape_t *sh)
{
    pg_rng_t *r = &m->rng;
    mix_host_t c, s;
    mix_pick_client(r, &c);
    mix_pick_server(r, &s);
    uint32_t kind = pg_rng_below(r, 100);
    mix_ends_t e;
    if (kind < 60) {
        int req = kind < 30;
        mix_make_ends(r, &e, sh, &c, &s, req);
        mix_put_l3(f, &e, PG_IP_ICMPV6);
        uint32_t id = (uint32_t)pg_rng_range(r, 1, 0xffff);
        uint32_t seq = (uint32_t)pg_rng_range(r, 1, 300);
        pg_put_icmp6(f, req ? 128 : 129, 0, id << 16 | seq);
        put_ping_data(f, r, m->ts_usec, 56);
        return mix_finish(f, r);
    }
    /* Neighbour discovery and MLD stay on the link: link-local addresses,
     * multicast MACs 33:33:xx, hop limit 255 (ND) or 1 (MLD). */
    static const uint8_t gw_ll[16] = {0xfe, 0x80, [15] = 1};
    uint8_t dst[16] = {0xff, 0x02, [11] = 1, [12] = 0xff};
    uint8_t dmac[6] = {0x33, 0x33, 0xff, 0, 0, 0};
    memset(&e, 0, sizeof e);
    e.v6 = 1;
    e.vlan = sh->vlan;
    if (kind < 80) { /* neighbour solicitation for the gateway */
        memcpy(dst + 13, gw_ll + 13, 3);
        memcpy(dmac + 3, gw_ll + 13, 3);
        e.smac = c.mac;
        e.dmac = dmac;
        e.s6 = c.ll6;
        e.d6 = dst;
        e.ttl = 255;
        mix_put_l3(f, &e, PG_IP_ICMPV6);
        pg_put_icmp6(f, 135, 0, 0);
        pg_put_bytes(f, gw_ll, 16);
        pg_put_u8(f, 1); /* source link-layer address option, 8 bytes */
        pg_put_u8(f, 1);
        pg_put_bytes(f, c.mac, 6);
    } else if (kind < 92) { /* solicited neighbour advertisement from the router */
        e.smac = mix_gw_mac;
        e.dmac = c.mac;
        e.s6 = gw_ll;
        e.d6 = c.ll6;
        e.ttl = 255;
        mix_put_l3(f, &e, PG_IP_ICMPV6);
        pg_put_icmp6(f, 136, 0, 0xe0000000u); /* router, solicited, override */
        pg_put_bytes(f, gw_ll, 16);
        pg_put_u8(f, 2); /* target link-layer address option */
        pg_put_u8(f, 1);
        pg_put_bytes(f, mix_gw_mac, 6);
    } else { /* MLDv2 report joining the client's solicited-node group */
        static const uint8_t mld_dst[16] = {0xff, 0x02, [15] = 0x16};
        static const uint8_t mld_mac[6] = {0x33, 0x33, 0, 0, 0, 0x16};
        memcpy(dst + 13, c.ip6 + 13, 3);
        e.smac = c.mac;
        e.dmac = mld_mac;
        e.s6 = c.ll6;
        e.d6 = mld_dst;
        e.ttl = 1;
        mix_put_l3(f, &e, PG_IP_HOPOPT);
        pg_put_ipv6_hbh_ra(f, PG_IP_ICMPV6);
        pg_put_icmp6(f, 143, 0, 1); /* reserved 0, one record */
        pg_put_u8(f, 4);            /* CHANGE_TO_EXCLUDE_MODE */
        pg_put_u8(f, 0);
        pg_put_be16(f, 0);
        pg_put_bytes(f, dst, 16);
    }
    return mix_finish(f, r);
}

/* ---- ARP, IGMP ------------------------------------------------------------ */

static int gen_arp(pg_mix_t *m, pg_frame_t *f)
{
    pg_rng_t *r = &m->rng;
    mix_host_t c;
    mix_pick_client(r, &c);
    uint32_t kind = pg_rng_below(r, 100);
    if (kind < 60) { /* who-has the gateway (or a neighbour) */
        pg_put_eth(f, mix_bcast_mac, c.mac, PG_ETH_ARP);
        uint32_t target = pg_rng_chance(r, 700) ? MIX_GW_IP4 : 0x0a010000u | pg_rng_range(r, 10, 59);
        pg_put_arp(f, 1, c.mac, c.ip4, mix_zero_mac, target);
    } else if (kind < 90) { /* the gateway's reply */
        pg_put_eth(f, c.mac, mix_gw_mac, PG_ETH_ARP);
        pg_put_arp(f, 2, mix_gw_mac, MIX_GW_IP4, c.mac, c.ip4);
    } else { /* gratuitous ARP announcing the client's address */
        pg_put_eth(f, mix_bcast_mac, c.mac, PG_ETH_ARP);
        pg_put_arp(f, 1, c.mac, c.ip4, mix_zero_mac, c.ip4);
    }
    pg_pad_to(f, PG_ETH_MIN); /* ARP frames are always padded by the sender */
    return f->err ? -1 : 0;
}

static int gen_igmp(pg_mix_t *m, pg_frame_t *f)
{
    pg_rng_t *r = &m->rng;
    mix_host_t c;
    mix_pick_client(r, &c);
    uint32_t group = pg_rng_chance(r, 500) ? 0xeffffffau : 0xe00000fbu; /* SSDP, mDNS */
    uint8_t mac[6] = {0x01, 0x00, 0x5e, (uint8_t)((group >> 16) & 0x7f), (uint8_t)(group >> 8),
                      (uint8_t)group};
    static const uint8_t ra[4] = {0x94, 4, 0, 0};
    pg_put_eth(f, mac, c.mac, PG_ETH_IPV4);
    pg_ipv4_t h = {.tos = 0xc0, .id = 0, .frag = PG_IP_DF, .ttl = 1, .proto = PG_IP_IGMP,
                   .src = c.ip4, .dst = group, .opts = ra, .optlen = 4};
    pg_put_ipv4(f, &h);
    pg_put_igmp2(f, 0x16, 0, group); /* IGMPv2 membership report */
    return mix_finish(f, r);
}

/* ---- classes built from the others ---------------------------------------- */

static int gen_vlan(pg_mix_t *m, pg_frame_t *f)
{
    mix_shape_t sh = {.vlan = pg_rng_chance(&m->rng, 150) ? 2 : 1};
    if (pg_rng_chance(&m->rng, 700))
        return gen_tcp(m, f, &sh);
    return gen_dns(m, f, &sh, pg_rng_chance(&m->rng, 500), 0);
}

static int gen_ipv6(pg_mix_t *m, pg_frame_t *f, int cls)
{
    mix_shape_t sh = {.v6 = 1};
    if (cls == PG_MIX_TCP6)
        return gen_tcp(m, f, &sh);
    if (cls == PG_MIX_ICMP6)
        return gen_icmp6(m, f, &sh);
    if (pg_rng_chance(&m->rng, 500))
        return gen_quic(m, f, &sh);
    int b = pg_rng_chance(&m->rng, 100);
    int a = pg_rng_chance(&m->rng, 500);
    return gen_dns(m, f, &sh, a, b);
}

static int gen_ipopt(pg_mix_t *m, pg_frame_t *f)
{
    pg_rng_t *r = &m->rng;
    mix_shape_t sh = {.optlen = 4 * pg_rng_range(r, 1, 10)};
    uint32_t kind = pg_rng_below(r, 100);
    if (kind < 40) { /* to port 80: the case where the header length matters */
        sh.dport = 80;
        return gen_tcp(m, f, &sh);
    }
    if (kind < 60)
        return gen_tcp(m, f, &sh);
    if (kind < 75)
        return gen_dns(m, f, &sh, 0, 0);
    if (kind < 85) { /* ping -R: Record Route with all nine slots */
        mix_host_t c, s;
        mix_pick_client(r, &c);
        mix_pick_server(r, &s);
        mix_ends_t e;
        mix_make_ends(r, &e, &sh, &c, &s, 1);
        memset(e.opts, 0, sizeof e.opts);
        e.opts[0] = 7;
        e.opts[1] = 39;
        e.opts[2] = 4;
        e.optlen = 40;
        mix_put_l3(f, &e, PG_IP_ICMP);
        pg_put_icmp(f, 8, 0, (uint32_t)pg_rng_range(r, 1, 0xffff) << 16 | 1);
        put_ping_data(f, r, m->ts_usec, 56);
        return mix_finish(f, r);
    }
    return gen_igmp(m, f);
}

/* Build a datagram too big for the link and queue its fragments. */
static int gen_frag(pg_mix_t *m)
{
    pg_rng_t *r = &m->rng;
    pg_frame_t d;
    pg_frame_init(&d, m->pend, sizeof m->pend);
    mix_host_t c, s;
    mix_pick_client(r, &c);
    mix_pick_server(r, &s);
    mix_shape_t sh = {0};
    if (pg_rng_chance(r, 250))
        sh.optlen = 4 * pg_rng_range(r, 1, 6); /* options: RA is copied, RR/TS are not */
    mix_ends_t e;
    uint32_t kind = pg_rng_below(r, 100);
    size_t mtu = kind < 75 ? 1500 : 576;
    /* Fragment data per packet: what fits the MTU after the header, in
     * 8-byte units (RFC 791). */
    size_t step = (mtu - 20 - sh.optlen) / 8 * 8;
    if (kind < 35) { /* ping -s 1500..4000 */
        mix_make_ends(r, &e, &sh, &c, &s, 1);
        e.ipflags = 0;
        mix_put_l3(&d, &e, PG_IP_ICMP);
        uint32_t id = (uint32_t)pg_rng_range(r, 1, 0xffff);
        uint32_t seq = (uint32_t)pg_rng_range(r, 1, 50);
        pg_put_icmp(&d, 8, 0, id << 16 | seq);
        put_ping_data(&d, r, m->ts_usec, pg_rng_range(r, 1500, 4000));
    } else if (kind < 75) { /* a large UDP datagram between high ports */
        mix_make_ends(r, &e, &sh, &c, &s, pg_rng_chance(r, 500));
        e.ipflags = 0;
        mix_put_l3(&d, &e, PG_IP_UDP);
        uint16_t dport = (uint16_t)pg_rng_range(r, 40000, 44999);
        uint16_t sport = (uint16_t)pg_rng_range(r, 40000, 44999);
        pg_put_udp(&d, sport, dport);
        pg_put_random(&d, r, pg_rng_range(r, 2000, 5000));
    } else {
        /* TCP to port 80 over a 576-byte MTU path.  Each later fragment gets
         * the bytes 00 50 where a TCP destination port would be if it had a
         * TCP header: only the fragment-offset test keeps a filter from
         * matching them. */
        mix_make_ends(r, &e, &sh, &c, &s, 1);
        e.ipflags = 0;
        mix_put_l3(&d, &e, PG_IP_TCP);
        uint32_t ack = (uint32_t)pg_rng_next(r);
        uint32_t seq = (uint32_t)pg_rng_next(r);
        uint16_t sport = mix_ephemeral_port(r);
        pg_put_tcp(&d, sport, 80, seq, ack, PG_TCP_PSH | PG_TCP_ACK, 502, NULL, 0);
        size_t data_at = d.len;
        mix_put_text(&d, r, pg_rng_range(r, 1200, 2000));
        for (size_t off = step; d.len > d.l4 && off + 4 <= d.len - d.l4; off += step) {
            size_t at = d.l4 + off;
            if (at >= data_at) {
                d.p[at + 2] = 0x00;
                d.p[at + 3] = 0x50;
            }
        }
    }
    if (pg_finish(&d) < 0)
        return -1;
    m->pend_len = d.len;
    m->pend_l3 = d.l3;
    m->pend_off = 0;
    m->pend_step = step;
    return 0;
}

/* Emit the next queued fragment into f; clears the queue after the last. */
static int next_fragment(pg_mix_t *m, pg_frame_t *f)
{
    const uint8_t *ip = m->pend + m->pend_l3;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    size_t total = (size_t)(ip[2] << 8 | ip[3]);
    size_t payload = total - ihl;
    size_t n = payload - m->pend_off;
    int more = 0;
    if (n > m->pend_step) {
        n = m->pend_step;
        more = 1;
    }
    long len = pg_ipv4_fragment(m->pend, m->pend_len, m->pend_l3, m->pend_off, n, more, f->p,
                                f->cap);
    if (len < 0)
        return -1;
    f->len = (size_t)len;
    m->pend_off += n;
    if (!more)
        m->pend_len = 0;
    return 0;
}

/* A packet recorded with a short snapshot length, or cut inside its
 * transport header. */
static int gen_trunc(pg_mix_t *m, pg_frame_t *f, uint32_t *caplen)
{
    pg_rng_t *r = &m->rng;
    uint32_t kind = pg_rng_below(r, 100);
    mix_shape_t sh = {0};
    int rc;
    if (kind < 60) {
        sh.min_payload = 300;
        rc = gen_tcp(m, f, &sh);
    } else if (kind < 80) {
        rc = gen_udp_large(m, f, &sh, 1401, 1500);
    } else {
        rc = gen_dns(m, f, &sh, 1, 1);
    }
    if (rc < 0)
        return rc;
    static const uint32_t snaps[4] = {64, 68, 96, 128};
    uint32_t cut;
    if (pg_rng_chance(r, 700))
        cut = snaps[pg_rng_below(r, 4)];
    else
        cut = (uint32_t)f->l4 + pg_rng_range(r, 1, 7); /* inside the L4 header */
    *caplen = cut < f->len ? cut : (uint32_t)f->len - 1;
    return 0;
}

/* A frame shorter than an Ethernet header: noise, or the start of a real one. */
static int gen_runt(pg_mix_t *m, pg_frame_t *f)
{
    pg_rng_t *r = &m->rng;
    size_t n = pg_rng_range(r, 1, 13);
    if (pg_rng_chance(r, 500)) {
        pg_put_random(f, r, n);
    } else {
        uint8_t hdr[14];
        memcpy(hdr, mix_bcast_mac, 6);
        memcpy(hdr + 6, mix_gw_mac, 6);
        hdr[12] = 0x08;
        hdr[13] = 0x06;
        pg_put_bytes(f, hdr, n);
    }
    return f->err ? -1 : 0;
}

/* ---- driver --------------------------------------------------------------- */

void pg_mix_init(pg_mix_t *m, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    pg_rng_seed(&m->rng, seed);
    m->ts_usec = 1700000000ull * 1000000u;
}

static int pick_class(pg_rng_t *r)
{
    uint32_t x = pg_rng_below(r, 1000);
    for (int i = 0; i < PG_MIX_NCLASSES; i++) {
        if (x < class_weights[i])
            return i;
        x -= class_weights[i];
    }
    return PG_MIX_TCP4;
}

int pg_mix_next(pg_mix_t *m, uint8_t *buf, size_t cap, pg_rec_t *rec)
{
    if (cap < PG_FRAME_MAX)
        return -1;
    pg_frame_t f;
    pg_frame_init(&f, buf, cap);
    pg_rng_t *r = &m->rng;
    uint32_t caplen = 0;
    int cls, rc;

    if (m->pend_len) { /* later fragments follow closely */
        m->ts_usec += pg_rng_range(r, 2, 30);
        cls = PG_MIX_FRAG;
        rc = next_fragment(m, &f);
    } else {
        m->ts_usec += pg_rng_range(r, 1, 1500);
        cls = pick_class(r);
        mix_shape_t plain = {0};
        switch (cls) {
        case PG_MIX_TCP4:
            rc = gen_tcp(m, &f, &plain);
            break;
        case PG_MIX_DNSQ4:
            rc = gen_dns(m, &f, &plain, 0, 0);
            break;
        case PG_MIX_DNSR4:
            rc = gen_dns(m, &f, &plain, 1, 0);
            break;
        case PG_MIX_DNSBIG4:
            rc = gen_dns(m, &f, &plain, 1, 1);
            break;
        case PG_MIX_NTP4:
            rc = gen_ntp(m, &f, &plain);
            break;
        case PG_MIX_QUIC4:
            rc = gen_quic(m, &f, &plain);
            break;
        case PG_MIX_UDPBIG4:
            rc = gen_udp_large(m, &f, &plain, 1401, 1500);
            break;
        case PG_MIX_SYSLOG4:
            rc = gen_syslog(m, &f, &plain);
            break;
        case PG_MIX_ICMP4:
            rc = gen_icmp(m, &f, &plain);
            break;
        case PG_MIX_TCP6:
        case PG_MIX_UDP6:
        case PG_MIX_ICMP6:
            rc = gen_ipv6(m, &f, cls);
            break;
        case PG_MIX_VLAN:
            rc = gen_vlan(m, &f);
            break;
        case PG_MIX_ARP:
            rc = gen_arp(m, &f);
            break;
        case PG_MIX_IPOPT:
            rc = gen_ipopt(m, &f);
            break;
        case PG_MIX_FRAG:
            rc = gen_frag(m);
            if (rc == 0)
                rc = next_fragment(m, &f);
            break;
        case PG_MIX_TRUNC:
            rc = gen_trunc(m, &f, &caplen);
            break;
        default:
            rc = gen_runt(m, &f);
            break;
        }
    }
    if (rc < 0 || f.err)
        return -1;
    rec->ts_usec = m->ts_usec;
    rec->len = (uint32_t)f.len;
    rec->caplen = caplen ? caplen : (uint32_t)f.len;
    rec->cls = cls;
    return 0;
}
