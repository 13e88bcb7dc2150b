/*
 * fuzz_util.h - what the fuzz targets share: a property check that says
 * which property broke before aborting, packets placed against a guard page
 * (so native code that reads past the end faults even though ASan does not
 * see it), and running one program on every backend with the results
 * compared.
 *
 * Fuzz targets may keep process-wide state (the guard mapping, the JIT
 * probe): a fuzzer runs one input at a time in one thread.
 */
#ifndef VFM_FUZZ_UTIL_H
#define VFM_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vfm/vfm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort, naming the property, when @p cond is false (libFuzzer saves the input). */
#define FUZZ_CHECK(cond, ...)                                                                 \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: property violated: ", __FILE__, __LINE__);                \
            fprintf(stderr, __VA_ARGS__);                                                     \
            fputc('\n', stderr);                                                              \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* Largest packet the targets build. */
#define FUZZ_PKT_MAX 4096u

/**
 * Copy @p len bytes (at most FUZZ_PKT_MAX) so that the last one sits right
 * before an inaccessible page; returns the copy (valid until the next call).
 */
const uint8_t *fuzz_guarded(const uint8_t *pkt, size_t len);

/** Is native code available here (a JIT for this machine, executable memory)? Probed once. */
bool fuzz_jit_available(void);

/** Is @p rc a code a verified program may stop with at run time? */
bool fuzz_runtime_error_ok(int rc, bool loops);

/** A NUL-terminated, non-empty, single-line message? */
bool fuzz_one_line(const char *msg, size_t cap);

/**
 * The engines one program runs on: the fused interpreter (vfm_run), the
 * unfused one (vfm_trace) and, where available, native code.  Each has its
 * own VM so flow-table state evolves separately and is compared.
 */
typedef struct fuzz_engines {
    vfm_state_t *interp, *trace, *jit; /* jit NULL when unavailable */
    int helper_code; /* a code (>= INVALID_ARGUMENT) the helpers return and the run passes on, or 0 */
} fuzz_engines_t;

/** Settings applied to every engine's VM before loading. */
typedef int (*fuzz_setup_fn)(vfm_state_t *vm, void *user);

/**
 * Create the engines, apply @p setup (may be NULL) and load @p prog on each.
 * Returns the load result (the same on every engine, checked); on failure
 * the engines are destroyed.
 */
int fuzz_engines_load(fuzz_engines_t *e, const uint8_t *prog, uint32_t len, fuzz_setup_fn setup,
                      void *user);

/**
 * Run one packet on every engine (the JIT on a guarded copy) and check that
 * they agree on code and value and that the code is a run-time one.
 * Returns the interpreter's code; its value in *value (may be NULL).
 */
int fuzz_engines_run(fuzz_engines_t *e, const uint8_t *pkt, size_t len, bool loops,
                     uint64_t *value);

/** Check the engines' flow tables agree, then destroy the engines. */
void fuzz_engines_done(fuzz_engines_t *e);

#endif /* VFM_FUZZ_UTIL_H */
