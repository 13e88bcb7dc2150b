/* test_caseparse.c - the .case parser is strict: every malformed file is an error with file:line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "unit.h"

static void expect_bad(const char *text, const char *want)
{
    vfmt_case_t c;
    char err[512] = "";
    int rc = vfmt_case_parse("t.case", text, strlen(text), &c, err, sizeof err);
    CU_ASSERT_EQUAL(rc, -1);
    if (rc != -1 || !strstr(err, want)) {
        printf("\n  case text:\n%s\n  error \"%s\" lacks \"%s\"\n", text, err, want);
        CU_FAIL("parser message");
    }
    if (rc == 0)
        vfmt_case_free(&c);
}

#define OK_TAIL "-- asm\nRET 1\n-- packet\n00\n-- result\n1\n"

static void test_rejections(void)
{
    expect_bad("junk\n-- desc\nx\n" OK_TAIL, "t.case:1: text before the first section");
    expect_bad("-- asm\nRET 1\n-- packet\n00\n-- result\n1\n", "t.case:1: missing '-- desc'");
    expect_bad("-- desc\n\n" OK_TAIL, "t.case:1: empty description");
    expect_bad("-- desc\nx\n-- desc\ny\n" OK_TAIL, "t.case:3: second '-- desc' section (first at line 1)");
    expect_bad("-- desc\nx\n-- packets\n00\n" OK_TAIL, "t.case:3: unknown section header '-- packets'");
    expect_bad("-- desc\nx\n--asm\nRET 1\n", "t.case:3: unknown section header '--asm'");
    expect_bad("-- desc\nx\n-- packet\n00\n-- result\n1\n", "no program: add an '-- asm' or a '-- bytecode'");
    expect_bad("-- desc\nx\n-- bytecode\n50\n" OK_TAIL, "both '-- asm' (line 5) and '-- bytecode'");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- packet\n00\n", "nothing to check");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- result\n1\n", "t.case:5: '-- result' without any '-- packet'");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- packet\n00\n-- packet\n-- result\n1\n", "t.case:8: 1 result line for 2 packets");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- packet\n00\n-- result\n1\n2\n", "2 result lines for 1 packet");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- packet\n00\n-- error\nVFM_ERROR_BOUNDS x\n",
               "t.case:5: a case expecting a load error ('-- error') cannot have packets");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- result\n1\n-- error\nVFM_ERROR_BOUNDS x\n", "both '-- result'");
    /* hex */
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- packet\n00\n0g\n-- result\n1\n", "t.case:7: packet: 'g' is not a hex digit");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- packet\n00 1\n-- result\n1\n", "t.case:6: packet: odd number of hex digits");
    expect_bad("-- desc\nx\n-- bytecode\n11 0x01\n-- packet\n00\n-- result\n1\n", "t.case:4: bytecode: 'x' is not a hex digit");
    /* results */
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- packet\n00\n-- result\n-1\n", "t.case:8: result '-1' is neither");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- packet\n00\n-- result\n18446744073709551616\n", "result '18446744073709551616' is neither");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- packet\n00\n-- result\n0x\n", "result '0x' is neither");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- packet\n00\n-- result\n1 2\n", "t.case:8: one result per line");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- packet\n00\n-- result\nVFM_ERROR_NOPE\n", "unknown error name 'VFM_ERROR_NOPE'");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- packet\n00\n-- result\nVFM_SUCCESS\n", "write a success as its value");
    /* errors */
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- error\n\n", "t.case:5: empty error section");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- error\nVFM_ERROR_BOUNDS\n", "t.case:6: error VFM_ERROR_BOUNDS: give a substring");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- error\n\nBOUNDS x\n", "t.case:7: unknown error name 'BOUNDS'");
    expect_bad("-- desc\nx\n-- asm\nRET 1\n-- error\nVFM_SUCCESS x\n", "VFM_SUCCESS is not an error");
    /* options */
    expect_bad("-- desc\nx\n-- options\nloops\n" OK_TAIL, "t.case:4: option 'loops' needs a value");
    expect_bad("-- desc\nx\n-- options\nloops ten\n" OK_TAIL, "option 'loops': 'ten' is not a number");
    expect_bad("-- desc\nx\n-- options\nloop 1\n" OK_TAIL, "unknown option 'loop'");
    expect_bad("-- desc\nx\n-- options\nflow 1\nflow 2\n" OK_TAIL, "t.case:5: option 'flow' given twice");
    expect_bad("-- desc\nx\n-- options\nloops 4294967296\n" OK_TAIL, "too large");
    expect_bad("-- desc\nx\n-- options\nlinktype 2147483648\n" OK_TAIL, "too large");
    /* assembly errors point into the case file */
    expect_bad("-- desc\nx\n-- asm\nRET 1\n  FROB\n-- packet\n00\n-- result\n1\n", "t.case:5:3: unknown mnemonic 'FROB'");
    expect_bad("-- desc\nx\n-- asm\n\n-- packet\n00\n-- result\n1\n", "t.case:3: empty asm section");
    /* a NUL byte */
    const char nul[] = "-- desc\nx\0y\n" OK_TAIL;
    vfmt_case_t c;
    char err[256];
    CU_ASSERT_EQUAL(vfmt_case_parse("t.case", nul, sizeof nul - 1, &c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "t.case:2: NUL byte"));
    /* unreadable file */
    CU_ASSERT_EQUAL(vfmt_case_load("/nonexistent/x.case", &c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/x.case: cannot open"));
}

static void test_accepts(void)
{
    const char *text =
        "# a leading comment is fine\n\n"
        "-- desc\n  two\n  lines  \n"
        "-- options\nloops 5   # comment\nlinktype 0x65\nflow 16\n"
        "-- bytecode\n11 01 # PUSH8 1\n50\n"
        "-- packet\n"
        "-- packet\nAB cd\n\tEF\n"
        "-- result\n1\n\n0x1 # hex\n"
        "-- desc-like text is not a header unless it starts a line with '-- '\n";
    vfmt_case_t c;
    char err[256];
    /* the last line is a (bad) header: the parser must say so */
    CU_ASSERT_EQUAL(vfmt_case_parse("t.case", text, strlen(text), &c, err, sizeof err), -1);
    text = "# a leading comment is fine\n\n"
           "-- desc\n  two\n  lines  \n"
           "-- options\nloops 5   # comment\nlinktype 0x65\nflow 16\n"
           "-- bytecode\n11 01 # PUSH8 1\n50\n"
           "-- packet\n"
           "-- packet\nAB cd\n\tEF\n"
           "-- result\n1\n\n0x1 # hex\n";
    CU_ASSERT_EQUAL_FATAL(vfmt_case_parse("t.case", text, strlen(text), &c, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(c.desc, "two\n  lines");
    CU_ASSERT(c.has_loops && c.loops == 5);
    CU_ASSERT(c.has_linktype && c.linktype == 101);
    CU_ASSERT(c.has_flow && c.flow == 16);
    CU_ASSERT_EQUAL(c.code_len, 3);
    CU_ASSERT(c.code[0] == 0x11 && c.code[1] == 1 && c.code[2] == 0x50);
    CU_ASSERT_FALSE(c.from_asm);
    CU_ASSERT_EQUAL_FATAL(c.npackets, 2);
    CU_ASSERT_EQUAL(c.packets[0].len, 0);
    CU_ASSERT_EQUAL(c.packets[1].len, 3);
    CU_ASSERT(c.packets[1].data[0] == 0xab && c.packets[1].data[2] == 0xef);
    CU_ASSERT_EQUAL(c.results[0].value, 1);
    CU_ASSERT_EQUAL(c.results[1].value, 1);
    CU_ASSERT_EQUAL(c.results[1].line, 20);
    CU_ASSERT_FALSE(c.expect_error);
    vfmt_case_free(&c);

    text = "-- desc\nd\n-- asm\nPUSH 1\n-- error\n  VFM_ERROR_VERIFICATION_FAILED   pc 0: falls off  \n";
    CU_ASSERT_EQUAL_FATAL(vfmt_case_parse("t.case", text, strlen(text), &c, err, sizeof err), 0);
    CU_ASSERT(c.expect_error);
    CU_ASSERT_EQUAL(c.error_code, VFM_ERROR_VERIFICATION_FAILED);
    CU_ASSERT_STRING_EQUAL(c.error_msg, "pc 0: falls off");
    CU_ASSERT_EQUAL(c.error_line, 6);
    CU_ASSERT(c.from_asm);
    CU_ASSERT_EQUAL(c.code_len, 2);
    CU_ASSERT_PTR_NOT_NULL(c.asm_src);
    vfmt_case_free(&c);
    vfmt_case_free(&c); /* twice is harmless */

    /* an error result and the largest value */
    text = "-- desc\nd\n-- asm\nLD8 0\nRET\n-- packet\n-- packet\nff\n-- result\nVFM_ERROR_BOUNDS\n"
           "0xff\n";
    CU_ASSERT_EQUAL_FATAL(vfmt_case_parse("t.case", text, strlen(text), &c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.results[0].code, VFM_ERROR_BOUNDS);
    CU_ASSERT_EQUAL(c.results[1].code, VFM_SUCCESS);
    vfmt_case_free(&c);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"malformed files are errors with file:line", test_rejections},
        {"well-formed files parse to what they say", test_accepts},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"case parser", NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    return unit_main(suites);
}
