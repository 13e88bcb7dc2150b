/*
 * test_vfm_pcap.c - CUnit tests of libvfm-pcap: vfm_pcap_compile() on dead
 * and offline handles of every link type, its errors, the VLAN modes, the
 * recognition rule of vfm_pcap_compile_auto(), and a per-packet comparison
 * of the classic BPF program (libpcap's pcap_offline_filter) with the VFM
 * interpreter on a real capture.
 *
 * Usage: test_vfm_pcap CAPTURE   (pcaps/mix.pcap)
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim_internal.h"
#include "vfm/vflisp.h"
#include "vfm/vfm.h"
#include "vfm/vfm_pcap.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define SKF_AD_START 0xfffff000u /* Linux SKF_AD_OFF as an unsigned k */

static const char *capture;

/* Number of ancillary (SKF_AD) loads in @p fp. */
static unsigned ancillary_loads(const struct bpf_program *fp)
{
    unsigned n = 0;
    for (unsigned i = 0; i < fp->bf_len; i++)
        if (BPF_CLASS(fp->bf_insns[i].code) == BPF_LD &&
            BPF_MODE(fp->bf_insns[i].code) == BPF_ABS && fp->bf_insns[i].k >= SKF_AD_START)
            n++;
    return n;
}

static int same_program(const struct bpf_program *a, const struct bpf_program *b)
{
    return a->bf_len == b->bf_len &&
           memcmp(a->bf_insns, b->bf_insns, a->bf_len * sizeof *a->bf_insns) == 0;
}

static void test_null_arguments(void)
{
    struct bpf_program fp = {0};
    CU_ASSERT_EQUAL(vfm_pcap_compile(NULL, &fp, "(= proto 6)", NULL), PCAP_ERROR);
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    CU_ASSERT_EQUAL(vfm_pcap_compile(p, NULL, "(= proto 6)", NULL), PCAP_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(pcap_geterr(p), "NULL program"));
    CU_ASSERT_EQUAL(vfm_pcap_compile(p, &fp, NULL, NULL), PCAP_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(pcap_geterr(p), "NULL filter text"));
    CU_ASSERT_EQUAL(vfm_pcap_compile_bytecode(p, &fp, NULL, 3), PCAP_ERROR);
    CU_ASSERT_EQUAL(vfm_pcap_compile_auto(NULL, &fp, "tcp", 1, 0), PCAP_ERROR);
    CU_ASSERT_EQUAL(fp.bf_len, 0u);
    pcap_close(p);
}

static void test_every_linktype(void)
{
    /* DLT values as libpcap reports them for the link types VFLisp knows. */
    const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, 276 /* SLL2 */, DLT_RAW, 228, 229, DLT_NULL,
                        108 /* LOOP */};
    for (size_t i = 0; i < N_ELEMS(dlts); i++) {
        pcap_t *p = pcap_open_dead(dlts[i], 1234);
        struct bpf_program fp = {0};
        /* IPv4 or IPv6 field: something to accept on every link type (raw IPv6 included). */
        int rc = vfm_pcap_compile(p, &fp, "(or (= proto tcp) (= dst-port 80))", NULL);
        if (rc != 0)
            fprintf(stderr, "\n  DLT %d: %s\n", dlts[i], pcap_geterr(p));
        CU_ASSERT_EQUAL(rc, 0);
        if (rc == 0) {
            CU_ASSERT(fp.bf_len > 0);
            CU_ASSERT(bpf_validate(fp.bf_insns, (int)fp.bf_len));
            /* Accepting returns the snapshot length, as libpcap's own programs do. */
            int accepts_snap = 0;
            for (unsigned j = 0; j < fp.bf_len; j++)
                if (fp.bf_insns[j].code == (BPF_RET | BPF_K) && fp.bf_insns[j].k == 1234)
                    accepts_snap = 1;
            CU_ASSERT(accepts_snap);
            CU_ASSERT_EQUAL(ancillary_loads(&fp), 0u);
        }
        pcap_freecode(&fp);
        pcap_close(p);
    }
}

static void test_errors(void)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    struct bpf_program fp = {.bf_len = 77, .bf_insns = NULL};
    /* A located VFLisp message; *fp untouched. */
    CU_ASSERT_EQUAL(vfm_pcap_compile(p, &fp, "(= dst-prot 80)", NULL), PCAP_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(pcap_geterr(p), "vflisp:1:4: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(pcap_geterr(p), "dst-prot"));
    CU_ASSERT_PTR_NULL(strchr(pcap_geterr(p), '\n'));
    CU_ASSERT_EQUAL(fp.bf_len, 77u);
    vfm_pcap_opts_t o = {.name = "myfilter"};
    CU_ASSERT_EQUAL(vfm_pcap_compile(p, &fp, "(and", &o), PCAP_ERROR);
    CU_ASSERT_EQUAL(strncmp(pcap_geterr(p), "myfilter:1:", 11), 0);
    /* What classic BPF cannot do is refused with the reason. */
    CU_ASSERT_EQUAL(vfm_pcap_compile(p, &fp, "(= flow-hash 7)", NULL), PCAP_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(pcap_geterr(p), "classic BPF"));
    o.vlan = 99;
    CU_ASSERT_EQUAL(vfm_pcap_compile(p, &fp, "(= proto 6)", &o), PCAP_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(pcap_geterr(p), "VLAN mode 99"));
    CU_ASSERT_EQUAL(fp.bf_len, 77u);
    pcap_close(p);

    /* A link type VFLisp does not know is named. */
    p = pcap_open_dead(DLT_IEEE802_11, 65535);
    CU_ASSERT_EQUAL(vfm_pcap_compile(p, &fp, "(= proto 6)", NULL), PCAP_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(pcap_geterr(p), "IEEE802_11"));
    pcap_close(p);

    /* A handle that is not activated. */
    char eb[PCAP_ERRBUF_SIZE];
    p = pcap_create("lo", eb);
    if (p) {
        CU_ASSERT_EQUAL(vfm_pcap_compile(p, &fp, "(= proto 6)", NULL), PCAP_ERROR);
        CU_ASSERT_PTR_NOT_NULL(strstr(pcap_geterr(p), "not activated"));
        pcap_close(p);
    }
    /* Bytecode that is not a program. */
    p = pcap_open_dead(DLT_EN10MB, 65535);
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    CU_ASSERT_EQUAL(vfm_pcap_compile_bytecode(p, &fp, junk, sizeof junk), PCAP_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(pcap_geterr(p), "vfm: "));
    CU_ASSERT_EQUAL(fp.bf_len, 77u);
    pcap_close(p);
}

static void test_vlan_modes(void)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    struct bpf_program dflt = {0}, pkt = {0}, kern = {0};
    vfm_pcap_opts_t o = {.vlan = VFM_PCAP_VLAN_PACKET};
    /* A dead handle (tcpdump -d) reads tags in the packet, as libpcap does. */
    CU_ASSERT_EQUAL_FATAL(vfm_pcap_compile(p, &dflt, "(= vlan-id 100)", NULL), 0);
    CU_ASSERT_EQUAL_FATAL(vfm_pcap_compile(p, &pkt, "(= vlan-id 100)", &o), 0);
    o.vlan = VFM_PCAP_VLAN_KERNEL;
    CU_ASSERT_EQUAL_FATAL(vfm_pcap_compile(p, &kern, "(= vlan-id 100)", &o), 0);
    CU_ASSERT(same_program(&dflt, &pkt));
    CU_ASSERT_EQUAL(ancillary_loads(&pkt), 0u);
    CU_ASSERT_EQUAL(ancillary_loads(&kern), 2u); /* tag present?, then the TCI */
    CU_ASSERT(bpf_validate(kern.bf_insns, (int)kern.bf_len));
    pcap_freecode(&dflt);
    pcap_freecode(&pkt);
    pcap_freecode(&kern);
    pcap_close(p);

    /* An offline handle reads tags in the packet too. */
    char eb[PCAP_ERRBUF_SIZE];
    p = pcap_open_offline(capture, eb);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_EQUAL(vfm_pcap_compile(p, &dflt, "(= vlan-id 100)", NULL), 0);
    CU_ASSERT_EQUAL(ancillary_loads(&dflt), 0u);
    pcap_freecode(&dflt);
    pcap_close(p);
}

/* ---- the recognition rule ---------------------------------------------------------- */

/* Compile @p text with @p fn on a fresh dead Ethernet handle; rc, program, message. */
typedef int (*compile_fn)(pcap_t *, struct bpf_program *, const char *, int, bpf_u_int32);

static int with(compile_fn fn, const char *text, struct bpf_program *fp, char *msg)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
    memset(fp, 0, sizeof *fp);
    int rc = fn(p, fp, text, 1, PCAP_NETMASK_UNKNOWN);
    if (msg)
        snprintf(msg, PCAP_ERRBUF_SIZE, "%s", rc ? pcap_geterr(p) : "");
    pcap_close(p);
    return rc;
}

static int vflisp_compile(pcap_t *p, struct bpf_program *fp, const char *text, int o,
                          bpf_u_int32 m)
{
    (void)o, (void)m;
    return vfm_pcap_compile(p, fp, text, NULL);
}

static void test_recognition(void)
{
    struct bpf_program a, b;
    char msg[PCAP_ERRBUF_SIZE], ref[PCAP_ERRBUF_SIZE];
    unsetenv("VFM_SHIM_MODE");
    /* Everything libpcap accepts keeps its libpcap meaning, "(not tcp)" included. */
    const char *pcap_exprs[] = {"tcp port 80", "(not tcp)", "(tcp)", "not (udp or icmp)",
                                "vlan 100", "ip[9] = 6", ""};
    for (size_t i = 0; i < N_ELEMS(pcap_exprs); i++) {
        CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, pcap_exprs[i], &a, NULL), 0);
        CU_ASSERT_EQUAL(with(pcap_compile, pcap_exprs[i], &b, NULL), 0);
        CU_ASSERT(same_program(&a, &b));
        pcap_freecode(&a);
        pcap_freecode(&b);
    }
    /* NULL: libpcap's accept-all. */
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, NULL, &a, NULL), 0);
    pcap_freecode(&a);
    /* What libpcap rejects and starts with '(' is VFLisp. */
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, "(= proto 6)", &a, NULL), 0);
    CU_ASSERT_EQUAL(with(vflisp_compile, "(= proto 6)", &b, NULL), 0);
    CU_ASSERT(same_program(&a, &b));
    pcap_freecode(&a);
    pcap_freecode(&b);
    /* vfl: always means VFLisp: "(not tcp)" is then (not 6), always false. */
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, "  vfl:(not tcp)", &a, NULL), 0);
    CU_ASSERT_EQUAL(with(vflisp_compile, "(not tcp)", &b, NULL), 0);
    CU_ASSERT(same_program(&a, &b));
    pcap_freecode(&b);
    CU_ASSERT_EQUAL(with(pcap_compile, "(not tcp)", &b, NULL), 0);
    CU_ASSERT(!same_program(&a, &b));
    pcap_freecode(&a);
    pcap_freecode(&b);
    /* Columns count from the start of what was typed, prefix included. */
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, "vfl:(= dst-prot 80)", &a, msg), PCAP_ERROR);
    CU_ASSERT_EQUAL(strncmp(msg, "vflisp:1:8: ", 12), 0);
    /* Rejected by both: libpcap's message alone unless the text is S-expressions. */
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, "tcp prot 80", &a, msg), PCAP_ERROR);
    CU_ASSERT_EQUAL(with(pcap_compile, "tcp prot 80", &b, ref), PCAP_ERROR);
    CU_ASSERT_STRING_EQUAL(msg, ref);
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, "(tcp port", &a, msg), PCAP_ERROR);
    CU_ASSERT_EQUAL(with(pcap_compile, "(tcp port", &b, ref), PCAP_ERROR);
    CU_ASSERT_STRING_EQUAL(msg, ref);
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, "(= dst-prot 80)", &a, msg), PCAP_ERROR);
    CU_ASSERT_EQUAL(strncmp(msg, "vflisp:1:4: ", 12), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "not libpcap either"));

    /* VFM_SHIM_MODE forces either language. */
    setenv("VFM_SHIM_MODE", "vflisp", 1);
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, "(not tcp)", &a, NULL), 0);
    CU_ASSERT_EQUAL(with(vflisp_compile, "(not tcp)", &b, NULL), 0);
    CU_ASSERT(same_program(&a, &b));
    pcap_freecode(&a);
    pcap_freecode(&b);
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, "tcp port 80", &a, msg), PCAP_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "vflisp:1:"));
    setenv("VFM_SHIM_MODE", "pcap", 1);
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, "vfl:(= proto 6)", &a, msg), PCAP_ERROR);
    CU_ASSERT_EQUAL(with(pcap_compile, "vfl:(= proto 6)", &b, ref), PCAP_ERROR);
    CU_ASSERT_STRING_EQUAL(msg, ref);
    setenv("VFM_SHIM_MODE", "bpf", 1);
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, "tcp", &a, msg), PCAP_ERROR);
    CU_ASSERT_STRING_EQUAL(msg, "VFM_SHIM_MODE: 'bpf' is not auto, pcap or vflisp");
    setenv("VFM_SHIM_MODE", "auto", 1);
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, "tcp", &a, NULL), 0);
    pcap_freecode(&a);
    unsetenv("VFM_SHIM_MODE");
}

static void test_bytecode_file(void)
{
    char path[] = "/tmp/vfm-pcap-test.XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    uint8_t *bc;
    uint32_t len;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(vfl_compile_string("(= proto 17)", &bc, &len, err, sizeof err), 0);
    CU_ASSERT_EQUAL(write(fd, bc, len), (ssize_t)len);
    close(fd);
    struct bpf_program a, b;
    char text[128], msg[PCAP_ERRBUF_SIZE];
    snprintf(text, sizeof text, "vfm:@%s ", path);
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, text, &a, msg), 0);
    CU_ASSERT_EQUAL(with(vflisp_compile, "(= proto 17)", &b, NULL), 0);
    CU_ASSERT(same_program(&a, &b));
    pcap_freecode(&a);
    pcap_freecode(&b);
    free(bc);
    unlink(path);
    CU_ASSERT_EQUAL(with(vfm_pcap_compile_auto, text, &a, msg), PCAP_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "No such file"));
}

static void test_is_sexpr(void)
{
    CU_ASSERT(vfmp_is_sexpr("(= proto 6)"));
    CU_ASSERT(vfmp_is_sexpr(" (define x 1) ; comment (\n (= proto x) "));
    CU_ASSERT(!vfmp_is_sexpr("(= proto 6"));
    CU_ASSERT(!vfmp_is_sexpr("(= proto 6))"));
    CU_ASSERT(!vfmp_is_sexpr("(tcp) and udp"));
    CU_ASSERT(!vfmp_is_sexpr(""));
    CU_ASSERT(!vfmp_is_sexpr("tcp"));
    CU_ASSERT_EQUAL(vfmp_parse_mode(NULL), VFMP_MODE_AUTO);
    CU_ASSERT_EQUAL(vfmp_parse_mode(""), VFMP_MODE_AUTO);
    CU_ASSERT_EQUAL(vfmp_parse_mode("pcap"), VFMP_MODE_PCAP);
    CU_ASSERT_EQUAL(vfmp_parse_mode("vflisp"), VFMP_MODE_VFLISP);
    CU_ASSERT_EQUAL(vfmp_parse_mode("VFLISP"), -1);
}

/* ---- classic BPF in libpcap vs the VFM interpreter, packet by packet -------------------- */

static void test_offline_agreement(void)
{
    const char *filters[] = {
        "(= proto 6)",
        "(and (= proto tcp) (or (= dst-port 80) (= dst-port 443)))",
        "(not (= proto 17))",
        "(in-net src-ip 10.0.0.0/8)",
        "(> (- ip-len ip-hl) 100)",
        "(= (& tcp-flags (| syn ack)) syn)",
        "(= ethertype ipv6)",
        "(!= vlan-id 0)",
        "(= (% ip-id 7) 3)",
    };
    for (size_t i = 0; i < N_ELEMS(filters); i++) {
        char eb[PCAP_ERRBUF_SIZE];
        pcap_t *p = pcap_open_offline(capture, eb);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        struct bpf_program fp;
        vfl_options_t o;
        vfl_options_init(&o);
        o.linktype = pcap_datalink(p);
        uint8_t *bc = NULL;
        uint32_t len;
        vfm_state_t *vm = vfm_create();
        int ok = vfm_pcap_compile(p, &fp, filters[i], NULL) == 0;
        if (!ok)
            fprintf(stderr, "\n  %s: %s\n", filters[i], pcap_geterr(p));
        CU_ASSERT(ok);
        CU_ASSERT_EQUAL(vfl_compile_ex(filters[i], strlen(filters[i]), &o, &bc, &len, NULL), 0);
        CU_ASSERT_EQUAL(vfm_load_program(vm, bc, len), 0);
        struct pcap_pkthdr *h;
        const u_char *data;
        unsigned packets = 0, accepted = 0, differ = 0;
        while (ok && pcap_next_ex(p, &h, &data) == 1) {
            int bpf = pcap_offline_filter(&fp, h, data) != 0;
            int vfm = vfm_execute_len(vm, data, h->caplen) > 0;
            packets++;
            accepted += (unsigned)bpf;
            differ += (unsigned)(bpf != vfm);
        }
        if (differ)
            fprintf(stderr, "\n  %s: %u of %u packets differ\n", filters[i], differ, packets);
        CU_ASSERT_EQUAL(differ, 0u);
        CU_ASSERT(!ok || packets > 100);
        /* A test that accepts nothing or everything would prove little. */
        if (i < 3)
            CU_ASSERT(!ok || (accepted > 0 && accepted < packets));
        if (ok)
            pcap_freecode(&fp);
        free(bc);
        vfm_destroy(vm);
        pcap_close(p);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_vfm_pcap CAPTURE\n");
        return 1;
    }
    capture = argv[1];
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("vfm-pcap", NULL, NULL);
    CU_add_test(s, "NULL arguments", test_null_arguments);
    CU_add_test(s, "every VFLisp link type", test_every_linktype);
    CU_add_test(s, "errors", test_errors);
    CU_add_test(s, "VLAN modes", test_vlan_modes);
    CU_add_test(s, "recognition rule", test_recognition);
    CU_add_test(s, "vfm:@FILE", test_bytecode_file);
    CU_add_test(s, "S-expression test, VFM_SHIM_MODE values", test_is_sexpr);
    CU_add_test(s, "pcap_offline_filter = VFM interpreter", test_offline_agreement);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
