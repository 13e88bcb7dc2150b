/*
 * filters.h - the benchmark's filters, each written four ways: VFM
 * assembly, VFLisp, a libpcap expression, and a hand-written C predicate
 * with the exact semantics libpcap gives the expression (the floor).
 */
#ifndef VFM_BENCH_FILTERS_H
#define VFM_BENCH_FILTERS_H

#include <stdint.h>

typedef int (*bench_pred_fn)(const uint8_t *p, uint32_t caplen);

typedef struct bench_filter {
    const char *name;    /* for --filter */
    const char *expr;    /* libpcap expression, compiled with optimize=1 */
    const char *vfm_asm; /* VFM assembly, written by hand */
    const char *vflisp;  /* VFLisp (compiled with vfl_compile_string) */
    bench_pred_fn pred;  /* hand-written C */
} bench_filter_t;

extern const bench_filter_t bench_filters[];
extern const unsigned bench_nfilters;

#endif /* VFM_BENCH_FILTERS_H */
