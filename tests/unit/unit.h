/*
 * unit.h - shared helpers for the CUnit programs in tests/unit/.
 * Each program defines its suites as CU_SuiteInfo arrays and calls unit_main.
 */
#ifndef VFMT_UNIT_H
#define VFMT_UNIT_H

#include <stddef.h>
#include <stdint.h>

#include <CUnit/Basic.h>

#include "vfm/vfm.h"

/** Register @p suites, run them verbosely; exit status 0 only if every assertion passed. */
int unit_main(CU_SuiteInfo *suites);

/** Assemble @p src (verified with the default policy unless no_verify); NULL on error (message printed). */
uint8_t *unit_asm(const char *src, uint32_t *len, int no_verify);

/** New VM with @p src assembled and loaded; NULL (and a CUnit failure) on error. */
vfm_state_t *unit_vm(const char *src);

/** Hex string (whitespace ignored) -> malloc'ed bytes; aborts on bad hex (a bug in the test). */
uint8_t *unit_hex(const char *hex, size_t *len);

/** Run the VM's program on @p hex; returns the vfm_run code, value in *out. */
int unit_run_hex(vfm_state_t *vm, const char *hex, uint64_t *out);

/** xorshift64*: deterministic pseudo-random numbers for the tests. */
uint64_t unit_rand(uint64_t *state);

#define UNIT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif /* VFMT_UNIT_H */
