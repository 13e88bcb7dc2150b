/* test_isa.c - the opcode table (opcodes.def expanded by isa.c) is consistent. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vfm/asm.h"
#include "vfm/isa.h"
#include "vfm/vfm.h"

/* Every row sits at its own code; count matches VFM_OPCODE_COUNT. */
static void test_codes_unique(void)
{
    unsigned n = 0;
    for (unsigned b = 0; b < 256; b++) {
        const vfm_opinfo_t *info = vfm_opinfo((uint8_t)b);
        if (!info)
            continue;
        n++;
        CU_ASSERT_EQUAL(info->code, b);
    }
    CU_ASSERT_EQUAL(n, VFM_OPCODE_COUNT);
}

static void test_names_unique(void)
{
    for (unsigned a = 0; a < 256; a++) {
        const vfm_opinfo_t *x = vfm_opinfo((uint8_t)a);
        if (!x)
            continue;
        for (unsigned b = a + 1; b < 256; b++) {
            const vfm_opinfo_t *y = vfm_opinfo((uint8_t)b);
            if (y && strcasecmp(x->name, y->name) == 0)
                CU_FAIL("two opcodes share a mnemonic");
        }
    }
}

static void test_names_well_formed(void)
{
    for (unsigned b = 0; b < 256; b++) {
        const vfm_opinfo_t *info = vfm_opinfo((uint8_t)b);
        if (!info)
            continue;
        CU_ASSERT_PTR_NOT_NULL_FATAL(info->name);
        CU_ASSERT(strlen(info->name) > 0);
        for (const char *p = info->name; *p; p++)
            CU_ASSERT(isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_');
        CU_ASSERT_PTR_NOT_NULL(info->summary);
        CU_ASSERT(info->summary && strlen(info->summary) > 0);
    }
}

static void test_sizes_match_operands(void)
{
    for (unsigned b = 0; b < 256; b++) {
        const vfm_opinfo_t *info = vfm_opinfo((uint8_t)b);
        if (!info)
            continue;
        CU_ASSERT(info->operand < VFM_OPND_COUNT_);
        CU_ASSERT_EQUAL(info->size, 1 + vfm_operand_size((vfm_operand_t)info->operand));
    }
}

static void test_operand_kinds(void)
{
    static const struct {
        vfm_operand_t kind;
        unsigned size;
        const char *name;
    } want[] = {
        {VFM_OPND_NONE, 0, "NONE"},   {VFM_OPND_OFF16, 2, "OFF16"}, {VFM_OPND_IMM8, 1, "IMM8"},
        {VFM_OPND_IMM16, 2, "IMM16"}, {VFM_OPND_IMM32, 4, "IMM32"}, {VFM_OPND_IMM64, 8, "IMM64"},
        {VFM_OPND_REL16, 2, "REL16"}, {VFM_OPND_HELPER16, 2, "HELPER16"},
    };
    CU_ASSERT_EQUAL(UNIT_ARRAY_LEN(want), VFM_OPND_COUNT_);
    for (size_t i = 0; i < UNIT_ARRAY_LEN(want); i++) {
        CU_ASSERT_EQUAL(vfm_operand_size(want[i].kind), want[i].size);
        CU_ASSERT_STRING_EQUAL(vfm_operand_name(want[i].kind), want[i].name);
    }
    CU_ASSERT_EQUAL(vfm_operand_size(VFM_OPND_COUNT_), 0);
    CU_ASSERT_EQUAL(vfm_operand_size((vfm_operand_t)200), 0);
    CU_ASSERT_STRING_EQUAL(vfm_operand_name((vfm_operand_t)200), "?");
}

static void test_magic_byte_unused(void)
{
    CU_ASSERT_PTR_NULL(vfm_opinfo(0x56));
    CU_ASSERT_EQUAL(VFM_OP_RESERVED_MAGIC, 0x56);
    CU_ASSERT_EQUAL((uint8_t)'V', 0x56);
}

static void test_by_name_round_trip(void)
{
    for (unsigned b = 0; b < 256; b++) {
        const vfm_opinfo_t *info = vfm_opinfo((uint8_t)b);
        if (!info)
            continue;
        size_t n = strlen(info->name);
        CU_ASSERT_PTR_EQUAL(vfm_opinfo_by_name(info->name, (unsigned)n), info);
        /* case-insensitive */
        char lower[32];
        CU_ASSERT_FATAL(n < sizeof lower);
        for (size_t i = 0; i <= n; i++)
            lower[i] = (char)tolower((unsigned char)info->name[i]);
        CU_ASSERT_PTR_EQUAL(vfm_opinfo_by_name(lower, (unsigned)n), info);
        /* a name followed by more text is matched by its length only */
        char longer[40];
        snprintf(longer, sizeof longer, "%s rest", info->name);
        CU_ASSERT_PTR_EQUAL(vfm_opinfo_by_name(longer, (unsigned)n), info);
        /* a proper prefix is not a match (unless it is itself a mnemonic) */
        const vfm_opinfo_t *pre = vfm_opinfo_by_name(info->name, (unsigned)n - 1);
        if (pre)
            CU_ASSERT_EQUAL(strlen(pre->name), n - 1);
    }
    CU_ASSERT_PTR_NULL(vfm_opinfo_by_name("LD", 2));
    CU_ASSERT_PTR_NULL(vfm_opinfo_by_name("LD16X", 5));
    CU_ASSERT_PTR_NULL(vfm_opinfo_by_name("", 0));
    CU_ASSERT_PTR_NULL(vfm_opinfo_by_name("PUSH64", 6)); /* assembler sugar, not an opcode */
}

/* The flags agree with the operand kinds and stack effects. */
static void test_flags_consistent(void)
{
    for (unsigned b = 0; b < 256; b++) {
        const vfm_opinfo_t *i = vfm_opinfo((uint8_t)b);
        if (!i)
            continue;
        unsigned f = i->flags;
        CU_ASSERT_EQUAL((f & VFM_F_JUMP) != 0, i->operand == VFM_OPND_REL16);
        CU_ASSERT_EQUAL((f & VFM_F_CALL) != 0, i->operand == VFM_OPND_HELPER16);
        if (f & VFM_F_PUSH) {
            CU_ASSERT(i->operand == VFM_OPND_IMM8 || i->operand == VFM_OPND_IMM16 ||
                      i->operand == VFM_OPND_IMM32 || i->operand == VFM_OPND_IMM64);
            CU_ASSERT(i->pops == 0 && i->pushes == 1);
        }
        if (i->operand == VFM_OPND_OFF16)
            CU_ASSERT(f & VFM_F_PKT);
        if (f & VFM_F_PKT)
            CU_ASSERT(i->pushes == 1);
        if (f & (VFM_F_CMP | VFM_F_DIV))
            CU_ASSERT(i->pops == 2 && i->pushes == 1);
        if (f & VFM_F_NOFALL)
            CU_ASSERT(b == VFM_OP_JMP || b == VFM_OP_RET);
        if (f & VFM_F_CALL)
            CU_ASSERT(i->pops == 0 && i->pushes == 0);
        CU_ASSERT(i->pops <= 2 && i->pushes <= 3);
    }
    /* a few rows spelled out */
    CU_ASSERT_EQUAL(vfm_opinfo(VFM_OP_RET)->pops, 1);
    CU_ASSERT_EQUAL(vfm_opinfo(VFM_OP_OVER)->pushes, 3);
    CU_ASSERT_EQUAL(vfm_opinfo(VFM_OP_JZ)->pops, 1);
    CU_ASSERT_EQUAL(vfm_opinfo(VFM_OP_FLOW_STORE)->pops, 2);
    CU_ASSERT_EQUAL(vfm_opinfo(VFM_OP_PUSH)->size, 9);
    CU_ASSERT_EQUAL(vfm_opinfo(VFM_OP_PUSH8)->size, 2);
    CU_ASSERT_EQUAL(vfm_opinfo(VFM_OP_LDX64)->size, 3);
}

/*
 * vfm_opinfo_is_binop() picks exactly the ops vfm_binop_eval() computes: for
 * each, `PUSH a; PUSH b; OP; RET` on the interpreter gives vfm_binop_eval's
 * value, and there are 16 of them (10 ALU, 6 comparisons).
 */
static void test_binop_predicate(void)
{
    static const uint64_t pairs[][2] = {{7, 3}, {3, 7}, {0, 5}, {UINT64_MAX, 2}, {1, 64}, {9, 9}};
    unsigned n = 0, cmp = 0;
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
    for (unsigned b = 0; b < 256; b++) {
        const vfm_opinfo_t *i = vfm_opinfo((uint8_t)b);
        if (!vfm_opinfo_is_binop(i))
            continue;
        n++;
        cmp += (i->flags & VFM_F_CMP) != 0;
        for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
            char src[128];
            snprintf(src, sizeof src, "PUSH %llu\nPUSH %llu\n%s\nRET\n",
                     (unsigned long long)pairs[k][0], (unsigned long long)pairs[k][1], i->name);
            uint8_t *code = NULL;
            uint32_t len = 0;
            CU_ASSERT_EQUAL_FATAL(vfm_assemble(src, strlen(src), NULL, &code, &len, NULL), VFM_SUCCESS);
            CU_ASSERT_EQUAL_FATAL(vfm_load_program(vm, code, len), VFM_SUCCESS);
            free(code);
            uint64_t v = 0;
            int rc = vfm_run(vm, (const uint8_t *)"", 0, &v);
            if (rc != VFM_SUCCESS || v != vfm_binop_eval(i->code, pairs[k][0], pairs[k][1]))
                CU_FAIL(i->name); /* no b is 0: the verifier refuses DIV/MOD by a constant 0 */
        }
    }
    vfm_destroy(vm);
    CU_ASSERT_EQUAL(n, 16);
    CU_ASSERT_EQUAL(cmp, 6);
    CU_ASSERT_FALSE(vfm_opinfo_is_binop(vfm_opinfo(VFM_OP_SWAP)));
    CU_ASSERT_FALSE(vfm_opinfo_is_binop(vfm_opinfo(VFM_OP_JEQ)));
    CU_ASSERT_FALSE(vfm_opinfo_is_binop(NULL));
}

/* The enum names and codes are the table's. */
static void test_enum_matches_table(void)
{
#define VFM_OP(op, byte, opnd, npops, npushes, fl, doc)                                           \
    CU_ASSERT_EQUAL(VFM_OP_##op, byte);                                                           \
    CU_ASSERT_STRING_EQUAL(vfm_opinfo(byte)->name, #op);                                          \
    CU_ASSERT_EQUAL(vfm_opinfo(byte)->operand, VFM_OPND_##opnd);                                  \
    CU_ASSERT_EQUAL(vfm_opinfo(byte)->pops, npops);                                               \
    CU_ASSERT_EQUAL(vfm_opinfo(byte)->flags, fl);
#include "vfm/opcodes.def"
#undef VFM_OP
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"codes unique, count matches", test_codes_unique},
        {"names unique", test_names_unique},
        {"names and summaries well formed", test_names_well_formed},
        {"sizes agree with vfm_operand_size", test_sizes_match_operands},
        {"operand kinds, sizes, names", test_operand_kinds},
        {"0x56 is not an opcode", test_magic_byte_unused},
        {"vfm_opinfo_by_name round trip", test_by_name_round_trip},
        {"flags consistent with operands", test_flags_consistent},
        {"enum matches table", test_enum_matches_table},
        {"vfm_opinfo_is_binop = what vfm_binop_eval computes", test_binop_predicate},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"isa", NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    return unit_main(suites);
}
