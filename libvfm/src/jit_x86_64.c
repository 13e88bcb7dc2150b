/*
 * jit_x86_64.c - native code for x86_64 (placeholder until the emitter lands).
 */
#include <stdio.h>

#include "jit.h"

int vfmi_jit_emit_x86_64(const uint8_t *code, const vfmi_proof_t *proof,
                     const vfm_verify_opts_t *opts, vfmi_jbuf_t *out, char *why, size_t whylen)
{
    (void)code, (void)proof, (void)opts, (void)out;
    snprintf(why, whylen, "the x86_64 JIT is not built yet");
    return VFM_ERROR_UNSUPPORTED;
}
