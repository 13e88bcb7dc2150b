/*
 * fuzz_vflisp - the VFLisp compiler (reader, checker, lowering) on any text.
 *
 * Properties:
 *   - a failure is a source error (INVALID_PROGRAM) with a one-line
 *     "<string>:LINE:COL: message" and a line/col inside the text, never a
 *     verifier failure of the generated code (a compiler bug) or a crash;
 *   - the same text compiles to the same bytes twice;
 *   - the output is a bytecode file image that loads with the default policy
 *     (plus the two VLAN helpers when compiled for a live capture);
 *   - on a set of frames (TCP/IPv4, UDP/IPv6, a VLAN tag, ARP) cut at every
 *     length, the fused interpreter, the traced one and the JIT agree, and
 *     stop only with BOUNDS or DIVISION_BY_ZERO (or HELPER, never here);
 *   - where vfm_to_bpf_ex translates the program (not live), bpf_filter
 *     accepts exactly the packets the interpreter accepts.
 * Input: byte 0 bits 0-2 link type, bit 3 live; the rest is the source.
 */
#include <string.h>

#include "fuzz_util.h"
#include "vfm/bytecode.h"
#include "vfm/helpers.h"
#include "vfm/vflisp.h"
#ifdef VFM_FUZZ_HAVE_PCAP
#include <pcap/pcap.h>

#include "vfm/bpf.h"
#endif

static const uint8_t tcp4[] = {
    0,    0,  0, 0,  0,    2,    0,    0,    0,    0,    0,    1,    0x08, 0x00, /* Ethernet */
    0x46, 0,  0, 44, 0x12, 0x34, 0,    0,    64,   6,    0,    0,    10,   0,    0,
    1,    10, 0, 0,  2,    1,    1,    1,    1,    0x04, 0x00, 0x00, 0x50, 0,    0,
    0,    0,  0, 0,  0,    0,    0x50, 0x02, 0x20, 0,    0,    0,    0,    0};
static const uint8_t udp6_vlan[] = {
    0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x81, 0x00, 0x00, 0x64, 0x86, 0xdd, /* VLAN 100 */
    0x60, 0, 0, 0, 0, 12, 17, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 53, 0x30, 0x39, 0, 12, 0, 0,
    1, 2, 3, 4};
static const uint8_t arp[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1, 0x08, 0x06,
                              0, 1, 0x08, 0, 6, 4, 0, 1, 0, 0, 0, 0, 0, 1, 10, 0, 0, 1,
                              0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
static const struct {
    const uint8_t *p;
    size_t len, l3; /* l3: where the IP header starts, for the raw-IP link types */
} frames[] = {{tcp4, sizeof tcp4, 14}, {udp6_vlan, sizeof udp6_vlan, 18}, {arp, sizeof arp, 14}};

static int h_vlan(void *u, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)u, (void)p, (void)n, (void)a;
    *r = 0; /* no tag stripped: the filter falls back to the packet */
    return VFM_SUCCESS;
}

static int setup(vfm_state_t *vm, void *user)
{
    (void)user;
    vfm_helper_t avail = {.name = "vlan_avail", .pops = 0, .pushes = 1, .fn = h_vlan};
    vfm_helper_t tci = {.name = "vlan_tci", .pops = 0, .pushes = 1, .fn = h_vlan};
    int rc = vfm_register_helper(vm, VFM_HELPER_VLAN_AVAIL, &avail);
    return rc ? rc : vfm_register_helper(vm, VFM_HELPER_VLAN_TCI, &tci);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int links[] = {1, 113, 276, 12, 228, 229, 0, 108};
    if (size == 0)
        return 0;
    vfl_options_t o;
    vfl_options_init(&o);
    o.linktype = links[data[0] & 7];
    o.live = (data[0] >> 3) & 1;
    const char *src = (const char *)data + 1;
    size_t src_len = size - 1;
    vfl_diag_t d;
    uint8_t *bc = NULL, *bc2 = NULL;
    uint32_t len = 0, len2 = 0;
    int rc = vfl_compile_ex(src, src_len, &o, &bc, &len, &d);
    FUZZ_CHECK(rc != VFM_ERROR_VERIFICATION_FAILED, "the compiler made code the verifier rejects: %s",
               d.msg);
    if (rc != VFM_SUCCESS) {
        FUZZ_CHECK(rc == VFM_ERROR_INVALID_PROGRAM, "compile failed with %d (%s): %s", rc,
                   vfm_error_string(rc), d.msg);
        FUZZ_CHECK(d.code == rc && bc == NULL, "diag code %d for result %d", d.code, rc);
        FUZZ_CHECK(fuzz_one_line(d.msg, sizeof d.msg), "message is not one terminated line");
        FUZZ_CHECK(strncmp(d.msg, "<string>:", 9) == 0, "message does not name the source: %s",
                   d.msg);
        if (d.line) {
            unsigned lines = 1;
            for (size_t i = 0; i < src_len; i++)
                lines += src[i] == '\n';
            FUZZ_CHECK(d.line <= lines && d.col >= 1, "error at %u:%u, the text has %u lines",
                       d.line, d.col, lines);
        }
        return 0;
    }
    FUZZ_CHECK(vfl_compile_ex(src, src_len, &o, &bc2, &len2, &d) == VFM_SUCCESS && len2 == len &&
                   memcmp(bc, bc2, len) == 0,
               "the same text compiles differently the second time");
    free(bc2);
    const uint8_t *code;
    uint32_t code_len;
    char why[128];
    FUZZ_CHECK(len > VFM_BC_HEADER_SIZE && bc[0] == 'V' &&
                   vfm_bytecode_parse(bc, len, &code, &code_len, why, sizeof why) == VFM_SUCCESS,
               "output is not a bytecode file image");

    fuzz_engines_t e;
    rc = fuzz_engines_load(&e, bc, len, setup, NULL);
    FUZZ_CHECK(rc == VFM_SUCCESS, "compiled program does not load: %s", vfm_error_string(rc));
    uint64_t verdict[3][128];
    FUZZ_CHECK(sizeof tcp4 < 128 && sizeof udp6_vlan < 128, "frames too long for the table");
    for (size_t f = 0; f < 3; f++) {
        bool ip_only = o.linktype == 12 || o.linktype == 228 || o.linktype == 229;
        const uint8_t *p = frames[f].p + (ip_only ? frames[f].l3 : 0);
        size_t n = frames[f].len - (ip_only ? frames[f].l3 : 0);
        for (size_t cut = 0; cut <= n; cut++) {
            uint64_t v = 0;
            int r = fuzz_engines_run(&e, p, cut, false, &v);
            FUZZ_CHECK(r != VFM_ERROR_HELPER, "a helper failed");
            verdict[f][cut] = r == VFM_SUCCESS && v != 0;
        }
    }
    fuzz_engines_done(&e);
    (void)verdict; /* read only by the classic-BPF check */

#ifdef VFM_FUZZ_HAVE_PCAP
    vfm_bpf_insn_t *bp = NULL;
    uint32_t n = 0;
    vfm_diag_t bd;
    if (!o.live && vfm_to_bpf_ex(bc, len, NULL, &bp, &n, &bd) == VFM_SUCCESS) {
        FUZZ_CHECK(bpf_validate((const struct bpf_insn *)bp, (int)n), "bpf_validate rejects");
        for (size_t f = 0; f < 3; f++) {
            bool ip_only = o.linktype == 12 || o.linktype == 228 || o.linktype == 229;
            const uint8_t *p = frames[f].p + (ip_only ? frames[f].l3 : 0);
            size_t plen = frames[f].len - (ip_only ? frames[f].l3 : 0);
            for (size_t cut = 0; cut <= plen; cut++) {
                u_int br = bpf_filter((const struct bpf_insn *)bp, p, (u_int)cut, (u_int)cut);
                FUZZ_CHECK((br != 0) == verdict[f][cut],
                           "frame %zu cut at %zu: VFM %s, classic BPF %s", f, cut,
                           verdict[f][cut] ? "accepts" : "rejects", br ? "accepts" : "rejects");
            }
        }
    }
    free(bp);
#endif
    free(bc);
    return 0;
}
