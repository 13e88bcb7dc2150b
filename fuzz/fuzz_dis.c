/*
 * fuzz_dis - the disassembler on any bytes as raw code.
 *
 * Properties:
 *   - vfm_disassemble returns text for every input (the decodable prefix),
 *     with SUCCESS exactly when every byte decodes, else INVALID_OPCODE or
 *     INVALID_PROGRAM as vfm_format_insn reports at the first bad pc;
 *   - vfm_format_insn walks the same instruction boundaries and never
 *     writes past the buffer it is given;
 *   - the labelled text of the decodable prefix re-assembles (unverified)
 *     to exactly those bytes, jumps to non-instructions included;
 *   - the addressed listing has one line per instruction, each starting
 *     with its pc.
 * Input: the code.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz_util.h"
#include "vfm/asm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > VFM_CODE_MAX)
        return 0;
    uint32_t len = (uint32_t)size;
    /* Boundaries by vfm_format_insn, into a small buffer (truncation must be safe). */
    uint32_t end = 0;
    int bad = VFM_SUCCESS, ninsns = 0;
    while (end < len) {
        char small[8];
        memset(small, 0x7f, sizeof small);
        int n = vfm_format_insn(data, len, end, small, sizeof small);
        if (n < 0) {
            bad = n;
            break;
        }
        FUZZ_CHECK(memchr(small, '\0', sizeof small) != NULL, "formatted text not terminated");
        end += (uint32_t)n;
        ninsns++;
    }
    FUZZ_CHECK(end <= len, "instructions run past the code (%u > %u)", end, len);
    FUZZ_CHECK(bad == VFM_SUCCESS || bad == VFM_ERROR_INVALID_OPCODE ||
                   bad == VFM_ERROR_INVALID_PROGRAM,
               "vfm_format_insn failed with %d", bad);

    char *text = NULL;
    int rc = vfm_disassemble(data, len, VFM_DIS_LABELS, &text);
    FUZZ_CHECK(rc == bad, "vfm_disassemble returns %d, the walk found %d", rc, bad);
    FUZZ_CHECK(text != NULL, "no text for the decodable prefix");
    if (end > 0) {
        vfm_asm_opts_t opts = {.filename = "dis", .no_verify = 1};
        uint8_t *code = NULL;
        uint32_t clen = 0;
        vfm_diag_t d;
        int ar = vfm_assemble(text, strlen(text), &opts, &code, &clen, &d);
        FUZZ_CHECK(ar == VFM_SUCCESS, "labelled disassembly does not re-assemble: %s", d.msg);
        FUZZ_CHECK(clen == end && memcmp(code, data, end) == 0,
                   "disassembly re-assembles to other bytes (%u for %u)", clen, end);
        free(code);
    } else {
        FUZZ_CHECK(text[0] == '\0', "text for no instruction");
    }
    free(text);

    rc = vfm_disassemble(data, len, VFM_DIS_ADDR | VFM_DIS_HEX, &text);
    FUZZ_CHECK(rc == bad && text, "the listing disagrees with the labelled text");
    int lines = 0;
    uint32_t pc = 0;
    for (const char *p = text; *p; lines++) {
        unsigned at;
        FUZZ_CHECK(sscanf(p, "%4u: ", &at) == 1 && at == pc, "line %d does not start with pc %u",
                   lines, pc);
        unsigned byte0;
        FUZZ_CHECK(sscanf(p + 6, "%2x", &byte0) == 1 && byte0 == data[pc],
                   "line %d does not show the opcode byte", lines);
        pc += (uint32_t)vfm_format_insn(data, len, pc, NULL, 0);
        const char *nl = strchr(p, '\n');
        FUZZ_CHECK(nl != NULL, "listing line %d not terminated", lines);
        p = nl + 1;
    }
    FUZZ_CHECK(lines == ninsns, "listing has %d lines for %d instructions", lines, ninsns);
    free(text);
    return 0;
}
