/*
 * batch.h - a program's packet sequence kept whole, to run it again through
 * vfm_run_batch() and compare with what vfm_run() gave packet by packet.
 *
 * The per-packet runs draw each packet into the guard-page buffer, one at a
 * time; a batch needs them all at once, so the sequence keeps copies (plain
 * heap memory: the guard-page checks stay with the per-packet runs).
 */
#ifndef VFM_DIFF_BATCH_H
#define VFM_DIFF_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gen.h"
#include "report.h"
#include "vfm/vfm.h"

typedef struct vfmd_seq {
    uint8_t *bytes;        /* the packets back to back */
    size_t nbytes, capbytes;
    size_t *off, *len;     /* [n] */
    vfmd_result_t *want;   /* [n] vfm_run's answer on the interpreter */
    vfm_packet_t *pkt;     /* [n] built by vfmd_seq_run */
    uint64_t *res;         /* [n] vfm_run_batch's results */
    int *codes;            /* [n] and codes */
    uint32_t n, cap;
} vfmd_seq_t;

/** Forget the packets (memory is kept for the next program). */
void vfmd_seq_reset(vfmd_seq_t *s);
void vfmd_seq_free(vfmd_seq_t *s);

/** Append a copy of a packet and vfm_run's answer for it. 0, or -1 out of memory. */
int vfmd_seq_add(vfmd_seq_t *s, const uint8_t *pkt, size_t len, vfmd_result_t want);

/** Where a batch run disagreed with vfm_run. */
typedef struct vfmd_batch_diff {
    uint32_t k;           /* packet index in the sequence */
    uint32_t first, last; /* the burst holding it (or whose count was wrong) */
    vfmd_result_t got;    /* the batch's answer (rc/value not asked for are shown as 0) */
    int count_got, count_want; /* the burst's accepted count, when that was the difference */
} vfmd_batch_diff_t;

/**
 * Run the sequence through vfm_run_batch on @p vm in bursts of random sizes,
 * each asking for results and codes, or one or neither, and with empty
 * packets passed as NULL half the time.  @p corrupt flips the first result
 * (the self-test).  Returns 0 when every packet and every burst's count agree
 * with vfm_run, else 1 with @p diff filled.
 */
int vfmd_seq_run(vfmd_seq_t *s, vfm_state_t *vm, vfmg_rng_t *rng, bool corrupt,
                 vfmd_batch_diff_t *diff);

#endif /* VFM_DIFF_BATCH_H */
