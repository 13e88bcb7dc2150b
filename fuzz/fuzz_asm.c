/*
 * fuzz_asm - the assembler on any text.
 *
 * Properties:
 *   - a failure has a one-line "fuzz:LINE:COL: message" (or "fuzz: ..." when
 *     no line applies) and the code in diag.code;
 *   - the same text assembles to the same bytes twice;
 *   - verified output (no_verify = 0) passes vfm_verify_ex with the same policy;
 *   - the output disassembles completely, and the labelled disassembly
 *     re-assembles to the same bytes;
 *   - the plain listing (addresses, hex) has one line per instruction.
 * Input: byte 0 bit 0 = no_verify, bit 1 = loops allowed; the rest is the text.
 * The helpers "add" (id 1, 2 -> 1) and "drop" (id 7, 1 -> 0) are known to CALL.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_util.h"
#include "vfm/asm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    vfm_helper_t tab[VFM_HELPERS_MAX];
    memset(tab, 0, sizeof tab);
    tab[1] = (vfm_helper_t){.name = "add", .pops = 2, .pushes = 1};
    tab[7] = (vfm_helper_t){.name = "drop", .pops = 1, .pushes = 0};
    vfm_asm_opts_t opts = {.filename = "fuzz",
                           .no_verify = data[0] & 1,
                           .verify = {.allow_loops = (data[0] >> 1) & 1,
                                      .helpers = tab,
                                      .nhelpers = VFM_HELPERS_MAX}};
    const char *src = (const char *)data + 1;
    size_t len = size - 1;
    uint8_t *code = NULL, *code2 = NULL;
    uint32_t clen = 0, clen2 = 0;
    vfm_diag_t d;
    memset(&d, 0x5a, sizeof d); /* stale bytes must not leak into the message */
    int rc = vfm_assemble(src, len, &opts, &code, &clen, &d);
    if (rc != VFM_SUCCESS) {
        FUZZ_CHECK(code == NULL, "failed assembly returned code");
        FUZZ_CHECK(d.code == rc, "diag.code %d but vfm_assemble returned %d", d.code, rc);
        FUZZ_CHECK(fuzz_one_line(d.msg, sizeof d.msg), "message is not one terminated line");
        FUZZ_CHECK(strncmp(d.msg, "fuzz:", 5) == 0, "message does not start with the file name: %s",
                   d.msg);
        if (d.line) {
            char want[48];
            snprintf(want, sizeof want, "fuzz:%u:%u: ", d.line, d.col);
            FUZZ_CHECK(strncmp(d.msg, want, strlen(want)) == 0,
                       "message does not start with %s: %s", want, d.msg);
        }
        return 0;
    }
    FUZZ_CHECK(code && clen > 0 && clen <= VFM_CODE_MAX, "assembled %u bytes", clen);

    /* Deterministic. */
    FUZZ_CHECK(vfm_assemble(src, len, &opts, &code2, &clen2, &d) == VFM_SUCCESS &&
                   clen2 == clen && memcmp(code, code2, clen) == 0,
               "the same text assembles differently the second time");
    free(code2);
    code2 = NULL;

    if (!opts.no_verify) {
        vfm_diag_t vd;
        FUZZ_CHECK(vfm_verify_ex(code, clen, &opts.verify, &vd) == VFM_SUCCESS,
                   "assembler verified code the verifier rejects: %s", vd.msg);
    }

    char *text = NULL;
    FUZZ_CHECK(vfm_disassemble(code, clen, VFM_DIS_LABELS, &text) == VFM_SUCCESS,
               "the assembler produced bytes that do not decode");
    vfm_asm_opts_t again = {.filename = "dis", .no_verify = 1};
    rc = vfm_assemble(text, strlen(text), &again, &code2, &clen2, &d);
    FUZZ_CHECK(rc == VFM_SUCCESS, "labelled disassembly does not re-assemble: %s", d.msg);
    FUZZ_CHECK(clen2 == clen && memcmp(code, code2, clen) == 0,
               "disassembly re-assembles to other bytes");
    free(text);

    /* Plain listing: one line per instruction. */
    FUZZ_CHECK(vfm_disassemble(code, clen, VFM_DIS_ADDR | VFM_DIS_HEX, &text) == VFM_SUCCESS,
               "listing failed");
    unsigned lines = 0, insns = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    for (uint32_t pc = 0; pc < clen; insns++) {
        int n = vfm_format_insn(code, clen, pc, NULL, 0);
        FUZZ_CHECK(n > 0, "vfm_format_insn fails at pc %u of assembled code", pc);
        pc += (uint32_t)n;
    }
    FUZZ_CHECK(lines == insns, "listing has %u lines for %u instructions", lines, insns);
    free(text);
    free(code);
    free(code2);
    return 0;
}
