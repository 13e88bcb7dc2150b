/*
 * fuzz_shim - the capture-facing path of our own: the tcpdump shim's
 * pcap_compile replacement (tcpdump-shim/src/recognize.c, vfm_pcap.c) on
 * any filter text, for a dead handle of each supported link type.
 *
 * Properties (docs/tcpdump-shim.md):
 *   - mode pcap: exactly what pcap_compile gives (result and program);
 *   - auto: every text libpcap accepts keeps libpcap's program;
 *   - where VFLisp is used ("vfl:" prefix, mode vflisp, or auto for a text
 *     libpcap rejects that starts with '('), the shim succeeds exactly when
 *     vfl_compile_ex and vfm_to_bpf_ex both take the text, and its program
 *     accepts in bpf_filter exactly the packets the VFM interpreter accepts;
 *   - every program passes bpf_validate; every failure leaves a one-line
 *     message in pcap_geterr; nothing leaks.
 * Input: byte 0 bits 0-2 link type, bits 3-4 VFM_SHIM_MODE (unset, pcap,
 * vflisp, a bad value); the rest is the text, up to a NUL.  Texts with
 * "vfm:@" (read a file) are skipped.
 */
#include <pcap/pcap.h>
#include <string.h>

#include "fuzz_util.h"
#include "shim_internal.h"
#include "vfm/bpf.h"
#include "vfm/vflisp.h"

static const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_RAW, DLT_NULL,
                           DLT_LOOP,   DLT_LINUX_SLL2, DLT_IPV4, DLT_IPV6};
static const char *const modes[] = {NULL, "pcap", "vflisp", "bogus"};

/* Frames for the agreement check: TCP/IPv4 port 80 over Ethernet and the same IP packet alone. */
static const uint8_t tcp4_eth[] = {
    0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0x66, 0x77, 0x88, 0x99, 0xaa, 0x08, 0x00, 0x45, 0, 0, 40,
    0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0x04, 0x00, 0x00, 0x50, 0, 0, 0,
    1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0};
static const uint8_t udp6[] = {
    0x60, 0, 0, 0, 0, 8, 17, 64, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xfe, 0x80,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 53, 0, 53, 0, 8, 0, 0};

static bool same_program(const struct bpf_program *a, const struct bpf_program *b)
{
    return a->bf_len == b->bf_len &&
           memcmp(a->bf_insns, b->bf_insns, a->bf_len * sizeof *a->bf_insns) == 0;
}

/* The VFLisp route, done by hand: does it compile and translate?  Check agreement if so. */
static void check_vflisp(pcap_t *p, int shim_rc, const struct bpf_program *fp, const char *src)
{
    vfl_options_t o;
    vfl_options_init(&o);
    o.linktype = pcap_datalink(p);
    uint8_t *bc = NULL;
    uint32_t len = 0;
    vfl_diag_t d;
    int rc = vfl_compile_ex(src, strlen(src), &o, &bc, &len, &d);
    vfm_bpf_insn_t *insns = NULL;
    uint32_t n = 0;
    vfm_diag_t bd;
    vfm_bpf_opts_t bo = {.snaplen = (uint32_t)pcap_snapshot(p)};
    if (rc == VFM_SUCCESS)
        rc = vfm_to_bpf_ex(bc, len, &bo, &insns, &n, &bd);
    FUZZ_CHECK((rc == VFM_SUCCESS) == (shim_rc == 0),
               "the shim %s VFLisp that the compiler and vfm_to_bpf %s (%s)",
               shim_rc ? "rejects" : "accepts", rc ? "reject" : "accept", pcap_geterr(p));
    if (rc == VFM_SUCCESS) {
        FUZZ_CHECK(fp->bf_len == n && memcmp(fp->bf_insns, insns, n * sizeof *insns) == 0,
                   "the shim's program is not vfm_to_bpf's");
        vfm_state_t *vm = vfm_create();
        FUZZ_CHECK(vm && vfm_load_program(vm, bc, len) == VFM_SUCCESS, "compiled VFLisp does not load");
        const uint8_t *pk = o.linktype == DLT_EN10MB ? tcp4_eth : udp6;
        size_t pk_len = o.linktype == DLT_EN10MB ? sizeof tcp4_eth : sizeof udp6;
        for (size_t l = 0; l <= pk_len; l += 7) {
            uint64_t v = 0;
            int vr = vfm_run(vm, pk, l, &v);
            u_int br = bpf_filter(fp->bf_insns, pk, (u_int)l, (u_int)l);
            FUZZ_CHECK((vr == VFM_SUCCESS && v) == (br != 0),
                       "VFM %d/%llu, the shim's BPF %u on %zu bytes", vr, (unsigned long long)v,
                       br, l);
        }
        vfm_destroy(vm);
    }
    free(insns);
    free(bc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    char *text = malloc(size);
    FUZZ_CHECK(text != NULL, "out of memory");
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (strstr(text, "vfm:@")) {
        free(text);
        return 0;
    }
    int dlt = dlts[data[0] & 7];
    const char *mode = modes[(data[0] >> 3) & 3];
    if (mode)
        setenv("VFM_SHIM_MODE", mode, 1);
    else
        unsetenv("VFM_SHIM_MODE");
    pcap_t *p = pcap_open_dead(dlt, 65535);
    FUZZ_CHECK(p != NULL, "pcap_open_dead failed");

    /* What libpcap alone says. */
    struct bpf_program lib = {0};
    int lib_rc = pcap_compile(p, &lib, text, 1, PCAP_NETMASK_UNKNOWN);

    struct bpf_program fp = {0};
    int rc = vfmp_compile_text(p, &fp, text, 1, PCAP_NETMASK_UNKNOWN, pcap_compile);
    if (rc == 0)
        FUZZ_CHECK(fp.bf_len > 0 && bpf_validate(fp.bf_insns, (int)fp.bf_len),
                   "the shim returned a program bpf_validate rejects");
    else
        FUZZ_CHECK(rc == PCAP_ERROR && fuzz_one_line(pcap_geterr(p), PCAP_ERRBUF_SIZE),
                   "failure %d without a one-line message", rc);

    const char *s = text + strspn(text, " \t\n\v\f\r");
    bool prefixed = strncmp(s, "vfl:", 4) == 0;
    if (mode && strcmp(mode, "bogus") == 0) {
        FUZZ_CHECK(rc == PCAP_ERROR && strstr(pcap_geterr(p), "VFM_SHIM_MODE"),
                   "a bad VFM_SHIM_MODE must be refused, naming it");
    } else if (mode && strcmp(mode, "pcap") == 0) {
        FUZZ_CHECK(rc == lib_rc && (rc != 0 || same_program(&fp, &lib)),
                   "mode pcap differs from pcap_compile");
    } else if (prefixed) {
        char *copy = strdup(text);
        FUZZ_CHECK(copy != NULL, "out of memory");
        memset(copy + (s - text), ' ', 4);
        check_vflisp(p, rc, &fp, copy);
        free(copy);
    } else if (mode) { /* vflisp */
        check_vflisp(p, rc, &fp, text);
    } else if (lib_rc == 0) {
        FUZZ_CHECK(rc == 0 && same_program(&fp, &lib),
                   "auto mode changed a program libpcap accepts");
    } else if (*s == '(') {
        check_vflisp(p, rc, &fp, text);
    } else {
        FUZZ_CHECK(rc != 0, "auto mode accepted what libpcap rejects, not starting with '('");
    }
    if (lib_rc == 0)
        pcap_freecode(&lib);
    if (rc == 0)
        pcap_freecode(&fp);
    pcap_close(p);
    free(text);
    return 0;
}
