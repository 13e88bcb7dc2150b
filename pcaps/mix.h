/*
 * mix.h - a deterministic "realistic" traffic mix built with pktgen.
 *
 * One call gives one capture record: mostly IPv4 TCP (typical service ports,
 * handshakes, data, FIN/RST), UDP (DNS queries and responses, some over 512
 * bytes, NTP, QUIC, large datagrams), ICMP, about 10% IPv6, about 5%
 * 802.1Q/802.1ad-tagged IPv4, ARP, IPv4 with options, IPv4 fragments, and a
 * few deliberately odd records: snaplen-truncated (caplen < len) and runt
 * frames shorter than an Ethernet header.  The same seed gives the same
 * records on every host.
 */
#ifndef VFM_MIX_H
#define VFM_MIX_H

#include <stddef.h>
#include <stdint.h>

#include "pktgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(NAME, label, weight per 1000 draws).  A FRAG draw yields 2..6 records. */
#define PG_MIX_CLASSES(X) \
    X(TCP4, "ipv4-tcp", 611) \
    X(DNSQ4, "ipv4-dns-query", 30) \
    X(DNSR4, "ipv4-dns-response", 25) \
    X(DNSBIG4, "ipv4-dns-response>512", 10) \
    X(NTP4, "ipv4-ntp", 12) \
    X(QUIC4, "ipv4-quic", 35) \
    X(UDPBIG4, "ipv4-udp-large", 15) \
    X(SYSLOG4, "ipv4-syslog", 5) \
    X(ICMP4, "ipv4-icmp", 22) \
    X(TCP6, "ipv6-tcp", 55) \
    X(UDP6, "ipv6-udp", 25) \
    X(ICMP6, "ipv6-icmp6", 20) \
    X(VLAN, "vlan-ipv4", 52) \
    X(ARP, "arp", 20) \
    X(IPOPT, "ipv4-options", 35) \
    X(FRAG, "ipv4-fragment", 8) \
    X(TRUNC, "truncated", 15) \
    X(RUNT, "runt", 5)

typedef enum pg_mix_class {
#define PG_X_(name, label, weight) PG_MIX_##name,
    PG_MIX_CLASSES(PG_X_)
#undef PG_X_
    PG_MIX_NCLASSES
} pg_mix_class_t;

/** Label of a class ("ipv4-tcp", ...). */
const char *pg_mix_class_name(int cls);

typedef struct pg_rec {
    uint64_t ts_usec; /* capture time, microseconds since the epoch */
    uint32_t caplen;  /* bytes in the buffer */
    uint32_t len;     /* length on the wire (> caplen for truncated records) */
    int cls;          /* pg_mix_class_t */
} pg_rec_t;

typedef struct pg_mix {
    pg_rng_t rng;
    uint64_t ts_usec;
    /* A fragmented datagram whose later fragments are still to be emitted. */
    uint8_t pend[PG_FRAME_MAX];
    size_t pend_len, pend_l3, pend_off, pend_step;
} pg_mix_t;

/** Start a mix; records start at a fixed time (2023-11-14 22:13:20 UTC). */
void pg_mix_init(pg_mix_t *m, uint64_t seed);

/**
 * Build the next record into @p buf (@p cap >= PG_FRAME_MAX bytes).
 * Returns 0, or -1 if @p cap is too small or the builder failed (a bug).
 */
int pg_mix_next(pg_mix_t *m, uint8_t *buf, size_t cap, pg_rec_t *rec);

#ifdef __cplusplus
}
#endif
#endif /* VFM_MIX_H */
