/*
 * mix_internal.h - shared by the traffic model's files: mix.c (classes),
 * mix_ends.c (endpoints, link and IP headers) and mix_apps.c (application
 * payloads).  Not installed, not public.
 */
#ifndef VFM_MIX_INTERNAL_H
#define VFM_MIX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pktgen.h"

/* Application payloads, each appended at the end of frame f. */

/** DNS query for a random name; with an EDNS(0) OPT record when @p edns. */
void mix_put_dns_query(pg_frame_t *f, pg_rng_t *r, int edns);

/** DNS response; @p big makes the message longer than 512 bytes (with EDNS(0)). */
void mix_put_dns_response(pg_frame_t *f, pg_rng_t *r, int big);

/** 48-byte NTPv4 message, client (mode 3) or server (mode 4). */
void mix_put_ntp(pg_frame_t *f, pg_rng_t *r, int client, uint64_t ts_usec);

/** QUIC v1 long-header (Initial/Handshake) or short-header packet of @p size bytes. */
void mix_put_quic(pg_frame_t *f, pg_rng_t *r, int c2s, int longhdr, size_t size);

/** A syslog line (RFC 3164 style). */
void mix_put_syslog(pg_frame_t *f, pg_rng_t *r);

/**
 * TCP payload of about @p size bytes for a segment to (@p c2s) or from the
 * service @p port: HTTP text on 80/8080, SMTP lines on 25, an SSH banner or
 * ciphertext on 22, TLS application-data records elsewhere.
 */
void mix_put_tcp_payload(pg_frame_t *f, pg_rng_t *r, uint16_t port, int c2s, size_t size);

/** Text filler of exactly @p n bytes (HTML-ish, printable, ending in a newline). */
void mix_put_text(pg_frame_t *f, pg_rng_t *r, size_t n);

/* ---- endpoints (mix_ends.c) ----------------------------------------------- */

extern const uint8_t mix_gw_mac[6];
extern const uint8_t mix_bcast_mac[6];
extern const uint8_t mix_zero_mac[6];
#define MIX_GW_IP4 0x0a010001u /* 10.1.0.1 */
#define MIX_DNS_IP4 0xc0000235u /* 192.0.2.53 */
#define MIX_NTP_IP4 0xcb00717bu /* 203.0.113.123 */

typedef struct mix_host {
    uint32_t ip4;
    uint8_t ip6[16];
    uint8_t ll6[16]; /* link-local, clients only */
    uint8_t mac[6];
} mix_host_t;

/* Everything below the transport header of one packet. */
typedef struct mix_ends {
    int v6;
    int vlan; /* 0 none, 1 802.1Q, 2 802.1ad outer + 802.1Q inner */
    uint16_t tci, outer_tci;
    const uint8_t *smac, *dmac;
    uint32_t s4, d4;
    const uint8_t *s6, *d6;
    uint8_t ttl, tos;
    uint16_t ipid, ipflags;
    uint8_t opts[40];
    size_t optlen;
} mix_ends_t;

/* Shape of a packet requested by the class. */
typedef struct mix_shape {
    int v6;
    int vlan;
    size_t optlen;      /* IPv4 options bytes (0, or 4..40) */
    size_t min_payload; /* force a data segment at least this long */
    uint16_t dport;     /* force a client-to-server packet to this port (0 = pick) */
} mix_shape_t;

/** One of ~100 clients; MAC and IPv6 addresses follow from its index. */
void mix_pick_client(pg_rng_t *r, mix_host_t *h);
/** A random server (behind the gateway: its frames use the gateway MAC). */
void mix_pick_server(pg_rng_t *r, mix_host_t *h);
/** A fixed server such as the DNS resolver. */
void mix_fixed_server(mix_host_t *h, uint32_t ip4);
/** A client port from the Linux or Windows ephemeral range. */
uint16_t mix_ephemeral_port(pg_rng_t *r);
/** Fill @p e for a packet between client @p c and server @p s, in the given direction. */
void mix_make_ends(pg_rng_t *r, mix_ends_t *e, const mix_shape_t *sh, const mix_host_t *c,
                   const mix_host_t *s, int c2s);
/** Put Ethernet (with any VLAN tags) and the IP header. */
void mix_put_l3(pg_frame_t *f, const mix_ends_t *e, uint8_t proto);
/** pg_finish(), then pad short frames to 60 bytes half the time. Returns 0 or -1. */
int mix_finish(pg_frame_t *f, pg_rng_t *r);

#endif /* VFM_MIX_INTERNAL_H */
