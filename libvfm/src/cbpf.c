/*
 * cbpf.c - vfm_to_bpf: verified VFM code to classic BPF.
 *
 * parse (file image or raw code) -> verify (with the two ancillary helpers
 * declared, loops allowed so that a loop gets this backend's message) ->
 * translate (cbpf_gen.c) -> lay out and check (cbpf_emit.c).
 */
#include <stdlib.h>
#include <string.h>

#include "cbpf.h"
#include "vfm/bytecode.h"

/* The verifier wants a function for every helper; this one never runs. */
static int ancillary_stub(void *user, const uint8_t *pkt, size_t len, const uint64_t *args,
                          uint64_t *result)
{
    (void)user, (void)pkt, (void)len, (void)args;
    *result = 0;
    return VFM_ERROR_UNSUPPORTED;
}

int vfm_to_bpf_ex(const uint8_t *vfm_prog, uint32_t vfm_len, const vfm_bpf_opts_t *opts,
                  vfm_bpf_insn_t **bpf_prog, uint32_t *bpf_len, vfm_diag_t *diag)
{
    if (bpf_prog)
        *bpf_prog = NULL;
    if (bpf_len)
        *bpf_len = 0;
    if (!vfm_prog || !bpf_prog || !bpf_len)
        return vfmi_fail(diag, VFM_ERROR_INVALID_ARGUMENT, VFM_NO_PC,
                         "vfm_to_bpf: NULL program or result pointer");
    const uint8_t *code;
    uint32_t code_len;
    char why[sizeof diag->msg];
    int rc = vfm_bytecode_parse(vfm_prog, vfm_len, &code, &code_len, why, sizeof why);
    if (rc)
        return vfmi_fail(diag, rc, VFM_NO_PC, "%s", why);

    vfm_helper_t helpers[VFM_HELPERS_MAX];
    memset(helpers, 0, sizeof helpers);
    helpers[VFM_HELPER_VLAN_AVAIL] = (vfm_helper_t){"vlan_avail", 0, 1, ancillary_stub, NULL};
    helpers[VFM_HELPER_VLAN_TCI] = (vfm_helper_t){"vlan_tci", 0, 1, ancillary_stub, NULL};
    vfm_verify_opts_t vopts = {.allow_loops = 1, .helpers = helpers, .nhelpers = VFM_HELPERS_MAX};
    vfmi_proof_t proof;
    rc = vfmi_verify(code, code_len, &vopts, &proof, diag);
    if (rc == VFM_ERROR_HELPER && diag && diag->pc != VFM_NO_PC)
        return vfmi_fail(diag, VFM_ERROR_UNSUPPORTED, diag->pc,
                         "CALL: helper %u has no classic BPF equivalent (only %d and %d, the "
                         "VLAN ancillary data)",
                         code[diag->pc + 1] | (code[diag->pc + 2] << 8), VFM_HELPER_VLAN_AVAIL,
                         VFM_HELPER_VLAN_TCI);
    if (rc)
        return rc;

    uint32_t snaplen = opts && opts->snaplen ? opts->snaplen : VFM_BPF_DEFAULT_SNAPLEN;
    cb_buf_t buf;
    memset(&buf, 0, sizeof buf);
    rc = vfmi_cb_generate(code, &proof, &vopts, snaplen, &buf, diag);
    if (rc == VFM_SUCCESS)
        rc = vfmi_cb_link(&buf, bpf_prog, bpf_len, diag);
    vfmi_cb_buf_free(&buf);
    vfmi_proof_free(&proof);
    return rc;
}

int vfm_to_bpf(const uint8_t *vfm_prog, uint32_t vfm_len, bpf_insn_t *bpf_prog, uint32_t *bpf_len)
{
    if (!bpf_len || (!bpf_prog && *bpf_len))
        return VFM_ERROR_INVALID_ARGUMENT;
    vfm_bpf_insn_t *p;
    uint32_t n;
    int rc = vfm_to_bpf_ex(vfm_prog, vfm_len, NULL, &p, &n, NULL);
    if (rc)
        return rc;
    if (n > *bpf_len) {
        *bpf_len = n;
        free(p);
        return VFM_ERROR_NO_MEMORY;
    }
    memcpy(bpf_prog, p, (size_t)n * sizeof *p);
    *bpf_len = n;
    free(p);
    return VFM_SUCCESS;
}
