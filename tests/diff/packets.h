/*
 * packets.h - the packets the differential test runs programs on.
 *
 * A pool of real-looking frames (the vfm-gen-mix traffic model, plus any
 * capture read with libpcap when the build has it), and a generator that
 * draws from it: random bytes of random lengths (biased short), pool frames
 * as they are, truncated, or with a few bytes changed, and now and then a
 * frame longer than 64 KiB so loads at the largest offsets can succeed.
 *
 * Every packet is copied so that it ends exactly where an unreadable guard
 * page begins: native code that reads one byte too far faults at once
 * instead of reading garbage.
 */
#ifndef VFM_DIFF_PACKETS_H
#define VFM_DIFF_PACKETS_H

#include <stddef.h>
#include <stdint.h>

#include "gen.h"

#define VFMD_PKT_MAX (65536 + 64) /* largest packet drawn */

typedef struct vfmd_pool {
    uint8_t *bytes;   /* frames back to back */
    size_t nbytes, capbytes;
    uint32_t *off;    /* [n] start of frame i in bytes */
    uint32_t *len;    /* [n] captured length of frame i */
    uint32_t n, cap;
} vfmd_pool_t;

/** Add @p count frames of the vfm-gen-mix model (seed @p seed). 0 or -1 (out of memory). */
int vfmd_pool_add_mix(vfmd_pool_t *pool, uint32_t count, uint64_t seed);

/**
 * Add every frame of a capture.  0, or -1 with a one-line reason in @p err.
 * Without libpcap in the build it always fails, saying so.
 */
int vfmd_pool_add_pcap(vfmd_pool_t *pool, const char *path, char *err, size_t errlen);

/** 1 when the build reads captures (libpcap found), else 0. */
int vfmd_have_pcap(void);

void vfmd_pool_free(vfmd_pool_t *pool);

/** Packet memory that ends at a guard page. */
typedef struct vfmd_buf {
    uint8_t *map;     /* data pages followed by one PROT_NONE page */
    size_t data_len;  /* bytes before the guard page (>= VFMD_PKT_MAX) */
    size_t map_len;
} vfmd_buf_t;

int vfmd_buf_init(vfmd_buf_t *b);
void vfmd_buf_free(vfmd_buf_t *b);

/**
 * Draw the next packet for program @p prog: returns its start inside @p b
 * (it ends at the guard page) and its length in *len.  About a third of the
 * packets are cut to end within a few bytes of an offset the program loads
 * from (prog->edges).  Deterministic in @p rng, @p pool and @p prog.
 */
const uint8_t *vfmd_packet(vfmg_rng_t *rng, const vfmd_pool_t *pool, const vfmg_program_t *prog,
                           vfmd_buf_t *b, size_t *len);

#endif /* VFM_DIFF_PACKETS_H */
