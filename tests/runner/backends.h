/*
 * backends.h - the ways the case runner executes a program.  Every case runs
 * on every backend and all must give the case's expected result.  Adding a
 * backend (JIT, classic BPF) is one row in the table in backends.c.
 */
#ifndef VFMT_BACKENDS_H
#define VFMT_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "case.h"
#include "vfm/vfm.h"

/* Returned by a backend's run when its own consistency check failed (why says what). */
#define VFMT_BACKEND_BROKEN 1

typedef struct vfmt_run {
    const vfmt_case_t *c;
    vfm_state_t *vm; /* options applied, program loaded by the runner */
    void *state;     /* the backend's own, from setup */
    bool verbose;    /* print what the backend sees (trace: every step) */
    char why[256];   /* reason for VFMT_BACKEND_BROKEN or VFM_ERROR_UNSUPPORTED */
} vfmt_run_t;

typedef struct vfmt_backend {
    const char *name;
    const char *summary;
    /*
     * Optional, after the program is loaded: prepare to run it.  Returns
     * VFM_SUCCESS, VFM_ERROR_UNSUPPORTED (the case is reported SKIP with
     * why), or another error (FAIL).
     */
    int (*setup)(vfmt_run_t *r);
    /* Run one packet: VFM_SUCCESS with *result, a runtime VFM_ERROR_*, or VFMT_BACKEND_BROKEN. */
    int (*run)(vfmt_run_t *r, const uint8_t *pkt, size_t len, uint64_t *result);
    /* Optional: free what setup made. */
    void (*teardown)(vfmt_run_t *r);
} vfmt_backend_t;

/** The backend table and its length. */
const vfmt_backend_t *vfmt_backends(size_t *n);

#endif /* VFMT_BACKENDS_H */
