/*
 * vfm.h - the Velocity Filter Machine: load, verify and run packet filters.
 *
 * Names and error codes follow the VFM Programming Manual; additions sit beside
 * them.  Threads: a vfm_state_t is used by one thread at a time (it holds the
 * stack and the flow table); create one VM per thread.  Functions that take no
 * VM (vfm_verify, vfm_error_string, ...) are thread-safe.  The library has no
 * global mutable state.
 */
#ifndef VFM_VFM_H
#define VFM_VFM_H

#include <stddef.h>
#include <stdint.h>

#include "vfm/isa.h"
#include "vfm/version.h"

#ifdef __cplusplus
extern "C" {
#endif


/* Error codes (manual, Appendix B).  Errors are negative. */
#define VFM_SUCCESS                    0
#define VFM_ERROR_NO_MEMORY           -1
#define VFM_ERROR_INVALID_PROGRAM     -2 /* bad header, size, or no program loaded */
#define VFM_ERROR_INVALID_OPCODE      -3
#define VFM_ERROR_STACK_OVERFLOW      -4
#define VFM_ERROR_STACK_UNDERFLOW     -5
#define VFM_ERROR_BOUNDS              -6 /* packet load past the captured length */
#define VFM_ERROR_DIVISION_BY_ZERO    -7
#define VFM_ERROR_LIMIT               -8 /* loop budget exhausted */
#define VFM_ERROR_VERIFICATION_FAILED -9 /* bad jump, no RET, loop not allowed, ... */
/* Additions. */
#define VFM_ERROR_IO                 -10 /* a file could not be read */
#define VFM_ERROR_UNSUPPORTED        -11 /* valid, but not supported by this backend/build */
#define VFM_ERROR_HELPER             -12 /* unknown helper, or a helper failed */
#define VFM_ERROR_INVALID_ARGUMENT   -13 /* NULL VM or buffer, out-of-range setting */

/* Machine limits. */
#define VFM_STACK_MAX     256     /* 64-bit values */
#define VFM_CODE_MAX      65535   /* bytes of code in one program */
#define VFM_HELPERS_MAX   64      /* helper ids 0..63 */
#define VFM_HELPER_ARGS_MAX 8

typedef struct vfm_state vfm_state_t;

/** Where and why something failed.  Owned by the caller; filled on error. */
typedef struct vfm_diag {
    int code;      /* VFM_ERROR_* */
    uint32_t pc;   /* byte offset in the code, or VFM_NO_PC */
    uint32_t line; /* 1-based source line (assembler), 0 if none */
    uint32_t col;  /* 1-based source column (assembler), 0 if none */
    char msg[256]; /* e.g. "pc 12: jump target 40 out of range (program has 31 bytes)" */
} vfm_diag_t;
#define VFM_NO_PC UINT32_MAX

/**
 * A helper callable with CALL k.  @p args holds the @p pops values popped, the
 * deepest first (args[pops-1] was the top).  Set *result when pushes == 1.
 * Return VFM_SUCCESS or a negative VFM_ERROR_* (execution then stops with it).
 */
typedef int (*vfm_helper_fn)(void *user, const uint8_t *pkt, size_t len,
                             const uint64_t *args, uint64_t *result);

typedef struct vfm_helper {
    const char *name; /* for messages and the assembler; NULL = id unused */
    uint8_t pops;     /* 0..VFM_HELPER_ARGS_MAX */
    uint8_t pushes;   /* 0 or 1 */
    vfm_helper_fn fn;
    void *user;
} vfm_helper_t;

/** Verification policy.  Zero-initialised = the default policy. */
typedef struct vfm_verify_opts {
    int allow_loops;               /* accept backward jumps (run under a loop budget) */
    const vfm_helper_t *helpers;   /* table indexed by helper id, or NULL */
    uint32_t nhelpers;
} vfm_verify_opts_t;

/* ---- VM lifetime ---------------------------------------------------------- */

/** New VM with no program, no flow table, Ethernet linktype. NULL if out of memory. */
vfm_state_t *vfm_create(void);

/** Frees the VM, its program and its flow table. NULL is ignored. */
void vfm_destroy(vfm_state_t *vm);

/* ---- loading -------------------------------------------------------------- */

/**
 * Verify and load a program: a bytecode file image (header + code, see
 * bytecode.h) or raw code.  The bytes are copied.  On failure the previous
 * program stays loaded and vfm_last_error() says why.
 */
int vfm_load_program(vfm_state_t *vm, const uint8_t *program, uint32_t len);

/** vfm_load_program() on the contents of a file (VFM_ERROR_IO if unreadable). */
int vfm_load_program_file(vfm_state_t *vm, const char *filename);

/** Message for the last failed load/setting on this VM ("" if none). Valid until the next call. */
const char *vfm_last_error(const vfm_state_t *vm);

/** Full diagnostic for the last failed load on this VM. */
const vfm_diag_t *vfm_last_diag(const vfm_state_t *vm);

/* ---- verification --------------------------------------------------------- */

/** Verify with the default policy (no loops, no helpers). */
int vfm_verify(const uint8_t *program, uint32_t len);

/** Verify with @p opts (NULL = default); on failure fill @p diag (may be NULL). */
int vfm_verify_ex(const uint8_t *program, uint32_t len, const vfm_verify_opts_t *opts,
                  vfm_diag_t *diag);

/* ---- execution ------------------------------------------------------------ */

/**
 * Run the loaded program on one packet (manual signature).  Returns the RET
 * value clamped to [0, INT32_MAX] (non-zero stays non-zero), or a negative
 * VFM_ERROR_*; an error means "not accepted".  No program loaded:
 * VFM_ERROR_INVALID_PROGRAM; NULL vm, or NULL packet with a non-zero length:
 * VFM_ERROR_INVALID_ARGUMENT.
 */
int vfm_execute(vfm_state_t *vm, const uint8_t *packet, uint16_t packet_len);

/** vfm_execute() for packets of any length (libpcap snapshots reach 262144). */
int vfm_execute_len(vfm_state_t *vm, const uint8_t *packet, size_t packet_len);

/** Run and get the full 64-bit RET value in *result. Returns VFM_SUCCESS or an error. */
int vfm_run(vfm_state_t *vm, const uint8_t *packet, size_t packet_len, uint64_t *result);

/** One packet of a batch (vfm_run_batch): @p len bytes at @p data. */
typedef struct vfm_packet {
    const uint8_t *data; /* may be NULL only when len is 0, as for vfm_run() */
    size_t len;
} vfm_packet_t;

/**
 * vfm_run() on pkts[0], ..., pkts[n-1], in that order: the same results and
 * error codes bit for bit, the same flow-table updates and a fresh loop
 * budget per packet.  The checks vfm_run() makes on every call are made once,
 * and with native code active the loop calls it directly, so a burst costs
 * less per packet than n calls of vfm_run().
 *
 * results[i] gets packet i's 64-bit RET value (0 when it failed) and codes[i]
 * what vfm_run() would return for it (VFM_SUCCESS or a negative
 * VFM_ERROR_*); either array may be NULL when not wanted.  A packet with
 * data NULL and len > 0 gets VFM_ERROR_INVALID_ARGUMENT (NULL with len 0 is
 * the empty packet), and the others still run, as with vfm_run().
 *
 * Returns the number of packets accepted (VFM_SUCCESS and a non-zero value),
 * or, with nothing run and neither array written, in this order:
 * VFM_ERROR_INVALID_ARGUMENT for a NULL vm; VFM_ERROR_INVALID_PROGRAM when no
 * program is loaded; VFM_ERROR_INVALID_ARGUMENT for n > INT_MAX or pkts NULL
 * with n > 0.  n = 0 (pkts may then be NULL) runs nothing and returns 0.
 * Threads: as vfm_run() (one thread per VM).  A helper must not change this
 * VM's program or settings during the batch.
 */
int vfm_run_batch(vfm_state_t *vm, const vfm_packet_t *pkts, size_t n, uint64_t *results,
                  int *codes);

/**
 * Called before each instruction by vfm_trace(): @p pc is the byte offset,
 * stack[0] the bottom, stack[depth-1] the top.
 */
typedef void (*vfm_trace_fn)(void *user, uint32_t pc, const uint64_t *stack, uint32_t depth);

/** vfm_run() one instruction at a time, calling @p fn before each (slow; for debugging). */
int vfm_trace(vfm_state_t *vm, const uint8_t *packet, size_t packet_len, uint64_t *result,
              vfm_trace_fn fn, void *user);

/* ---- settings (before vfm_load_program) ----------------------------------- */

/**
 * Allow backward jumps, at most @p max_back_jumps taken per packet (then
 * VFM_ERROR_LIMIT).  0 (the default) rejects programs with backward jumps, so
 * every accepted program runs at most one instruction per code byte.
 */
int vfm_set_loop_limit(vfm_state_t *vm, uint32_t max_back_jumps);

/**
 * Link-layer type (a LINKTYPE_/DLT_ value, default 1 = Ethernet) that HASH5
 * uses to find the IP header.  Supported: Ethernet (with 802.1Q/802.1ad
 * tags), raw IP (12, 14, 101, 228, 229), BSD loopback (0, 108), Linux SLL
 * (113) and SLL2 (276).  VFM_ERROR_UNSUPPORTED otherwise.
 */
int vfm_set_linktype(vfm_state_t *vm, int linktype);

/** Register helper @p id (< VFM_HELPERS_MAX) for CALL. Affects later loads. */
int vfm_register_helper(vfm_state_t *vm, uint16_t id, const vfm_helper_t *helper);

/* ---- JIT ------------------------------------------------------------------ */

/**
 * Run this VM's programs as native code (x86-64 and AArch64).  The request
 * stays for later loads: call it before or after vfm_load_program().  Returns
 * VFM_SUCCESS when the JIT is in use for the loaded program (or, with none
 * loaded, is available on this machine), VFM_ERROR_UNSUPPORTED when the
 * program keeps running on the interpreter (vfm_jit_status() says why: no JIT
 * for this architecture, a construct the JIT does not compile, executable
 * memory refused, ...).  Results and error codes never depend on the backend.
 */
int vfm_enable_jit(vfm_state_t *vm);

/** Back to the interpreter for this and later programs. */
int vfm_disable_jit(vfm_state_t *vm);

/** 1 when the loaded program runs as native code, else 0. */
int vfm_jit_active(const vfm_state_t *vm);

/**
 * One line on the JIT for this VM, e.g. "x86-64: 212 bytes of native code",
 * "not enabled", "no JIT for this architecture", "pc 12: ...: not compiled".
 */
const char *vfm_jit_status(const vfm_state_t *vm);

typedef struct vfm_jit_info {
    int active;            /* as vfm_jit_active() */
    const char *arch;      /* "x86-64", "arm64", or NULL when no JIT is built for this machine */
    size_t code_bytes;     /* native code emitted */
    size_t map_bytes;      /* executable memory held (page-rounded) */
    uint64_t compile_ns;   /* time the last compilation took */
} vfm_jit_info_t;

/** Figures for the loaded program's native code (zeroes when inactive). */
void vfm_jit_info(const vfm_state_t *vm, vfm_jit_info_t *info);

/** Bytes of memory this VM holds: state, program, interpreter form, native code, flow table. */
size_t vfm_memory_usage(const vfm_state_t *vm);

/* ---- flow table ----------------------------------------------------------- */

#define VFM_FLOW_DEFAULT_ENTRIES 4096u
#define VFM_FLOW_MAX_ENTRIES (1u << 24)

/**
 * Size the flow table to hold @p size entries (rounded up to a power of two,
 * at least 4).  Existing entries are kept (rehashed) as far as they fit.  A
 * program using flow instructions gets a VFM_FLOW_DEFAULT_ENTRIES table at
 * load if none was set up.  When a bucket is full, the least recently used
 * entry of that bucket (4 entries) is replaced.
 */
int vfm_flow_table_init(vfm_state_t *vm, uint32_t size);

/** Remove every entry (capacity unchanged). */
void vfm_flow_table_clear(vfm_state_t *vm);

typedef struct vfm_flow_stats {
    uint32_t capacity;  /* entries the table can hold */
    uint32_t entries;   /* entries in use */
    uint64_t evictions; /* entries replaced because their bucket was full */
    size_t bytes;       /* memory held by the table */
} vfm_flow_stats_t;

/** Current flow-table figures (all zero when there is no table). */
void vfm_flow_table_stats(const vfm_state_t *vm, vfm_flow_stats_t *stats);

/* ---- misc ----------------------------------------------------------------- */

/** Static text for an error code (manual wording). */
const char *vfm_error_string(int error);

/** Library version, "MAJOR.MINOR.PATCH". */
const char *vfm_version(void);

/** The hash HASH5 pushes for @p packet under @p linktype (0 when not IPv4/IPv6). */
uint64_t vfm_hash5(const uint8_t *packet, size_t len, int linktype);

#ifdef __cplusplus
}
#endif
#endif /* VFM_VFM_H */
