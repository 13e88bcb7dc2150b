/*
 * pktset.h - the benchmark's packets: read from a capture with libpcap, or
 * synthesised in memory with pktgen, into one contiguous array so every
 * backend walks the same bytes in the same order.
 */
#ifndef VFM_BENCH_PKTSET_H
#define VFM_BENCH_PKTSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_pkt {
    const uint8_t *data; /* into the arena */
    uint32_t caplen;     /* bytes present */
    uint32_t len;        /* length on the wire */
} bench_pkt_t;

typedef struct bench_pkts {
    uint8_t *arena;   /* all packets back to back */
    size_t bytes;     /* bytes used in the arena */
    bench_pkt_t *pkt; /* n entries */
    uint32_t n;
} bench_pkts_t;

/**
 * Read every packet of an Ethernet capture (pcap or pcapng).  Returns 0, or
 * -1 with a one-line reason in @p err ("cannot open: ...", "link type ...").
 */
int bench_load_pcap(const char *path, bench_pkts_t *out, char *err, size_t errlen);

/** Synthesise @p n packets of the vfm-gen-mix traffic mix (seed @p seed). */
int bench_synth(uint32_t n, uint64_t seed, bench_pkts_t *out, char *err, size_t errlen);

void bench_pkts_free(bench_pkts_t *p);

#endif /* VFM_BENCH_PKTSET_H */
