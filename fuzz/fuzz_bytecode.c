/*
 * fuzz_bytecode - the bytecode file header parser (vfm/bytecode.h) on any
 * bytes, against the format as that header documents it.
 *
 * Properties:
 *   - vfm_bytecode_parse accepts exactly what the documented layout allows:
 *     raw code (first byte not 'V', 1..VFM_CODE_MAX bytes), or "VFMB",
 *     version 1, no unknown required flag, code_len 1..VFM_CODE_MAX, and a
 *     size of exactly 16 + code_len + meta_len; the code it returns is the
 *     input (raw) or the 16 bytes after the header;
 *   - a refusal is INVALID_PROGRAM with a one-line reason;
 *   - vfm_bytecode_write of any 1..VFM_CODE_MAX bytes of code gives a file
 *     that parses back to the same code and sets no required flag;
 *   - vfm_load_program gives the same result for raw code and its image.
 * Input: the file.
 */
#include <string.h>

#include "fuzz_util.h"
#include "vfm/bytecode.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The layout of bytecode.h, written again independently of bytecode.c. */
static bool valid_by_spec(const uint8_t *b, size_t n, size_t *off, uint32_t *clen)
{
    if (n == 0)
        return false;
    if (b[0] != 'V') {
        *off = 0;
        *clen = (uint32_t)n;
        return n <= VFM_CODE_MAX;
    }
    if (n < 16 || memcmp(b, "VFMB", 4) != 0)
        return false;
    unsigned version = b[4] | b[5] << 8, flags = b[6] | b[7] << 8;
    uint32_t c = le32(b + 8), m = le32(b + 12);
    if (version != 1 || (flags & 0xff00u) || c == 0 || c > VFM_CODE_MAX ||
        16u + (uint64_t)c + m != n)
        return false;
    *off = 16;
    *clen = c;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *code = NULL;
    uint32_t clen = 0;
    char why[160];
    memset(why, 0x5a, sizeof why);
    int rc = vfm_bytecode_parse(data, size, &code, &clen, why, sizeof why);
    size_t want_off = 0;
    uint32_t want_len = 0;
    bool valid = valid_by_spec(data, size, &want_off, &want_len);
    FUZZ_CHECK((rc == VFM_SUCCESS) == valid, "parser %s a file the documented layout %s",
               rc ? "refuses" : "accepts", valid ? "allows" : "forbids");
    if (rc == VFM_SUCCESS)
        FUZZ_CHECK(code == data + want_off && clen == want_len,
                   "code at +%td (%u bytes), the layout says +%zu (%u bytes)", code - data, clen,
                   want_off, want_len);
    else
        FUZZ_CHECK(rc == VFM_ERROR_INVALID_PROGRAM && fuzz_one_line(why, sizeof why),
                   "refusal %d without a one-line reason", rc);
    /* A tiny reason buffer must stay terminated. */
    char tiny[4];
    if (vfm_bytecode_parse(data, size, &code, &clen, tiny, sizeof tiny) != VFM_SUCCESS)
        FUZZ_CHECK(memchr(tiny, '\0', sizeof tiny) != NULL, "truncated reason not terminated");

    if (size == 0 || size > VFM_CODE_MAX)
        return 0;
    /* The input as code: its image must parse back to it. */
    uint8_t *img = NULL;
    size_t img_len = 0;
    FUZZ_CHECK(vfm_bytecode_write(data, (uint32_t)size, &img, &img_len) == VFM_SUCCESS,
               "vfm_bytecode_write refused %zu bytes", size);
    FUZZ_CHECK(img_len == 16 + size, "image of %zu bytes for %zu of code", img_len, size);
    FUZZ_CHECK(vfm_bytecode_parse(img, img_len, &code, &clen, why, sizeof why) == VFM_SUCCESS &&
                   clen == size && memcmp(code, data, size) == 0,
               "a written image does not parse back to its code: %s", why);
    FUZZ_CHECK(((img[6] | img[7] << 8) & 0xff00u) == 0, "writer set a required flag");
    if (data[0] != 'V') {
        vfm_state_t *a = vfm_create(), *b = vfm_create();
        FUZZ_CHECK(a && b, "out of memory");
        vfm_set_loop_limit(a, 5);
        vfm_set_loop_limit(b, 5);
        int ra = vfm_load_program(a, data, (uint32_t)size);
        int rb = vfm_load_program(b, img, (uint32_t)img_len);
        FUZZ_CHECK(ra == rb, "raw code loads with %d, its image with %d", ra, rb);
        vfm_destroy(a);
        vfm_destroy(b);
    }
    free(img);
    return 0;
}
