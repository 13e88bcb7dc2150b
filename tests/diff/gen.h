/*
 * gen.h - random VFM programs that the verifier accepts, from a seed.
 *
 * The generator emits code while tracking the stack depth exactly as the
 * verifier computes it (joins take the minimum of their incoming depths), so
 * a generated program is structurally valid by construction: no underflow,
 * no overflow, every path ends in RET, every jump lands on an instruction.
 * It draws its instructions from the ISA table (vfm_opinfo over every byte),
 * by operand kind and stack effect, so a new opcode is generated without a
 * change here; a few idioms (the sequences the interpreter fuses, computed
 * packet offsets, counted loops) are added on top.
 *
 * Programs call the test helpers of vfmg_helper() (helpers.c: pure functions
 * of their arguments and the packet; some fail on purpose).  Register them on every
 * VM that runs generated code (vfmg_register_helpers).
 *
 * Deterministic: the same seed gives the same program on every host.  No
 * global state; a vfmg_program_t is owned by its caller.
 */
#ifndef VFM_DIFF_GEN_H
#define VFM_DIFF_GEN_H

#include <stdint.h>

#include "pktgen.h"
#include "vfm/vfm.h"

/* The packet generator's xorshift64* (pcaps/pktgen.h), seeded through
 * splitmix64: every seed, 0 included, is fine. */
typedef pg_rng_t vfmg_rng_t;

void vfmg_seed(vfmg_rng_t *r, uint64_t seed);
uint64_t vfmg_next(vfmg_rng_t *r);
/** Uniform in [0, n); 0 when n == 0. */
uint32_t vfmg_below(vfmg_rng_t *r, uint32_t n);
/** 1 with probability permille / 1000. */
int vfmg_chance(vfmg_rng_t *r, uint32_t permille);

/** Seed of program @p index of a run seeded with @p seed (for replaying one). */
uint64_t vfmg_program_seed(uint64_t seed, uint64_t index);

#define VFMG_EDGES 16

/** One generated program and the VM settings it is meant to run with. */
typedef struct vfmg_program {
    uint8_t *code;        /* raw code (no file header), malloc'ed */
    uint32_t len;         /* bytes */
    uint32_t ninsns;      /* instructions emitted */
    uint32_t loop_limit;  /* vfm_set_loop_limit() value; > 0 when it has backward jumps */
    int linktype;         /* vfm_set_linktype() value (HASH5) */
    uint32_t flow_size;   /* vfm_flow_table_init() entries (small ones force evictions) */
    /* Packet offsets the program loads from (constant ones, and the largest
     * a bounded computed base reaches): packets about this long hit the edges. */
    uint32_t edges[VFMG_EDGES];
    unsigned nedges;
} vfmg_program_t;

/** What was generated, summed over calls (optional). */
typedef struct vfmg_stats {
    uint64_t ops[256];    /* instructions emitted, by opcode byte */
    uint64_t programs;
    uint64_t back_jumps;  /* backward jumps emitted */
    uint64_t uneven_joins; /* labels reached with differing depths */
} vfmg_stats_t;

/**
 * Generate one program from @p seed into @p out (free with
 * vfmg_program_free).  Returns VFM_SUCCESS or VFM_ERROR_NO_MEMORY.
 */
int vfmg_generate(uint64_t seed, vfmg_program_t *out, vfmg_stats_t *stats);

void vfmg_program_free(vfmg_program_t *p);

/** Number of rows in the helper table (ids are sparse, up to VFM_HELPERS_MAX - 1). */
#define VFMG_NHELPERS 8

/** The test helpers: row i is registered as id vfmg_helper_id(i). */
const vfm_helper_t *vfmg_helper(unsigned row);
uint16_t vfmg_helper_id(unsigned row);

/** Register every test helper on @p vm. Returns VFM_SUCCESS or the first error. */
int vfmg_register_helpers(vfm_state_t *vm);

/**
 * Apply @p p's settings (loop limit, link type, flow table size) to @p vm
 * before loading it.  Returns VFM_SUCCESS or the first error.
 */
int vfmg_configure(vfm_state_t *vm, const vfmg_program_t *p);

/**
 * Verify @p p with the policy vfmg_configure() sets.  Returns the verifier's
 * result; @p diag (may be NULL) says why on failure.
 */
int vfmg_verify(const vfmg_program_t *p, vfm_diag_t *diag);

#endif /* VFM_DIFF_GEN_H */
