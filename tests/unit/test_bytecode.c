/* test_bytecode.c - vfm_bytecode_parse / vfm_bytecode_write and the format doc in bytecode.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "vfm/asm.h"
#include "vfm/bytecode.h"

static const uint8_t ipv4_code[] = {0x02, 0x0c, 0x00, 0x12, 0x00, 0x08, 0x42, 0x03,
                                    0x00, 0x11, 0x01, 0x50, 0x11, 0x00, 0x50};

/* A header for @p code_len / @p meta_len with the given version and flags. */
static void header(uint8_t *h, unsigned version, unsigned flags, uint32_t clen, uint32_t mlen)
{
    memcpy(h, "VFMB", 4);
    h[4] = (uint8_t)version, h[5] = (uint8_t)(version >> 8);
    h[6] = (uint8_t)flags, h[7] = (uint8_t)(flags >> 8);
    for (int i = 0; i < 4; i++) {
        h[8 + i] = (uint8_t)(clen >> (8 * i));
        h[12 + i] = (uint8_t)(mlen >> (8 * i));
    }
}

/* Parse and expect a rejection whose reason contains @p want. */
static void expect_reject(const uint8_t *buf, size_t len, const char *want)
{
    const uint8_t *code = (const uint8_t *)"x";
    uint32_t clen = 12345;
    char why[256] = "";
    int rc = vfm_bytecode_parse(buf, len, &code, &clen, why, sizeof why);
    CU_ASSERT_EQUAL(rc, VFM_ERROR_INVALID_PROGRAM);
    if (!strstr(why, want)) {
        printf("\n  reason \"%s\" lacks \"%s\"\n", why, want);
        CU_FAIL("wrong rejection reason");
    }
    /* without a reason buffer it must still reject, and not crash */
    CU_ASSERT_EQUAL(vfm_bytecode_parse(buf, len, &code, &clen, NULL, 0), VFM_ERROR_INVALID_PROGRAM);
}

static void test_raw_code(void)
{
    const uint8_t *code = NULL;
    uint32_t clen = 0;
    char why[64];
    CU_ASSERT_EQUAL(vfm_bytecode_parse(ipv4_code, sizeof ipv4_code, &code, &clen, why, sizeof why), 0);
    CU_ASSERT_PTR_EQUAL(code, ipv4_code);
    CU_ASSERT_EQUAL(clen, sizeof ipv4_code);
    /* raw code of exactly VFM_CODE_MAX bytes is fine, one more is not */
    uint8_t *big = calloc(VFM_CODE_MAX + 1, 1);
    memset(big, VFM_OP_NOT, VFM_CODE_MAX + 1);
    CU_ASSERT_EQUAL(vfm_bytecode_parse(big, VFM_CODE_MAX, &code, &clen, why, sizeof why), 0);
    CU_ASSERT_EQUAL(clen, VFM_CODE_MAX);
    expect_reject(big, VFM_CODE_MAX + 1, "65536 bytes of code (at most 65535)");
    free(big);
}

static void test_rejections(void)
{
    uint8_t buf[64];
    expect_reject(NULL, 0, "empty program");
    expect_reject(ipv4_code, 0, "empty program");
    expect_reject(NULL, 5, "empty program");
    /* shorter than a header */
    header(buf, 1, 0, 15, 0);
    for (size_t n = 1; n < VFM_BC_HEADER_SIZE; n++)
        expect_reject(buf, n, "shorter than the 16-byte header");
    /* magic */
    header(buf, 1, 0, 15, 0);
    memcpy(buf + 16, ipv4_code, 15);
    buf[3] = 'X';
    expect_reject(buf, 31, "bad magic");
    /* versions other than 1 */
    for (unsigned v = 0; v < 4; v++) {
        if (v == VFM_BC_VERSION)
            continue;
        header(buf, v, 0, 15, 0);
        char want[64];
        snprintf(want, sizeof want, "version %u not supported", v);
        expect_reject(buf, 31, want);
    }
    header(buf, 0xffff, 0, 15, 0);
    expect_reject(buf, 31, "version 65535 not supported");
    /* each unknown required flag */
    for (unsigned bit = 8; bit < 16; bit++) {
        header(buf, 1, 1u << bit, 15, 0);
        char want[64];
        snprintf(want, sizeof want, "unknown required flags 0x%04x", 1u << bit);
        expect_reject(buf, 31, want);
    }
    /* code length out of range */
    header(buf, 1, 0, 0, 0);
    expect_reject(buf, 16, "header code length 0 out of range 1..65535");
    header(buf, 1, 0, VFM_CODE_MAX + 1, 0);
    expect_reject(buf, 31, "header code length 65536 out of range");
    header(buf, 1, 0, 0xffffffffu, 0);
    expect_reject(buf, 31, "header code length 4294967295 out of range");
    /* total length must be exact, including metadata; no overflow with huge meta_len */
    header(buf, 1, 0, 15, 0);
    expect_reject(buf, 30, "file has 30 bytes but its header describes 31");
    expect_reject(buf, 32, "file has 32 bytes but its header describes 31");
    header(buf, 1, 0, 15, 4);
    expect_reject(buf, 31, "file has 31 bytes but its header describes 35");
    header(buf, 1, 0, 15, 0xffffffffu);
    expect_reject(buf, 31, "but its header describes 4294967326");
}

static void test_accepted_headers(void)
{
    uint8_t buf[64];
    const uint8_t *code;
    uint32_t clen;
    /* every advisory flag is ignored */
    for (unsigned bit = 0; bit < 8; bit++) {
        header(buf, 1, 1u << bit, 15, 0);
        memcpy(buf + 16, ipv4_code, 15);
        CU_ASSERT_EQUAL(vfm_bytecode_parse(buf, 31, &code, &clen, NULL, 0), VFM_SUCCESS);
        CU_ASSERT_PTR_EQUAL(code, buf + 16);
        CU_ASSERT_EQUAL(clen, 15);
    }
    /* metadata is skipped */
    header(buf, 1, 0, 15, 5);
    memcpy(buf + 16, ipv4_code, 15);
    memcpy(buf + 31, "meta!", 5);
    CU_ASSERT_EQUAL(vfm_bytecode_parse(buf, 36, &code, &clen, NULL, 0), VFM_SUCCESS);
    CU_ASSERT_EQUAL(clen, 15);
}

/* A small message buffer truncates the reason, never overflows it. */
static void test_short_reason_buffer(void)
{
    uint8_t buf[16];
    header(buf, 7, 0, 15, 0);
    char why[8];
    memset(why, 'Z', sizeof why);
    const uint8_t *code;
    uint32_t clen;
    CU_ASSERT_EQUAL(vfm_bytecode_parse(buf, 16, &code, &clen, why, 5), VFM_ERROR_INVALID_PROGRAM);
    CU_ASSERT_EQUAL(why[4], '\0');
    CU_ASSERT_EQUAL(why[5], 'Z');
}

static void test_write_round_trip(void)
{
    uint8_t *img = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL_FATAL(vfm_bytecode_write(ipv4_code, sizeof ipv4_code, &img, &n), VFM_SUCCESS);
    CU_ASSERT_EQUAL(n, VFM_BC_HEADER_SIZE + sizeof ipv4_code);
    CU_ASSERT_EQUAL(memcmp(img, "VFMB", 4), 0);
    CU_ASSERT_EQUAL(img[4] | img[5] << 8, VFM_BC_VERSION);
    CU_ASSERT_EQUAL(img[6] | img[7] << 8, 0); /* no loops, no helpers */
    const uint8_t *code;
    uint32_t clen;
    CU_ASSERT_EQUAL(vfm_bytecode_parse(img, n, &code, &clen, NULL, 0), VFM_SUCCESS);
    CU_ASSERT_EQUAL(clen, sizeof ipv4_code);
    CU_ASSERT_EQUAL(memcmp(code, ipv4_code, clen), 0);
    /* the image loads like the raw code */
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_EQUAL(vfm_load_program(vm, img, (uint32_t)n), VFM_SUCCESS);
    uint8_t pkt[14] = {[12] = 0x08, [13] = 0x00};
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt, sizeof pkt), 1);
    vfm_destroy(vm);
    free(img);
}

static void test_write_flags(void)
{
    /* loop: LD8 0; JNZ loop; RET 1 -> LOOPS */
    static const uint8_t loop[] = {0x01, 0x00, 0x00, 0x48, 0xfa, 0xff, 0x11, 0x01, 0x50};
    /* CALL 3; RET 1 -> HELPERS */
    static const uint8_t call[] = {0x70, 0x03, 0x00, 0x11, 0x01, 0x50};
    uint8_t *img;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(vfm_bytecode_write(loop, sizeof loop, &img, &n), VFM_SUCCESS);
    CU_ASSERT_EQUAL(img[6] | img[7] << 8, VFM_BC_F_LOOPS);
    free(img);
    CU_ASSERT_EQUAL_FATAL(vfm_bytecode_write(call, sizeof call, &img, &n), VFM_SUCCESS);
    CU_ASSERT_EQUAL(img[6] | img[7] << 8, VFM_BC_F_HELPERS);
    free(img);
}

static void test_write_bad_args(void)
{
    uint8_t *img = NULL;
    size_t n = 0;
    CU_ASSERT_EQUAL(vfm_bytecode_write(NULL, 3, &img, &n), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_bytecode_write(ipv4_code, 0, &img, &n), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_bytecode_write(ipv4_code, VFM_CODE_MAX + 1, &img, &n),
                    VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_bytecode_write(ipv4_code, 3, NULL, &n), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(vfm_bytecode_write(ipv4_code, 3, &img, NULL), VFM_ERROR_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(img);
}

/* ---- the worked example in the comment of bytecode.h ---------------------- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The dump lines after "Worked example": leading hex byte pairs of each " *   " line. */
static size_t example_bytes(const char *doc, uint8_t *out, size_t cap)
{
    const char *p = strstr(doc, "Worked example");
    size_t n = 0;
    if (!p)
        return 0;
    p = strchr(p, '\n');
    while (p && *++p) {
        const char *eol = strchr(p, '\n');
        if (!eol || strncmp(p, " */", 3) == 0)
            break;
        const char *q = p;
        while (*q == ' ' || *q == '*')
            q++;
        /* two-digit hex tokens until the first other token (the annotation) */
        for (;;) {
            while (q < eol && *q == ' ')
                q++;
            unsigned v;
            if (q + 2 > eol || !strchr("0123456789abcdef", q[0]) || !q[0] ||
                !strchr("0123456789abcdef", q[1]) || !q[1] || (q + 2 < eol && q[2] != ' ') ||
                sscanf(q, "%2x", &v) != 1)
                break;
            if (n < cap)
                out[n] = (uint8_t)v;
            n++;
            q += 2;
        }
        p = eol;
    }
    return n;
}

static void test_worked_example(void)
{
    const char *doc = read_text(VFM_SOURCE_DIR "/libvfm/include/vfm/bytecode.h");
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    uint8_t img[128];
    size_t n = example_bytes(doc, img, sizeof img);
    CU_ASSERT_EQUAL_FATAL(n, 16 + 15);
    /* the header as the dump shows it */
    const uint8_t *code;
    uint32_t clen;
    CU_ASSERT_EQUAL_FATAL(vfm_bytecode_parse(img, n, &code, &clen, NULL, 0), VFM_SUCCESS);
    CU_ASSERT_EQUAL(clen, 15);
    /* the bytes are exactly the program the dump's annotations name */
    static const char *const want[] = {"LD16 12", "PUSH16 0x800", "JNE +3", "PUSH8 1", "RET",
                                       "PUSH8 0", "RET"};
    uint32_t pc = 0;
    for (size_t i = 0; i < UNIT_ARRAY_LEN(want); i++) {
        char text[64];
        int sz = vfm_format_insn(code, clen, pc, text, sizeof text);
        CU_ASSERT_FATAL(sz > 0);
        if (strncmp(text, want[i], strlen(want[i])) != 0) {
            printf("\n  pc %u: dump decodes to \"%s\", the comment says \"%s\"\n", pc, text, want[i]);
            CU_FAIL("worked example bytes differ from their annotation");
        }
        pc += (uint32_t)sz;
    }
    CU_ASSERT_EQUAL(pc, clen);
    /* the program named in the example's title assembles to the same bytes */
    const char *t = strstr(doc, "Worked example, \"");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    t += strlen("Worked example, \"");
    const char *end = strchr(t, '"');
    CU_ASSERT_PTR_NOT_NULL_FATAL(end);
    char src[256];
    size_t sl = (size_t)(end - t);
    CU_ASSERT_FATAL(sl < sizeof src);
    for (size_t i = 0; i < sl; i++)
        src[i] = t[i] == ';' ? '\n' : t[i];
    src[sl] = '\0';
    uint32_t alen;
    uint8_t *asmd = unit_asm(src, &alen, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(asmd);
    if (alen != clen || memcmp(asmd, code, clen) != 0) {
        printf("\n  title program \"%.*s\" assembles to:", (int)sl, t);
        for (uint32_t i = 0; i < alen; i++)
            printf(" %02x", asmd[i]);
        printf("\n  the dump has:                ");
        for (uint32_t i = 0; i < clen; i++)
            printf(" %02x", code[i]);
        printf("\n");
        CU_FAIL("the worked example's title does not match its bytes");
    }
    free(asmd);
    /* and it is the IPv4 filter it claims to be */
    vfm_state_t *vm = vfm_create();
    CU_ASSERT_EQUAL_FATAL(vfm_load_program(vm, img, (uint32_t)n), VFM_SUCCESS);
    uint8_t pkt[20] = {[12] = 0x08, [13] = 0x00};
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt, sizeof pkt), 1);
    pkt[13] = 0x06;
    CU_ASSERT_EQUAL(vfm_execute(vm, pkt, sizeof pkt), 0);
    vfm_destroy(vm);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"raw code passes through", test_raw_code},
        {"every rejection reason", test_rejections},
        {"advisory flags and metadata accepted", test_accepted_headers},
        {"short reason buffer", test_short_reason_buffer},
        {"write/parse round trip", test_write_round_trip},
        {"write derives flags", test_write_flags},
        {"write rejects bad arguments", test_write_bad_args},
        {"worked example in bytecode.h", test_worked_example},
        CU_TEST_INFO_NULL,
    };
    static CU_SuiteInfo suites[] = {
        {"bytecode", NULL, NULL, NULL, NULL, tests},
        CU_SUITE_INFO_NULL,
    };
    return unit_main(suites);
}
