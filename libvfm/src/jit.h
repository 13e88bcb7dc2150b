/*
 * jit.h - what the native-code backends share with vm.c.
 *
 * A backend turns verified code (and the verifier's proof: the exact stack
 * depth at every pc) into machine code for one architecture.  Emitters only
 * write bytes, so every emitter builds on every host; jit.c picks the one
 * for the machine it runs on and maps the result executable.
 */
#ifndef VFM_JIT_H
#define VFM_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/** Growable code buffer (plain heap memory while emitting). */
typedef struct vfmi_jbuf {
    uint8_t *p;
    size_t len;
    size_t cap;
    bool oom; /* an append failed; the emitter's result is void */
} vfmi_jbuf_t;

/** Append @p n bytes (sets b->oom instead of failing). */
void vfmi_jbuf_put(vfmi_jbuf_t *b, const void *bytes, size_t n);
static inline void vfmi_jbuf_u8(vfmi_jbuf_t *b, uint8_t v) { vfmi_jbuf_put(b, &v, 1); }
void vfmi_jbuf_u32le(vfmi_jbuf_t *b, uint32_t v);
void vfmi_jbuf_u64le(vfmi_jbuf_t *b, uint64_t v);
void vfmi_jbuf_free(vfmi_jbuf_t *b);

/**
 * An architecture's emitter: code for the program into @p out (entry at
 * offset 0).  Returns VFM_SUCCESS, VFM_ERROR_UNSUPPORTED (with @p why naming
 * the pc and the construct) or VFM_ERROR_NO_MEMORY.
 */
typedef int (*vfmi_jit_emit_fn)(const uint8_t *code, const vfmi_proof_t *proof,
                                const vfm_verify_opts_t *opts, vfmi_jbuf_t *out, char *why,
                                size_t whylen);

int vfmi_jit_emit_x86_64(const uint8_t *code, const vfmi_proof_t *proof,
                         const vfm_verify_opts_t *opts, vfmi_jbuf_t *out, char *why,
                         size_t whylen);
int vfmi_jit_emit_arm64(const uint8_t *code, const vfmi_proof_t *proof,
                        const vfm_verify_opts_t *opts, vfmi_jbuf_t *out, char *why,
                        size_t whylen);

/** This host's architecture name ("x86-64", "arm64"), NULL if no JIT targets it. */
const char *vfmi_jit_arch(void);

/**
 * Compile verified @p code for this host into @p out (zeroed first).
 * Failures leave out->fn NULL and explain in @p why.
 */
int vfmi_jit_compile(const uint8_t *code, const vfmi_proof_t *proof,
                     const vfm_verify_opts_t *opts, vfmi_jit_t *out, char *why, size_t whylen);

/** Unmap what vfmi_jit_compile made; safe on a zeroed or already freed one. */
void vfmi_jit_free(vfmi_jit_t *jit);

#endif /* VFM_JIT_H */
