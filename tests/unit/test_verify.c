/* test_verify.c - vfm_verify / vfm_verify_ex contracts and what vfmi_verify proves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "unit.h"

typedef struct vcase {
    const char *src; /* assembly (no_verify) */
    int code;        /* expected result */
    uint32_t pc;     /* expected diag pc when code != 0 */
    const char *msg; /* expected message substring */
} vcase_t;

static const vcase_t vcases[] = {
    {"RET 1", VFM_SUCCESS, 0, NULL},
    {"LD16 12\nPUSH 0x800\nJNE d\nRET 1\nd: RET 0", VFM_SUCCESS, 0, NULL},
    {"ADD\nRET", VFM_ERROR_STACK_UNDERFLOW, 0, "pc 0: stack underflow: ADD needs 2 values"},
    {"PUSH 1", VFM_ERROR_VERIFICATION_FAILED, 0, "pc 0: execution falls off the end"},
    {"PUSH 1\nJMP 100\nRET", VFM_ERROR_VERIFICATION_FAILED, 2, "pc 2: jump target 105 out of range (program has 6 bytes)"},
    {"l: LD8 0\nJNZ l\nRET 1", VFM_ERROR_VERIFICATION_FAILED, 3, "pc 3: backward jump to pc 0"},
    {"PUSH 5\nPUSH 0\nMOD\nRET", VFM_ERROR_DIVISION_BY_ZERO, 4, "pc 4: MOD by the constant 0 pushed at pc 2"},
    {"CALL 1\nRET 1", VFM_ERROR_HELPER, 0, "pc 0: CALL of helper 1, which is not registered"},
};

/* vfm_verify and vfm_verify_ex agree; the diagnostic has the code, pc and message. */
static void test_verify_vs_verify_ex(void)
{
    for (size_t i = 0; i < UNIT_ARRAY_LEN(vcases); i++) {
        const vcase_t *c = &vcases[i];
        uint32_t len;
        uint8_t *code = unit_asm(c->src, &len, 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(code);
        vfm_diag_t d;
        memset(&d, 0xa5, sizeof d);
        int rc = vfm_verify_ex(code, len, NULL, &d);
        CU_ASSERT_EQUAL(rc, c->code);
        CU_ASSERT_EQUAL(vfm_verify(code, len), rc);
        CU_ASSERT_EQUAL(vfm_verify_ex(code, len, NULL, NULL), rc);
        if (rc != c->code)
            printf("\n  \"%s\": got %d (%s)\n", c->src, rc, rc ? d.msg : "");
        if (c->code != VFM_SUCCESS) {
            CU_ASSERT_EQUAL(d.code, c->code);
            CU_ASSERT_EQUAL(d.pc, c->pc);
            CU_ASSERT_PTR_NOT_NULL(memchr(d.msg, '\0', sizeof d.msg));
            if (!strstr(d.msg, c->msg)) {
                printf("\n  \"%s\": message \"%s\" lacks \"%s\"\n", c->src, d.msg, c->msg);
                CU_FAIL("wrong message");
            }
            /* "pc N: " prefix agrees with diag.pc */
            char pfx[32];
            snprintf(pfx, sizeof pfx, "pc %u: ", d.pc);
            CU_ASSERT_EQUAL(strncmp(d.msg, pfx, strlen(pfx)), 0);
        }
        /* a file image verifies the same */
        uint8_t *img;
        size_t n;
        CU_ASSERT_EQUAL_FATAL(vfm_bytecode_write(code, len, &img, &n), VFM_SUCCESS);
        CU_ASSERT_EQUAL(vfm_verify(img, (uint32_t)n), rc);
        free(img);
        free(code);
    }
}

static void test_empty_inputs(void)
{
    vfm_diag_t d;
    static const uint8_t ret[] = {0x11, 0x01, 0x50};
    CU_ASSERT_EQUAL(vfm_verify(NULL, 0), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(vfm_verify(ret, 0), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(vfm_verify(NULL, 3), VFM_ERROR_INVALID_PROGRAM);
    memset(&d, 0, sizeof d);
    CU_ASSERT_EQUAL(vfm_verify_ex(NULL, 3, NULL, &d), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(d.code, VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(d.pc, VFM_NO_PC);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "empty program"));
    CU_ASSERT_EQUAL(vfm_verify(ret, sizeof ret), VFM_SUCCESS);
}

static void test_code_too_large(void)
{
    uint8_t *big = malloc(VFM_CODE_MAX + 1);
    big[0] = VFM_OP_PUSH8;
    big[1] = 1;
    memset(big + 2, VFM_OP_NOT, VFM_CODE_MAX - 2);
    big[VFM_CODE_MAX - 1] = VFM_OP_RET;
    CU_ASSERT_EQUAL(vfm_verify(big, VFM_CODE_MAX), VFM_SUCCESS);
    big[VFM_CODE_MAX - 1] = VFM_OP_NOT;
    big[VFM_CODE_MAX] = VFM_OP_RET;
    vfm_diag_t d;
    CU_ASSERT_EQUAL(vfm_verify_ex(big, VFM_CODE_MAX + 1, NULL, &d), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "at most 65535"));
    /* through the VM too, which keeps no program */
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_EQUAL(vfm_load_program(vm, big, VFM_CODE_MAX + 1), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(vfm_execute(vm, big, 1), VFM_ERROR_INVALID_PROGRAM);
    vfm_destroy(vm);
    free(big);
}

/* Every byte that is not an opcode is rejected wherever it appears. */
static void test_every_unknown_opcode(void)
{
    for (unsigned b = 0; b < 256; b++) {
        if (vfm_opinfo((uint8_t)b) || b == 0x56)
            continue;
        uint8_t code[] = {0x11, 0x01, (uint8_t)b, 0x50};
        vfm_diag_t d;
        CU_ASSERT_EQUAL(vfm_verify_ex(code, sizeof code, NULL, &d), VFM_ERROR_INVALID_OPCODE);
        char want[64];
        snprintf(want, sizeof want, "pc 2: unknown opcode 0x%02x", b);
        CU_ASSERT_STRING_EQUAL(d.msg, want);
        CU_ASSERT_EQUAL(d.pc, 2);
    }
    uint8_t v[] = {0x11, 0x01, 0x56, 0x50};
    CU_ASSERT_EQUAL(vfm_verify(v, sizeof v), VFM_ERROR_INVALID_OPCODE);
}

/* Every instruction cut short at every length is rejected as truncated. */
static void test_every_truncation(void)
{
    for (unsigned b = 0; b < 256; b++) {
        const vfm_opinfo_t *info = vfm_opinfo((uint8_t)b);
        if (!info || info->size == 1)
            continue;
        for (unsigned have = 1; have < info->size; have++) {
            uint8_t code[16] = {0x11, 0x01, (uint8_t)b};
            vfm_diag_t d;
            CU_ASSERT_EQUAL(vfm_verify_ex(code, 2 + have, NULL, &d), VFM_ERROR_INVALID_PROGRAM);
            char want[96];
            snprintf(want, sizeof want, "pc 2: truncated instruction: %s needs %u bytes, %u left",
                     info->name, info->size, have);
            if (strcmp(d.msg, want) != 0) {
                printf("\n  got \"%s\", want \"%s\"\n", d.msg, want);
                CU_FAIL("truncation message");
            }
        }
    }
}

static int add_helper(void *user, const uint8_t *pkt, size_t len, const uint64_t *args,
                      uint64_t *result)
{
    (void)user, (void)pkt, (void)len;
    *result = args[0] + args[1];
    return VFM_SUCCESS;
}

static void test_policy_options(void)
{
    uint32_t len;
    uint8_t *loop = unit_asm("l: LD8 0\nJNZ l\nRET 1", &len, 1);
    vfm_verify_opts_t o;
    memset(&o, 0, sizeof o);
    CU_ASSERT_EQUAL(vfm_verify_ex(loop, len, &o, NULL), VFM_ERROR_VERIFICATION_FAILED);
    o.allow_loops = 1;
    CU_ASSERT_EQUAL(vfm_verify_ex(loop, len, &o, NULL), VFM_SUCCESS);
    free(loop);

    /* CALL's stack effect comes from the helper table */
    vfm_helper_t helpers[4];
    memset(helpers, 0, sizeof helpers);
    helpers[2] = (vfm_helper_t){"add", 2, 1, add_helper, NULL};
    memset(&o, 0, sizeof o);
    o.helpers = helpers;
    o.nhelpers = 4;
    uint8_t *call = unit_asm("PUSH 1\nPUSH 2\nCALL 2\nRET", &len, 1);
    CU_ASSERT_EQUAL(vfm_verify_ex(call, len, &o, NULL), VFM_SUCCESS);
    CU_ASSERT_EQUAL(vfm_verify_ex(call, len, NULL, NULL), VFM_ERROR_HELPER);
    o.nhelpers = 2; /* id 2 is past the table */
    CU_ASSERT_EQUAL(vfm_verify_ex(call, len, &o, NULL), VFM_ERROR_HELPER);
    o.nhelpers = 4;
    helpers[2].pops = 3;
    vfm_diag_t d;
    CU_ASSERT_EQUAL(vfm_verify_ex(call, len, &o, &d), VFM_ERROR_STACK_UNDERFLOW);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "CALL needs 3 values"));
    helpers[2].pops = VFM_HELPER_ARGS_MAX + 1;
    CU_ASSERT_EQUAL(vfm_verify_ex(call, len, &o, &d), VFM_ERROR_HELPER);
    helpers[2].pops = 2;
    helpers[2].pushes = 2;
    CU_ASSERT_EQUAL(vfm_verify_ex(call, len, &o, &d), VFM_ERROR_HELPER);
    helpers[2].pushes = 0; /* then RET has nothing to return */
    CU_ASSERT_EQUAL(vfm_verify_ex(call, len, &o, &d), VFM_ERROR_STACK_UNDERFLOW);
    helpers[2].pushes = 1;
    helpers[2].fn = NULL; /* a named entry without a function is not registered */
    CU_ASSERT_EQUAL(vfm_verify_ex(call, len, &o, &d), VFM_ERROR_HELPER);
    free(call);
}

/* White box: the proof the backends rely on. */
static void test_proof(void)
{
    uint32_t len;
    /* pc: 0 LD16 36 | 3 DUP | 4 PUSH8 80 | 6 JEQ a | 9 PUSH16 443 | 12 JEQ a | 15 PUSH8 0
     *     17 RET | a: 18 PUSH8 1 | 20 RET */
    uint8_t *code = unit_asm("LD16 36\nDUP\nPUSH 80\nJEQ a\nPUSH 443\nJEQ a\nRET 0\na: RET 1", &len, 1);
    CU_ASSERT_EQUAL_FATAL(len, 21);
    vfmi_proof_t p;
    vfm_diag_t d;
    CU_ASSERT_EQUAL_FATAL(vfmi_verify(code, len, NULL, &p, &d), VFM_SUCCESS);
    static const struct {
        uint32_t pc;
        uint16_t depth;
        uint8_t flags;
    } want[] = {
        {0, 0, VFMI_PC_INSN | VFMI_PC_REACH},
        {1, VFMI_DEPTH_NONE, 0},
        {3, 1, VFMI_PC_INSN | VFMI_PC_REACH},
        {4, 2, VFMI_PC_INSN | VFMI_PC_REACH},
        {6, 3, VFMI_PC_INSN | VFMI_PC_REACH},
        {9, 1, VFMI_PC_INSN | VFMI_PC_REACH},
        {12, 2, VFMI_PC_INSN | VFMI_PC_REACH},
        {15, 0, VFMI_PC_INSN | VFMI_PC_REACH},
        {18, 0, VFMI_PC_INSN | VFMI_PC_REACH | VFMI_PC_TARGET | VFMI_PC_JOIN},
        {20, 1, VFMI_PC_INSN | VFMI_PC_REACH},
    };
    for (size_t i = 0; i < UNIT_ARRAY_LEN(want); i++) {
        CU_ASSERT_EQUAL(p.depth[want[i].pc], want[i].depth);
        CU_ASSERT_EQUAL(p.pcflags[want[i].pc], want[i].flags);
    }
    CU_ASSERT_EQUAL(p.len, len);
    CU_ASSERT_EQUAL(p.max_depth, 3);
    CU_ASSERT_EQUAL(p.ninsns, 10);
    CU_ASSERT(!p.uses_flow && !p.uses_helpers && !p.has_loops);
    vfmi_proof_free(&p);
    CU_ASSERT_PTR_NULL(p.depth);
    free(code);

    /* unreachable code: no depth; loops and flow flagged */
    code = unit_asm("l: HASH5\nJZ l\nRET 1\nNOT", &len, 1);
    vfm_verify_opts_t o = {.allow_loops = 1};
    CU_ASSERT_EQUAL_FATAL(vfmi_verify(code, len, &o, &p, &d), VFM_SUCCESS);
    CU_ASSERT(p.has_loops && p.uses_flow);
    CU_ASSERT(p.pcflags[0] & VFMI_PC_BACK);
    CU_ASSERT(p.pcflags[0] & VFMI_PC_JOIN); /* entry + back edge */
    CU_ASSERT_EQUAL(p.depth[len - 1], VFMI_DEPTH_NONE);
    CU_ASSERT_FALSE(p.pcflags[len - 1] & VFMI_PC_REACH);
    CU_ASSERT_EQUAL(p.ninsns, 4);
    vfmi_proof_free(&p);
    vfmi_proof_free(NULL);
    free(code);
}

/*
 * The depth pass queues a pc each time its depth drops.  Programs built to
 * queue the same pcs many times (ladders of conditional jumps into shared
 * targets, with falling depths) must not outgrow its worklist; run under
 * ASan this catches an overflow.
 */
static void test_worklist_stress(void)
{
    uint64_t seed = 0x5eed;
    uint8_t *code = malloc(VFM_CODE_MAX);
    for (int round = 0; round < 3000; round++) {
        uint32_t n = 0, cap = 64 + (uint32_t)(unit_rand(&seed) % 4000);
        unsigned pushes = 1 + (unsigned)(unit_rand(&seed) % 250);
        for (unsigned i = 0; i < pushes; i++) {
            code[n++] = VFM_OP_PUSH8;
            code[n++] = 1;
        }
        while (n + 8 < cap) {
            unsigned kind = (unsigned)(unit_rand(&seed) % 8);
            if (kind < 5) {
                /* conditional jump forward to a random spot */
                code[n] = kind < 3 ? VFM_OP_JZ : VFM_OP_JNZ;
                uint32_t room = cap - n - 4;
                int16_t rel = (int16_t)(unit_rand(&seed) % (room < 300 ? room : 300));
                code[n + 1] = (uint8_t)rel;
                code[n + 2] = (uint8_t)((uint16_t)rel >> 8);
                n += 3;
            } else if (kind < 7) {
                code[n++] = VFM_OP_DUP;
            } else {
                code[n++] = VFM_OP_PUSH8;
                code[n++] = 0;
            }
        }
        while (n < cap)
            code[n++] = VFM_OP_RET;
        vfm_diag_t d;
        int rc = vfm_verify_ex(code, n, NULL, &d);
        CU_ASSERT(rc == VFM_SUCCESS || rc == VFM_ERROR_VERIFICATION_FAILED ||
                  rc == VFM_ERROR_STACK_UNDERFLOW || rc == VFM_ERROR_STACK_OVERFLOW);
    }
    free(code);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"vfm_verify vs vfm_verify_ex with diag", test_verify_vs_verify_ex},
        {"NULL and zero-length inputs", test_empty_inputs},
        {"code size limit", test_code_too_large},
        {"every unknown opcode byte", test_every_unknown_opcode},
        {"every truncated instruction", test_every_truncation},
        {"policy: loops and helpers", test_policy_options},
        {"proof: depths, flags, counts", test_proof},
        {"depth pass worklist stress", test_worklist_stress},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"verify", NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    return unit_main(suites);
}
