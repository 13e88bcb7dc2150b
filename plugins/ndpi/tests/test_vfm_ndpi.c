/*
 * test_vfm_ndpi.c - CUnit tests of the libvfm-ndpi API with the real nDPI:
 * create, feed, classify, give up, the helper inside a real VM (interpreter
 * and JIT), ids <-> names, destroy (leaks checked under ASan).
 */
#include <CUnit/Basic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfm/helpers.h"
#include "vfm/vflisp.h"
#include "vfm/vfm_ndpi.h"

/* ---- packets ------------------------------------------------------------------------ */

/* Ethernet + IPv4 + UDP from 10.0.0.1:@p sport to 10.0.0.2:@p dport (or back). */
static size_t udp4(uint8_t *p, bool reply, uint16_t sport, uint16_t dport, const uint8_t *payload,
                   size_t n)
{
    static const uint8_t eth[14] = {0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00};
    memcpy(p, eth, 14);
    uint8_t *ip = p + 14;
    size_t tot = 20 + 8 + n;
    memset(ip, 0, 28);
    ip[0] = 0x45;
    ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot;
    ip[8] = 64, ip[9] = 17;
    uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    memcpy(ip + 12, reply ? b : a, 4);
    memcpy(ip + 16, reply ? a : b, 4);
    uint8_t *udp = ip + 20;
    uint16_t s = reply ? dport : sport, d = reply ? sport : dport;
    udp[0] = (uint8_t)(s >> 8), udp[1] = (uint8_t)s, udp[2] = (uint8_t)(d >> 8), udp[3] = (uint8_t)d;
    udp[4] = (uint8_t)((8 + n) >> 8), udp[5] = (uint8_t)(8 + n);
    memcpy(udp + 8, payload, n);
    return 14 + tot;
}

/* A DNS query for example.com (A), or its answer. */
static size_t dns(uint8_t *p, bool reply)
{
    uint8_t m[64] = {0x12, 0x34, reply ? 0x81 : 0x01, reply ? 0x80 : 0x00, 0, 1, 0, reply ? 1 : 0,
                     0,    0,    0,    0};
    static const uint8_t q[] = {7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1};
    static const uint8_t ans[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 93, 184, 216, 34};
    size_t n = 12;
    memcpy(m + n, q, sizeof q);
    n += sizeof q;
    if (reply) {
        memcpy(m + n, ans, sizeof ans);
        n += sizeof ans;
    }
    return udp4(p, reply, 33000, 53, m, n);
}

static size_t arp(uint8_t *p)
{
    static const uint8_t f[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 1, 0x08, 0x06,
                                  0,    1,    8,    0,    6,    4,    0, 1, 0, 0, 0, 0, 0, 1, 10, 0,
                                  0,    1,    0,    0,    0,    0,    0, 0, 10, 0, 0, 2};
    memcpy(p, f, sizeof f);
    return sizeof f;
}

static uint64_t app_of(vfm_ndpi_t *c, const char *name)
{
    uint64_t id = 0xdead;
    CU_ASSERT_EQUAL_FATAL(vfm_ndpi_app_id(c, name, &id), 0);
    return id;
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_create(void)
{
    char err[128] = "";
    CU_ASSERT_PTR_NULL(vfm_ndpi_create(147, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "link type 147"));
    CU_ASSERT_FALSE(vfm_ndpi_linktype_supported(147));
    CU_ASSERT_TRUE(vfm_ndpi_linktype_supported(276));
    vfm_ndpi_t *c = vfm_ndpi_create(1, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(vfm_ndpi_flow_count(c), 0);
    CU_ASSERT(vfm_ndpi_protocol_count(c) > 200);
    CU_ASSERT_EQUAL(vfm_ndpi_feed(NULL, NULL, 0, 0, NULL, NULL), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NOT_NULL(strstr(vfm_ndpi_ndpi_version(), "4."));
    vfm_ndpi_destroy(c);
    vfm_ndpi_destroy(NULL);
}

/* Every protocol name maps back to an id of that name; pairs and case. */
static void test_names(void)
{
    vfm_ndpi_t *c = vfm_ndpi_create(1, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    char name[VFM_NDPI_NAME_MAX], back[VFM_NDPI_NAME_MAX];
    unsigned n = vfm_ndpi_protocol_count(c), checked = 0;
    for (unsigned id = 0; id < n; id++) {
        vfm_ndpi_app_name(c, VFM_NDPI_APP(0, id), name, sizeof name);
        uint64_t got;
        if (vfm_ndpi_app_id(c, name, &got) != 0) {
            fprintf(stderr, "\n  no id for '%s' (%u)\n", name, id);
            CU_FAIL("a protocol name does not resolve");
            continue;
        }
        vfm_ndpi_app_name(c, got, back, sizeof back);
        CU_ASSERT_STRING_EQUAL(back, name);
        checked++;
    }
    CU_ASSERT_EQUAL(checked, n);
    CU_ASSERT_EQUAL(app_of(c, "DNS"), 5);
    CU_ASSERT_EQUAL(app_of(c, "dns"), 5);
    CU_ASSERT_EQUAL(app_of(c, "Unknown"), 0);
    uint64_t pair = app_of(c, "TLS.Google");
    CU_ASSERT_EQUAL(VFM_NDPI_APP_MASTER(pair), VFM_NDPI_APP_PROTO(app_of(c, "TLS")));
    CU_ASSERT_EQUAL(VFM_NDPI_APP_PROTO(pair), VFM_NDPI_APP_PROTO(app_of(c, "Google")));
    CU_ASSERT_STRING_EQUAL(vfm_ndpi_app_name(c, pair, name, sizeof name), "TLS.Google");
    CU_ASSERT_STRING_EQUAL(vfm_ndpi_app_name(c, app_of(c, "Z39.50"), name, sizeof name), "Z39.50");
    uint64_t id;
    CU_ASSERT_EQUAL(vfm_ndpi_app_id(c, "NoSuchApp", &id), -1);
    CU_ASSERT_EQUAL(vfm_ndpi_app_id(c, "TLS.NoSuchApp", &id), -1);
    CU_ASSERT_EQUAL(vfm_ndpi_app_id(c, "", &id), -1);
    CU_ASSERT_EQUAL(vfm_ndpi_resolve(c, "DNS", &id), 0);
    CU_ASSERT_EQUAL(id, 5);
    vfm_ndpi_app_name(c, VFM_NDPI_APP(0, 60000), name, sizeof name);
    CU_ASSERT_PTR_NOT_NULL(strstr(name, "Unknown("));
    vfm_ndpi_destroy(c);
}

/* Both directions are one flow; DNS is named on the first packet; ARP has no flow. */
static void test_feed(void)
{
    vfm_ndpi_t *c = vfm_ndpi_create(1, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    uint8_t p[128];
    uint64_t app = 99;
    int64_t flow = 99;
    size_t n = dns(p, false);
    CU_ASSERT_EQUAL(vfm_ndpi_feed(c, p, n, 1000000, &app, &flow), 1);
    CU_ASSERT_EQUAL(app, 5);
    CU_ASSERT_EQUAL(flow, 0);
    size_t m = dns(p, true);
    CU_ASSERT_EQUAL(vfm_ndpi_feed(c, p, m, 1000500, &app, &flow), 1);
    CU_ASSERT_EQUAL(flow, 0);
    size_t a = arp(p);
    CU_ASSERT_EQUAL(vfm_ndpi_feed(c, p, a, 1001000, &app, &flow), 0);
    CU_ASSERT_EQUAL(app, VFM_NDPI_NO_FLOW);
    CU_ASSERT_EQUAL(flow, -1);
    CU_ASSERT_EQUAL(vfm_ndpi_lookup(c, p, a, &app), 0);
    CU_ASSERT_EQUAL(vfm_ndpi_flow_count(c), 1);
    vfm_ndpi_flow_t f;
    CU_ASSERT_EQUAL(vfm_ndpi_flow_get(c, 0, &f), VFM_SUCCESS);
    CU_ASSERT_EQUAL(f.ip_version, 4);
    CU_ASSERT_EQUAL(f.proto, 17);
    CU_ASSERT_EQUAL(f.packets, 2);
    CU_ASSERT_EQUAL(f.bytes, dns(p, false) + m);
    CU_ASSERT_EQUAL(f.sport, 33000);
    CU_ASSERT_EQUAL(f.dport, 53);
    CU_ASSERT_EQUAL(f.src[3], 1);
    CU_ASSERT_EQUAL(f.app, 5);
    CU_ASSERT_EQUAL(f.first_packet, 1);
    CU_ASSERT_EQUAL(vfm_ndpi_flow_get(c, 1, &f), VFM_ERROR_INVALID_ARGUMENT);

    /* reset: no flows, numbering starts again, the same packet is DNS again. */
    vfm_ndpi_reset(c);
    CU_ASSERT_EQUAL(vfm_ndpi_flow_count(c), 0);
    CU_ASSERT_EQUAL(vfm_ndpi_lookup(c, p, dns(p, false), &app), 0);
    CU_ASSERT_EQUAL(vfm_ndpi_feed(c, p, dns(p, false), 2000000, &app, &flow), 1);
    CU_ASSERT_EQUAL(flow, 0);
    CU_ASSERT_EQUAL(app, 5);
    CU_ASSERT_EQUAL(vfm_ndpi_flow_get(c, 0, &f), VFM_SUCCESS);
    CU_ASSERT_EQUAL(f.packets, 1);
    CU_ASSERT_EQUAL(f.first_packet, 1);
    vfm_ndpi_reset(NULL);
    vfm_ndpi_destroy(c);
}

/* A flow nDPI cannot name is Unknown until the end, then guessed by port. */
static void test_finish(void)
{
    vfm_ndpi_t *c = vfm_ndpi_create(1, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    uint8_t p[128], junk[48];
    memset(junk, 0xee, sizeof junk);
    size_t n = udp4(p, false, 40000, 123, junk, sizeof junk);
    uint64_t app = 99;
    CU_ASSERT_EQUAL(vfm_ndpi_feed(c, p, n, 0, &app, NULL), 1);
    CU_ASSERT_EQUAL(app, 0);
    vfm_ndpi_finish(c);
    CU_ASSERT_EQUAL(vfm_ndpi_lookup(c, p, n, &app), 1);
    CU_ASSERT_EQUAL(app, app_of(c, "NTP")); /* ndpiReader's guess by port */
    vfm_ndpi_finish(c);                     /* again: nothing left to give up */
    vfm_ndpi_destroy(c);
}

/* (= app "DNS") through CALL 61 in a real VM, on the interpreter and the JIT. */
static void run_filter(bool jit)
{
    vfm_ndpi_t *c = vfm_ndpi_create(1, NULL, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    uint8_t q[128], other[128], junk[20] = {1, 2, 3};
    size_t nq = dns(q, false), no = udp4(other, false, 40000, 40001, junk, sizeof junk);
    vfm_ndpi_feed(c, q, nq, 0, NULL, NULL);
    vfm_ndpi_feed(c, other, no, 0, NULL, NULL);
    vfm_ndpi_finish(c);

    uint8_t a[64];
    size_t na = arp(a);
    uint64_t oapp;
    CU_ASSERT_EQUAL(vfm_ndpi_lookup(c, other, no, &oapp), 1);
    /* DNS, the other flow (whatever nDPI guessed), ARP (no flow: app absent) */
    static const char *const srcs[] = {"(= app \"DNS\")", "(!= app \"DNS\")",
                                       "(= app \"Unknown\")", "(= app 5)"};
    const uint64_t want[][3] = {{1, 0, 0}, {0, 1, 0}, {0, oapp == 0, 0}, {1, 0, 0}};
    for (unsigned i = 0; i < 4; i++) {
        vfl_options_t o;
        vfl_options_init(&o);
        o.app_resolve = vfm_ndpi_resolve;
        o.app_user = c;
        uint8_t *bc = NULL;
        uint32_t len = 0;
        vfl_diag_t d;
        CU_ASSERT_EQUAL_FATAL(vfl_compile_ex(srcs[i], strlen(srcs[i]), &o, &bc, &len, &d), 0);
        vfm_state_t *vm = vfm_create();
        vfm_helper_t h;
        vfm_ndpi_helper(c, &h);
        CU_ASSERT_EQUAL(h.pushes, 1);
        CU_ASSERT_EQUAL(vfm_register_helper(vm, VFM_HELPER_APP, &h), VFM_SUCCESS);
        CU_ASSERT_EQUAL_FATAL(vfm_load_program(vm, bc, len), VFM_SUCCESS);
        if (jit && vfm_enable_jit(vm) != VFM_SUCCESS)
            fprintf(stderr, "\n  JIT not used: %s\n", vfm_jit_status(vm));
        uint64_t v = 99;
        CU_ASSERT_EQUAL(vfm_run(vm, q, nq, &v), VFM_SUCCESS);
        CU_ASSERT_EQUAL(v, want[i][0]);
        CU_ASSERT_EQUAL(vfm_run(vm, other, no, &v), VFM_SUCCESS);
        CU_ASSERT_EQUAL(v, want[i][1]);
        CU_ASSERT_EQUAL(vfm_run(vm, a, na, &v), VFM_SUCCESS);
        CU_ASSERT_EQUAL(v, want[i][2]);
        vfm_destroy(vm);
        free(bc);
    }
    vfm_ndpi_destroy(c);
}

static void test_helper_interp(void)
{
    run_filter(false);
}

static void test_helper_jit(void)
{
    run_filter(true);
}

/* Without a resolver `app` is a located error; with one, unknown names are. */
static void test_compile_errors(void)
{
    vfl_diag_t d;
    uint8_t *bc = NULL;
    uint32_t len;
    const char *src = "(= app \"DNS\")";
    CU_ASSERT_NOT_EQUAL(vfl_compile_ex(src, strlen(src), NULL, &bc, &len, &d), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "<string>:1:4: 'app'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "nDPI extension"));
    vfm_ndpi_t *c = vfm_ndpi_create(1, NULL, 0);
    vfl_options_t o;
    vfl_options_init(&o);
    CU_ASSERT_PTR_NULL(o.app_resolve);
    o.app_resolve = vfm_ndpi_resolve;
    o.app_user = c;
    src = "(or (= app \"HTTP\") (= app \"DSN\"))";
    CU_ASSERT_NOT_EQUAL(vfl_compile_ex(src, strlen(src), &o, &bc, &len, &d), 0);
    CU_ASSERT_STRING_EQUAL(d.msg, "<string>:1:27: unknown application \"DSN\" (nDPI protocol names "
                                  "such as \"DNS\", \"TLS\" or \"TLS.Google\"; vfm-classify "
                                  "--list-apps lists them)");
    vfm_ndpi_destroy(c);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("vfm_ndpi", NULL, NULL);
    CU_add_test(s, "create and destroy", test_create);
    CU_add_test(s, "ids <-> names", test_names);
    CU_add_test(s, "feed: one flow both ways, DNS; reset", test_feed);
    CU_add_test(s, "finish: give up with a guess", test_finish);
    CU_add_test(s, "helper in a VM: interpreter", test_helper_interp);
    CU_add_test(s, "helper in a VM: JIT", test_helper_jit);
    CU_add_test(s, "compile errors", test_compile_errors);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
