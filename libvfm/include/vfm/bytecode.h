/*
 * bytecode.h - the VFM bytecode file format.
 *
 * A file is a 16-byte header, the code, then optional metadata:
 *
 *   offset size  field
 *   0      4     magic     "VFMB" (56 46 4d 42)
 *   4      2     version   u16 little-endian, currently 1
 *   6      2     flags     u16 little-endian, see VFM_BC_F_*
 *   8      4     code_len  u32 little-endian, 1..VFM_CODE_MAX
 *   12     4     meta_len  u32 little-endian, bytes of metadata after the code
 *   16     code_len      code: instructions back to back (opcode byte, then
 *                        its operand, little-endian; sizes in opcodes.def)
 *   16+code_len meta_len metadata, reserved for later (helper tables, source
 *                        names); readers of version 1 skip it
 *
 * The file is exactly 16 + code_len + meta_len bytes.
 * Version rule: the version changes only when the code encoding changes
 * incompatibly; a reader rejects versions it does not know.  Compatible
 * additions use flags or metadata.  Flags 0x00ff are advisory (a reader that
 * does not know one ignores it); flags 0xff00 are required (a reader that does
 * not know one rejects the file).
 *
 * Raw code (no header) is accepted too: 0x56 ('V') is not an opcode, so a
 * buffer starting with it can only be a header.
 *
 * Worked example, "LD16 12; PUSH16 0x0800; JNE +3; PUSH8 1; RET; PUSH8 0; RET"
 * (the IPv4 filter; RET 1 assembles to PUSH8 1; RET):
 *
 *   56 46 4d 42 01 00 00 00  0f 00 00 00 00 00 00 00   header, code_len 15
 *   02 0c 00                 LD16 12
 *   12 00 08                 PUSH16 0x800
 *   42 03 00                 JNE +3      (to pc 12)
 *   11 01 50                 PUSH8 1; RET
 *   11 00 50                 PUSH8 0; RET
 */
#ifndef VFM_BYTECODE_H
#define VFM_BYTECODE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VFM_BC_MAGIC "VFMB"
#define VFM_BC_HEADER_SIZE 16u
#define VFM_BC_VERSION 1u
#define VFM_BC_F_LOOPS 0x0001u          /* advisory: code has backward jumps */
#define VFM_BC_F_HELPERS 0x0002u        /* advisory: code uses CALL */
#define VFM_BC_F_REQUIRED_MASK 0xff00u /* none defined yet */

/**
 * Find the code inside @p buf: a file image (header checked) or raw code.
 * On success code and code_len point into @p buf.  Returns VFM_SUCCESS or
 * VFM_ERROR_INVALID_PROGRAM with a reason in @p why (may be NULL).
 */
int vfm_bytecode_parse(const uint8_t *buf, size_t len, const uint8_t **code,
                       uint32_t *code_len, char *why, size_t why_len);

/**
 * Write a file image for @p code into a new malloc'ed buffer (*out, *out_len).
 * Flags are derived from the code.  Free with free().
 */
int vfm_bytecode_write(const uint8_t *code, uint32_t code_len, uint8_t **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif /* VFM_BYTECODE_H */
