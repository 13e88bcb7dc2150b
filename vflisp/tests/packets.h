/*
 * packets.h - test packets for the VFLisp tests, built from a short spec.
 *
 * Defaults (a zero spec): Ethernet, IPv4 (IHL 5, TTL 64, 10.0.0.1 ->
 * 10.0.0.2), TCP 1024 -> 80 with SYN.  Set only what a test is about.
 */
#ifndef VFL_TEST_PACKETS_H
#define VFL_TEST_PACKETS_H

#include <stddef.h>
#include <stdint.h>

enum pkt_link { PL_ETH, PL_SLL, PL_SLL2, PL_RAW, PL_IPV4, PL_IPV6, PL_NULL, PL_LOOP };
enum pkt_l3 { P3_IPV4, P3_IPV6, P3_ARP, P3_LLC };

typedef struct pkt_spec {
    enum pkt_link link;
    enum pkt_l3 l3;
    uint16_t vlan;         /* VLAN id + 1; 0 = untagged */
    uint8_t proto;         /* 0 = TCP; else the IPv4 protocol / IPv6 next header */
    uint8_t ihl;           /* 0 = 5 */
    uint16_t frag;         /* IPv4 fragment offset (8-byte units) */
    uint16_t sport, dport; /* 0 = 1024 / 80 */
    uint8_t flags;         /* TCP flags; 0 = SYN */
    uint8_t ttl;           /* 0 = 64 */
    uint8_t tos;
    uint32_t src, dst; /* 0 = 10.0.0.1 / 10.0.0.2 */
    uint8_t src6_last; /* IPv6 source is fe80::N (0 = fe80::1); destination ::1 */
    size_t cut;        /* keep this many bytes; 0 = all */
} pkt_spec_t;

/** Build the packet into @p out (at least 256 bytes); returns its length. */
size_t pkt_build(const pkt_spec_t *s, uint8_t *out);

/** The DLT of a spec's link layer. */
int pkt_dlt(enum pkt_link link);

#endif
