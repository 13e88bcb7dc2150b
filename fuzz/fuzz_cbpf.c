/*
 * fuzz_cbpf - the classic-BPF backend on any bytes as a VFM program.
 *
 * Properties:
 *   - a refusal is VFM_ERROR_UNSUPPORTED naming the instruction ("pc N: ...")
 *     or the size limit, or a verifier error that is not a self-check "(a bug)";
 *   - what vfm_to_bpf_ex translates passes libpcap's bpf_validate, has
 *     1..VFM_BPF_MAXINSNS instructions, returns the requested snapshot length
 *     or 0, and lists in all three tcpdump formats (one line per instruction);
 *   - vfm_to_bpf (caller's buffer) gives the same program, and asks for the
 *     right size when the buffer is one short;
 *   - in bpf_filter it accepts exactly the packets the VFM interpreter
 *     accepts (non-zero result), at every prefix of the packet.
 * Input layout:
 *   byte 0      snapshot length choice (0: default, else byte * 97)
 *   bytes 1-2   program length N, little-endian (clipped)
 *   N bytes     the program (file image or raw code)
 *   the rest    the packet
 */
#include <pcap/pcap.h>
#include <string.h>

#include "fuzz_util.h"
#include "vfm/bpf.h"

static unsigned count_lines(const char *s)
{
    unsigned n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void check_listings(const vfm_bpf_insn_t *bp, uint32_t n)
{
    static const vfm_bpf_format_t formats[] = {VFM_BPF_LISTING, VFM_BPF_C_ARRAY, VFM_BPF_DECIMAL};
    for (unsigned f = 0; f < 3; f++) {
        char *out = NULL;
        FUZZ_CHECK(vfm_bpf_dump(bp, n, formats[f], &out) == VFM_SUCCESS && out,
                   "vfm_bpf_dump format %u failed", (unsigned)formats[f]);
        /* -ddd starts with the count on a line of its own. */
        unsigned want = n + (formats[f] == VFM_BPF_DECIMAL);
        FUZZ_CHECK(count_lines(out) == want, "format %u: %u lines for %u instructions",
                   (unsigned)formats[f], count_lines(out), n);
        free(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    vfm_bpf_opts_t bo = {.snaplen = data[0] * 97u};
    uint32_t accept = bo.snaplen ? bo.snaplen : VFM_BPF_DEFAULT_SNAPLEN;
    size_t plen = (size_t)data[1] | (size_t)data[2] << 8;
    if (plen > size - 3)
        plen = size - 3;
    const uint8_t *prog = data + 3, *pkt = prog + plen;
    size_t pkt_len = size - 3 - plen;
    if (pkt_len > FUZZ_PKT_MAX)
        pkt_len = FUZZ_PKT_MAX;

    vfm_bpf_insn_t *bp = NULL;
    uint32_t n = 0;
    vfm_diag_t d;
    int rc = vfm_to_bpf_ex(prog, (uint32_t)plen, &bo, &bp, &n, &d);
    if (rc == VFM_ERROR_UNSUPPORTED)
        FUZZ_CHECK(strncmp(d.msg, "pc ", 3) == 0 || strstr(d.msg, "classic BPF instructions"),
                   "a refusal must name the instruction: %s", d.msg);
    if (rc == VFM_ERROR_VERIFICATION_FAILED)
        FUZZ_CHECK(!strstr(d.msg, "(a bug)"), "the backend's self-check failed: %s", d.msg);
    if (rc != VFM_SUCCESS) {
        FUZZ_CHECK(bp == NULL && fuzz_one_line(d.msg, sizeof d.msg), "refusal %d: %s", rc, d.msg);
        return 0;
    }
    FUZZ_CHECK(n > 0 && n <= VFM_BPF_MAXINSNS, "%u instructions", n);
    FUZZ_CHECK(bpf_validate((const struct bpf_insn *)bp, (int)n), "bpf_validate rejects the output");
    bool kernel_only = false;
    for (uint32_t i = 0; i < n; i++) {
        kernel_only |= bp[i].code == (BPF_LD | BPF_W | BPF_ABS) && bp[i].k >= 0xfffff000u;
        if (bp[i].code == (BPF_RET | BPF_K))
            FUZZ_CHECK(bp[i].k == 0 || bp[i].k == accept, "insn %u returns %u (snaplen %u)", i,
                       bp[i].k, accept);
    }
    check_listings(bp, n);

    /* The manual's signature: same program; one slot short asks for n. */
    vfm_bpf_insn_t *buf = calloc(n, sizeof *buf);
    FUZZ_CHECK(buf != NULL, "out of memory");
    uint32_t cap = n - 1;
    if (bo.snaplen == 0) {
        FUZZ_CHECK(vfm_to_bpf(prog, (uint32_t)plen, buf, &cap) == VFM_ERROR_NO_MEMORY && cap == n,
                   "a short buffer must fail with the size needed (%u, want %u)", cap, n);
        cap = n;
        FUZZ_CHECK(vfm_to_bpf(prog, (uint32_t)plen, buf, &cap) == VFM_SUCCESS && cap == n &&
                       memcmp(buf, bp, n * sizeof *bp) == 0,
                   "vfm_to_bpf and vfm_to_bpf_ex translate differently");
    }
    free(buf);

    vfm_state_t *vm = vfm_create();
    FUZZ_CHECK(vm != NULL, "out of memory");
    if (!kernel_only && vfm_load_program(vm, prog, (uint32_t)plen) == VFM_SUCCESS) {
        uint8_t *exact = malloc(pkt_len ? pkt_len : 1);
        FUZZ_CHECK(exact != NULL, "out of memory");
        if (pkt_len)
            memcpy(exact, pkt, pkt_len);
        for (size_t len = pkt_len, step = 1 + pkt_len / 6;; len = len > step ? len - step : 0) {
            uint64_t res = 0;
            int vr = vfm_run(vm, exact, len, &res);
            u_int br = bpf_filter((const struct bpf_insn *)bp, exact, (u_int)len, (u_int)len);
            FUZZ_CHECK((vr == VFM_SUCCESS && res != 0) == (br != 0),
                       "VFM says %d/%llu, classic BPF %u, on %zu bytes", vr,
                       (unsigned long long)res, br, len);
            if (len == 0)
                break;
        }
        free(exact);
    }
    vfm_destroy(vm);
    free(bp);
    return 0;
}
