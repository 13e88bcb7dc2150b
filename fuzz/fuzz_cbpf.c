/*
 * fuzz_cbpf - libFuzzer target for the classic-BPF backend: any bytes as a
 * VFM program; whatever vfm_to_bpf translates must pass libpcap's
 * bpf_validate, stay within the kernel's limits, and give in bpf_filter the
 * verdict the VFM interpreter gives on packets carved from the input.
 * Refusals must be VFM_ERROR_UNSUPPORTED with "pc N: ..." (or the size
 * limit), or the verifier's own errors.  Input layout:
 *   byte 0      packet length (0..255), packet bytes taken from the tail
 *   rest        the program (file image or raw code)
 */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vfm/bpf.h"
#include "vfm/vfm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 70000)
        return 0;
    const uint8_t *prog = data + 1;
    uint32_t prog_len = (uint32_t)(size - 1);
    vfm_bpf_insn_t *bp = NULL;
    uint32_t n = 0;
    vfm_diag_t d;
    int rc = vfm_to_bpf_ex(prog, prog_len, NULL, &bp, &n, &d);
    if (rc == VFM_ERROR_UNSUPPORTED && strncmp(d.msg, "pc ", 3) != 0 &&
        !strstr(d.msg, "classic BPF instructions"))
        abort(); /* a refusal must name the instruction */
    if (rc == VFM_ERROR_VERIFICATION_FAILED && strstr(d.msg, "(a bug)"))
        abort(); /* the backend's own consistency checks */
    if (rc != VFM_SUCCESS)
        return 0;
    if (n == 0 || n > VFM_BPF_MAXINSNS || !bpf_validate((const struct bpf_insn *)bp, (int)n))
        abort();
    bool kernel_only = false;
    for (uint32_t i = 0; i < n; i++)
        kernel_only |= bp[i].code == (BPF_LD | BPF_W | BPF_ABS) && bp[i].k >= 0xfffff000u;
    vfm_state_t *vm = vfm_create();
    if (!vm)
        abort();
    if (!kernel_only && vfm_load_program(vm, prog, prog_len) == VFM_SUCCESS) {
        size_t plen = data[0];
        uint8_t pkt[256];
        memset(pkt, 0, sizeof pkt);
        size_t take = plen < size ? plen : size;
        memcpy(pkt, data + size - take, take);
        for (size_t len = 0; len <= plen; len += 1 + plen / 4) {
            uint64_t res = 0;
            int vr = vfm_run(vm, pkt, len, &res);
            u_int br = bpf_filter((const struct bpf_insn *)bp, pkt, (u_int)len, (u_int)len);
            if ((vr == VFM_SUCCESS && res != 0) != (br != 0))
                abort(); /* VFM and classic BPF disagree */
        }
    }
    vfm_destroy(vm);
    free(bp);
    return 0;
}
