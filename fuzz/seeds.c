/*
 * seeds.c - seed inputs for the fuzz targets from the data-driven test cases
 * (tests/cases/<area>/<name>.case), in each target's input layout (see the target's
 * file comment).  fuzz/make-corpus.sh runs it; the output is committed.
 *
 *   vfm-fuzz-seeds CASEDIR OUTDIR
 *
 * writes OUTDIR/<target>/<area>-<case> for fuzz_load, fuzz_cbpf, fuzz_dis,
 * fuzz_bytecode, fuzz_asm and fuzz_hash5, and OUTDIR/fuzz_jit/seed-N (the
 * generator seeds 0..63).  Exit 0, or 2 when a case or a file fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "vfm/bytecode.h"
#include "vfm/vfm.h"

/* Largest seed written. */
#define SEED_MAX 2048u

static const char *outdir;
static int failed;
static unsigned written;

/* The link types in the order fuzz_load and fuzz_hash5 index them. */
static const int linktypes[] = {1, 0, 12, 14, 101, 108, 113, 228, 229, 276};

static unsigned linktype_index(int lt)
{
    for (unsigned i = 0; i < sizeof linktypes / sizeof linktypes[0]; i++)
        if (linktypes[i] == lt)
            return i;
    return 0;
}

/* Write the concatenation of up to three byte ranges to OUTDIR/target/name. */
static void put(const char *target, const char *name, const void *a, size_t an, const void *b,
                size_t bn, const void *c, size_t cn)
{
    if (an + bn + cn > SEED_MAX)
        return; /* the corpus stays small; the fuzzer grows large inputs itself */
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", outdir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(a, 1, an, f) != an || (bn && fwrite(b, 1, bn, f) != bn) ||
        (cn && fwrite(c, 1, cn, f) != cn) || fclose(f) != 0) {
        fprintf(stderr, "vfm-fuzz-seeds: %s: %s\n", path, strerror(errno));
        failed = 1;
        return;
    }
    written++;
}

/* "tests/cases/alu/add.case" -> "alu-add" */
static void seed_name(const char *path, char *out, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dir = base > path ? base - 1 : base; /* the '/' before base */
    while (dir > path && dir[-1] != '/')
        dir--;
    int dirlen = base > dir ? (int)(base - dir - 1) : 0;
    snprintf(out, n, "%.*s%s%.*s", dirlen, dir, dirlen ? "-" : "", (int)strcspn(base, "."), base);
}

static void one_case(void *user, const char *path)
{
    (void)user;
    vfmt_case_t c;
    char err[512];
    if (vfmt_case_load(path, &c, err, sizeof err) != 0) {
        fprintf(stderr, "vfm-fuzz-seeds: %s\n", err);
        failed = 1;
        return;
    }
    char name[256];
    seed_name(path, name, sizeof name);
    const uint8_t *pkt = c.npackets ? c.packets[0].data : NULL;
    size_t pkt_len = c.npackets ? c.packets[0].len : 0;
    uint8_t len16[2] = {(uint8_t)c.code_len, (uint8_t)(c.code_len >> 8)};

    /* fuzz_load: policy (loops, link type), length, program, packet. */
    uint8_t policy = (uint8_t)(linktype_index(c.has_linktype ? c.linktype : 1) << 4);
    if (c.has_loops && c.loops > 0)
        policy |= 1 | (uint8_t)((c.loops - 1) / 9 > 7 ? 7 << 1 : ((c.loops - 1) / 9) << 1);
    uint8_t head[3] = {policy, len16[0], len16[1]};
    put("fuzz_load", name, head, 3, c.code, c.code_len, pkt, pkt_len);

    /* fuzz_cbpf: default snapshot length, length, program, packet. */
    head[0] = 0;
    put("fuzz_cbpf", name, head, 3, c.code, c.code_len, pkt, pkt_len);

    /* fuzz_dis: raw code; fuzz_bytecode: the file image (or the case's own bytes). */
    const uint8_t *code = c.code;
    uint32_t code_len = c.code_len;
    if (code_len && code[0] == VFM_BC_MAGIC[0] && code_len >= VFM_BC_HEADER_SIZE) {
        code += VFM_BC_HEADER_SIZE;
        code_len -= VFM_BC_HEADER_SIZE;
    }
    if (code_len)
        put("fuzz_dis", name, code, code_len, NULL, 0, NULL, 0);
    uint8_t *img = NULL;
    size_t img_len = 0;
    if (c.code_len && c.code[0] == VFM_BC_MAGIC[0])
        put("fuzz_bytecode", name, c.code, c.code_len, NULL, 0, NULL, 0);
    else if (c.code_len && vfm_bytecode_write(c.code, c.code_len, &img, &img_len) == VFM_SUCCESS)
        put("fuzz_bytecode", name, img, img_len, NULL, 0, NULL, 0);
    free(img);

    /* fuzz_asm: flags (no_verify for expected rejections, loops), then the text. */
    if (c.asm_src) {
        uint8_t flags = (uint8_t)((c.expect_error ? 1 : 0) | (c.has_loops && c.loops ? 2 : 0));
        put("fuzz_asm", name, &flags, 1, c.asm_src, strlen(c.asm_src), NULL, 0);
    }

    /* fuzz_hash5: link type, first packet (HASH5 cases and the filters that parse headers). */
    if (pkt_len >= 14) {
        uint8_t lt = (uint8_t)linktype_index(c.has_linktype ? c.linktype : 1);
        put("fuzz_hash5", name, &lt, 1, pkt, pkt_len, NULL, 0);
    }
    vfmt_case_free(&c);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: vfm-fuzz-seeds CASEDIR OUTDIR\n");
        return 1;
    }
    outdir = argv[2];
    if (vfmt_case_walk(argv[1], one_case, NULL) != 0) {
        fprintf(stderr, "vfm-fuzz-seeds: %s: cannot read the cases\n", argv[1]);
        return 2;
    }
    /* fuzz_jit: generator seeds 0..63, four packets each, no operand rewrite. */
    for (uint64_t s = 0; s < 64; s++) {
        uint8_t in[9];
        for (int i = 0; i < 8; i++)
            in[i] = (uint8_t)(s >> (8 * i));
        in[8] = 3 << 3;
        char name[32];
        snprintf(name, sizeof name, "seed-%02u", (unsigned)s);
        put("fuzz_jit", name, in, sizeof in, NULL, 0, NULL, 0);
    }
    printf("vfm-fuzz-seeds: %u seed files written to %s\n", written, outdir);
    return failed ? 2 : 0;
}
