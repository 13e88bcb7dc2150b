/*
 * test_batch.c - vfm_run_batch() is vfm_run() on each packet in order.
 *
 * Every check runs the same program on two fresh VMs configured alike: one
 * through vfm_run() packet by packet (the reference), one through
 * vfm_run_batch() in bursts.  Codes, values, the accepted count and the
 * flow table's figures must match, on the interpreter and on the JIT, for
 * the example filters, programs that fail (bounds, division by zero,
 * helpers, the loop budget), flow counters whose values depend on every
 * packet before, and every output combination (results and codes, either,
 * neither).  Then the argument contract: NULL vm, no program, NULL arrays,
 * n = 0, n > INT_MAX, NULL or empty packets.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mix.h"
#include "unit.h"
#include "vfm/asm.h"

/* ---- packets ---------------------------------------------------------------- */

/*
 * The traffic model's records (TCP/UDP/ICMP, IPv6, VLAN, fragments, runts,
 * truncations), then the edge cases: empty packets (a real pointer and a
 * NULL one), one byte, and random bytes.
 */
enum { NMIX = 600, NEDGE = 40, NPKTS = NMIX + NEDGE };

typedef struct pktset {
    uint8_t *arena;
    vfm_packet_t pkt[NPKTS];
    size_t n;
} pktset_t;

static pktset_t g_pk;

static int make_packets(void)
{
    g_pk.arena = malloc((size_t)NPKTS * PG_FRAME_MAX);
    pg_mix_t *mix = malloc(sizeof *mix);
    if (!g_pk.arena || !mix) {
        free(mix);
        return -1;
    }
    pg_mix_init(mix, 42);
    uint8_t *p = g_pk.arena;
    for (int i = 0; i < NMIX; i++, p += PG_FRAME_MAX) {
        pg_rec_t rec;
        if (pg_mix_next(mix, p, PG_FRAME_MAX, &rec) < 0) {
            free(mix);
            return -1;
        }
        g_pk.pkt[g_pk.n++] = (vfm_packet_t){p, rec.caplen};
    }
    free(mix);
    uint64_t seed = 7;
    for (int i = 0; i < NEDGE; i++, p += PG_FRAME_MAX) {
        size_t len = i % 4 == 0 ? 0 : i % 4 == 1 ? 1 : unit_rand(&seed) % 200;
        for (size_t k = 0; k < len; k++)
            p[k] = (uint8_t)unit_rand(&seed);
        /* every 8th empty packet is NULL: vfm_run takes that as the empty packet */
        g_pk.pkt[g_pk.n++] = (vfm_packet_t){len == 0 && i % 8 == 0 ? NULL : p, len};
    }
    return 0;
}

static int suite_init(void)
{
    return make_packets();
}

static int suite_clean(void)
{
    free(g_pk.arena);
    return 0;
}

/* ---- programs ---------------------------------------------------------------- */

/* Helper 0: fails on odd bytes; below VFM_ERROR_INVALID_ARGUMENT or not, by bit 1. */
static int helper_picky(void *user, const uint8_t *pkt, size_t len, const uint64_t *args,
                        uint64_t *result)
{
    (void)user, (void)pkt;
    if (args[0] & 1)
        return args[0] & 2 ? -100 : VFM_ERROR_BOUNDS;
    *result = args[0] * 3 + len;
    return VFM_SUCCESS;
}

static const vfm_helper_t helper0 = {"picky", 1, 1, helper_picky, NULL};

typedef struct prog {
    const char *name;
    const char *src;       /* assembly, or NULL: read from file */
    const char *file;      /* under VFM_SOURCE_DIR */
    uint32_t loop_limit;
    uint32_t flow_size;    /* 0: default */
    bool helper;
} prog_t;

static const prog_t progs[] = {
    {"tcp-port-80", NULL, "examples/tcp-port-80.vfm", 0, 0, false},
    {"http-https", NULL, "examples/http-https.vfm", 0, 0, false},
    {"dns-amplification", NULL, "examples/dns-amplification.vfm", 0, 0, false},
    {"ipv4-header-validation", NULL, "examples/ipv4-header-validation.vfm", 0, 0, false},
    {"syn-flood", NULL, "examples/syn-flood.vfm", 0, 0, false},
    {"port-scan", NULL, "examples/port-scan.vfm", 0, 0, false},
    {"rate-limiter", NULL, "examples/rate-limiter.vfm", 0, 0, false},
    {"connection-tracker", NULL, "examples/connection-tracker.vfm", 0, 0, false},
    {"bounds", "LD32 60\nRET\n", NULL, 0, 0, false},
    {"div-by-zero", "LD8 20\nLD8 21\nDIV\nLD8 15\nLD8 22\nMOD\nADD\nRET\n", NULL, 0, 0,
     false},
    {"helper", "LD8 30\nCALL 0\nRET\n", NULL, 0, 0, true},
    {"loop-limit",
     "        LD8 14\n"
     "        PUSH 31\n"
     "        AND\n"
     "top:    DUP\n"
     "        JZ out\n"
     "        PUSH 1\n"
     "        SUB\n"
     "        JMP top\n"
     "out:    RET 7\n",
     NULL, 10, 0, false},
    /* the per-flow count: every value depends on all packets before it */
    {"flow-counter", "HASH5\nDUP\nFLOW_LOAD\nPUSH 1\nADD\nSWAP\nOVER\nFLOW_STORE\nRET\n", NULL,
     0, 0, false},
    {"flow-counter-evicting", "HASH5\nDUP\nFLOW_LOAD\nPUSH 1\nADD\nSWAP\nOVER\nFLOW_STORE\nRET\n",
     NULL, 0, 4, false},
};

static char *read_text(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", VFM_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("\n  cannot open %s\n", path);
        return NULL;
    }
    char *buf = malloc(1 << 16);
    size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* Assemble @p p with the policy its VM will load it under. */
static uint8_t *assemble(const prog_t *p, uint32_t *len)
{
    char *text = p->src ? NULL : read_text(p->file);
    const char *src = p->src ? p->src : text;
    if (!src)
        return NULL;
    vfm_asm_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.filename = p->name;
    opts.no_verify = 1; /* vfm_load_program verifies, with the VM's own policy */
    vfm_diag_t d;
    uint8_t *code = NULL;
    if (vfm_assemble(src, strlen(src), &opts, &code, len, &d) != VFM_SUCCESS) {
        printf("\n  %s: %s\n", p->name, d.msg);
        code = NULL;
    }
    free(text);
    return code;
}

/* A VM set up for @p p, on the JIT when @p jit (and the host has one). */
static vfm_state_t *make_vm(const prog_t *p, const uint8_t *code, uint32_t len, bool jit)
{
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    if (p->loop_limit)
        CU_ASSERT_EQUAL(vfm_set_loop_limit(vm, p->loop_limit), VFM_SUCCESS);
    if (p->flow_size)
        CU_ASSERT_EQUAL(vfm_flow_table_init(vm, p->flow_size), VFM_SUCCESS);
    if (p->helper)
        CU_ASSERT_EQUAL(vfm_register_helper(vm, 0, &helper0), VFM_SUCCESS);
    int rc = vfm_load_program(vm, code, len);
    if (rc != VFM_SUCCESS)
        printf("\n  %s: %s\n", p->name, vfm_last_error(vm));
    CU_ASSERT_EQUAL_FATAL(rc, VFM_SUCCESS);
    if (jit)
        vfm_enable_jit(vm);
    return vm;
}

static bool host_has_jit(void)
{
    vfm_jit_info_t info;
    vfm_jit_info(NULL, &info);
    return info.arch != NULL;
}

/* ---- the comparison ------------------------------------------------------------ */

/* What one way of running the packets produced. */
typedef struct outcome {
    int code[NPKTS];
    uint64_t value[NPKTS];
    int accepted;
    vfm_flow_stats_t flow;
} outcome_t;

/* The reference: vfm_run on every packet, in order. */
static void run_sequential(vfm_state_t *vm, outcome_t *o)
{
    o->accepted = 0;
    for (size_t i = 0; i < g_pk.n; i++) {
        o->code[i] = vfm_run(vm, g_pk.pkt[i].data, g_pk.pkt[i].len, &o->value[i]);
        o->accepted += o->code[i] == VFM_SUCCESS && o->value[i] != 0;
    }
    vfm_flow_table_stats(vm, &o->flow);
}

/* Which outputs a batch run asks for. */
enum { OUT_BOTH, OUT_RESULTS, OUT_CODES, OUT_NONE, NOUTS };
static const char *const out_names[NOUTS] = {"results+codes", "results", "codes", "count only"};

/*
 * vfm_run_batch over all packets in bursts of @p burst (0: random sizes
 * 0..70).  Arrays start filled with a sentinel, so a packet skipped or a
 * result written to the wrong slot shows.
 */
static void run_batched(vfm_state_t *vm, size_t burst, int outs, outcome_t *o)
{
    uint64_t seed = 99;
    memset(o->code, 0x5a, sizeof o->code);
    memset(o->value, 0x5a, sizeof o->value);
    o->accepted = 0;
    for (size_t i = 0; i < g_pk.n;) {
        size_t k = burst ? burst : unit_rand(&seed) % 71;
        if (k > g_pk.n - i)
            k = g_pk.n - i;
        uint64_t *res = outs == OUT_BOTH || outs == OUT_RESULTS ? &o->value[i] : NULL;
        int *codes = outs == OUT_BOTH || outs == OUT_CODES ? &o->code[i] : NULL;
        int got = vfm_run_batch(vm, &g_pk.pkt[i], k, res, codes);
        CU_ASSERT(got >= 0 && (size_t)got <= k);
        if (got > 0)
            o->accepted += got;
        i += k;
    }
    vfm_flow_table_stats(vm, &o->flow);
}

/* Compare everything the outputs asked for; print the first difference. */
static void expect_same(const char *what, const outcome_t *want, const outcome_t *got, int outs)
{
    int bad = 0;
    for (size_t i = 0; i < g_pk.n; i++) {
        bool code_ok = (outs != OUT_BOTH && outs != OUT_CODES) || got->code[i] == want->code[i];
        bool value_ok =
            (outs != OUT_BOTH && outs != OUT_RESULTS) || got->value[i] == want->value[i];
        if ((!code_ok || !value_ok) && bad++ == 0)
            printf("\n  %s: packet %zu (len %zu): batch %d/%llu, vfm_run %d/%llu\n", what, i,
                   g_pk.pkt[i].len, got->code[i], (unsigned long long)got->value[i],
                   want->code[i], (unsigned long long)want->value[i]);
    }
    CU_ASSERT_EQUAL(bad, 0);
    if (got->accepted != want->accepted)
        printf("\n  %s: batch accepted %d, vfm_run %d\n", what, got->accepted, want->accepted);
    CU_ASSERT_EQUAL(got->accepted, want->accepted);
    CU_ASSERT_EQUAL(got->flow.entries, want->flow.entries);
    CU_ASSERT_EQUAL(got->flow.evictions, want->flow.evictions);
}

static outcome_t g_want, g_got, g_interp;

/*
 * Program @p p: sequential vs batched (every burst size and output choice),
 * on the interpreter and the JIT; and the JIT's reference must equal the
 * interpreter's.  Returns how many different codes the reference saw, so a
 * caller can check its program really fails where it should.
 */
static unsigned check_program(const prog_t *p, int expect_error)
{
    static const size_t bursts[] = {1, 7, 64, NPKTS, 0};
    uint32_t len;
    uint8_t *code = assemble(p, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    int seen_error = 0, engines = host_has_jit() ? 2 : 1;
    unsigned accepted = 0;
    for (int jit = 0; jit < engines; jit++) {
        vfm_state_t *ref = make_vm(p, code, len, jit);
        if (jit && !vfm_jit_active(ref))
            printf("\n  %s: JIT not active: %s\n", p->name, vfm_jit_status(ref));
        CU_ASSERT(!jit || vfm_jit_active(ref));
        run_sequential(ref, &g_want);
        vfm_destroy(ref);
        if (!jit)
            g_interp = g_want;
        else
            expect_same("jit vs interp (vfm_run)", &g_interp, &g_want, OUT_BOTH);
        for (size_t i = 0; i < g_pk.n; i++)
            seen_error |= g_want.code[i] == expect_error;
        accepted = (unsigned)g_want.accepted;
        for (size_t b = 0; b < UNIT_ARRAY_LEN(bursts); b++) {
            for (int outs = 0; outs < NOUTS; outs++) {
                vfm_state_t *vm = make_vm(p, code, len, jit);
                run_batched(vm, bursts[b], outs, &g_got);
                vfm_destroy(vm);
                char what[160];
                snprintf(what, sizeof what, "%s on %s, bursts of %zu, %s", p->name,
                         jit ? "jit" : "interp", bursts[b], out_names[outs]);
                expect_same(what, &g_want, &g_got, outs);
            }
        }
    }
    free(code);
    if (expect_error) {
        if (!seen_error)
            printf("\n  %s: no packet failed with %d: the test lost its point\n", p->name,
                   expect_error);
        CU_ASSERT(seen_error);
    }
    return accepted;
}

static const prog_t *prog_named(const char *name)
{
    for (size_t i = 0; i < UNIT_ARRAY_LEN(progs); i++)
        if (strcmp(progs[i].name, name) == 0)
            return &progs[i];
    CU_FAIL_FATAL("no such program in the table");
    return NULL;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_examples(void)
{
    static const char *const names[] = {"tcp-port-80", "http-https", "dns-amplification",
                                        "ipv4-header-validation", "syn-flood", "port-scan"};
    for (size_t i = 0; i < UNIT_ARRAY_LEN(names); i++) {
        unsigned acc = check_program(prog_named(names[i]), 0);
        /* the packets are useful only if some are accepted and some are not */
        if (i == 0)
            CU_ASSERT(acc > 0 && acc < NPKTS);
    }
}

static void test_errors(void)
{
    check_program(prog_named("bounds"), VFM_ERROR_BOUNDS);
    check_program(prog_named("div-by-zero"), VFM_ERROR_DIVISION_BY_ZERO);
    check_program(prog_named("helper"), VFM_ERROR_HELPER);
    check_program(prog_named("helper"), VFM_ERROR_BOUNDS); /* a helper's own code passes */
    check_program(prog_named("loop-limit"), VFM_ERROR_LIMIT);
}

static void test_flow(void)
{
    check_program(prog_named("rate-limiter"), 0);
    check_program(prog_named("connection-tracker"), 0);
    check_program(prog_named("flow-counter"), 0);
    check_program(prog_named("flow-counter-evicting"), 0);
    /* the counters must really count: some flow reached 2 */
    bool repeated = false;
    for (size_t i = 0; i < g_pk.n; i++)
        repeated |= g_want.code[i] == VFM_SUCCESS && g_want.value[i] >= 2;
    CU_ASSERT(repeated);
    CU_ASSERT(g_want.flow.evictions > 0); /* the 4-entry table overflowed */
}

/* A batch continues where vfm_run left the flow table, and vice versa. */
static void test_mixed_with_vfm_run(void)
{
    const prog_t *p = prog_named("flow-counter");
    uint32_t len;
    uint8_t *code = assemble(p, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    for (int jit = 0; jit < (host_has_jit() ? 2 : 1); jit++) {
        vfm_state_t *ref = make_vm(p, code, len, jit), *vm = make_vm(p, code, len, jit);
        run_sequential(ref, &g_want);
        size_t half = g_pk.n / 2;
        int bad = 0;
        for (size_t i = 0; i < half; i++) {
            uint64_t v;
            int rc = vfm_run(vm, g_pk.pkt[i].data, g_pk.pkt[i].len, &v);
            bad += rc != g_want.code[i] || v != g_want.value[i];
        }
        uint64_t res[NPKTS];
        int codes[NPKTS];
        vfm_run_batch(vm, &g_pk.pkt[half], g_pk.n - half, res, codes);
        for (size_t i = half; i < g_pk.n; i++)
            bad += codes[i - half] != g_want.code[i] || res[i - half] != g_want.value[i];
        CU_ASSERT_EQUAL(bad, 0);
        vfm_destroy(ref);
        vfm_destroy(vm);
    }
    free(code);
}

static void test_bad_arguments(void)
{
    vfm_packet_t one = {(const uint8_t *)"\x08\x00", 2};
    uint64_t res[2] = {77, 77};
    int codes[2] = {77, 77};
    CU_ASSERT_EQUAL(vfm_run_batch(NULL, &one, 1, res, codes), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_run_batch(NULL, NULL, 0, NULL, NULL), VFM_ERROR_INVALID_ARGUMENT);

    vfm_state_t *vm = vfm_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    CU_ASSERT_EQUAL(vfm_run_batch(vm, &one, 1, res, codes), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(vfm_run_batch(vm, NULL, 0, NULL, NULL), VFM_ERROR_INVALID_PROGRAM);
    vfm_destroy(vm);

    vm = unit_vm("LD8 0\nRET\n");
    CU_ASSERT_EQUAL(vfm_run_batch(vm, NULL, 1, res, codes), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_run_batch(vm, &one, (size_t)INT_MAX + 1, res, codes),
                    VFM_ERROR_INVALID_ARGUMENT);
    /* nothing ran: the outputs are untouched */
    CU_ASSERT(res[0] == 77 && codes[0] == 77);

    /* n = 0: nothing to do, whatever the arrays */
    CU_ASSERT_EQUAL(vfm_run_batch(vm, NULL, 0, NULL, NULL), 0);
    CU_ASSERT_EQUAL(vfm_run_batch(vm, &one, 0, res, codes), 0);
    CU_ASSERT(res[0] == 77 && codes[0] == 77);
    vfm_destroy(vm);
}

/* NULL data: with len > 0 that packet fails alone; with len 0 it is the empty packet. */
static void test_null_and_empty_packets(void)
{
    static const char *const srcs[] = {"LD8 0\nRET\n", "LEN\nPUSH 1\nADD\nRET\n"};
    for (size_t s = 0; s < UNIT_ARRAY_LEN(srcs); s++) {
        for (int jit = 0; jit < 2; jit++) {
            vfm_state_t *vm = unit_vm(srcs[s]);
            if (jit)
                vfm_enable_jit(vm);
            const vfm_packet_t pk[] = {
                {(const uint8_t *)"\x05", 1}, {NULL, 4}, {NULL, 0},
                {(const uint8_t *)"", 0},     {(const uint8_t *)"\x09\x01", 2},
            };
            enum { N = sizeof pk / sizeof pk[0] };
            uint64_t res[N], want_v[N];
            int codes[N], want_rc[N], want_acc = 0;
            for (int i = 0; i < N; i++) {
                want_rc[i] = vfm_run(vm, pk[i].data, pk[i].len, &want_v[i]);
                want_acc += want_rc[i] == VFM_SUCCESS && want_v[i] != 0;
            }
            CU_ASSERT_EQUAL(want_rc[1], VFM_ERROR_INVALID_ARGUMENT); /* the reference itself */
            memset(res, 0x5a, sizeof res);
            CU_ASSERT_EQUAL(vfm_run_batch(vm, pk, N, res, codes), want_acc);
            for (int i = 0; i < N; i++) {
                CU_ASSERT_EQUAL(codes[i], want_rc[i]);
                CU_ASSERT_EQUAL(res[i], want_v[i]);
            }
            vfm_destroy(vm);
        }
    }
}

/* The accepted count is exactly the packets with VFM_SUCCESS and a non-zero value. */
static void test_count_matches_verdicts(void)
{
    vfm_state_t *vm = unit_vm("LD8 0\nPUSH 2\nMOD\nRET\n"); /* odd first byte: accept */
    const vfm_packet_t pk[] = {{(const uint8_t *)"\x01", 1}, {(const uint8_t *)"\x02", 1},
                               {(const uint8_t *)"\x03", 1}, {(const uint8_t *)"", 0},
                               {(const uint8_t *)"\x05", 1}};
    uint64_t res[5];
    int codes[5];
    CU_ASSERT_EQUAL(vfm_run_batch(vm, pk, 5, res, codes), 3);
    CU_ASSERT_EQUAL(vfm_run_batch(vm, pk, 5, NULL, NULL), 3);
    CU_ASSERT_EQUAL(vfm_run_batch(vm, pk + 1, 4, NULL, codes), 2);
    CU_ASSERT_EQUAL(codes[2], VFM_ERROR_BOUNDS);
    CU_ASSERT_EQUAL(vfm_run_batch(vm, pk + 4, 1, res, NULL), 1);
    CU_ASSERT_EQUAL(res[0], 1);
    vfm_destroy(vm);
}

int main(void)
{
    CU_TestInfo batch_tests[] = {
        {"example filters: batch == vfm_run (interp, jit)", test_examples},
        {"bounds, div by 0, helper, loop limit", test_errors},
        {"flow counters evolve identically", test_flow},
        {"vfm_run then vfm_run_batch on one VM", test_mixed_with_vfm_run},
        {"bad arguments: nothing runs", test_bad_arguments},
        {"NULL and empty packets", test_null_and_empty_packets},
        {"accepted count", test_count_matches_verdicts},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {
        {"batch", suite_init, suite_clean, NULL, NULL, batch_tests},
        CU_SUITE_INFO_NULL,
    };
    return unit_main(suites);
}
