/*
 * test_filter.c - the plugin's filter engine (src/filter.c) without
 * Wireshark: verdicts, messages, code per link type, flow state and its
 * reset.  Runs in the sanitizer build with leak checks, which tshark cannot.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "vfm/vfm.h"

/* Ethernet/IPv4/TCP 10.0.0.1:1024 -> 10.0.0.2:80, SYN (54 bytes). */
static const uint8_t tcp80[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00, 0x0a, 0x00,
    0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x04, 0x00, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00};
#define ETH_LEN 14

static vfmws_filter_t *make(const char *src)
{
    char err[512] = "";
    vfmws_filter_t *f = vfmws_filter_new("t", src, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL(f);
    CU_ASSERT_STRING_EQUAL(err, "");
    return f;
}

static void test_verdicts(void)
{
    vfmws_filter_t *f = make("(if (= proto 6) dst-port 0)");
    if (!f)
        return;
    CU_ASSERT_STRING_EQUAL(vfmws_filter_name(f), "t");
    CU_ASSERT_STRING_EQUAL(vfmws_filter_source(f), "(if (= proto 6) dst-port 0)");
    vfmws_verdict_t v;
    vfmws_filter_run(f, 1, tcp80, sizeof tcp80, &v);
    CU_ASSERT_EQUAL(v.status, VFMWS_ACCEPT);
    CU_ASSERT_EQUAL(v.value, 80);
    CU_ASSERT_EQUAL(v.error, 0);
    uint8_t udp[sizeof tcp80];
    memcpy(udp, tcp80, sizeof udp);
    udp[23] = 17;
    vfmws_filter_run(f, 1, udp, sizeof udp, &v);
    CU_ASSERT_EQUAL(v.status, VFMWS_REJECT);
    CU_ASSERT_EQUAL(v.value, 0);
    vfmws_filter_free(f);
}

static void test_run_error(void)
{
    vfmws_filter_t *f = make("(= (load u32 52) 0)");
    if (!f)
        return;
    vfmws_verdict_t v;
    vfmws_filter_run(f, 1, tcp80, sizeof tcp80, &v);
    CU_ASSERT_EQUAL(v.status, VFMWS_RUN_ERROR);
    CU_ASSERT_EQUAL(v.error, VFM_ERROR_BOUNDS);
    CU_ASSERT_STRING_EQUAL(v.why, vfm_error_string(VFM_ERROR_BOUNDS));
    vfmws_filter_run(f, 1, NULL, 0, &v); /* an empty frame */
    CU_ASSERT_EQUAL(v.status, VFMWS_RUN_ERROR);
    vfmws_filter_free(f);
}

static void test_compile_error(void)
{
    char err[512] = "";
    vfmws_filter_t *f = vfmws_filter_new("web", "(= dst-prot 80)", err, sizeof err);
    CU_ASSERT_PTR_NULL(f);
    CU_ASSERT_STRING_EQUAL(err, "web:1:4: unknown name 'dst-prot' (did you mean 'dst-port'?)");
    f = vfmws_filter_new("x", "", err, sizeof err);
    CU_ASSERT_PTR_NULL(f);
    CU_ASSERT_NOT_EQUAL(err[0], '\0');
}

/* The same IP packet, as Ethernet and as raw IP: each gets its own code. */
static void test_linktypes(void)
{
    vfmws_filter_t *f = make("(= dst-port 80)");
    if (!f)
        return;
    vfmws_verdict_t v;
    vfmws_filter_run(f, 12, tcp80 + ETH_LEN, sizeof tcp80 - ETH_LEN, &v);
    CU_ASSERT_EQUAL(v.status, VFMWS_ACCEPT);
    vfmws_filter_run(f, 1, tcp80 + ETH_LEN, sizeof tcp80 - ETH_LEN, &v);
    CU_ASSERT_EQUAL(v.status, VFMWS_REJECT); /* read as Ethernet: no IPv4 */
    vfmws_filter_run(f, 1, tcp80, sizeof tcp80, &v);
    CU_ASSERT_EQUAL(v.status, VFMWS_ACCEPT);
    /* A link type VFLisp does not know: no code, and the reason. */
    vfmws_filter_run(f, 105, tcp80, sizeof tcp80, &v);
    CU_ASSERT_EQUAL(v.status, VFMWS_NO_CODE);
    CU_ASSERT_PTR_NOT_NULL(v.why);
    CU_ASSERT_PTR_EQUAL(vfmws_filter_no_code_why(f, 105), v.why);
    CU_ASSERT_PTR_NULL(vfmws_filter_no_code_why(f, 1));
    CU_ASSERT_PTR_NULL(vfmws_filter_no_code_why(f, 113)); /* not met yet */
    /* More link types than slots: refused, not overwritten or overflowed. */
    for (int lt = 150; lt < 150 + 2 * VFMWS_LINKTYPES_MAX; lt++) {
        vfmws_filter_run(f, lt, tcp80, sizeof tcp80, &v);
        CU_ASSERT_EQUAL(v.status, VFMWS_NO_CODE);
    }
    vfmws_filter_run(f, 12, tcp80 + ETH_LEN, sizeof tcp80 - ETH_LEN, &v);
    CU_ASSERT_EQUAL(v.status, VFMWS_ACCEPT);
    vfmws_filter_free(f);
}

/* count-by: counts per VM; a reset starts again from zero. */
static void test_flow_reset(void)
{
    vfmws_filter_t *f = make("(< (count-by src-ip) 3)");
    if (!f)
        return;
    vfmws_verdict_t v;
    int got[4];
    for (int i = 0; i < 4; i++) {
        vfmws_filter_run(f, 1, tcp80, sizeof tcp80, &v);
        got[i] = v.status;
    }
    CU_ASSERT_EQUAL(got[0], VFMWS_ACCEPT);
    CU_ASSERT_EQUAL(got[1], VFMWS_ACCEPT);
    CU_ASSERT_EQUAL(got[2], VFMWS_REJECT);
    CU_ASSERT_EQUAL(got[3], VFMWS_REJECT);
    vfmws_filter_reset(f);
    vfmws_filter_run(f, 1, tcp80, sizeof tcp80, &v);
    CU_ASSERT_EQUAL(v.status, VFMWS_ACCEPT);
    vfmws_filter_free(f);
    vfmws_filter_free(NULL);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("wireshark-filter", NULL, NULL);
    CU_add_test(s, "verdicts", test_verdicts);
    CU_add_test(s, "run-time error", test_run_error);
    CU_add_test(s, "compile error", test_compile_error);
    CU_add_test(s, "code per link type", test_linktypes);
    CU_add_test(s, "flow state and reset", test_flow_reset);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
