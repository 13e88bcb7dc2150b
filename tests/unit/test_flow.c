/* test_flow.c - the flow table: sizing, growth, eviction, clear, memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "unit.h"

/* Stores pkt[0..7] -> pkt[8..15] (big-endian); returns table[key] before the store. */
static const char *store_src = "LD64 0\nDUP\nFLOW_LOAD\nSWAP\nLD64 8\nFLOW_STORE\nRET";
/* Loads table[pkt[0..7]]. */
static const char *load_src = "LD64 0\nFLOW_LOAD\nRET";

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static int put(vfm_state_t *vm, uint64_t key, uint64_t value)
{
    uint8_t pkt[16];
    be64(pkt, key);
    be64(pkt + 8, value);
    uint64_t r;
    return vfm_run(vm, pkt, sizeof pkt, &r);
}

/*
 * The value stored under @p key: load a reader program (the table belongs to
 * the VM and survives loads), run it, then reload the writer.
 */
static uint64_t get(vfm_state_t *vm, uint64_t key)
{
    uint32_t len;
    uint8_t *code = unit_asm(load_src, &len, 0);
    uint8_t pkt[8];
    be64(pkt, key);
    uint64_t r = 0xdead;
    CU_ASSERT_EQUAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_run(vm, pkt, sizeof pkt, &r), VFM_SUCCESS);
    free(code);
    code = unit_asm(store_src, &len, 0);
    CU_ASSERT_EQUAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    free(code);
    return r;
}

static vfm_flow_stats_t stats(const vfm_state_t *vm)
{
    vfm_flow_stats_t st;
    memset(&st, 0xee, sizeof st);
    vfm_flow_table_stats(vm, &st);
    return st;
}

static void test_sizes(void)
{
    static const struct {
        uint32_t ask, cap;
    } c[] = {{1, 4}, {3, 4}, {4, 4}, {5, 8}, {1000, 1024}, {4096, 4096}, {4097, 8192},
             {1u << 20, 1u << 20}};
    for (size_t i = 0; i < UNIT_ARRAY_LEN(c); i++) {
        vfm_state_t *vm = vfm_create();
        CU_ASSERT_EQUAL(vfm_flow_table_init(vm, c[i].ask), VFM_SUCCESS);
        vfm_flow_stats_t st = stats(vm);
        CU_ASSERT_EQUAL(st.capacity, c[i].cap);
        CU_ASSERT_EQUAL(st.entries, 0);
        CU_ASSERT_EQUAL(st.evictions, 0);
        CU_ASSERT(st.bytes >= (size_t)c[i].cap * 16);
        vfm_destroy(vm);
    }
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_EQUAL(vfm_flow_table_init(vm, 0), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_flow_table_init(vm, VFM_FLOW_MAX_ENTRIES + 1), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_flow_table_init(vm, UINT32_MAX), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(stats(vm).capacity, 0);
    vfm_destroy(vm);
}

static void test_no_table_until_needed(void)
{
    vfm_state_t *vm = vfm_create();
    vfm_flow_stats_t st = stats(vm);
    CU_ASSERT(st.capacity == 0 && st.entries == 0 && st.evictions == 0 && st.bytes == 0);
    vfm_destroy(vm);
    vm = unit_vm("RET 1"); /* no flow instructions: no table */
    CU_ASSERT_EQUAL(stats(vm).capacity, 0);
    vfm_flow_table_clear(vm); /* harmless without a table */
    vfm_destroy(vm);
    vm = unit_vm("RET 1\nFLOW_LOAD\nRET"); /* only unreachable ones: none needed */
    CU_ASSERT_EQUAL(stats(vm).capacity, 0);
    vfm_destroy(vm);
}

/* The default table: created at load, small enough that a whole VM stays under 1 MB. */
static void test_default_table_memory(void)
{
    vfm_state_t *vm = unit_vm(store_src);
    vfm_flow_stats_t st = stats(vm);
    CU_ASSERT_EQUAL(st.capacity, VFM_FLOW_DEFAULT_ENTRIES);
    CU_ASSERT(st.bytes > 0);
    size_t total = st.bytes + sizeof(struct vfm_state);
    if (total >= 1u << 20)
        printf("\n  a VM with the default flow table holds %zu bytes\n", total);
    CU_ASSERT(total < 1u << 20);
    /* an explicit table set before the load is kept */
    vfm_destroy(vm);
    vm = vfm_create();
    CU_ASSERT_EQUAL(vfm_flow_table_init(vm, 16), VFM_SUCCESS);
    uint32_t len;
    uint8_t *code = unit_asm(store_src, &len, 0);
    CU_ASSERT_EQUAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    CU_ASSERT_EQUAL(stats(vm).capacity, 16);
    free(code);
    vfm_destroy(vm);
}

static void test_growth_keeps_entries(void)
{
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_EQUAL(vfm_flow_table_init(vm, 4), VFM_SUCCESS);
    uint32_t len;
    uint8_t *code = unit_asm(store_src, &len, 0);
    CU_ASSERT_EQUAL_FATAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    free(code);
    for (uint64_t k = 1; k <= 3; k++)
        CU_ASSERT_EQUAL(put(vm, k << 40, k * 100), VFM_SUCCESS);
    CU_ASSERT_EQUAL(stats(vm).entries, 3);
    CU_ASSERT_EQUAL(vfm_flow_table_init(vm, 1024), VFM_SUCCESS);
    vfm_flow_stats_t st = stats(vm);
    CU_ASSERT_EQUAL(st.capacity, 1024);
    CU_ASSERT_EQUAL(st.entries, 3);
    for (uint64_t k = 1; k <= 3; k++)
        CU_ASSERT_EQUAL(get(vm, k << 40), k * 100);
    /* the grown table takes many more without evicting */
    for (uint64_t k = 10; k < 200; k++)
        CU_ASSERT_EQUAL(put(vm, k, k), VFM_SUCCESS);
    CU_ASSERT_EQUAL(stats(vm).entries, 193);
    /* shrinking keeps what fits */
    CU_ASSERT_EQUAL(vfm_flow_table_init(vm, 8), VFM_SUCCESS);
    st = stats(vm);
    CU_ASSERT_EQUAL(st.capacity, 8);
    CU_ASSERT(st.entries > 0 && st.entries <= 8);
    vfm_destroy(vm);
}

static void test_eviction(void)
{
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_EQUAL(vfm_flow_table_init(vm, 4), VFM_SUCCESS); /* one bucket of 4 */
    uint32_t len;
    uint8_t *code = unit_asm(store_src, &len, 0);
    CU_ASSERT_EQUAL_FATAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    free(code);
    for (uint64_t k = 1; k <= 4; k++)
        put(vm, k, k + 10);
    vfm_flow_stats_t st = stats(vm);
    CU_ASSERT_EQUAL(st.entries, 4);
    CU_ASSERT_EQUAL(st.evictions, 0);
    CU_ASSERT_EQUAL(get(vm, 1), 11); /* key 1 is now the most recently used */
    put(vm, 5, 15);                  /* evicts key 2 */
    st = stats(vm);
    CU_ASSERT_EQUAL(st.entries, 4);
    CU_ASSERT_EQUAL(st.evictions, 1);
    CU_ASSERT_EQUAL(get(vm, 2), 0);
    CU_ASSERT_EQUAL(get(vm, 1), 11);
    CU_ASSERT_EQUAL(get(vm, 5), 15);
    /* overwriting an existing key evicts nothing */
    put(vm, 5, 16);
    CU_ASSERT_EQUAL(stats(vm).evictions, 1);
    for (uint64_t k = 100; k < 110; k++)
        put(vm, k, 1);
    st = stats(vm);
    CU_ASSERT_EQUAL(st.evictions, 11);
    CU_ASSERT_EQUAL(st.entries, 4);
    vfm_destroy(vm);
}

static void test_clear(void)
{
    vfm_state_t *vm = unit_vm(store_src);
    for (uint64_t k = 1; k <= 50; k++)
        put(vm, k, k);
    CU_ASSERT_EQUAL(stats(vm).entries, 50);
    vfm_flow_table_clear(vm);
    vfm_flow_stats_t st = stats(vm);
    CU_ASSERT_EQUAL(st.entries, 0);
    CU_ASSERT_EQUAL(st.capacity, VFM_FLOW_DEFAULT_ENTRIES);
    for (uint64_t k = 1; k <= 50; k++)
        CU_ASSERT_EQUAL(get(vm, k), 0);
    put(vm, 7, 70);
    CU_ASSERT_EQUAL(get(vm, 7), 70);
    vfm_destroy(vm);
}

/* White box: vfmi_flow_* directly. */
static void test_internal_table(void)
{
    vfmi_flow_table_t *t = vfmi_flow_create(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    vfm_flow_stats_t st;
    vfmi_flow_stats(t, &st);
    CU_ASSERT_EQUAL(st.capacity, 4);
    CU_ASSERT_EQUAL(vfmi_flow_load(t, 0), 0);
    vfmi_flow_store(t, 0, 5); /* key 0 is a key like any other */
    CU_ASSERT_EQUAL(vfmi_flow_load(t, 0), 5);
    vfmi_flow_store(t, UINT64_MAX, UINT64_MAX);
    CU_ASSERT_EQUAL(vfmi_flow_load(t, UINT64_MAX), UINT64_MAX);
    vfmi_flow_stats(t, &st);
    CU_ASSERT_EQUAL(st.entries, 2);
    vfmi_flow_store(t, 0, 0); /* storing 0 frees the slot; it reads as 0 */
    CU_ASSERT_EQUAL(vfmi_flow_load(t, 0), 0);
    vfmi_flow_stats(t, &st);
    CU_ASSERT_EQUAL(st.entries, 1);
    vfmi_flow_store(t, 12345, 0); /* deleting a missing key is a no-op */
    vfmi_flow_stats(t, &st);
    CU_ASSERT_EQUAL(st.entries, 1);
    /* rehash into a bigger table */
    vfmi_flow_table_t *big = vfmi_flow_create(64);
    for (uint64_t k = 1; k <= 3; k++)
        vfmi_flow_store(t, k, k * 7);
    vfmi_flow_rehash(big, t);
    for (uint64_t k = 1; k <= 3; k++)
        CU_ASSERT_EQUAL(vfmi_flow_load(big, k), k * 7);
    CU_ASSERT_EQUAL(vfmi_flow_load(big, UINT64_MAX), UINT64_MAX);
    vfmi_flow_clear(big);
    vfmi_flow_stats(big, &st);
    CU_ASSERT_EQUAL(st.entries, 0);
    vfmi_flow_destroy(big);
    vfmi_flow_destroy(t);
    vfmi_flow_destroy(NULL);

    /* many keys: entries never exceed capacity; the last key stored is always found */
    t = vfmi_flow_create(256);
    uint64_t seed = 42;
    for (int i = 0; i < 100000; i++) {
        uint64_t k = unit_rand(&seed) % 5000, v = unit_rand(&seed) | 1;
        vfmi_flow_store(t, k, v);
        CU_ASSERT_EQUAL(vfmi_flow_load(t, k), v);
    }
    vfmi_flow_stats(t, &st);
    CU_ASSERT(st.entries <= st.capacity);
    CU_ASSERT(st.evictions > 0);
    vfmi_flow_destroy(t);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"vfm_flow_table_init sizes and rounding", test_sizes},
        {"no table until a program needs one", test_no_table_until_needed},
        {"default table memory, VM < 1 MB", test_default_table_memory},
        {"re-init grows and keeps entries", test_growth_keeps_entries},
        {"full bucket evicts least recently used", test_eviction},
        {"clear", test_clear},
        {"internal table", test_internal_table},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"flow", NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    return unit_main(suites);
}
