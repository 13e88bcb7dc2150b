/*
 * internal.h - what the stages of libvfm share and nobody else sees.
 * Cross-file internal functions are prefixed vfmi_ (not exported from the .so).
 */
#ifndef VFM_INTERNAL_H
#define VFM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfm/bytecode.h"
#include "vfm/vfm.h"

/* ---- decode.c ------------------------------------------------------------- */

/** One decoded instruction. */
typedef struct vfmi_insn {
    const vfm_opinfo_t *info;
    uint32_t pc;     /* byte offset */
    uint32_t next;   /* pc of the following instruction */
    uint64_t k;      /* immediate / offset / helper id, extended to 64 bits */
    int64_t target;  /* jump target pc (only for VFM_F_JUMP); may be out of range */
} vfmi_insn_t;

/**
 * Decode the instruction at @p pc.  Returns VFM_SUCCESS,
 * VFM_ERROR_INVALID_OPCODE (unknown byte) or VFM_ERROR_INVALID_PROGRAM
 * (operand runs past the end).
 */
int vfmi_decode(const uint8_t *code, uint32_t len, uint32_t pc, vfmi_insn_t *out);

static inline uint16_t vfmi_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t vfmi_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t vfmi_le64(const uint8_t *p)
{
    return (uint64_t)vfmi_le32(p) | ((uint64_t)vfmi_le32(p + 4) << 32);
}

/* ---- verify.c ------------------------------------------------------------- */

#define VFMI_DEPTH_NONE 0xffffu /* pc is not the start of a reachable instruction */

/* Per-pc facts, VFMI_PC_* bits. */
#define VFMI_PC_INSN    0x01u /* an instruction starts here */
#define VFMI_PC_REACH   0x02u /* reachable from pc 0 */
#define VFMI_PC_TARGET  0x04u /* a jump lands here */
#define VFMI_PC_JOIN    0x08u /* more than one edge arrives (jump target or fall-through + jump) */
#define VFMI_PC_BACK    0x10u /* a backward jump lands here (loop head) */

/**
 * What the verifier proved, for every backend.  depth[pc] is the exact stack
 * depth before the instruction at pc on every path (joins take the minimum of
 * their incoming depths; values above it are dropped on the edge, the values
 * below stay where they are).
 */
typedef struct vfmi_proof {
    uint32_t len;         /* code bytes */
    uint16_t *depth;      /* [len] depth before pc, VFMI_DEPTH_NONE if unreachable/not an insn */
    uint8_t *pcflags;     /* [len] VFMI_PC_* */
    uint32_t max_depth;   /* deepest stack any instruction reaches */
    uint32_t ninsns;      /* reachable instructions */
    bool uses_flow;       /* HASH5/FLOW_* present (reachable) */
    bool uses_helpers;    /* CALL present (reachable) */
    bool has_loops;       /* backward jumps present (reachable) */
} vfmi_proof_t;

/**
 * Verify @p code (raw, no header).  On success fills @p proof (free with
 * vfmi_proof_free) unless it is NULL.  On failure fills @p diag.
 */
int vfmi_verify(const uint8_t *code, uint32_t len, const vfm_verify_opts_t *opts,
                vfmi_proof_t *proof, vfm_diag_t *diag);
void vfmi_proof_free(vfmi_proof_t *proof);

/** Stack effect of the instruction (CALL resolved through @p opts). */
void vfmi_stack_effect(const vfmi_insn_t *insn, const vfm_verify_opts_t *opts, unsigned *pops,
                       unsigned *pushes);

/** Fill @p diag (may be NULL) with code, pc and a printf-style message; returns code. */
int vfmi_fail(vfm_diag_t *diag, int code, uint32_t pc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- hash5.c -------------------------------------------------------------- */

/** Offset of the IP header for @p linktype and the IP version found (4, 6 or 0). */
int vfmi_l3_offset(const uint8_t *pkt, size_t len, int linktype, size_t *l3);
bool vfmi_linktype_supported(int linktype);

/* ---- flow.c --------------------------------------------------------------- */

typedef struct vfmi_flow_table vfmi_flow_table_t;

vfmi_flow_table_t *vfmi_flow_create(uint32_t entries);
void vfmi_flow_destroy(vfmi_flow_table_t *t);
uint64_t vfmi_flow_load(vfmi_flow_table_t *t, uint64_t key);
void vfmi_flow_store(vfmi_flow_table_t *t, uint64_t key, uint64_t value);
void vfmi_flow_clear(vfmi_flow_table_t *t);
/** Move every entry of @p from into @p to (as far as they fit). */
void vfmi_flow_rehash(vfmi_flow_table_t *to, const vfmi_flow_table_t *from);
void vfmi_flow_stats(const vfmi_flow_table_t *t, vfm_flow_stats_t *st);

/* ---- predecode.c / interp.c ----------------------------------------------- */

typedef struct vfmi_prog vfmi_prog_t;

/**
 * Lower verified code to the interpreter's form.  @p fuse combines common
 * sequences into superinstructions (off for tracing, which reports every pc).
 */
int vfmi_predecode(const uint8_t *code, const vfmi_proof_t *proof, const vfm_verify_opts_t *opts,
                   bool fuse, vfmi_prog_t **out);
void vfmi_prog_free(vfmi_prog_t *prog);
/** Bytes held by @p prog (0 for NULL). */
size_t vfmi_prog_bytes(const vfmi_prog_t *prog);

/** Everything one execution needs besides the program. */
typedef struct vfmi_ctx {
    const uint8_t *pkt;
    size_t len;
    uint64_t *stack;                 /* VFM_STACK_MAX + 1 values */
    vfmi_flow_table_t *flow;
    const vfm_helper_t *helpers;     /* VFM_HELPERS_MAX entries */
    int linktype;
    uint32_t loop_limit;
    vfm_trace_fn trace;              /* NULL unless tracing */
    void *trace_user;
} vfmi_ctx_t;

/** Run without tracing (the hot path). */
int vfmi_interp_fast(const vfmi_prog_t *prog, vfmi_ctx_t *ctx, uint64_t *result);
/** Run calling ctx->trace before each original instruction. */
int vfmi_interp_trace(const vfmi_prog_t *prog, vfmi_ctx_t *ctx, uint64_t *result);

/* ---- jit.c (the rest in jit.h) ------------------------------------------- */

/**
 * The native entry point.  Same contract as vfmi_interp_fast: returns
 * VFM_SUCCESS with *result set, or a negative VFM_ERROR_* with *result = 0.
 * @p ctx supplies the flow table, helpers, linktype and loop limit (ctx->pkt
 * and ctx->len are not set: the packet comes in the arguments).
 */
typedef int (*vfmi_jit_fn)(const uint8_t *pkt, uint64_t len, vfmi_ctx_t *ctx, uint64_t *result);

/** Native code for one program: an RX mapping, never writable and executable at once. */
typedef struct vfmi_jit {
    vfmi_jit_fn fn;     /* NULL when not compiled */
    void *map;
    size_t map_len;     /* page-rounded */
    size_t code_len;
    uint64_t compile_ns;
} vfmi_jit_t;

/* ---- vm.c ----------------------------------------------------------------- */

struct vfm_state {
    uint8_t *code;                    /* owned copy of the raw code */
    uint32_t code_len;
    vfmi_proof_t proof;
    vfmi_prog_t *prog;                /* fused, for vfm_run */
    vfmi_jit_t jit;                   /* native code for the program, when jit_wanted and it compiled */
    bool jit_wanted;                  /* vfm_enable_jit() was called */
    char jit_why[160];                /* vfm_jit_status() text */
    vfmi_flow_table_t *flow;
    vfm_helper_t helpers[VFM_HELPERS_MAX];
    int linktype;
    uint32_t loop_limit;
    vfm_diag_t diag;                  /* last error */
    vfmi_ctx_t ctx;                   /* everything but the packet, kept in sync by sync_ctx() */
    uint64_t stack[VFM_STACK_MAX + 1]; /* +1: the interpreter's scratch slot */
};

#endif /* VFM_INTERNAL_H */
