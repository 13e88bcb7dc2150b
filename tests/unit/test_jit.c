/*
 * test_jit.c - the JIT's API contract (vfm_enable_jit and friends) and the
 * native code's agreement with the interpreter where the data-driven cases
 * cannot reach: helpers, settings changed after load, every opcode, deep
 * stacks, random programs.  On a machine without a JIT the native-code tests
 * check that everything falls back to the interpreter instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h" /* white box: the code mapping's address, for the W^X check */
#include "unit.h"
#include "vfm/asm.h"

#if defined(__x86_64__)
#define HOST_ARCH "x86-64"
#elif defined(__aarch64__)
#define HOST_ARCH "arm64"
#else
#define HOST_ARCH NULL
#endif

static const char tcp80[] = "        LD16 12\n"
                            "        PUSH 0x0800\n"
                            "        JNE drop\n"
                            "        LD8 23\n"
                            "        PUSH 6\n"
                            "        JNE drop\n"
                            "        LD16 20\n"
                            "        PUSH 0x1fff\n"
                            "        AND\n"
                            "        JNZ drop\n"
                            "        LD8 14\n"
                            "        PUSH 0x0f\n"
                            "        AND\n"
                            "        PUSH 2\n"
                            "        SHL\n"
                            "        LDX16 16\n"
                            "        PUSH 80\n"
                            "        JNE drop\n"
                            "        RET 1\n"
                            "drop:   RET 0\n";

/* Ethernet + IPv4 (IHL 5) + TCP to port 80, and the same to port 81. */
static const char syn80[] = "ffffffffffff 000000000001 0800"
                            "4500 0028 0000 4000 4006 0000 0a000001 0a000002"
                            "1234 0050 00000000 00000000 5002 2000 0000 0000";
static const char syn81[] = "ffffffffffff 000000000001 0800"
                            "4500 0028 0000 4000 4006 0000 0a000001 0a000002"
                            "1234 0051 00000000 00000000 5002 2000 0000 0000";

static bool have_jit(void)
{
    vfm_jit_info_t info;
    vfm_jit_info(NULL, &info);
    return info.arch != NULL;
}

static void check_port80(vfm_state_t *vm)
{
    uint64_t v = 99;
    CU_ASSERT_EQUAL(unit_run_hex(vm, syn80, &v), VFM_SUCCESS);
    CU_ASSERT_EQUAL(v, 1);
    CU_ASSERT_EQUAL(unit_run_hex(vm, syn81, &v), VFM_SUCCESS);
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_EQUAL(unit_run_hex(vm, "ffffffffffff 000000000001 0800 45", &v), VFM_ERROR_BOUNDS);
    CU_ASSERT_EQUAL(v, 0);
}

static void test_info_arch(void)
{
    vfm_jit_info_t info;
    memset(&info, 0xaa, sizeof info);
    vfm_jit_info(NULL, &info);
    CU_ASSERT_EQUAL(info.active, 0);
    CU_ASSERT_EQUAL(info.code_bytes, 0);
    CU_ASSERT_EQUAL(info.map_bytes, 0);
    CU_ASSERT_EQUAL(info.compile_ns, 0);
    if (HOST_ARCH) {
        CU_ASSERT(info.arch && strcmp(info.arch, HOST_ARCH) == 0);
    } else {
        CU_ASSERT_PTR_NULL(info.arch);
    }
    vfm_jit_info(NULL, NULL); /* ignored, no crash */
    CU_ASSERT_EQUAL(vfm_enable_jit(NULL), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_disable_jit(NULL), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_jit_active(NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(vfm_jit_status(NULL));
}

static void test_enable_before_load(void)
{
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    CU_ASSERT_STRING_EQUAL(vfm_jit_status(vm), "not enabled");
    int rc = vfm_enable_jit(vm);
    CU_ASSERT_EQUAL(vfm_jit_active(vm), 0); /* nothing to run yet */
    if (!have_jit()) {
        CU_ASSERT_EQUAL(rc, VFM_ERROR_UNSUPPORTED);
        CU_ASSERT_STRING_EQUAL(vfm_jit_status(vm), "no JIT for this architecture");
        vfm_destroy(vm);
        return;
    }
    CU_ASSERT_EQUAL(rc, VFM_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL(strstr(vfm_jit_status(vm), "enabled, no program loaded"));
    uint32_t len;
    uint8_t *code = unit_asm(tcp80, &len, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    CU_ASSERT_EQUAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    free(code);
    CU_ASSERT_EQUAL(vfm_jit_active(vm), 1);
    vfm_jit_info_t info;
    vfm_jit_info(vm, &info);
    char want[96];
    snprintf(want, sizeof want, "%s: %zu bytes of native code", HOST_ARCH, info.code_bytes);
    CU_ASSERT_STRING_EQUAL(vfm_jit_status(vm), want);
    check_port80(vm);
    vfm_destroy(vm);
}

static void test_enable_after_load_and_disable(void)
{
    vfm_state_t *vm = unit_vm(tcp80);
    int rc = vfm_enable_jit(vm);
    CU_ASSERT_EQUAL(rc, have_jit() ? VFM_SUCCESS : VFM_ERROR_UNSUPPORTED);
    CU_ASSERT_EQUAL(vfm_jit_active(vm), have_jit());
    CU_ASSERT_EQUAL(vfm_enable_jit(vm), rc); /* again: no change */
    check_port80(vm);
    CU_ASSERT_EQUAL(vfm_disable_jit(vm), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_jit_active(vm), 0);
    CU_ASSERT_STRING_EQUAL(vfm_jit_status(vm), "not enabled");
    vfm_jit_info_t info;
    vfm_jit_info(vm, &info);
    CU_ASSERT_EQUAL(info.active, 0);
    CU_ASSERT_EQUAL(info.code_bytes, 0);
    CU_ASSERT_EQUAL(info.map_bytes, 0);
    check_port80(vm); /* the interpreter again */
    /* disabled stays disabled for later loads */
    uint32_t len;
    uint8_t *code = unit_asm(tcp80, &len, 0);
    CU_ASSERT_EQUAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    free(code);
    CU_ASSERT_EQUAL(vfm_jit_active(vm), 0);
    vfm_destroy(vm);
}

static void test_info_and_memory(void)
{
    if (!have_jit())
        return;
    vfm_state_t *vm = unit_vm(tcp80);
    size_t before = vfm_memory_usage(vm);
    CU_ASSERT_EQUAL_FATAL(vfm_enable_jit(vm), VFM_SUCCESS);
    vfm_jit_info_t info;
    vfm_jit_info(vm, &info);
    CU_ASSERT_EQUAL(info.active, 1);
    CU_ASSERT_STRING_EQUAL(info.arch, HOST_ARCH);
    CU_ASSERT(info.code_bytes > 0);
    CU_ASSERT(info.code_bytes < 1024); /* a 20-instruction filter */
    long page = sysconf(_SC_PAGESIZE);
    CU_ASSERT(info.map_bytes >= info.code_bytes && info.map_bytes % (size_t)page == 0);
    CU_ASSERT(info.compile_ns > 0);
    CU_ASSERT(info.compile_ns < 20 * 1000 * 1000); /* generous: sanitizers, busy CI */
    printf("\n    %zu bytes of code, compiled in %llu ns ", info.code_bytes,
           (unsigned long long)info.compile_ns);
    size_t after = vfm_memory_usage(vm);
    CU_ASSERT_EQUAL(after, before + info.map_bytes);
    CU_ASSERT(after < 1024 * 1024);
    vfm_destroy(vm);
}

/* The permissions of the mapping holding @p addr in /proc/self/maps ("r-xp"), or "". */
static void map_perms(const void *addr, char perms[5])
{
    perms[0] = '\0';
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return;
    char line[512];
    uintptr_t a = (uintptr_t)addr;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char p[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && a >= lo && a < hi) {
            memcpy(perms, p, 5);
            break;
        }
    }
    fclose(f);
}

static void test_write_xor_execute(void)
{
    if (!have_jit())
        return;
    vfm_state_t *vm = unit_vm(tcp80);
    CU_ASSERT_EQUAL_FATAL(vfm_enable_jit(vm), VFM_SUCCESS);
    char perms[5];
    map_perms(vm->jit.map, perms);
    if (perms[0]) { /* /proc may be missing in a sandbox */
        CU_ASSERT_STRING_EQUAL(perms, "r-xp");
    }
    vfm_destroy(vm);
}

/* Mappings in this process: a leaked code mapping per load would show. */
static int count_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void test_reload_frees_code(void)
{
    if (!have_jit())
        return;
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_EQUAL(vfm_enable_jit(vm), VFM_SUCCESS);
    uint32_t len;
    uint8_t *code = unit_asm(tcp80, &len, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(code);
    CU_ASSERT_EQUAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    size_t mem = vfm_memory_usage(vm);
    int maps = count_maps();
    for (int i = 0; i < 500; i++)
        CU_ASSERT_EQUAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_memory_usage(vm), mem);
    if (maps >= 0)
        CU_ASSERT(count_maps() < maps + 50); /* 500 leaked mappings would not fit */
    /* A failed load keeps the program and its native code. */
    static const uint8_t bad[] = {VFM_OP_ADD, VFM_OP_RET};
    CU_ASSERT_NOT_EQUAL(vfm_load_program(vm, bad, sizeof bad), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_jit_active(vm), 1);
    check_port80(vm);
    /* enable / disable cycles unmap too */
    for (int i = 0; i < 200; i++) {
        vfm_disable_jit(vm);
        vfm_enable_jit(vm);
    }
    if (maps >= 0)
        CU_ASSERT(count_maps() < maps + 50);
    CU_ASSERT_EQUAL(vfm_jit_active(vm), 1);
    free(code);
    vfm_destroy(vm);
}

/* ---- agreement with the interpreter ------------------------------------------ */

/* Run @p code on two VMs, interpreter and JIT, over @p pkts; both see the same sequence. */
typedef struct pair {
    vfm_state_t *interp, *jit;
} pair_t;

static int pair_load(pair_t *p, const uint8_t *code, uint32_t len, uint32_t loops,
                     const vfm_helper_t *helpers, unsigned nhelpers)
{
    p->interp = vfm_create();
    p->jit = vfm_create();
    vfm_state_t *vms[2] = {p->interp, p->jit};
    for (int i = 0; i < 2; i++) {
        vfm_set_loop_limit(vms[i], loops);
        for (unsigned h = 0; h < nhelpers; h++)
            if (helpers[h].fn)
                vfm_register_helper(vms[i], (uint16_t)h, &helpers[h]);
    }
    int rc = vfm_load_program(p->interp, code, len);
    if (rc != VFM_SUCCESS)
        return rc;
    CU_ASSERT_EQUAL_FATAL(vfm_load_program(p->jit, code, len), VFM_SUCCESS);
    int jrc = vfm_enable_jit(p->jit);
    if (have_jit() && jrc != VFM_SUCCESS) {
        printf("\n    JIT refused a verified program: %s\n", vfm_jit_status(p->jit));
        CU_FAIL("JIT refused a verified program");
    }
    return VFM_SUCCESS;
}

static void pair_free(pair_t *p)
{
    vfm_destroy(p->interp);
    vfm_destroy(p->jit);
}

/* Run both on @p pkt; CUnit failure (and a message naming @p what) when they differ. */
static bool pair_agree(pair_t *p, const uint8_t *pkt, size_t len, const char *what)
{
    uint64_t a = 1, b = 2;
    int ra = vfm_run(p->interp, pkt, len, &a);
    int rb = vfm_run(p->jit, pkt, len, &b);
    if (ra != rb || a != b) {
        printf("\n    %s (packet of %zu bytes): interpreter %d/%llu, JIT %d/%llu\n", what, len,
               ra, (unsigned long long)a, rb, (unsigned long long)b);
        CU_FAIL("JIT and interpreter disagree");
        return false;
    }
    return true;
}

static int h_calls;

static int h_mix(void *user, const uint8_t *pkt, size_t len, const uint64_t *args,
                 uint64_t *result)
{
    (void)user;
    h_calls++;
    switch (args[0] % 8) {
    case 1: return -100;                       /* below INVALID_ARGUMENT: becomes HELPER */
    case 2: return VFM_ERROR_BOUNDS;           /* a VFM code: passes through */
    case 3: return VFM_ERROR_INVALID_ARGUMENT; /* the boundary: passes through */
    case 4: return VFM_SUCCESS;                /* no result written: 0 is pushed */
    default:
        *result = args[0] * 1000 + args[1] * 10 + len + (len ? pkt[0] : 0);
        return VFM_SUCCESS;
    }
}

static int h_sum8(void *user, const uint8_t *pkt, size_t len, const uint64_t *args,
                  uint64_t *result)
{
    (void)pkt, (void)len;
    uint64_t x = (uintptr_t)user;
    for (int i = 0; i < 8; i++)
        x = x * 31 + args[i];
    *result = x;
    return VFM_SUCCESS;
}

static int h_sink(void *user, const uint8_t *pkt, size_t len, const uint64_t *args,
                  uint64_t *result)
{
    (void)pkt, (void)len, (void)args, (void)result;
    ++*(int *)user;
    return VFM_SUCCESS;
}

static int sink_count;
static const vfm_helper_t helper_table[3] = {
    {"mix", 2, 1, h_mix, NULL},
    {"sum8", 8, 1, h_sum8, (void *)(uintptr_t)7},
    {"sink", 0, 0, h_sink, &sink_count},
};

static void test_helpers(void)
{
    /* Values below the arguments survive the call; error codes map as in the interpreter. */
    static const char src[] = "        PUSH 11\n"
                              "        PUSH 22\n"
                              "        LD8 0\n"
                              "        PUSH 5\n"
                              "        CALL 0\n"
                              "        CALL 2\n"
                              "        ADD\n"
                              "        ADD\n"
                              "        PUSH 1\n PUSH 2\n PUSH 3\n PUSH 4\n"
                              "        PUSH 5\n PUSH 6\n LD8 1\n PUSH 8\n"
                              "        CALL 1\n"
                              "        XOR\n"
                              "        RET\n";
    vfm_asm_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.verify.helpers = helper_table;
    opts.verify.nhelpers = 3;
    uint8_t *code;
    uint32_t len;
    vfm_diag_t d;
    int rc = vfm_assemble(src, strlen(src), &opts, &code, &len, &d);
    if (rc)
        printf("\n    %s\n", d.msg);
    CU_ASSERT_EQUAL_FATAL(rc, VFM_SUCCESS);
    pair_t p;
    CU_ASSERT_EQUAL_FATAL(pair_load(&p, code, len, 0, helper_table, 3), VFM_SUCCESS);
    h_calls = 0;
    sink_count = 0;
    uint8_t pkt[4] = {0, 0, 0, 0};
    int errors = 0;
    for (unsigned v = 0; v < 16; v++) {
        pkt[0] = (uint8_t)v;
        pkt[1] = (uint8_t)(v * 37);
        pair_agree(&p, pkt, sizeof pkt, "helpers");
        uint64_t r;
        errors += vfm_run(p.jit, pkt, sizeof pkt, &r) < 0;
    }
    CU_ASSERT(errors > 0 && errors < 16); /* both paths were taken */
    CU_ASSERT(h_calls > 16);
    CU_ASSERT(sink_count > 0);
    uint64_t r = 5;
    pkt[0] = 1; /* -100 -> VFM_ERROR_HELPER, result 0 */
    CU_ASSERT_EQUAL(vfm_run(p.jit, pkt, sizeof pkt, &r), VFM_ERROR_HELPER);
    CU_ASSERT_EQUAL(r, 0);
    pkt[0] = 2;
    CU_ASSERT_EQUAL(vfm_run(p.jit, pkt, sizeof pkt, &r), VFM_ERROR_BOUNDS);
    pkt[0] = 3;
    CU_ASSERT_EQUAL(vfm_run(p.jit, pkt, sizeof pkt, &r), VFM_ERROR_INVALID_ARGUMENT);
    pair_free(&p);
    free(code);
}

static void test_settings_after_load(void)
{
    /* The loop limit and the flow table are read at run time, as the interpreter does. */
    static const char src[] = "        PUSH 0\n"
                              "top:    PUSH 1\n"
                              "        ADD\n"
                              "        DUP\n"
                              "        LD8 0\n"
                              "        JLT top\n"
                              "        DUP\n"
                              "        PUSH 77\n"
                              "        FLOW_STORE\n"
                              "        FLOW_LOAD\n"
                              "        RET\n";
    uint32_t len;
    vfm_asm_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.verify.allow_loops = 1;
    uint8_t *code;
    vfm_diag_t d;
    CU_ASSERT_EQUAL_FATAL(vfm_assemble(src, strlen(src), &opts, &code, &len, &d), VFM_SUCCESS);
    pair_t p;
    CU_ASSERT_EQUAL_FATAL(pair_load(&p, code, len, 10, NULL, 0), VFM_SUCCESS);
    uint8_t pkt[1];
    for (unsigned n = 0; n < 14; n++) {
        pkt[0] = (uint8_t)n;
        pair_agree(&p, pkt, 1, "loop limit 10");
    }
    uint64_t r;
    pkt[0] = 10;
    CU_ASSERT_EQUAL(vfm_run(p.jit, pkt, 1, &r), VFM_SUCCESS);
    CU_ASSERT_EQUAL(r, 77);
    pkt[0] = 12;
    CU_ASSERT_EQUAL(vfm_run(p.jit, pkt, 1, &r), VFM_ERROR_LIMIT);
    vfm_set_loop_limit(p.interp, 3);
    vfm_set_loop_limit(p.jit, 3);
    for (unsigned n = 0; n < 8; n++) {
        pkt[0] = (uint8_t)n;
        pair_agree(&p, pkt, 1, "loop limit 3 after load");
    }
    pkt[0] = 5;
    CU_ASSERT_EQUAL(vfm_run(p.jit, pkt, 1, &r), VFM_ERROR_LIMIT);
    CU_ASSERT_EQUAL(vfm_flow_table_init(p.interp, 64), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_flow_table_init(p.jit, 64), VFM_SUCCESS);
    pkt[0] = 2;
    pair_agree(&p, pkt, 1, "new flow table");
    vfm_flow_stats_t st;
    vfm_flow_table_stats(p.jit, &st);
    CU_ASSERT_EQUAL(st.capacity, 64);
    CU_ASSERT(st.entries >= 1);
    pair_free(&p);
    free(code);
}

/* Operand bytes for opcode @p info in a one-instruction test. */
static uint32_t put_operand(uint8_t *code, uint32_t n, const vfm_opinfo_t *info)
{
    switch (info->operand) {
    case VFM_OPND_NONE:
        break;
    case VFM_OPND_REL16:
        code[n++] = 0; /* to the next instruction */
        code[n++] = 0;
        break;
    case VFM_OPND_HELPER16:
        code[n++] = 0; /* "mix": 2 pops, 1 push */
        code[n++] = 0;
        break;
    default:
        for (unsigned i = 1; i < info->size; i++)
            code[n++] = (uint8_t)(i == 1 ? 3 : 0);
        break;
    }
    return n;
}

static void test_every_opcode(void)
{
    /* From the ISA table, so a new opcode fails here until every JIT handles it. */
    int tested = 0;
    for (unsigned c = 0; c < 256; c++) {
        const vfm_opinfo_t *info = vfm_opinfo((uint8_t)c);
        if (!info)
            continue;
        unsigned pops = info->flags & VFM_F_CALL ? 2 : info->pops;
        uint8_t code[64];
        uint32_t n = 0;
        for (unsigned i = 0; i < pops; i++) {
            code[n++] = VFM_OP_PUSH8;
            code[n++] = (uint8_t)(i + 2);
        }
        if (info->code == VFM_OP_RET) {
            code[n++] = VFM_OP_PUSH8;
            code[n++] = 9;
        }
        code[n++] = info->code;
        n = put_operand(code, n, info);
        code[n++] = VFM_OP_PUSH8; /* every path ends in RET */
        code[n++] = 42;
        code[n++] = VFM_OP_RET;
        pair_t p;
        int rc = pair_load(&p, code, n, 0, helper_table, 3);
        if (rc != VFM_SUCCESS) {
            printf("\n    %s: test program rejected: %s\n", info->name, vfm_last_error(p.interp));
            CU_FAIL("opcode test program rejected");
        } else {
            if (have_jit())
                CU_ASSERT_EQUAL(vfm_jit_active(p.jit), 1);
            uint8_t pkt[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                               1,    2,    3,    4,    5,    6,    7,    8};
            pair_agree(&p, pkt, sizeof pkt, info->name);
            pair_agree(&p, pkt, 2, info->name);
            tested++;
        }
        pair_free(&p);
    }
    CU_ASSERT_EQUAL(tested, VFM_OPCODE_COUNT);
}

static void test_deep_stack(void)
{
    /* Slots beyond the registers live in the frame: fill 256, fold them back. */
    uint8_t code[2048];
    uint32_t n = 0;
    for (unsigned i = 0; i < VFM_STACK_MAX; i++) {
        code[n++] = i % 3 ? VFM_OP_PUSH8 : VFM_OP_LD8;
        code[n++] = (uint8_t)(i % 3 ? i : i % 16);
        if (i % 3 == 0)
            code[n++] = 0;
    }
    static const uint8_t fold[] = {VFM_OP_ADD, VFM_OP_MUL, VFM_OP_XOR, VFM_OP_SWAP, VFM_OP_SUB};
    for (unsigned i = 0; i < VFM_STACK_MAX - 1; i++) {
        code[n++] = fold[i % 5];
        if (fold[i % 5] == VFM_OP_SWAP)
            code[n++] = VFM_OP_OVER, code[n++] = VFM_OP_ADD, code[n++] = VFM_OP_ADD;
    }
    code[n++] = VFM_OP_RET;
    pair_t p;
    CU_ASSERT_EQUAL_FATAL(pair_load(&p, code, n, 0, NULL, 0), VFM_SUCCESS);
    uint8_t pkt[16];
    for (unsigned i = 0; i < sizeof pkt; i++)
        pkt[i] = (uint8_t)(i * 29 + 3);
    pair_agree(&p, pkt, sizeof pkt, "256-deep stack");
    pair_agree(&p, pkt, 15, "256-deep stack, short packet");
    pair_free(&p);
}

/* ---- random programs ---------------------------------------------------------- */

static uint64_t rng;
static unsigned pick(unsigned n) { return (unsigned)(unit_rand(&rng) % n); }

static uint64_t random_constant(void)
{
    switch (pick(7)) {
    case 0: return 0;
    case 1: return pick(4);
    case 2: return 63 + pick(3);
    case 3: return unit_rand(&rng);
    case 4: return UINT64_MAX - pick(3);
    case 5: return UINT64_C(1) << pick(64);
    default: return pick(70000);
    }
}

/* Random code, mostly valid: stack effects tracked, jumps forward (or back with loops). */
static uint32_t random_program(uint8_t *code, bool loops, bool deep)
{
    uint32_t pcs[130], n = 0;
    unsigned ninsn = 3 + pick(pick(4) ? 40 : 120), fix[130], nfix = 0, target[130];
    int d = 0;
    for (unsigned i = 0; i < ninsn; i++) {
        pcs[i] = n;
        const vfm_opinfo_t *info;
        for (;;) {
            info = vfm_opinfo((uint8_t)pick(0x80));
            if (!info || (info->code == VFM_OP_RET && pick(4)))
                continue;
            if (pick(3) == 0 || (deep && pick(2)))
                info = vfm_opinfo(pick(2) ? VFM_OP_PUSH8 : deep ? VFM_OP_DUP : VFM_OP_LD16);
            int pops = info->flags & VFM_F_CALL ? 2 : info->pops;
            int pushes = info->flags & VFM_F_CALL ? 1 : info->pushes;
            if (pops > d && pick(10))
                continue;
            d = d - pops + pushes < 0 ? 0 : d - pops + pushes;
            break;
        }
        code[n++] = info->code;
        uint64_t k = info->operand == VFM_OPND_OFF16 ? (pick(6) ? pick(40) : unit_rand(&rng))
                                                     : random_constant();
        switch (info->operand) {
        case VFM_OPND_REL16:
            target[i] = loops && pick(3) == 0 ? pick(i + 1) : i + 1 + pick(ninsn - i);
            fix[nfix++] = i;
            k = 0;
            break;
        case VFM_OPND_HELPER16:
            k = pick(3);
            break;
        default:
            break;
        }
        for (unsigned b = 1; b < info->size; b++)
            code[n++] = (uint8_t)(k >> (8 * (b - 1)));
    }
    pcs[ninsn] = n;
    code[n++] = VFM_OP_PUSH8;
    code[n++] = 3;
    code[n++] = VFM_OP_RET;
    for (unsigned f = 0; f < nfix; f++) {
        unsigned i = fix[f];
        int32_t rel = (int32_t)pcs[target[i]] - (int32_t)(pcs[i] + 3);
        code[pcs[i] + 1] = (uint8_t)rel;
        code[pcs[i] + 2] = (uint8_t)(rel >> 8);
    }
    return n;
}

static void test_random_programs(void)
{
    rng = 0x5eed;
    int verified = 0, runs = 0, ok = 0, programs = 3000;
    for (int t = 0; t < programs; t++) {
        uint8_t code[130 * 9 + 8];
        bool loops = pick(5) == 0;
        uint32_t n = random_program(code, loops, pick(6) == 0);
        pair_t p;
        if (pair_load(&p, code, n, loops ? 1 + pick(5) : 0, helper_table, 3) == VFM_SUCCESS) {
            verified++;
            for (int k = 0; k < 8; k++) {
                uint8_t pkt[100];
                size_t len = pick(4) ? 40 + pick(60) : pick(40);
                for (size_t i = 0; i < len; i++)
                    pkt[i] = (uint8_t)(pick(3) ? pick(8) : unit_rand(&rng));
                uint64_t r;
                ok += vfm_run(p.interp, pkt, len, &r) == VFM_SUCCESS;
                runs++;
                if (!pair_agree(&p, pkt, len, "random program"))
                    break;
            }
        }
        pair_free(&p);
    }
    printf("\n    %d of %d random programs verified, %d runs, %d successful ", verified,
           programs, runs, ok);
    CU_ASSERT(verified > programs / 4); /* the generator still makes valid programs */
    CU_ASSERT(ok > runs / 5);           /* and they get past their first loads */
}

int main(void)
{
    static CU_TestInfo api[] = {
        {"vfm_jit_info arch and NULL arguments", test_info_arch},
        {"enable before load", test_enable_before_load},
        {"enable after load, disable", test_enable_after_load_and_disable},
        {"info fields and memory usage", test_info_and_memory},
        {"code mapping is never writable", test_write_xor_execute},
        {"re-load and re-enable free the old code", test_reload_frees_code},
        CU_TEST_INFO_NULL,
    };
    static CU_TestInfo agree[] = {
        {"helpers: arguments, results, error codes", test_helpers},
        {"loop limit and flow table changed after load", test_settings_after_load},
        {"every opcode in the ISA table", test_every_opcode},
        {"256-deep stack", test_deep_stack},
        {"random programs", test_random_programs},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"jit api", NULL, NULL, NULL, NULL, api},
        {"jit agrees with the interpreter", NULL, NULL, NULL, NULL, agree},
        CU_SUITE_INFO_NULL,
    };
    return unit_main(suites);
}
