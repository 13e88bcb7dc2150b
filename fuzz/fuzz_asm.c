/*
 * fuzz_asm - libFuzzer target: any text through the assembler; whatever
 * assembles must disassemble, and with labels re-assemble to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vfm/asm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vfm_asm_opts_t opts = {.filename = "fuzz", .no_verify = (size & 1)};
    uint8_t *code = NULL, *code2 = NULL;
    uint32_t len = 0, len2 = 0;
    vfm_diag_t d;
    if (vfm_assemble((const char *)data, size, &opts, &code, &len, &d) != VFM_SUCCESS) {
        if (memchr(d.msg, '\0', sizeof d.msg) == NULL)
            abort(); /* message must be terminated */
        return 0;
    }
    char *text = NULL;
    if (vfm_disassemble(code, len, VFM_DIS_LABELS, &text) != VFM_SUCCESS)
        abort(); /* the assembler produced something that does not decode */
    vfm_asm_opts_t again = {.filename = "dis", .no_verify = 1};
    if (vfm_assemble(text, strlen(text), &again, &code2, &len2, &d) != VFM_SUCCESS ||
        len2 != len || memcmp(code, code2, len) != 0)
        abort(); /* disassembly does not round-trip */
    free(text);
    free(code);
    free(code2);
    return 0;
}
