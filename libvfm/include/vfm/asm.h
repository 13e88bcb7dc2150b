/*
 * asm.h - VFM assembly text <-> code.
 *
 * Syntax (docs/isa.md): one instruction per line, `label:` definitions,
 * `;` or `#` comments, decimal / 0x hex / 0b binary / negative immediates,
 * jump operands as labels or signed numbers (relative to the next
 * instruction).  `PUSH k` picks the shortest PUSH form (`PUSH64 k` forces the
 * 8-byte one); `RET k` is sugar for PUSH k; RET.  `CALL name` resolves helper names from the options.
 */
#ifndef VFM_ASM_H
#define VFM_ASM_H

#include <stddef.h>
#include <stdint.h>

#include "vfm/vfm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vfm_asm_opts {
    const char *filename;     /* used in messages; NULL = "<input>" */
    int no_verify;            /* 1: do not verify the result */
    vfm_verify_opts_t verify; /* policy for verification; helper names for CALL */
} vfm_asm_opts_t;

/**
 * Assemble @p len bytes of @p src into raw code (*code, malloc'ed, free()
 * it).  Unless opts->no_verify, the result is verified and a verifier error
 * is reported at the source line of the failing instruction.  On failure
 * @p diag (may be NULL) holds "file:line:col: message" in msg.
 */
int vfm_assemble(const char *src, size_t len, const vfm_asm_opts_t *opts, uint8_t **code,
                 uint32_t *code_len, vfm_diag_t *diag);

#define VFM_DIS_ADDR 0x1u   /* prefix lines with the pc ("0012: ") */
#define VFM_DIS_HEX 0x2u    /* show the instruction bytes */
#define VFM_DIS_LABELS 0x4u /* jump targets as labels (L_12:) so the text re-assembles */

/**
 * Disassemble raw code into a malloc'ed NUL-terminated text (*text, free()
 * it).  Stops with VFM_ERROR_INVALID_OPCODE / VFM_ERROR_INVALID_PROGRAM at
 * the first undecodable byte, with the text so far in *text.
 */
int vfm_disassemble(const uint8_t *code, uint32_t len, unsigned flags, char **text);

/**
 * Format the instruction at @p pc ("LD16 12", "JNE +3 (-> 12)") into @p buf.
 * Returns its size in bytes, or a negative error if it does not decode.
 */
int vfm_format_insn(const uint8_t *code, uint32_t len, uint32_t pc, char *buf, size_t buf_len);

#ifdef __cplusplus
}
#endif
#endif /* VFM_ASM_H */
