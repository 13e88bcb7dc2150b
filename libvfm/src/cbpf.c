/*
 * cbpf.c - verified VFM code to classic BPF (placeholder until the backend lands).
 */
#include <stdlib.h>

#include "internal.h"
#include "vfm/bpf.h"

int vfm_to_bpf_ex(const uint8_t *vfm_prog, uint32_t vfm_len, const vfm_bpf_opts_t *opts,
                  vfm_bpf_insn_t **bpf_prog, uint32_t *bpf_len, vfm_diag_t *diag)
{
    (void)vfm_prog, (void)vfm_len, (void)opts;
    if (bpf_prog)
        *bpf_prog = NULL;
    if (bpf_len)
        *bpf_len = 0;
    return vfmi_fail(diag, VFM_ERROR_UNSUPPORTED, VFM_NO_PC, "classic BPF backend not built yet");
}

int vfm_to_bpf(const uint8_t *vfm_prog, uint32_t vfm_len, bpf_insn_t *bpf_prog, uint32_t *bpf_len)
{
    (void)vfm_prog, (void)vfm_len, (void)bpf_prog, (void)bpf_len;
    return VFM_ERROR_UNSUPPORTED;
}
