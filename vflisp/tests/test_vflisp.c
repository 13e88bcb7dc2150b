/*
 * test_vflisp.c - CUnit tests of the VFLisp compiler: the C API, every form,
 * every field on every kind of packet and link type, every error message,
 * properties of the generated code, the manual's examples, threads, and a
 * random-program robustness run.
 */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packets.h"
#include "vfm/asm.h"
#include "vfm/bytecode.h"
#include "vfm/vflisp.h"
#include "vfm/vfm.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Sentinel "the filter did not compile" (no VFM error has this value). */
#define NOCOMPILE (-1000)

/* ---- helpers ---------------------------------------------------------------------- */

/* Compile for @p dlt; NULL (and the message printed) on failure. */
static uint8_t *compile(const char *src, int dlt, uint32_t *len)
{
    vfl_options_t o;
    vfl_options_init(&o);
    o.linktype = dlt;
    vfl_diag_t d;
    uint8_t *bc = NULL;
    if (vfl_compile_ex(src, strlen(src), &o, &bc, len, &d) != VFM_SUCCESS) {
        char buf[1200];
        vfl_format_diag(&d, buf, sizeof buf);
        fprintf(stderr, "\n  compile failed: %s\n", buf);
        return NULL;
    }
    return bc;
}

/* Run @p src on the packet of @p spec: the 64-bit result, or a negative VFM error. */
static int64_t run_on(vfm_state_t *vm, const char *src, const pkt_spec_t *spec)
{
    uint32_t len;
    uint8_t *bc = compile(src, pkt_dlt(spec->link), &len);
    if (!bc)
        return NOCOMPILE;
    int rc = vfm_load_program(vm, bc, len);
    free(bc);
    if (rc != VFM_SUCCESS) {
        fprintf(stderr, "\n  load failed: %s\n", vfm_last_error(vm));
        return rc;
    }
    uint8_t pkt[256];
    size_t n = pkt_build(spec, pkt);
    uint64_t v = 0;
    rc = vfm_run(vm, pkt, n, &v);
    return rc != VFM_SUCCESS ? rc : (int64_t)v;
}

static int64_t run1(const char *src, const pkt_spec_t *spec)
{
    vfm_state_t *vm = vfm_create();
    int64_t r = run_on(vm, src, spec);
    vfm_destroy(vm);
    return r;
}

/* The listing of @p src compiled for Ethernet (malloc'ed). */
static char *listing(const char *src)
{
    uint32_t len;
    uint8_t *bc = compile(src, 1, &len);
    if (!bc)
        return strdup("");
    char *text = NULL;
    vfm_disassemble(bc + VFM_BC_HEADER_SIZE, len - VFM_BC_HEADER_SIZE, 0, &text);
    free(bc);
    return text ? text : strdup("");
}

static unsigned count_of(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* One filter, one packet, the expected result (value, or negative VFM error). */
typedef struct run_case {
    const char *src;
    pkt_spec_t pkt;
    int64_t want;
} run_case_t;

static void run_cases(const run_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t got = run1(cases[i].src, &cases[i].pkt);
        if (got != cases[i].want)
            fprintf(stderr, "\n  case %zu: %s -> %lld, want %lld\n", i, cases[i].src,
                    (long long)got, (long long)cases[i].want);
        CU_ASSERT_EQUAL(got, cases[i].want);
    }
}

/* Packets used below. */
#define TCP4                                                                                       \
    {                                                                                              \
        0                                                                                          \
    }
#define TCP4_OPT                                                                                   \
    {                                                                                              \
        .ihl = 6                                                                                   \
    }
#define TCP4_RR                                                                                    \
    {                                                                                              \
        .ihl = 15                                                                                  \
    }
#define UDP4                                                                                       \
    {                                                                                              \
        .proto = 17, .dport = 53                                                                   \
    }
#define SCTP4                                                                                      \
    {                                                                                              \
        .proto = 132, .dport = 80                                                                  \
    }
#define ICMP4                                                                                      \
    {                                                                                              \
        .proto = 1                                                                                 \
    }
#define FRAG4                                                                                      \
    {                                                                                              \
        .frag = 185                                                                                \
    }
#define FRAG4_UDP                                                                                  \
    {                                                                                              \
        .proto = 17, .frag = 185, .dport = 53                                                      \
    }
#define ARP                                                                                        \
    {                                                                                              \
        .l3 = P3_ARP                                                                               \
    }
#define LLC                                                                                        \
    {                                                                                              \
        .l3 = P3_LLC                                                                               \
    }
#define TCP6                                                                                       \
    {                                                                                              \
        .l3 = P3_IPV6                                                                              \
    }
#define UDP6                                                                                       \
    {                                                                                              \
        .l3 = P3_IPV6, .proto = 17, .dport = 53                                                    \
    }
#define ICMP6                                                                                      \
    {                                                                                              \
        .l3 = P3_IPV6, .proto = 58                                                                 \
    }
#define VLAN_TCP4                                                                                  \
    {                                                                                              \
        .vlan = 6                                                                                  \
    }

/* ---- the C API ---------------------------------------------------------------------- */

static void test_api_compile_string(void)
{
    uint8_t *bc = NULL;
    uint32_t len = 0;
    char err[256] = "x";
    CU_ASSERT_EQUAL(vfl_compile_string("(= proto 6)", &bc, &len, err, sizeof err), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    CU_ASSERT_STRING_EQUAL(err, "");
    CU_ASSERT(len > VFM_BC_HEADER_SIZE);
    CU_ASSERT(memcmp(bc, VFM_BC_MAGIC, 4) == 0);
    const uint8_t *code;
    uint32_t code_len;
    CU_ASSERT_EQUAL(vfm_bytecode_parse(bc, len, &code, &code_len, NULL, 0), VFM_SUCCESS);
    CU_ASSERT_EQUAL(code_len + VFM_BC_HEADER_SIZE, len);
    CU_ASSERT_EQUAL(vfm_verify(bc, len), VFM_SUCCESS);
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_EQUAL(vfm_load_program(vm, bc, len), VFM_SUCCESS);
    uint8_t pkt[256];
    pkt_spec_t s = TCP4;
    size_t n = pkt_build(&s, pkt);
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt, (uint16_t)n), 1);
    vfm_destroy(vm);
    free(bc);
}

static void test_api_errors(void)
{
    uint8_t *bc = (uint8_t *)1;
    uint32_t len = 7;
    char err[512];
    CU_ASSERT_EQUAL(vfl_compile_string("(= dst-prot 80)", &bc, &len, err, sizeof err),
                    VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_PTR_NULL(bc);
    CU_ASSERT_EQUAL(len, 0);
    CU_ASSERT_STRING_EQUAL(err, "<string>:1:4: unknown name 'dst-prot' (did you mean "
                                "'dst-port'?)\n(= dst-prot 80)\n   ^");
    /* A short buffer is truncated and terminated. */
    char small[8];
    memset(small, 'z', sizeof small);
    CU_ASSERT(vfl_compile_string("(= x 1)", &bc, &len, small, sizeof small) < 0);
    CU_ASSERT_EQUAL(small[7], '\0');
    CU_ASSERT(vfl_compile_string("(= x 1)", &bc, &len, NULL, 0) < 0);
    CU_ASSERT_EQUAL(vfl_compile_string(NULL, &bc, &len, err, sizeof err),
                    VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfl_compile_string("1", NULL, &len, err, sizeof err),
                    VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfl_compile_string("1", &bc, NULL, err, sizeof err),
                    VFM_ERROR_INVALID_ARGUMENT);
    /* Tabs in the source line up the caret. */
    CU_ASSERT(vfl_compile_string("\t(= foo 1)", &bc, &len, err, sizeof err) < 0);
    CU_ASSERT_STRING_EQUAL(err, "<string>:1:5: unknown name 'foo'\n\t(= foo 1)\n\t   ^");
}

static void test_api_ex(void)
{
    vfl_diag_t d;
    uint8_t *bc;
    uint32_t len;
    vfl_options_t o;
    vfl_options_init(&o);
    CU_ASSERT_EQUAL(o.linktype, VFL_LINKTYPE_ETHERNET);
    CU_ASSERT_PTR_NULL(o.filename);
    o.filename = "policy.vfl";
    const char src[] = "(and (= proto 6)\n     (= dst-port 80 1))";
    CU_ASSERT_EQUAL(vfl_compile_ex(src, strlen(src), &o, &bc, &len, &d), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(d.code, VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(d.line, 2);
    CU_ASSERT_EQUAL(d.col, 21);
    CU_ASSERT_STRING_EQUAL(d.msg, "policy.vfl:2:21: '=' takes 2 arguments, got 3");
    CU_ASSERT_STRING_EQUAL(d.source, "     (= dst-port 80 1))");
    /* Unsupported link type. */
    o.linktype = 147;
    CU_ASSERT_EQUAL(vfl_compile_ex("1", 1, &o, &bc, &len, &d), VFM_ERROR_UNSUPPORTED);
    CU_ASSERT(strstr(d.msg, "link type 147 is not supported") != NULL);
    CU_ASSERT_EQUAL(d.line, 0);
    /* Length-delimited source: NUL bytes are an error, bytes past len are ignored. */
    o.linktype = 1;
    CU_ASSERT_EQUAL(vfl_compile_ex("(= proto 6)garbage", 11, &o, &bc, &len, &d), VFM_SUCCESS);
    free(bc);
    CU_ASSERT_EQUAL(vfl_compile_ex("(= proto\0 6)", 12, &o, &bc, &len, &d),
                    VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_STRING_EQUAL(d.msg, "policy.vfl:1:9: NUL byte in the source");
    /* NULL opts and NULL diag are allowed. */
    CU_ASSERT_EQUAL(vfl_compile_ex("1", 1, NULL, &bc, &len, NULL), VFM_SUCCESS);
    free(bc);
    CU_ASSERT(vfl_linktype_supported(1) && vfl_linktype_supported(276) &&
              vfl_linktype_supported(0));
    CU_ASSERT(!vfl_linktype_supported(147));
    /* vfl_format_diag without a location is the message alone. */
    vfl_diag_t nd = {.code = -2, .msg = "x: y"};
    char buf[64];
    vfl_format_diag(&nd, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "x: y");
}

static void test_api_file(void)
{
    char path[] = "/tmp/vfl-test-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    const char src[] =
        "; web\n(define web (or (= dst-port 80) (= dst-port 443)))\n(and (= proto tcp) web)\n";
    CU_ASSERT_EQUAL(write(fd, src, sizeof src - 1), (ssize_t)(sizeof src - 1));
    close(fd);
    uint8_t *bc;
    uint32_t len;
    char err[512];
    CU_ASSERT_EQUAL(vfl_compile_file(path, &bc, &len, err, sizeof err), VFM_SUCCESS);
    free(bc);
    FILE *f = fopen(path, "w");
    fputs("(and (= proto tcp)\n     (= dst-port))\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(vfl_compile_file(path, &bc, &len, err, sizeof err), VFM_ERROR_INVALID_PROGRAM);
    char want[256];
    snprintf(want, sizeof want, "%s:2:7: '=' takes 2 arguments, got 1\n     (= dst-port))\n      ^",
             path);
    CU_ASSERT_STRING_EQUAL(err, want);
    unlink(path);
    CU_ASSERT_EQUAL(vfl_compile_file(path, &bc, &len, err, sizeof err), VFM_ERROR_IO);
    CU_ASSERT(strstr(err, "No such file") != NULL);
    CU_ASSERT_EQUAL(vfl_compile_file(NULL, &bc, &len, err, sizeof err), VFM_ERROR_INVALID_ARGUMENT);
}

/* ---- every form -------------------------------------------------------------------------- */

static void test_forms_arith(void)
{
    static const run_case_t cases[] = {
        {"(+ 10 20)", TCP4, 30},
        {"(+ 1 2 3 4)", TCP4, 10},
        {"(- 100 25)", TCP4, 75},
        {"(* 6 7)", TCP4, 42},
        {"(* 2 3 4)", TCP4, 24},
        {"(/ 100 4)", TCP4, 25},
        {"(% 17 5)", TCP4, 2},
        {"(& 0xff 0x0f)", TCP4, 0x0f},
        {"(| 0xf0 0x0f 0x100)", TCP4, 0x1ff},
        {"(^ 0xff 0x0f)", TCP4, 0xf0},
        {"(<< 1 4)", TCP4, 16},
        {"(>> 256 2)", TCP4, 64},
        {"(>> 1 64)", TCP4, 0},
        {"(~ 0xfffffffffffffff0)", TCP4, 0xf},
        {"0b1010", TCP4, 10},
        {"0xFF", TCP4, 255},
        /* with fields (not folded) */
        {"(+ ip-ttl 1)", TCP4, 65},
        {"(- ip-len ip-hl)", TCP4, 20},
        {"(* ip-ttl 2 2)", TCP4, 256},
        {"(/ ip-ttl 4)", TCP4, 16},
        {"(% ip-ttl 10)", TCP4, 4},
        {"(& ip-ttl 0x0f)", TCP4, 0},
        {"(| ip-ttl 1)", TCP4, 65},
        {"(^ ip-ttl 64)", TCP4, 0},
        {"(<< ip-ttl 1)", TCP4, 128},
        {"(>> ip-ttl 6)", TCP4, 1},
        {"(~ (~ ip-ttl))", TCP4, 64},
        /* a zero divisor at run time rejects the packet */
        {"(/ 10 (- ip-ttl 64))", TCP4, VFM_ERROR_DIVISION_BY_ZERO},
        {"(% 10 (- ip-ttl 64))", TCP4, VFM_ERROR_DIVISION_BY_ZERO},
    };
    run_cases(cases, N_ELEMS(cases));
    /* Wrapping: unsigned 64-bit. */
    pkt_spec_t s = TCP4;
    CU_ASSERT_EQUAL((uint64_t)run1("(- 5)", &s), (uint64_t)0 - 5);
    CU_ASSERT_EQUAL((uint64_t)run1("(- 5 10)", &s), (uint64_t)0 - 5);
    CU_ASSERT_EQUAL((uint64_t)run1("-1", &s), UINT64_MAX);
    CU_ASSERT_EQUAL((uint64_t)run1("(- ip-ttl 65)", &s), UINT64_MAX);
    CU_ASSERT_EQUAL((uint64_t)run1("0xffffffffffffffff", &s), UINT64_MAX);
}

static void test_forms_compare(void)
{
    static const run_case_t cases[] = {
        {"(= proto 6)", TCP4, 1},
        {"(= proto 6)", UDP4, 0},
        {"(!= proto 6)", UDP4, 1},
        {"(!= proto 6)", TCP4, 0},
        {"(> ip-len 39)", TCP4, 1},
        {"(> ip-len 40)", TCP4, 0},
        {"(>= ip-len 40)", TCP4, 1},
        {"(>= ip-len 41)", TCP4, 0},
        {"(< dst-port 81)", TCP4, 1},
        {"(< dst-port 80)", TCP4, 0},
        {"(<= dst-port 80)", TCP4, 1},
        {"(<= dst-port 79)", TCP4, 0},
        /* constant on the left */
        {"(< 79 dst-port)", TCP4, 1},
        {"(> 80 dst-port)", TCP4, 0},
        /* two computed sides */
        {"(= src-port (+ dst-port 944))", TCP4, 1},
        {"(< ip-ttl ip-len)", TCP4, 0},
        /* constants */
        {"(= 1 1)", TCP4, 1},
        {"(> 1 2)", TCP4, 0},
        /* comparisons on an absent field are false, both = and != */
        {"(= proto 6)", ARP, 0},
        {"(!= proto 6)", ARP, 0},
        {"(> dst-port 0)", ICMP4, 0},
        {"(<= dst-port 65535)", ICMP4, 0},
        {"(= src-port (+ dst-port 944))", ICMP4, 0},
        /* a comparison as a value is 0/1 */
        {"(if (= proto 6) (+ 1 (if (= ip-ttl 64) 1 0)) 7)", TCP4, 2},
    };
    run_cases(cases, N_ELEMS(cases));
}

static void test_forms_logic(void)
{
    static const run_case_t cases[] = {
        {"(and (= proto 6) (= dst-port 80))", TCP4, 1},
        {"(and (= proto 6) (= dst-port 81))", TCP4, 0},
        {"(and (= proto 6))", TCP4, 1},
        {"(and 1 2 3)", TCP4, 1},
        {"(and 1 0 3)", TCP4, 0},
        {"(or (= dst-port 80) (= dst-port 443))", TCP4, 1},
        {"(or (= dst-port 22) (= dst-port 443))", TCP4, 0},
        {"(or 0 0)", TCP4, 0},
        {"(or 0 5)", TCP4, 1},
        {"(not (= proto 6))", TCP4, 0},
        {"(not (= proto 6))", ARP, 1}, /* not of an absent comparison: true */
        {"(not (not (= proto 6)))", TCP4, 1},
        {"(not 0)", TCP4, 1},
        {"(not ip-ttl)", TCP4, 0},
        /* numbers are true when non-zero; an absent field makes the test false */
        {"(and (= proto 6) (& tcp-flags 0x02))", TCP4, 1},
        {"(and (= proto 6) (& tcp-flags 0x10))", TCP4, 0},
        {"(& tcp-flags 0x02)", UDP4, 0},
        {"(not (& tcp-flags 0x02))", UDP4, 1},
        /* short-circuit: the count is not bumped when the first test fails */
        {"(and (= proto 17) (count-by 1))", TCP4, 0},
        /* as values */
        {"(+ 0 (if (and (= proto 6) (= dst-port 80)) 1 0))", TCP4, 1},
        {"(if (or (= proto 17) (= proto 1)) 5 6)", TCP4, 6},
        /* grouped comparisons of one field, inside and/or */
        {"(or (= dst-port 22) (= dst-port 80) (= dst-port 443))", TCP4, 1},
        {"(or (= dst-port 22) (= dst-port 25) (= proto 6))", TCP4, 1},
        {"(or (= dst-port 22) (= dst-port 25) (= proto 17))", TCP4, 0},
        {"(or (= dst-port 22) (= dst-port 25) (= proto 1))", ICMP4, 1},
        {"(and (>= dst-port 80) (<= dst-port 90))", TCP4, 1},
        {"(and (>= dst-port 81) (<= dst-port 90))", TCP4, 0},
        {"(and (>= dst-port 80) (<= dst-port 90) (= proto 6))", TCP4, 1},
        {"(not (or (= dst-port 22) (= dst-port 80)))", TCP4, 0},
        {"(not (and (>= dst-port 80) (<= dst-port 90)))", TCP4, 0},
        {"(not (and (>= dst-port 80) (<= dst-port 90)))", ICMP4, 1},
        {"(if (or (= dst-port 1) (= dst-port 80)) 7 8)", TCP4, 7},
        {"(if (and (> dst-port 1) (< dst-port 80)) 7 8)", TCP4, 8},
    };
    run_cases(cases, N_ELEMS(cases));
}

static void test_forms_if(void)
{
    static const run_case_t cases[] = {
        {"(if (= proto 6) 1 0)", TCP4, 1},
        {"(if (= proto 6) 1 0)", UDP4, 0},
        {"(if (= proto 6) 10 20)", UDP4, 20},
        {"(if (= ethertype 0x0800) (if (= proto 6) (if (= dst-port 80) 1 0) 0) 1)", TCP4, 1},
        {"(if (= ethertype 0x0800) (if (= proto 6) (if (= dst-port 80) 1 0) 0) 1)", ARP, 1},
        {"(if (= ethertype 0x0800) (if (= proto 6) (if (= dst-port 80) 1 0) 0) 1)", UDP4, 0},
        {"(if 1 5 6)", TCP4, 5},
        {"(if 0 5 6)", TCP4, 6},
        {"(if ip-ttl 5 6)", TCP4, 5},
        {"(if ip-ttl 5 6)", ARP, 6}, /* absent: the condition is false */
        /* a value arm reading an absent field makes the filter return 0 */
        {"(if (= proto 1) 1 dst-port)", ICMP4, 1},
        {"(if (= proto 1) dst-port 1)", ICMP4, 0},
        {"(+ 1 (if (= proto 6) dst-port 0))", TCP4, 81},
        {"(> (if (= proto 6) dst-port 0) 79)", TCP4, 1},
        {"(> (if (= proto 6) 0 dst-port) 79)", ICMP4, 0}, /* dst-port absent: false */
        /* mixed truth/number arms (the manual's rate limiter) */
        {"(if (= proto 6) (< ip-ttl 100) 1)", TCP4, 1},
        {"(if (= proto 6) (< ip-ttl 10) 1)", TCP4, 0},
        {"(if (= proto 6) (< ip-ttl 10) 1)", UDP4, 1},
        {"(and (if (= proto 6) (= dst-port 80) (= proto 17)) 1)", UDP4, 1},
    };
    run_cases(cases, N_ELEMS(cases));
}

static void test_forms_count(void)
{
    vfm_state_t *vm = vfm_create();
    pkt_spec_t a = TCP4, b = {.src = 0x0a000009}, arp = ARP;
    /* count-by returns the new count; keys are separate. */
    CU_ASSERT_EQUAL(run_on(vm, "(count-by src-ip)", &a), 1);
    uint8_t pkt[256];
    uint64_t v;
    size_t n = pkt_build(&a, pkt);
    CU_ASSERT_EQUAL(vfm_run(vm, pkt, n, &v), VFM_SUCCESS);
    CU_ASSERT_EQUAL(v, 2);
    CU_ASSERT_EQUAL(vfm_run(vm, pkt, n, &v), VFM_SUCCESS);
    CU_ASSERT_EQUAL(v, 3);
    n = pkt_build(&b, pkt);
    CU_ASSERT_EQUAL(vfm_run(vm, pkt, n, &v), VFM_SUCCESS);
    CU_ASSERT_EQUAL(v, 1);
    /* absent key: nothing counted, result 0 */
    n = pkt_build(&arp, pkt);
    CU_ASSERT_EQUAL(vfm_run(vm, pkt, n, &v), VFM_SUCCESS);
    CU_ASSERT_EQUAL(v, 0);
    vfm_destroy(vm);

    /* The manual's rate limiter: the 100th SYN from a source is refused. */
    vm = vfm_create();
    CU_ASSERT_EQUAL(run_on(vm, "(and (= proto 6) (< (count-by src-ip) 100))", &a), 1);
    n = pkt_build(&a, pkt);
    for (int i = 2; i <= 99; i++)
        CU_ASSERT(vfm_run(vm, pkt, n, &v) == VFM_SUCCESS && v == 1);
    CU_ASSERT(vfm_run(vm, pkt, n, &v) == VFM_SUCCESS && v == 0);
    vfm_destroy(vm);

    /* flow-count is the same counter operation. */
    vm = vfm_create();
    CU_ASSERT_EQUAL(run_on(vm, "(flow-count (+ dst-port 1))", &a), 1);
    n = pkt_build(&a, pkt);
    CU_ASSERT(vfm_run(vm, pkt, n, &v) == VFM_SUCCESS && v == 2);
    vfm_destroy(vm);

    /* count-by in an if condition and arm; the key can be any number. */
    pkt_spec_t s = TCP4;
    CU_ASSERT_EQUAL(run1("(if (> (count-by flow-hash) 0) 7 8)", &s), 7);
    CU_ASSERT_EQUAL(run1("(+ (count-by 42) (count-by 42))", &s), 3);
}

static void test_forms_load(void)
{
    static const run_case_t cases[] = {
        {"(load u16 12)", TCP4, 0x0800},
        {"(load u8 23)", TCP4, 6},
        {"(load u32 26)", TCP4, 0x0a000001},
        {"(load u64 26)", TCP4, 0x0a0000010a000002},
        {"(load u16 (+ 10 2))", TCP4, 0x0800},
        {"(load u16 (+ 14 (* (& (load u8 14) 15) 4) 2))", TCP4_OPT, 80}, /* indexed */
        {"(load-ip u8 9)", TCP4, 6},
        {"(load-ip u8 9)", ARP, 0}, /* not IPv4: absent */
        {"(load-ip u16 (+ 1 1))", TCP4, 40},
        {"(load-ip6 u8 6)", UDP6, 17},
        {"(load-ip6 u8 6)", TCP4, 0},
        {"(load-tcp u16 2)", TCP4_OPT, 80},
        {"(load-tcp u8 13)", TCP4_RR, 2},
        {"(load-tcp u8 (+ 12 1))", TCP4_RR, 2},
        {"(load-tcp u8 13)", UDP4, 0},
        {"(load-tcp u8 13)", FRAG4, 0},
        {"(load-udp u16 2)", UDP4, 53},
        {"(load-udp u16 2)", TCP4, 0},
        {"(load-icmp u8 0)", ICMP4, 8},
        {"(load-icmp u8 0)", TCP4, 0},
        /* past the captured length: the whole filter rejects */
        {"(load u8 2000)", TCP4, VFM_ERROR_BOUNDS},
        {"(or (= proto 6) (= (load u8 2000) 1))", TCP4, 1}, /* never loaded */
        {"(or (= proto 17) (= (load u8 2000) 1))", TCP4, VFM_ERROR_BOUNDS},
    };
    run_cases(cases, N_ELEMS(cases));
}

static void test_forms_names(void)
{
    static const run_case_t cases[] = {
        {"(let ((a 1) (b (+ a 1))) (+ a b))", TCP4, 3},
        {"(let ((p dst-port)) (and (> p 79) (< p 81)))", TCP4, 1},
        {"(let ((a 1)) (let ((a 2)) a))", TCP4, 2},
        {"(define x 5) (+ x 1)", TCP4, 6},
        {"(define x 5) (define y (* x 2)) (+ x y)", TCP4, 15},
        {"(define (sq v) (* v v)) (sq 7)", TCP4, 49},
        {"(define (in-range v lo hi) (and (>= v lo) (<= v hi))) (in-range dst-port 1 1023)", TCP4,
         1},
        {"(define (svc p) (or (= src-port p) (= dst-port p))) (svc 1024)", TCP4, 1},
        {"(define lan 10.0.0.0/8) (in-net src-ip lan)", TCP4, 1},
        {"(define (f a) (+ a 1)) (define (g a) (f (f a))) (g 1)", TCP4, 3},
        {"(define web (or (= dst-port 80) (= dst-port 443))) (and (= proto tcp) web)", TCP4, 1},
        /* named constants */
        {"(= proto tcp)", TCP4, 1},
        {"(= proto udp)", UDP4, 1},
        {"(= proto icmp)", ICMP4, 1},
        {"(= proto sctp)", SCTP4, 1},
        {"(= ip6-nh icmp6)", ICMP6, 1},
        {"(= tcp-flags syn)", TCP4, 1},
        {"(= (| fin syn rst psh ack urg ece cwr) 0xff)", TCP4, 1},
        {"(= ethertype ipv4)", TCP4, 1},
        {"(= ethertype arp)", ARP, 1},
        {"(= ethertype ipv6)", TCP6, 1},
        {"(+ true false)", TCP4, 1},
        {"(= (+ igmp ipip ipv6-in-ip gre esp ah ospf pim vrrp) (+ 2 4 41 47 50 51 89 103 112))",
         TCP4, 1},
        {"(= (+ rarp vlan qinq mpls pppoe lldp) (+ 0x8035 0x8100 0x88a8 0x8847 0x8864 0x88cc))",
         TCP4, 1},
    };
    run_cases(cases, N_ELEMS(cases));
}

static void test_forms_literals(void)
{
    static const run_case_t cases[] = {
        {"(= src-ip 10.0.0.1)", TCP4, 1},
        {"(= dst-ip 10.0.0.1)", TCP4, 0},
        {"(in-net src-ip 10.0.0.0/8)", TCP4, 1},
        {"(in-net src-ip 10.0.0.0/32)", TCP4, 0},
        {"(in-net src-ip 10.0.0.1/32)", TCP4, 1},
        {"(in-net src-ip 0.0.0.0/0)", TCP4, 1},
        {"(in-net src-ip 0.0.0.0/0)", ARP, 0}, /* still needs IPv4 */
        {"(in-net src-ip 192.168.0.0/16)", TCP4, 0},
        {"(in-net (+ src-ip 0x01000000) 11.0.0.0/8)", TCP4, 1},
        {"(in-net src-ip6 fe80::/10)", TCP6, 1},
        {"(in-net src-ip6 fe80::/10)", TCP4, 0},
        {"(in-net dst-ip6 ::1/128)", TCP6, 1},
        {"(in-net dst-ip6 ::/0)", TCP6, 1},
        {"(in-net dst-ip6 ::/0)", TCP4, 0},
        {"(in-net src-ip6 2001:db8::/32)", TCP6, 0},
        {"(= src-ip6 fe80::1)", TCP6, 1},
        {"(= src-ip6 fe80::2)", TCP6, 0},
        {"(!= src-ip6 fe80::2)", TCP6, 1},
        {"(!= src-ip6 fe80::1)", TCP6, 0},
        {"(!= src-ip6 fe80::1)", TCP4, 0}, /* absent: false */
        {"(= fe80::1 src-ip6)", TCP6, 1},
        {"(not (= src-ip6 fe80::1))", TCP4, 1},
        {"(in-net src-ip6 fe80::0:0:0:0/127)", {.l3 = P3_IPV6, .src6_last = 1}, 1},
        {"(in-net src-ip6 fe80::0:0:0:0/127)", {.l3 = P3_IPV6, .src6_last = 2}, 0},
        {"(if (in-net src-ip6 fe80::/16) 3 4)", TCP6, 3},
        {"(+ 1 (if (= dst-ip6 ::1) 1 0))", TCP6, 2},
    };
    run_cases(cases, N_ELEMS(cases));
}

/* ---- every field, on every kind of packet ----------------------------------------------- */

static void test_fields(void)
{
    static const run_case_t cases[] = {
        /* ethertype: ether[12:2]; the tag on VLAN frames, the length on 802.3 */
        {"ethertype", TCP4, 0x0800},
        {"ethertype", VLAN_TCP4, 0x8100},
        {"ethertype", LLC, 100},
        {"ethertype", ARP, 0x0806},
        {"ethertype", TCP6, 0x86dd},
        /* proto: ip[9], IPv4 only (not IPv6, not inside VLAN tags or LLC) */
        {"proto", TCP4, 6},
        {"(= proto 6)", VLAN_TCP4, 0},
        {"(= proto 6)", LLC, 0},
        {"(= proto 6)", TCP6, 0},
        {"(= proto 6)", FRAG4, 1}, /* fragments still have a protocol */
        {"src-ip", TCP4, 0x0a000001},
        {"dst-ip", TCP4, 0x0a000002},
        {"ip-len", TCP4, 40},
        {"ip-len", TCP4_OPT, 44},
        {"ip-tos", {.tos = 0xb8}, 0xb8},
        {"ip-id", TCP4, 0x1234},
        {"ip-ttl", {.ttl = 7}, 7},
        {"ip-hl", TCP4_RR, 60},
        {"ip-frag-offset", FRAG4, 185},
        {"ip-frag-offset", TCP4, 0},
        /* ports: behind the real header length; TCP, UDP, SCTP; IPv4 or IPv6 */
        {"dst-port", TCP4, 80},
        {"src-port", TCP4, 1024},
        {"dst-port", TCP4_OPT, 80},
        {"dst-port", TCP4_RR, 80},
        {"dst-port", UDP4, 53},
        {"dst-port", SCTP4, 80},
        {"dst-port", UDP6, 53},
        {"src-port", TCP6, 1024},
        {"(= dst-port 80)", ICMP4, 0},
        {"(= dst-port 53)", FRAG4_UDP, 0}, /* non-first fragment */
        {"(= dst-port 80)", VLAN_TCP4, 0},
        {"(= dst-port 80)", ARP, 0},
        {"(= dst-port 80)", ICMP6, 0},
        /* tcp-flags: tcp[13], IPv4 TCP first fragments */
        {"tcp-flags", TCP4, 2},
        {"tcp-flags", {.flags = 0x12, .ihl = 8}, 0x12},
        {"(= tcp-flags 2)", UDP4, 0},
        {"(= tcp-flags 2)", FRAG4, 0},
        {"(= tcp-flags 2)", TCP6, 0},
        {"tcp-win", TCP4, 0x2000},
        {"icmp-type", ICMP4, 8},
        {"icmp-code", ICMP4, 0},
        {"(= icmp-type 8)", TCP4, 0},
        /* IPv6 */
        {"ip6-nh", UDP6, 17},
        {"ip6-plen", UDP6, 8},
        {"ip6-hlim", TCP6, 64},
        {"(= ip6-nh 6)", TCP4, 0},
        /* VLAN */
        {"vlan-id", VLAN_TCP4, 5},
        {"vlan-id", {.vlan = 1}, 0},
        {"(= vlan-id 5)", TCP4, 0},
        /* whole packet */
        {"vlan-ethertype", VLAN_TCP4, 0x0800},
        {"(= vlan-ethertype 0x0800)", TCP4, 0},
        {"caplen", TCP4, 54},
        {"(= flow-hash 0)", ARP, 1},
        {"(!= flow-hash 0)", TCP4, 1},
        /* top-level field of an absent kind: 0 */
        {"proto", ARP, 0},
        {"dst-port", ICMP4, 0},
    };
    run_cases(cases, N_ELEMS(cases));
}

/* Truncated packets: a load past the captured length rejects, like classic BPF. */
static void test_fields_truncated(void)
{
    static const run_case_t cases[] = {
        {"(= proto 6)", {.cut = 23}, VFM_ERROR_BOUNDS},
        {"(= proto 6)", {.cut = 24}, 1},
        {"(= ethertype 0x0800)", {.cut = 13}, VFM_ERROR_BOUNDS},
        {"(= dst-port 80)", {.cut = 37}, VFM_ERROR_BOUNDS},
        {"(= dst-port 80)", {.cut = 38}, 1},
        {"(= tcp-flags 2)", {.cut = 47}, VFM_ERROR_BOUNDS},
        /* never loaded, so never a bounds error: tcpdump agrees */
        {"(or (= proto 6) (= dst-port 80))", {.cut = 24}, 1},
        {"(and (= proto 17) (= dst-port 80))", {.cut = 24}, 0},
        {"(= proto 6)", {.l3 = P3_ARP, .cut = 14}, 0},
    };
    run_cases(cases, N_ELEMS(cases));
}

/* The same IPv4/IPv6 packets under every supported link type. */
static void test_link_types(void)
{
    static const char *const filters[] = {
        "(and (= proto 6) (= dst-port 80))",
        "(= dst-port 80)",
        "(= ethertype 0x0800)",
        "(and (= ethertype 0x86dd) (= ip6-nh 6) (= dst-port 80))",
        "(= tcp-flags 2)",
        "(in-net src-ip6 fe80::/10)",
    };
    /* expected for: IPv4 TCP to 80, IPv6 TCP to 80 */
    static const int want4[] = {1, 1, 1, 0, 1, 0};
    static const int want6[] = {0, 1, 0, 1, 0, 1};
    for (int link = PL_ETH; link <= PL_LOOP; link++) {
        for (size_t f = 0; f < N_ELEMS(filters); f++) {
            pkt_spec_t v4 = {.link = (enum pkt_link)link};
            pkt_spec_t v6 = {.link = (enum pkt_link)link, .l3 = P3_IPV6};
            if (link != PL_IPV6) {
                int64_t got = run1(filters[f], &v4);
                if (got != want4[f])
                    fprintf(stderr, "\n  link %d IPv4 %s -> %lld\n", link, filters[f],
                            (long long)got);
                CU_ASSERT_EQUAL(got, want4[f]);
            }
            if (link != PL_IPV4) {
                int64_t got = run1(filters[f], &v6);
                if (got != want6[f])
                    fprintf(stderr, "\n  link %d IPv6 %s -> %lld\n", link, filters[f],
                            (long long)got);
                CU_ASSERT_EQUAL(got, want6[f]);
            }
        }
    }
    /* ethertype on links without one comes from the IP version. */
    pkt_spec_t raw6 = {.link = PL_RAW, .l3 = P3_IPV6}, raw4 = {.link = PL_RAW};
    CU_ASSERT_EQUAL(run1("ethertype", &raw6), 0x86dd);
    CU_ASSERT_EQUAL(run1("ethertype", &raw4), 0x0800);
    CU_ASSERT_EQUAL(run1("(= ethertype 0x0806)", &raw4), 0);
    CU_ASSERT_EQUAL(run1("(!= ethertype 0x0806)", &raw4), 1);
    pkt_spec_t sll_arp = {.link = PL_SLL, .l3 = P3_ARP};
    CU_ASSERT_EQUAL(run1("(= ethertype arp)", &sll_arp), 1);
    /* vlan-id exists on Ethernet only. */
    pkt_spec_t sll = {.link = PL_SLL};
    CU_ASSERT_EQUAL(run1("(= vlan-id 0)", &sll), 0);
}

/* ---- error messages ----------------------------------------------------------------------- */

typedef struct err_case {
    const char *src;
    const char *msg; /* the first line, after "<string>:" */
} err_case_t;

static void test_errors(void)
{
    static const err_case_t cases[] = {
        /* reader */
        {"[= proto 6]", "1:1: unexpected '[': VFLisp uses only ( and )"},
        {"(= proto \"tcp\")", "1:10: unexpected '\"': VFLisp has no strings"},
        {"'(= proto 6)", "1:1: unexpected ''': VFLisp has no quoting or reader macros"},
        {"(= proto $x)", "1:10: unexpected character '$'"},
        {"(= proto \x01)", "1:10: unexpected byte 0x01"},
        {"(= proto 99999999999999999999)",
         "1:10: number '99999999999999999999' does not fit in 64 bits"},
        {"(= proto 12ab)", "1:10: malformed number '12ab'"},
        {"(= proto 0x)", "1:10: malformed number '0x'"},
        {"(= proto 0b102)", "1:10: malformed number '0b102'"},
        {"(in-net src-ip 10.0.0.0/33)", "1:16: bad prefix length in '10.0.0.0/33' (0..32)"},
        {"(in-net src-ip 10.0.0.0/)", "1:16: bad prefix length in '10.0.0.0/' (0..32)"},
        {"(= src-ip 1.2.3)", "1:11: malformed IPv4 address '1.2.3' (need 4 numbers)"},
        {"(= src-ip 1.2.3.256)", "1:11: malformed IPv4 address '1.2.3.256'"},
        {"(= src-ip 1.2..3)", "1:11: malformed IPv4 address '1.2..3'"},
        {"(in-net src-ip 10.0.0.1/8)",
         "1:16: '10.0.0.1/8' has bits set beyond the /8 prefix (did you mean 10.0.0.0/8?)"},
        {"(= src-ip6 fe80:::1)", "1:12: malformed IPv6 address 'fe80:::1'"},
        {"(in-net src-ip6 fe80::1/10)", "1:17: 'fe80::1/10' has bits set beyond the /10 prefix"},
        {"(in-net src-ip6 fe80::/129)", "1:17: bad prefix length in 'fe80::/129' (0..128)"},
        {"(= proto 6", "1:1: unclosed '(': missing ')' before the end of the input"},
        {"(= proto 6))", "1:12: unexpected ')' (no matching '(')"},
        /* program structure */
        {"", "1:1: empty program: expected a filter expression such as (= proto 6)"},
        {"  ; only a comment\n",
         "1:1: empty program: expected a filter expression such as (= proto 6)"},
        {"(= proto 6) (= proto 17)",
         "1:1: a program is (define ...) forms followed by one filter expression; this "
         "expression is not the last form"},
        {"(define x 1)", "1:1: the program ends with a define: add the filter expression after it"},
        {"10.0.0.0/8", "1:1: a filter must be a number or a truth value, not an IPv4 prefix"},
        {"src-ip6", "1:1: a filter must be a number or a truth value, not an IPv6 address field"},
        {"u16", "1:1: a filter must be a number or a truth value, not a load width"},
        /* names */
        {"(= dst-prot 80)", "1:4: unknown name 'dst-prot' (did you mean 'dst-port'?)"},
        {"(= protocol 6)", "1:4: unknown name 'protocol'"},
        {"(= proto tpc)", "1:10: unknown name 'tpc' (did you mean 'tcp'?)"},
        {"(nto (= proto 6))", "1:2: unknown operator 'nto' (did you mean 'not'?)"},
        {"(frobnicate 1)", "1:2: unknown operator 'frobnicate'"},
        {"(proto 6)", "1:2: 'proto' is a packet field, not an operator (as in (= proto ...))"},
        {"(tcp 6)", "1:2: 'tcp' is a named constant, not an operator"},
        {"(define x 1) (x 2)", "1:15: 'x' names a value, not a function"},
        {"(define (f a) a) (+ f 1)", "1:21: 'f' is a function; call it as (f ...)"},
        {"(+ and 1)", "1:4: 'and' is an operator; write (and ...)"},
        {"()", "1:1: empty list: expected (OPERATOR ARGUMENT...)"},
        {"((= proto 6))", "1:2: expected an operator name here, not a list"},
        {"(6 proto)", "1:2: expected an operator name here, not a literal (a list starts with its "
                      "operator, as in (= proto 6))"},
        /* arity */
        {"(not (= proto 6) 1)", "1:18: 'not' takes 1 argument, got 2"},
        {"(not)", "1:2: 'not' takes 1 argument, got 0"},
        {"(= proto)", "1:2: '=' takes 2 arguments, got 1"},
        {"(+ 1)", "1:2: '+' takes at least 2 arguments, got 1"},
        {"(-)", "1:2: '-' takes at least 1 argument, got 0"},
        {"(and)", "1:2: 'and' takes at least 1 argument, got 0"},
        {"(if (= proto 6) 1)", "1:2: 'if' takes 3 arguments, got 2: (if CONDITION THEN ELSE)"},
        {"(<< 1 2 3)", "1:9: '<<' takes 2 arguments, got 3"},
        {"(count-by)", "1:2: 'count-by' takes 1 argument, got 0"},
        {"(load u8)", "1:2: 'load' takes 2 arguments, got 1"},
        {"(in-net src-ip)", "1:2: 'in-net' takes 2 arguments, got 1: (in-net ADDRESS PREFIX)"},
        {"(define (f a) a) (f 1 2)", "1:23: 'f' takes 1 argument, got 2"},
        /* types */
        {"(+ (= proto 6) 1)", "1:4: argument 1 of '+' must be a number, not a truth value (use (if "
                              "TEST 1 0) to make a number of it)"},
        {"(= proto (= ip-ttl 1))",
         "1:10: argument 2 of '=' must be a number, not a truth value (use "
         "(if TEST 1 0) to make a number of it)"},
        {"(count-by (= proto 6))", "1:11: argument 1 of 'count-by' must be a number, not a truth "
                                   "value (use (if TEST 1 0) to make a number of it)"},
        {"(= src-ip 10.0.0.0/8)", "1:11: argument 2 of '=' must be a number, not an IPv4 prefix "
                                  "(test a prefix with (in-net FIELD PREFIX))"},
        {"(+ src-ip6 1)",
         "1:4: argument 1 of '+' must be a number, not an IPv6 address field (IPv6 "
         "addresses work with =, != and in-net only)"},
        {"(+ u8 1)", "1:4: argument 1 of '+' must be a number, not a load width (widths go only in "
                     "the load forms)"},
        {"(+ ::1 1)", "1:4: argument 1 of '+' must be a number, not an IPv6 address"},
        {"(and 10.0.0.0/8)", "1:6: argument 1 of 'and' must be a number or a truth value, not an "
                             "IPv4 prefix (test a prefix with (in-net FIELD PREFIX))"},
        {"(if 1 2 u16)", "1:9: argument 3 of 'if' must be a number or a truth value, not a load "
                         "width (widths go only in the load forms)"},
        {"(load 2 12)", "1:7: argument 1 of 'load' must be a width: u8, u16, u32 or u64"},
        {"(load u16 u8)",
         "1:11: argument 2 of 'load' must be a number, not a load width (widths go "
         "only in the load forms)"},
        {"(load u16 70000)", "1:11: offset 70000 is too large (the limit is 65535)"},
        {"(load-ip u16 65530)", "1:14: offset 65544 from the start of the packet is too large (the "
                                "limit is 65535)"},
        {"(in-net src-ip 10.0.0.1)", "1:16: argument 2 of 'in-net' must be a prefix such as "
                                     "10.0.0.0/8 or 2001:db8::/32"},
        {"(in-net src-ip fe80::/10)",
         "1:9: argument 1 of 'in-net' must be src-ip6 or dst-ip6 for an "
         "IPv6 prefix, not a number"},
        {"(in-net src-ip6 10.0.0.0/8)", "1:9: argument 1 of 'in-net' must be a number (an IPv4 "
                                        "address) for an IPv4 prefix, not an IPv6 address field"},
        {"(< src-ip6 ::1)",
         "1:2: IPv6 addresses can only be compared with = and != (or tested with "
         "in-net)"},
        {"(= src-ip6 fe80::/10)", "1:12: src-ip6 can only be compared with an IPv6 address such as "
                                  "::1, not a prefix (use in-net)"},
        {"(= src-ip6 1)",
         "1:12: src-ip6 can only be compared with an IPv6 address such as ::1, not "
         "a number"},
        {"(/ ip-len 0)", "1:11: division by zero"},
        {"(% 5 (- 3 3))", "1:6: division by zero"},
        /* zero only on the paths the compiler knows are taken */
        {"(and (= proto 6) (% 10 (if (= proto 17) 1 0)))",
         "1:24: division by zero (the divisor is always 0 here)"},
        /* let and define */
        {"(let x)", "1:2: 'let' takes 2 arguments, got 1: (let ((NAME EXPR) ...) BODY)"},
        {"(let x (+ x 1))", "1:6: let needs a list of bindings: (let ((NAME EXPR) ...) BODY)"},
        {"(let ((x)) x)", "1:7: a let binding is (NAME EXPR): (let ((NAME EXPR) ...) BODY)"},
        {"(let ((1 2)) 3)", "1:8: the first element of a let binding must be a name"},
        {"(let ((proto 2)) 3)", "1:8: 'proto' is a packet field; choose another name"},
        {"(let ((tcp 2)) 3)", "1:8: 'tcp' is a named constant; choose another name"},
        {"(let ((and 2)) 3)", "1:8: 'and' is an operator; choose another name"},
        {"(let ((u8 2)) 3)", "1:8: 'u8' is a load width; choose another name"},
        {"(let ((n (count-by src-ip))) n)",
         "1:10: the value of 'n' uses count-by/flow-count: a name stands for its expression, so "
         "the counter would be bumped at every use; call count-by directly instead"},
        {"(let ((a 1)) (+ a b))", "1:19: unknown name 'b'"},
        {"(define) 1",
         "1:2: 'define' takes 2 arguments, got 0: (define NAME EXPR) or (define (NAME "
         "PARAM...) BODY)"},
        {"(define () 1) 1", "1:9: define needs a name: (define NAME EXPR) or (define (NAME "
                            "PARAM...) BODY)"},
        {"(define 5 1) 1", "1:9: the name in define must be a name"},
        {"(define x 1) (define x 2) x", "1:22: 'x' is already defined (line 1)"},
        {"(define (f a a) a) (f 1 1)", "1:14: parameter 'a' appears twice"},
        {"(define (f 1) 1) (f 1)", "1:12: a parameter must be a name"},
        {"(define (f dst-port) 1) (f 1)",
         "1:12: 'dst-port' is a packet field; choose another name"},
        {"(define (f a) (+ a 1)) (f (count-by src-ip))",
         "1:27: the argument for 'a' uses count-by/flow-count: a name stands for its expression, "
         "so the counter would be bumped at every use; call count-by directly instead"},
        {"(define c (count-by src-ip)) c",
         "1:11: the value of 'c' uses count-by/flow-count: a name stands for its expression, so "
         "the counter would be bumped at every use; call count-by directly instead"},
        {"(+ 1 (define x 2))", "1:7: define is only allowed at the top level, before the filter "
                               "expression (use let inside expressions)"},
        {"(define (f a) (g a)) (f 1)", "1:16: unknown operator 'g'"},
        {"(define (f a) (f a)) (f 1)", "1:16: unknown operator 'f'"}, /* no recursion */
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        uint8_t *bc = NULL;
        uint32_t len;
        vfl_diag_t d;
        int rc = vfl_compile_ex(cases[i].src, strlen(cases[i].src), NULL, &bc, &len, &d);
        char want[600];
        snprintf(want, sizeof want, "<string>:%s", cases[i].msg);
        if (rc == VFM_SUCCESS || strcmp(d.msg, want) != 0)
            fprintf(stderr, "\n  %s\n   got: %s\n  want: %s\n", cases[i].src,
                    rc == VFM_SUCCESS ? "(compiled)" : d.msg, want);
        CU_ASSERT_EQUAL(rc, VFM_ERROR_INVALID_PROGRAM);
        CU_ASSERT_STRING_EQUAL(d.msg, want);
        CU_ASSERT_PTR_NULL(bc);
        free(bc);
    }
}

/* Nesting and size limits are errors with a location, not crashes. */
static void test_errors_limits(void)
{
    vfl_diag_t d;
    uint8_t *bc = NULL;
    uint32_t len;
    size_t n = 300;
    char *deep = malloc(6 * n + 16);
    size_t p = 0;
    for (size_t i = 0; i < n; i++)
        p += (size_t)sprintf(deep + p, "(+ 1");
    deep[p++] = ' ';
    deep[p++] = '1';
    for (size_t i = 0; i < n; i++)
        deep[p++] = ')';
    CU_ASSERT_EQUAL(vfl_compile_ex(deep, p, NULL, &bc, &len, &d), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_STRING_EQUAL(d.msg,
                           "<string>:1:801: expression nested too deeply (limit 200 levels)");
    free(deep);

    /* 199 levels is fine (and folds to a constant). */
    n = 199;
    deep = malloc(6 * n + 16);
    p = 0;
    for (size_t i = 0; i < n; i++)
        p += (size_t)sprintf(deep + p, "(+ 1");
    p += (size_t)sprintf(deep + p, " ip-ttl");
    for (size_t i = 0; i < n; i++)
        deep[p++] = ')';
    CU_ASSERT_EQUAL(vfl_compile_ex(deep, p, NULL, &bc, &len, &d), VFM_SUCCESS);
    free(bc);
    free(deep);

    /* Too much code. */
    size_t cap = 40 * 9000 + 16;
    char *big = malloc(cap);
    p = (size_t)sprintf(big, "(or");
    for (unsigned i = 0; i < 9000; i++)
        p += (size_t)sprintf(big + p, " (= src-ip %u)", 0x10000000u + i);
    p += (size_t)sprintf(big + p, ")");
    CU_ASSERT_EQUAL(vfl_compile_ex(big, p, NULL, &bc, &len, &d), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT(strstr(d.msg, "program too large: more than 65535 bytes of code") != NULL);

    /* A jump longer than 32767 bytes. */
    p = (size_t)sprintf(big, "(if (= proto 6) (or");
    for (unsigned i = 0; i < 4000; i++)
        p += (size_t)sprintf(big + p, " (= src-ip %u)", 0x10000000u + i);
    p += (size_t)sprintf(big + p, ") 0)");
    CU_ASSERT_EQUAL(vfl_compile_ex(big, p, NULL, &bc, &len, &d), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT(strstr(d.msg, "program too large: a jump spans") != NULL);
    free(big);
}

/* ---- generated code ------------------------------------------------------------------------ */

static void test_codegen(void)
{
    char *t;
    /* comparisons in branch position are one conditional jump, no SUB/DUP dance */
    t = listing("(= proto 6)");
    CU_ASSERT_STRING_EQUAL(
        t, "LD16 12\nPUSH16 0x800\nJNE +11 (-> 20)\nLD8 23\nPUSH8 6\nJNE +3 (-> 20)\n"
           "PUSH8 1\nRET\nPUSH8 0\nRET\n");
    free(t);
    /* constants fold */
    t = listing("(+ 1 2 3)");
    CU_ASSERT_STRING_EQUAL(t, "PUSH8 6\nRET\n");
    free(t);
    t = listing("(and (> 2 1) (= proto 6))");
    CU_ASSERT_EQUAL(count_of(t, "JNE"), 2);
    CU_ASSERT_EQUAL(count_of(t, "PUSH8 2"), 0);
    free(t);
    /* dead branches vanish */
    t = listing("(if 1 (= proto 6) (= proto 17))");
    CU_ASSERT_EQUAL(count_of(t, "17"), 0);
    free(t);
    t = listing("(if (= ethertype 0x86dd) (= proto 6) (= ip6-nh 17))");
    CU_ASSERT_EQUAL(count_of(t, "LD8 23"), 0); /* proto is IPv4: false under IPv6 */
    CU_ASSERT_EQUAL(count_of(t, "LD8 20"), 0); /* ip6-nh is IPv6: false in the else arm */
    free(t);
    /* guards established once are not repeated */
    t = listing("(and (= proto 6) (= dst-port 80) (& tcp-flags 0x18))");
    CU_ASSERT_EQUAL(count_of(t, "LD16 12"), 1);
    CU_ASSERT_EQUAL(count_of(t, "LD8 23"), 1);
    CU_ASSERT_EQUAL(count_of(t, "LD16 20"), 1); /* the fragment test */
    CU_ASSERT_EQUAL(count_of(t, "LD16 56"), 0); /* no IPv6 path after proto */
    free(t);
    /* one field compared with several constants is loaded once */
    t = listing("(or (= dst-port 80) (= dst-port 443) (= dst-port 8080))");
    CU_ASSERT_EQUAL(count_of(t, "LDX16 16"), 1);
    CU_ASSERT_EQUAL(count_of(t, "LD16 56"), 1);
    free(t);
    /* the port is read behind the real IPv4 header length */
    t = listing("(= dst-port 80)");
    CU_ASSERT(strstr(t, "LD8 14\nPUSH8 15\nAND\nPUSH8 2\nSHL\nLDX16 16\n") != NULL);
    free(t);
    /* known protocol: the port set test is skipped */
    t = listing("(and (= proto 17) (= dst-port 53))");
    CU_ASSERT_EQUAL(count_of(t, "PUSH16 132"), 0);
    free(t);
    /* a comparison the path already decides is dropped */
    t = listing("(and (= proto 6) (= proto 6))");
    CU_ASSERT_EQUAL(count_of(t, "LD8 23"), 1);
    free(t);
    t = listing("(and (= proto 6) (= proto 17))");
    CU_ASSERT_EQUAL(count_of(t, "PUSH8 17"), 0);
    CU_ASSERT_EQUAL(count_of(t, "PUSH8 1\nRET"), 0); /* never true */
    free(t);
    t = listing("(= dst-port 70000)");
    CU_ASSERT_STRING_EQUAL(t, "PUSH8 0\nRET\n");
    free(t);
    /* count-by: LD key; DUP; FLOW_LOAD; +1; SWAP; OVER; FLOW_STORE */
    t = listing("(count-by 7)");
    CU_ASSERT_STRING_EQUAL(t,
                           "PUSH8 7\nDUP\nFLOW_LOAD\nPUSH8 1\nADD\nSWAP\nOVER\nFLOW_STORE\nRET\n");
    free(t);
}

/* ---- the manual's examples ---------------------------------------------------------------------
 */

static void test_manual_examples(void)
{
    static const char *const examples[] = {
        "; Accept all IPv4 TCP packets\n(and (= ethertype 0x0800)\n     (= proto 6))",
        "(= proto 6)",
        "(and (= proto 6)\n     (= dst-port 80))",
        "(and (= proto 17)\n     (> ip-len 1400))",
        "(and (= proto 6)\n     (or (= dst-port 80)\n         (= dst-port 443)))",
        "(if (= proto 6)\n    (< (flow-count src-ip) 100)\n    1)",
        "(+ 10 20)",
        "(- 100 25)",
        "(* 6 7)",
        "(/ 100 4)",
        "(% 17 5)",
        "(+ 1 2 3 4)",
        "(* 2 3 4)",
        "(= proto 6)",
        "(!= src-port 80)",
        "(> ip-len 1400)",
        "(>= tcp-flags 2)",
        "(< dst-port 1024)",
        "(<= ip-len 576)",
        "(and (= proto 6) (= dst-port 80))",
        "(or (= dst-port 80) (= dst-port 443))",
        "(not (= proto 17))",
        "(and (= ethertype 0x0800)    ; Check IPv4 first\n     (= proto 6)             ; Only "
        "check if IPv4\n     (= dst-port 443))       ; Only check if TCP",
        "(or (= dst-port 80)          ; Check HTTP first\n    (= dst-port 443)         ; Check "
        "HTTPS if not HTTP\n    (= dst-port 8080))       ; Check alt-HTTP if neither",
        "(& tcp-flags 0x02)",
        "(if (= proto 6) 1 0)",
        "(if (= ethertype 0x0800)\n    (if (= proto 6)\n        (if (= dst-port 80) 1 0)\n        "
        "0)\n    1)",
        "(or (= proto 6) (= proto 17))",
        "(not (= proto 1))",
        "(and (= proto 6)\n     (> dst-port 1024))",
        "(and (= proto 6)\n     (= dst-port 22))",
        "(and (= proto 6)\n     (= dst-port 80)\n     (& tcp-flags 0x18))  ; PSH+ACK flags",
        "(and (= proto 6)\n     (= tcp-flags 0x02))  ; SYN only",
        "(and (= proto 6)\n     (< (count-by src-ip) 100))",
        "(if (= ethertype 0x0800)               ; IPv4 only\n    (if (= proto 6)                   "
        " ; TCP traffic\n        (or (= dst-port 80)            ; HTTP\n            (= dst-port "
        "443)           ; HTTPS\n            (= dst-port 22)            ; SSH\n            (= "
        "dst-port 25)            ; SMTP\n            (= dst-port 993))          ; IMAPS\n        "
        "(if (= proto 17)               ; UDP traffic\n            (or (= dst-port 53)        ; "
        "DNS\n                (= dst-port 123))      ; NTP\n            0))                        "
        "; Block other protocols\n    1)                                 ; Accept non-IPv4",
        "(if (and (= proto 6)\n         (= dst-port 22))              ; SSH traffic\n    (if (> "
        "(count-by src-ip) 10)       ; Too many connections\n        0                             "
        " ; Block\n        1)                             ; Allow\n    (if (and (= proto 17)\n     "
        "        (> ip-len 1024))          ; Large UDP\n        0                              ; "
        "Block potential amplification\n        1))                            ; Allow other "
        "traffic",
    };
    pkt_spec_t pkts[] = {TCP4, UDP4, ARP, TCP6, FRAG4, {.cut = 20}};
    for (size_t i = 0; i < N_ELEMS(examples); i++) {
        uint32_t len;
        uint8_t *bc = compile(examples[i], 1, &len);
        CU_ASSERT_PTR_NOT_NULL(bc);
        if (!bc)
            continue;
        vfm_state_t *vm = vfm_create();
        CU_ASSERT_EQUAL(vfm_load_program(vm, bc, len), VFM_SUCCESS);
        for (size_t k = 0; k < N_ELEMS(pkts); k++) {
            uint8_t pkt[256];
            size_t n = pkt_build(&pkts[k], pkt);
            uint64_t v;
            int rc = vfm_run(vm, pkt, n, &v);
            CU_ASSERT(rc == VFM_SUCCESS || rc == VFM_ERROR_BOUNDS);
        }
        vfm_destroy(vm);
        free(bc);
    }
    /* The security filter: the 11th SSH packet from a source is blocked. */
    pkt_spec_t ssh = {.dport = 22};
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_EQUAL(run_on(vm, examples[N_ELEMS(examples) - 1], &ssh), 1);
    uint8_t pkt[256];
    size_t n = pkt_build(&ssh, pkt);
    uint64_t v = 9;
    for (int i = 2; i <= 10; i++)
        CU_ASSERT(vfm_run(vm, pkt, n, &v) == VFM_SUCCESS && v == 1);
    CU_ASSERT(vfm_run(vm, pkt, n, &v) == VFM_SUCCESS && v == 0);
    vfm_destroy(vm);
}

/* ---- threads and robustness --------------------------------------------------------------------
 */

static const char *const thread_src =
    "(define (svc p) (or (= src-port p) (= dst-port p)))\n"
    "(if (= ethertype ipv4) (and (= proto tcp) (or (svc 80) (svc 443) (in-net dst-ip 10.0.0.0/8)))"
    " (in-net src-ip6 fe80::/10))";

static void *thread_main(void *arg)
{
    const uint8_t *ref = ((uint8_t **)arg)[0];
    uint32_t ref_len = *(uint32_t *)((uint8_t **)arg)[1];
    intptr_t bad = 0;
    for (int i = 0; i < 200; i++) {
        uint8_t *bc;
        uint32_t len;
        char err[256];
        if (vfl_compile_string(thread_src, &bc, &len, err, sizeof err) != VFM_SUCCESS) {
            bad++;
            continue;
        }
        if (len != ref_len || memcmp(bc, ref, len) != 0)
            bad++;
        free(bc);
        if (vfl_compile_string("(= nope 1)", &bc, &len, err, sizeof err) == VFM_SUCCESS ||
            strstr(err, "unknown name 'nope'") == NULL)
            bad++;
    }
    return (void *)bad;
}

static void test_threads(void)
{
    uint8_t *ref;
    uint32_t ref_len;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(vfl_compile_string(thread_src, &ref, &ref_len, err, sizeof err), 0);
    void *arg[2] = {ref, &ref_len};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(pthread_create(&th[i], NULL, thread_main, arg), 0);
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(th[i], &bad);
        CU_ASSERT_PTR_NULL(bad);
    }
    free(ref);
}

/*
 * Random programs from a soup of tokens: each must either compile (and then
 * verify, load and run without a VM error other than the packet-dependent
 * ones) or fail with a located message.  Catches crashes and verifier
 * rejections of generated code (a compiler bug) that hand-written cases miss.
 */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static void gen_expr(uint64_t *rng, char *buf, size_t *p, size_t cap, int depth)
{
    static const char *const atoms[] = {
        "proto",     "dst-port", "src-port", "ip-len",   "tcp-flags", "ethertype",
        "src-ip",    "ip-ttl",   "ip6-nh",   "vlan-id",  "icmp-type", "caplen",
        "1",         "0",        "6",        "17",       "80",        "0x800",
        "443",       "tcp",      "syn",      "10.0.0.1", "ip-hl",     "ip-frag-offset",
        "flow-hash", "-1"};
    static const char *const ops[] = {"+",        "-",    "*",        "/",      "%",  "&",   "|",
                                      "^",        "<<",   ">>",       "~",      "=",  "!=",  ">",
                                      ">=",       "<",    "<=",       "and",    "or", "not", "if",
                                      "count-by", "load", "load-tcp", "in-net", "let"};
    if (*p + 200 > cap)
        return;
    if (depth > 5 || rng_next(rng) % 3 == 0) {
        *p += (size_t)snprintf(buf + *p, cap - *p, " %s", atoms[rng_next(rng) % N_ELEMS(atoms)]);
        return;
    }
    const char *op = ops[rng_next(rng) % N_ELEMS(ops)];
    *p += (size_t)snprintf(buf + *p, cap - *p, " (%s", op);
    if (strcmp(op, "load") == 0 || strcmp(op, "load-tcp") == 0) {
        *p += (size_t)snprintf(buf + *p, cap - *p, " u%d", 8 << (rng_next(rng) % 4));
    } else if (strcmp(op, "in-net") == 0) {
        gen_expr(rng, buf, p, cap, depth + 1);
        *p += (size_t)snprintf(buf + *p, cap - *p, " 10.0.0.0/%d)", (int)(rng_next(rng) % 3) * 8);
        return;
    } else if (strcmp(op, "let") == 0) {
        *p += (size_t)snprintf(buf + *p, cap - *p, " ((v");
        gen_expr(rng, buf, p, cap, depth + 1);
        *p += (size_t)snprintf(buf + *p, cap - *p, "))");
    }
    unsigned nargs = 1 + (unsigned)(rng_next(rng) % 3);
    for (unsigned i = 0; i < nargs; i++)
        gen_expr(rng, buf, p, cap, depth + 1);
    *p += (size_t)snprintf(buf + *p, cap - *p, ")");
}

static void test_random_programs(void)
{
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    pkt_spec_t pkts[] = {TCP4, TCP4_OPT, UDP4,      ARP,   TCP6,
                         UDP6, FRAG4,    VLAN_TCP4, ICMP4, {.cut = 30}};
    uint8_t frames[N_ELEMS(pkts)][256];
    size_t lens[N_ELEMS(pkts)];
    for (size_t k = 0; k < N_ELEMS(pkts); k++)
        lens[k] = pkt_build(&pkts[k], frames[k]);
    unsigned compiled = 0, bad = 0;
    const char *env = getenv("VFL_RANDOM_PROGRAMS");
    int iterations = env ? atoi(env) : 3000;
    for (int i = 0; i < iterations; i++) {
        char src[4096];
        size_t p = 0;
        gen_expr(&rng, src, &p, sizeof src, 0);
        int dlt = (i % 7 == 0) ? 113 : (i % 11 == 0) ? 12 : 1;
        vfl_options_t o;
        vfl_options_init(&o);
        o.linktype = dlt;
        vfl_diag_t d;
        uint8_t *bc = NULL;
        uint32_t len;
        int rc = vfl_compile_ex(src, p, &o, &bc, &len, &d);
        if (rc != VFM_SUCCESS) {
            /* Every failure is a located source error, never a compiler bug. */
            if (rc != VFM_ERROR_INVALID_PROGRAM || d.line == 0) {
                fprintf(stderr, "\n  %s\n  -> %d %s\n", src, rc, d.msg);
                bad++;
            }
            continue;
        }
        compiled++;
        vfm_state_t *vm = vfm_create();
        if (vfm_load_program(vm, bc, len) != VFM_SUCCESS) {
            fprintf(stderr, "\n  %s\n  -> load: %s\n", src, vfm_last_error(vm));
            bad++;
        }
        for (size_t k = 0; k < N_ELEMS(pkts); k++) {
            uint64_t v;
            int r = vfm_run(vm, frames[k], lens[k], &v);
            if (r != VFM_SUCCESS && r != VFM_ERROR_BOUNDS && r != VFM_ERROR_DIVISION_BY_ZERO) {
                fprintf(stderr, "\n  %s\n  -> run: %d\n", src, r);
                bad++;
            }
        }
        vfm_destroy(vm);
        free(bc);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(iterations < 3000 || compiled > 300); /* the generator reaches the back end */
}

/*
 * The same layer-3 packet under Ethernet, SLL, SLL2, raw IP, NULL and LOOP
 * headers must get the same verdict from the same random program (compiled
 * for each link type), unless the program reads the link layer itself.
 */
static void test_link_invariance(void)
{
    static const enum pkt_link links[] = {PL_ETH, PL_SLL, PL_SLL2, PL_RAW, PL_NULL, PL_LOOP};
    pkt_spec_t base[] = {TCP4,
                         TCP4_RR,
                         UDP4,
                         SCTP4,
                         ICMP4,
                         FRAG4,
                         FRAG4_UDP,
                         TCP6,
                         UDP6,
                         ICMP6,
                         {.flags = 0x18, .ihl = 7, .sport = 80, .dport = 1234}};
    uint64_t rng = 0x243f6a8885a308d3ull;
    unsigned compared = 0, bad = 0;
    for (int i = 0; i < 1500; i++) {
        char src[4096];
        size_t p = 0;
        gen_expr(&rng, src, &p, sizeof src, 0);
        if (strstr(src, "ethertype") || strstr(src, "vlan") || strstr(src, "caplen") ||
            strstr(src, "(load u") || strstr(src, "flow-hash"))
            continue;
        uint8_t *bc[N_ELEMS(links)] = {0};
        uint32_t len[N_ELEMS(links)];
        bool ok = true;
        for (size_t l = 0; l < N_ELEMS(links) && ok; l++) {
            vfl_options_t o;
            vfl_options_init(&o);
            o.linktype = pkt_dlt(links[l]);
            ok = vfl_compile_ex(src, p, &o, &bc[l], &len[l], NULL) == VFM_SUCCESS;
        }
        for (size_t k = 0; ok && k < N_ELEMS(base); k++) {
            int64_t first = 0;
            for (size_t l = 0; l < N_ELEMS(links); l++) {
                pkt_spec_t s = base[k];
                s.link = links[l];
                vfm_state_t *vm = vfm_create();
                vfm_load_program(vm, bc[l], len[l]);
                uint8_t pkt[256];
                size_t n = pkt_build(&s, pkt);
                uint64_t v = 0;
                int rc = vfm_run(vm, pkt, n, &v);
                vfm_destroy(vm);
                int64_t r = rc != VFM_SUCCESS ? rc : (int64_t)v;
                if (l == 0)
                    first = r;
                else if (r != first) {
                    fprintf(stderr, "\n  %s\n  packet %zu: link %d gives %lld, Ethernet %lld\n",
                            src, k, pkt_dlt(links[l]), (long long)r, (long long)first);
                    bad++;
                }
            }
            compared++;
        }
        for (size_t l = 0; l < N_ELEMS(links); l++)
            free(bc[l]);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(compared > 1000);
}

/* ---- main ------------------------------------------------------------------------------------ */

int main(void)
{
    CU_TestInfo api[] = {
        {"compile_string", test_api_compile_string},
        {"errors", test_api_errors},
        {"compile_ex", test_api_ex},
        {"compile_file", test_api_file},
        CU_TEST_INFO_NULL,
    };
    CU_TestInfo forms[] = {
        {"arithmetic", test_forms_arith},
        {"comparisons", test_forms_compare},
        {"and/or/not", test_forms_logic},
        {"if", test_forms_if},
        {"count-by/flow-count", test_forms_count},
        {"load forms", test_forms_load},
        {"let/define/constants", test_forms_names},
        {"addresses and prefixes", test_forms_literals},
        CU_TEST_INFO_NULL,
    };
    CU_TestInfo fields[] = {
        {"every field", test_fields},
        {"truncated packets", test_fields_truncated},
        {"link types", test_link_types},
        CU_TEST_INFO_NULL,
    };
    CU_TestInfo errors[] = {
        {"messages", test_errors},
        {"limits", test_errors_limits},
        CU_TEST_INFO_NULL,
    };
    CU_TestInfo code[] = {
        {"generated code", test_codegen},
        {"manual examples", test_manual_examples},
        {"threads", test_threads},
        {"random programs", test_random_programs},
        {"link-type invariance", test_link_invariance},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {
        {"api", NULL, NULL, NULL, NULL, api},       {"forms", NULL, NULL, NULL, NULL, forms},
        {"fields", NULL, NULL, NULL, NULL, fields}, {"errors", NULL, NULL, NULL, NULL, errors},
        {"code", NULL, NULL, NULL, NULL, code},     CU_SUITE_INFO_NULL,
    };
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
