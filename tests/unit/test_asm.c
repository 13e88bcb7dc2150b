/* test_asm.c - the assembler (messages, encodings, syntax) and the disassembler round trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "unit.h"
#include "vfm/asm.h"
#include "vfm/bytecode.h"

/* Assemble @p src; expect failure with exactly @p msg (which includes "unit:line:col: "). */
static void expect_error(const char *src, size_t len, int code, const char *msg)
{
    vfm_asm_opts_t o;
    memset(&o, 0, sizeof o);
    o.filename = "unit";
    o.no_verify = 1;
    vfm_diag_t d;
    memset(&d, 0, sizeof d);
    uint8_t *out = (uint8_t *)"untouched";
    uint32_t n = 77;
    int rc = vfm_assemble(src, len, &o, &out, &n, &d);
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_EQUAL(d.code, code);
    CU_ASSERT_PTR_NULL(out);
    CU_ASSERT_EQUAL(n, 0);
    if (strcmp(d.msg, msg) != 0) {
        printf("\n  source %.*s\n  got    \"%s\"\n  want   \"%s\"\n", (int)(len > 40 ? 40 : len),
               src, d.msg, msg);
        CU_FAIL("assembler message");
    }
    /* line/col fields agree with the message */
    char pfx[64];
    snprintf(pfx, sizeof pfx, "unit:%u:%u: ", d.line, d.col);
    CU_ASSERT_EQUAL(strncmp(d.msg, pfx, strlen(pfx)), 0);
}

#define ERR(src, msg) expect_error(src, strlen(src), VFM_ERROR_INVALID_PROGRAM, msg)

static void test_error_messages(void)
{
    ERR("  FROB 1", "unit:1:3: unknown mnemonic 'FROB'");
    ERR("RET 1\nLD8", "unit:2:4: missing operand: LD8 needs a packet offset 0..65535");
    ERR("ADD 1", "unit:1:5: unexpected operand '1': ADD takes none");
    ERR("LD8 65536", "unit:1:5: offset 65536 out of range 0..65535 for LD8");
    ERR("LD8 -1", "unit:1:5: offset -1 out of range 0..65535 for LD8");
    ERR("PUSH8 128", "unit:1:7: value 128 out of range -128..127 for PUSH8");
    ERR("PUSH8 -129", "unit:1:7: value -129 out of range -128..127 for PUSH8");
    ERR("PUSH16 -1", "unit:1:8: value -1 out of range 0..65535 for PUSH16");
    ERR("PUSH32 0x100000000", "unit:1:8: value 0x100000000 out of range 0..4294967295 for PUSH32");
    ERR("JMP 32768", "unit:1:5: jump offset 32768 out of range -32768..32767 for JMP");
    ERR("PUSH 18446744073709551616", "unit:1:6: number '18446744073709551616' does not fit in 64 bits");
    ERR("PUSH -9223372036854775809",
        "unit:1:6: value -9223372036854775809 out of range -9223372036854775808..18446744073709551615 for PUSH");
    ERR("PUSH 0x1g", "unit:1:6: invalid digit 'g' in number '0x1g'");
    ERR("PUSH 12a", "unit:1:6: invalid digit 'a' in number '12a'");
    ERR("PUSH 0b102", "unit:1:6: invalid digit '2' in number '0b102'");
    ERR("PUSH 0x", "unit:1:6: number '0x' has no digits after its prefix");
    ERR("a: RET 1\n  a: RET 0", "unit:2:3: duplicate label 'a' (first defined at line 1)");
    ERR("JMP nowhere\nRET 1", "unit:1:5: undefined label 'nowhere'");
    ERR("LD8 1 2", "unit:1:7: unexpected '2' after the operand of LD8");
    ERR("LD8 $1", "unit:1:5: LD8 needs a packet offset 0..65535, found character '$'");
    ERR("123", "unit:1:1: expected a label or an instruction, found '123'");
    ERR("PUSH foo", "unit:1:6: PUSH needs a number, found 'foo'");
    ERR("RET x", "unit:1:5: RET needs a number, found 'x'");
    ERR("CALL foo", "unit:1:6: unknown helper 'foo'");
    ERR("JZ", "unit:1:3: missing operand: JZ needs a label or a relative offset");
    ERR("x:\n\n\t  ADD 1 ; comment", "unit:3:8: unexpected operand '1': ADD takes none");
    ERR("", "unit:1:1: empty program: no instructions");
    ERR("; nothing but a comment\n# and another\n\n", "unit:1:1: empty program: no instructions");
    ERR("only: label:", "unit:1:1: empty program: no instructions");
    expect_error("RET 1\nNOT\0", 10, VFM_ERROR_INVALID_PROGRAM,
                 "unit:2:4: unexpected character 0x00 (binary input?)");
    ERR("LD8 \x01", "unit:1:5: LD8 needs a packet offset 0..65535, found character 0x01");
    ERR("LD8 \xc3\xa9", "unit:1:5: LD8 needs a packet offset 0..65535, found byte 0xc3");
    /* long tokens are cut in messages */
    ERR("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "unit:1:1: unknown mnemonic 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...'");
}

static void test_size_limits(void)
{
    /* a jump further than REL16 reaches */
    size_t n = 40000 * 4 + 64;
    char *src = malloc(n);
    size_t o = (size_t)snprintf(src, n, "JMP end\n");
    for (int i = 0; i < 40000; i++)
        o += (size_t)snprintf(src + o, n - o, "NOT\n");
    snprintf(src + o, n - o, "end: RET 1\n");
    expect_error(src, strlen(src), VFM_ERROR_INVALID_PROGRAM,
                 "unit:1:5: jump to 'end' out of range (+40000 bytes; limit +-32767)");
    free(src);
    /* more code than VFM_CODE_MAX */
    n = 70000 * 4 + 64;
    src = malloc(n);
    o = 0;
    for (int i = 0; i < 70000; i++)
        o += (size_t)snprintf(src + o, n - o, "NOT\n");
    expect_error(src, o, VFM_ERROR_INVALID_PROGRAM,
                 "unit:65536:1: program too large: more than 65535 bytes of code (VFM_CODE_MAX)");
    free(src);
}

/* With verification on, a verifier error points at the source line of the instruction. */
static void test_verifier_errors_have_lines(void)
{
    vfm_asm_opts_t o;
    memset(&o, 0, sizeof o);
    o.filename = "f.vfm";
    vfm_diag_t d;
    uint8_t *code;
    uint32_t n;
    const char *src = "; stack check\nPUSH 1\n  ADD\nRET";
    CU_ASSERT_EQUAL(vfm_assemble(src, strlen(src), &o, &code, &n, &d), VFM_ERROR_STACK_UNDERFLOW);
    CU_ASSERT_EQUAL(d.line, 3);
    CU_ASSERT_EQUAL(d.col, 3);
    CU_ASSERT_EQUAL(d.pc, 2);
    CU_ASSERT_STRING_EQUAL(d.msg, "f.vfm:3:3: pc 2: stack underflow: ADD needs 2 values, the stack holds 1");
    src = "LD8 0\nJZ x\nRET 1\nx: PUSH 3";
    CU_ASSERT_EQUAL(vfm_assemble(src, strlen(src), &o, &code, &n, &d), VFM_ERROR_VERIFICATION_FAILED);
    CU_ASSERT_EQUAL(d.line, 4);
    CU_ASSERT_EQUAL(d.col, 4);
    /* the policy in the options is used */
    src = "l: LD8 0\nJNZ l\nRET 1";
    CU_ASSERT_EQUAL(vfm_assemble(src, strlen(src), &o, &code, &n, &d), VFM_ERROR_VERIFICATION_FAILED);
    CU_ASSERT_EQUAL(d.line, 2);
    o.verify.allow_loops = 1;
    CU_ASSERT_EQUAL(vfm_assemble(src, strlen(src), &o, &code, &n, &d), VFM_SUCCESS);
    free(code);
    /* no filename: "<input>"; NULL options are the defaults */
    o.filename = NULL;
    CU_ASSERT_EQUAL(vfm_assemble("FROB", 4, &o, &code, &n, &d), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_STRING_EQUAL(d.msg, "<input>:1:1: unknown mnemonic 'FROB'");
    CU_ASSERT_EQUAL(vfm_assemble("PUSH 1", 6, NULL, &code, &n, &d), VFM_ERROR_VERIFICATION_FAILED);
    CU_ASSERT_EQUAL(vfm_assemble("PUSH 1", 6, NULL, &code, &n, NULL), VFM_ERROR_VERIFICATION_FAILED);
    CU_ASSERT_EQUAL(vfm_assemble(NULL, 3, NULL, &code, &n, &d), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_assemble("RET 1", 5, NULL, NULL, &n, &d), VFM_ERROR_INVALID_ARGUMENT);
}

/* Assemble (no verification) and compare with @p hex. */
static void expect_bytes(const char *src, const char *hex)
{
    size_t wn;
    uint8_t *want = unit_hex(hex, &wn);
    uint32_t n;
    uint8_t *got = unit_asm(src, &n, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    if (n != wn || memcmp(got, want, n) != 0) {
        printf("\n  \"%s\" assembles to", src);
        for (uint32_t i = 0; i < n; i++)
            printf(" %02x", got[i]);
        printf(", want %s\n", hex);
        CU_FAIL("encoding");
    }
    free(got);
    free(want);
}

static void test_push_forms(void)
{
    expect_bytes("PUSH 0", "11 00");
    expect_bytes("PUSH 127", "11 7f");
    expect_bytes("PUSH -128", "11 80");
    expect_bytes("PUSH -1", "11 ff");
    expect_bytes("PUSH 0xffffffffffffffff", "11 ff");
    expect_bytes("PUSH 128", "12 80 00");
    expect_bytes("PUSH 255", "12 ff 00");
    expect_bytes("PUSH 65535", "12 ff ff");
    expect_bytes("PUSH 65536", "13 00 00 01 00");
    expect_bytes("PUSH 0xffffffff", "13 ff ff ff ff");
    expect_bytes("PUSH 0x100000000", "10 00 00 00 00 01 00 00 00");
    expect_bytes("PUSH -129", "10 7f ff ff ff ff ff ff ff");
    expect_bytes("PUSH 0x8000000000000000", "10 00 00 00 00 00 00 00 80");
    expect_bytes("PUSH64 5", "10 05 00 00 00 00 00 00 00");
    expect_bytes("PUSH8 -1\nPUSH16 1\nPUSH32 2", "11 ff 12 01 00 13 02 00 00 00");
    expect_bytes("RET 1", "11 01 50");
    expect_bytes("RET 0x1234", "12 34 12 50");
    expect_bytes("RET -2", "11 fe 50");
    expect_bytes("RET", "50");
}

static void test_syntax(void)
{
    /* numbers */
    expect_bytes("PUSH 0x1F\nPUSH 0X1f\nPUSH 0b101\nPUSH 0B11\nPUSH +5\nPUSH -5",
                 "11 1f 11 1f 11 05 11 03 11 05 11 fb");
    expect_bytes("LD8 0xffff\nLDX32 0b1", "01 ff ff 07 01 00");
    /* mnemonics are case-insensitive */
    expect_bytes("ld16 12\nPush 1\nret", "02 0c 00 11 01 50");
    /* comments, blank lines, CRLF, tabs */
    expect_bytes("; c\r\n\r\n\tNOT ; after\r\n# hash comment\r\nNOT#tight\r\n", "28 28");
    /* labels: forward, backward, several on a line, on their own line, case-sensitive */
    expect_bytes("JMP a\nA: NOT\na: b:\nc: JMP b", "40 01 00 28 40 fd ff");
    expect_bytes("x.y_1: JMP x.y_1", "40 fd ff");
    /* numeric jump offsets, relative to the next instruction */
    expect_bytes("JMP +0\nJMP -3\nJZ 32767\nJNZ -32768", "40 00 00 40 fd ff 47 ff 7f 48 00 80");
    /* every operand kind */
    expect_bytes("CALL 65535\nLDX64 7\nHASH5\nFLOW_LOAD\nFLOW_STORE", "70 ff ff 08 07 00 60 61 62");
}

static int hfn(void *u, const uint8_t *p, size_t l, const uint64_t *a, uint64_t *r)
{
    (void)u, (void)p, (void)l, (void)a, (void)r;
    return 0;
}

static void test_helper_names(void)
{
    vfm_helper_t h[3];
    memset(h, 0, sizeof h);
    h[2] = (vfm_helper_t){"lookup", 1, 1, hfn, NULL};
    vfm_asm_opts_t o;
    memset(&o, 0, sizeof o);
    o.verify.helpers = h;
    o.verify.nhelpers = 3;
    uint8_t *code;
    uint32_t n;
    vfm_diag_t d;
    const char *src = "PUSH 1\nCALL lookup\nRET";
    CU_ASSERT_EQUAL_FATAL(vfm_assemble(src, strlen(src), &o, &code, &n, &d), VFM_SUCCESS);
    CU_ASSERT_EQUAL(n, 6);
    CU_ASSERT(code[2] == 0x70 && code[3] == 2 && code[4] == 0);
    free(code);
    src = "PUSH 1\nCALL Lookup\nRET";
    CU_ASSERT_EQUAL(vfm_assemble(src, strlen(src), &o, &code, &n, &d), VFM_ERROR_INVALID_PROGRAM);
}

/* ---- disassembler --------------------------------------------------------- */

/* Disassemble with labels, re-assemble, compare; returns 1 if it round-tripped. */
static int round_trip(const uint8_t *code, uint32_t len, const char *what)
{
    char *text = NULL;
    int rc = vfm_disassemble(code, len, VFM_DIS_LABELS, &text);
    if (rc != VFM_SUCCESS) {
        /* only undecodable code may fail, and the text so far is still returned */
        CU_ASSERT(rc == VFM_ERROR_INVALID_OPCODE || rc == VFM_ERROR_INVALID_PROGRAM);
        CU_ASSERT_PTR_NOT_NULL(text);
        CU_ASSERT_NOT_EQUAL(vfm_verify(code, len), VFM_SUCCESS);
        free(text);
        return 0;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    uint32_t n = 0;
    uint8_t *again = unit_asm(text, &n, 1);
    if (!again || n != len || memcmp(again, code, len) != 0) {
        printf("\n  %s: disassembly does not re-assemble to the same %u bytes:\n%s\n", what, len,
               text);
        CU_FAIL("round trip");
    }
    free(again);
    free(text);
    /* the other styles decode too */
    CU_ASSERT_EQUAL(vfm_disassemble(code, len, VFM_DIS_ADDR | VFM_DIS_HEX, &text), VFM_SUCCESS);
    CU_ASSERT(text && strlen(text) > 0);
    free(text);
    return 1;
}

typedef struct walk {
    unsigned files, tripped, undecodable;
} walk_t;

static void round_trip_case(void *user, const char *path)
{
    walk_t *w = user;
    vfmt_case_t c;
    char err[512];
    if (vfmt_case_load(path, &c, err, sizeof err)) {
        printf("\n  %s\n", err);
        CU_FAIL("case file does not parse");
        return;
    }
    w->files++;
    const uint8_t *code;
    uint32_t clen;
    if (c.code_len && vfm_bytecode_parse(c.code, c.code_len, &code, &clen, NULL, 0) == 0) {
        if (round_trip(code, clen, path))
            w->tripped++;
        else
            w->undecodable++;
    }
    vfmt_case_free(&c);
}

static void test_round_trip_every_case(void)
{
    walk_t w = {0, 0, 0};
    CU_ASSERT_EQUAL_FATAL(vfmt_case_walk(VFM_CASES_DIR, round_trip_case, &w), 0);
    printf("(%u case files, %u round trips, %u undecodable) ", w.files, w.tripped, w.undecodable);
    CU_ASSERT(w.files >= 120);
    CU_ASSERT(w.tripped >= 100);
}

static void test_disassembler_details(void)
{
    char *text;
    /* non-canonical encodings survive: PUSH64 of a small value, PUSH16 of a small value */
    static const uint8_t odd[] = {0x10, 5, 0, 0, 0, 0, 0, 0, 0, 0x12, 1, 0, 0x13, 0xff, 0, 0, 0, 0x20,
                                  0x20, 0x50};
    CU_ASSERT(round_trip(odd, sizeof odd, "non-canonical pushes"));
    /* jumps to bad targets are printed as numbers and still round-trip */
    static const uint8_t badjump[] = {0x40, 0x01, 0x00, 0x11, 0x05, 0x50, 0x40, 0x00, 0x10};
    CU_ASSERT(round_trip(badjump, sizeof badjump, "bad jump targets"));
    /* undecodable code: an error plus the text so far */
    static const uint8_t bad[] = {0x11, 0x01, 0xff, 0x50};
    CU_ASSERT_EQUAL(vfm_disassemble(bad, sizeof bad, 0, &text), VFM_ERROR_INVALID_OPCODE);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "PUSH8 1"));
    free(text);
    static const uint8_t cut[] = {0x11, 0x01, 0x10, 0x01};
    CU_ASSERT_EQUAL(vfm_disassemble(cut, sizeof cut, 0, &text), VFM_ERROR_INVALID_PROGRAM);
    free(text);
    /* vfm_format_insn */
    char buf[64];
    static const uint8_t jne[] = {0x02, 0x0c, 0x00, 0x42, 0x03, 0x00};
    CU_ASSERT_EQUAL(vfm_format_insn(jne, sizeof jne, 0, buf, sizeof buf), 3);
    CU_ASSERT_STRING_EQUAL(buf, "LD16 12");
    CU_ASSERT_EQUAL(vfm_format_insn(jne, sizeof jne, 3, buf, sizeof buf), 3);
    CU_ASSERT_STRING_EQUAL(buf, "JNE +3 (-> 9)");
    CU_ASSERT(vfm_format_insn(jne, sizeof jne, 6, buf, sizeof buf) < 0);
    CU_ASSERT(vfm_format_insn(jne, 4, 3, buf, sizeof buf) < 0);
    memset(buf, 'Z', sizeof buf);
    CU_ASSERT_EQUAL(vfm_format_insn(jne, sizeof jne, 0, buf, 4), 3);
    CU_ASSERT_EQUAL(buf[3], '\0');
    CU_ASSERT_EQUAL(buf[4], 'Z');
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"error messages with line:col", test_error_messages},
        {"size limits", test_size_limits},
        {"verifier errors at source lines", test_verifier_errors_have_lines},
        {"PUSH form selection and RET k", test_push_forms},
        {"numbers, labels, comments, case", test_syntax},
        {"helper names", test_helper_names},
        {"disassembler details", test_disassembler_details},
        {"round trip of every case program", test_round_trip_every_case},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"asm", NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    return unit_main(suites);
}
