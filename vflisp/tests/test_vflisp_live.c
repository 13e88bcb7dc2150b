/*
 * test_vflisp_live.c - CUnit tests of vfl_options_t.live: VLAN fields of a
 * filter for a live Linux capture read the tag the kernel removed (ancillary
 * data, here played by two VM helpers) and fall back to a tag still in the
 * packet, like libpcap's `vlan` on a live handle.  Without live nothing
 * changes: no CALL in the code, tags read in the packet.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packets.h"
#include "vfm/bpf.h"
#include "vfm/bytecode.h"
#include "vfm/vflisp.h"
#include "vfm/vfm.h"

/* What the "kernel" reports for the packet being run: tag present?, TCI. */
typedef struct ancillary {
    uint64_t avail, tci;
    unsigned calls;
} ancillary_t;

static int helper_avail(void *user, const uint8_t *pkt, size_t len, const uint64_t *args,
                        uint64_t *result)
{
    (void)pkt, (void)len, (void)args;
    ancillary_t *a = user;
    a->calls++;
    *result = a->avail;
    return VFM_SUCCESS;
}

static int helper_tci(void *user, const uint8_t *pkt, size_t len, const uint64_t *args,
                      uint64_t *result)
{
    (void)pkt, (void)len, (void)args;
    ancillary_t *a = user;
    a->calls++;
    *result = a->tci;
    return VFM_SUCCESS;
}

static uint8_t *compile(const char *src, int live, int dlt, uint32_t *len)
{
    vfl_options_t o;
    vfl_options_init(&o);
    o.live = live;
    o.linktype = dlt;
    vfl_diag_t d;
    uint8_t *bc = NULL;
    if (vfl_compile_ex(src, strlen(src), &o, &bc, len, &d) != VFM_SUCCESS) {
        fprintf(stderr, "\n  compile failed: %s\n", d.msg);
        return NULL;
    }
    return bc;
}

/* Does the code of bytecode image @p bc contain a CALL? */
static int has_call(const uint8_t *bc, uint32_t len)
{
    const uint8_t *code;
    uint32_t code_len;
    if (vfm_bytecode_parse(bc, len, &code, &code_len, NULL, 0) != VFM_SUCCESS)
        return -1;
    for (uint32_t pc = 0; pc < code_len;) {
        const vfm_opinfo_t *info = vfm_opinfo(code[pc]);
        if (!info)
            return -1;
        if (info->flags & VFM_F_CALL)
            return 1;
        pc += info->size;
    }
    return 0;
}

/* Run @p src (live) on @p spec with the given ancillary data; result or error. */
static int64_t run_live(const char *src, const pkt_spec_t *spec, ancillary_t *anc)
{
    uint32_t len;
    uint8_t *bc = compile(src, 1, pkt_dlt(spec->link), &len);
    if (!bc)
        return -1000;
    vfm_state_t *vm = vfm_create();
    vfm_helper_t ha = {"vlan_avail", 0, 1, helper_avail, anc};
    vfm_helper_t ht = {"vlan_tci", 0, 1, helper_tci, anc};
    vfm_register_helper(vm, VFM_HELPER_VLAN_AVAIL, &ha);
    vfm_register_helper(vm, VFM_HELPER_VLAN_TCI, &ht);
    int rc = vfm_load_program(vm, bc, len);
    free(bc);
    if (rc != VFM_SUCCESS) {
        fprintf(stderr, "\n  load failed: %s\n", vfm_last_error(vm));
        vfm_destroy(vm);
        return rc;
    }
    uint8_t pkt[256];
    size_t n = pkt_build(spec, pkt);
    uint64_t v = 0;
    rc = vfm_run(vm, pkt, n, &v);
    vfm_destroy(vm);
    return rc != VFM_SUCCESS ? rc : (int64_t)v;
}

static void test_default_unchanged(void)
{
    /* live = 0 is the default and emits no helper call for any VLAN field. */
    vfl_options_t o;
    vfl_options_init(&o);
    CU_ASSERT_EQUAL(o.live, 0);
    const char *srcs[] = {"(= vlan-id 5)", "(= vlan-ethertype ipv4)", "(!= vlan-id 0)"};
    for (size_t i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
        uint32_t len;
        uint8_t *bc = compile(srcs[i], 0, 1, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
        CU_ASSERT_EQUAL(has_call(bc, len), 0);
        CU_ASSERT_EQUAL(vfm_verify(bc, len), VFM_SUCCESS);
        free(bc);
    }
}

static void test_live_code_needs_helpers(void)
{
    uint32_t len;
    uint8_t *bc = compile("(= vlan-id 5)", 1, 1, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    CU_ASSERT_EQUAL(has_call(bc, len), 1);
    /* Without the two helpers the verifier refuses it... */
    CU_ASSERT_EQUAL(vfm_verify(bc, len), VFM_ERROR_HELPER);
    free(bc);
    /* ...and filters that read no VLAN field are the same with or without live. */
    uint32_t l0, l1;
    uint8_t *a = compile("(and (= proto 6) (= dst-port 80))", 0, 1, &l0);
    uint8_t *b = compile("(and (= proto 6) (= dst-port 80))", 1, 1, &l1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(l0, l1);
    CU_ASSERT(l0 == l1 && memcmp(a, b, l0) == 0);
    free(a);
    free(b);
}

static void test_live_stripped_tag(void)
{
    /* The kernel removed tag 100 (priority 5): the frame itself is untagged IPv4. */
    pkt_spec_t ip4 = {0};
    ancillary_t anc = {.avail = 1, .tci = (5u << 13) | 100};
    CU_ASSERT_EQUAL(run_live("vlan-id", &ip4, &anc), 100);
    CU_ASSERT_EQUAL(run_live("(= vlan-id 100)", &ip4, &anc), 1);
    CU_ASSERT_EQUAL(run_live("(= vlan-id 5)", &ip4, &anc), 0);
    CU_ASSERT_EQUAL(run_live("vlan-ethertype", &ip4, &anc), 0x0800);
    CU_ASSERT_EQUAL(run_live("(= vlan-ethertype ipv4)", &ip4, &anc), 1);
    /* An IPv4 test first must not rule the tag out (the frame is IPv4 *and* tagged). */
    CU_ASSERT_EQUAL(run_live("(and (= proto 6) (= vlan-id 100))", &ip4, &anc), 1);
    CU_ASSERT_EQUAL(run_live("(and (= ethertype ipv4) (= vlan-ethertype ipv4))", &ip4, &anc), 1);
    CU_ASSERT(anc.calls > 0);
    /* The CFI/"tag present" bit some kernels set in the TCI is masked off. */
    ancillary_t old = {.avail = 1, .tci = 0x1000 | 7};
    CU_ASSERT_EQUAL(run_live("vlan-id", &ip4, &old), 7);
}

static void test_live_tag_in_packet(void)
{
    /* No ancillary tag: a tag still in the frame counts, as in a saved file. */
    pkt_spec_t tagged = {.vlan = 42 + 1};
    ancillary_t none = {0};
    CU_ASSERT_EQUAL(run_live("vlan-id", &tagged, &none), 42);
    CU_ASSERT_EQUAL(run_live("(= vlan-ethertype ipv4)", &tagged, &none), 1);
    /* Untagged and no ancillary tag: the field is absent, comparisons false. */
    pkt_spec_t plain = {0};
    CU_ASSERT_EQUAL(run_live("(= vlan-id 0)", &plain, &none), 0);
    CU_ASSERT_EQUAL(run_live("(!= vlan-id 0)", &plain, &none), 0);
    CU_ASSERT_EQUAL(run_live("(not (= vlan-ethertype ipv4))", &plain, &none), 1);
}

static void test_live_other_links(void)
{
    /* libpcap has no `vlan` for cooked/raw links; VFLisp keeps the field absent there. */
    pkt_spec_t sll = {.link = PL_SLL};
    ancillary_t anc = {.avail = 1, .tci = 9};
    CU_ASSERT_EQUAL(run_live("(= vlan-id 9)", &sll, &anc), 0);
    CU_ASSERT_EQUAL(anc.calls, 0u);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("vflisp-live", NULL, NULL);
    CU_add_test(s, "default (live = 0) unchanged", test_default_unchanged);
    CU_add_test(s, "live code needs the ancillary helpers", test_live_code_needs_helpers);
    CU_add_test(s, "live: tag removed by the kernel", test_live_stripped_tag);
    CU_add_test(s, "live: tag still in the packet", test_live_tag_in_packet);
    CU_add_test(s, "live: links without VLAN support", test_live_other_links);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
