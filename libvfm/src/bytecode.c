/* bytecode.c - the file header (layout in vfm/bytecode.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

__attribute__((format(printf, 3, 4))) static int reject(char *why, size_t why_len,
                                                        const char *fmt, ...)
{
    if (why && why_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return VFM_ERROR_INVALID_PROGRAM;
}

int vfm_bytecode_parse(const uint8_t *buf, size_t len, const uint8_t **code, uint32_t *code_len,
                       char *why, size_t why_len)
{
    if (!buf || len == 0)
        return reject(why, why_len, "empty program");
    if (buf[0] != (uint8_t)VFM_BC_MAGIC[0]) {
        /* Raw code: 0x56 is never an opcode, so this cannot be a header. */
        if (len > VFM_CODE_MAX)
            return reject(why, why_len, "program has %zu bytes of code (at most %u)", len,
                          VFM_CODE_MAX);
        *code = buf;
        *code_len = (uint32_t)len;
        return VFM_SUCCESS;
    }
    if (len < VFM_BC_HEADER_SIZE)
        return reject(why, why_len, "file has %zu bytes, shorter than the %u-byte header", len,
                      VFM_BC_HEADER_SIZE);
    if (memcmp(buf, VFM_BC_MAGIC, 4) != 0)
        return reject(why, why_len, "bad magic (expected \"VFMB\")");
    unsigned version = vfmi_le16(buf + 4), flags = vfmi_le16(buf + 6);
    uint32_t clen = vfmi_le32(buf + 8), mlen = vfmi_le32(buf + 12);
    if (version != VFM_BC_VERSION)
        return reject(why, why_len, "bytecode format version %u not supported (this is %u)",
                      version, VFM_BC_VERSION);
    if (flags & VFM_BC_F_REQUIRED_MASK)
        return reject(why, why_len, "unknown required flags 0x%04x",
                      flags & VFM_BC_F_REQUIRED_MASK);
    if (clen == 0 || clen > VFM_CODE_MAX)
        return reject(why, why_len, "header code length %u out of range 1..%u", clen,
                      VFM_CODE_MAX);
    if ((uint64_t)VFM_BC_HEADER_SIZE + clen + mlen != len)
        return reject(why, why_len, "file has %zu bytes but its header describes %llu", len,
                      (unsigned long long)VFM_BC_HEADER_SIZE + clen + mlen);
    *code = buf + VFM_BC_HEADER_SIZE;
    *code_len = clen;
    return VFM_SUCCESS;
}

static void put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v & 0xffff); put16(p + 2, v >> 16); }

int vfm_bytecode_write(const uint8_t *code, uint32_t code_len, uint8_t **out, size_t *out_len)
{
    if (!code || !out || !out_len || code_len == 0 || code_len > VFM_CODE_MAX)
        return VFM_ERROR_INVALID_ARGUMENT;
    unsigned flags = 0;
    vfmi_insn_t in;
    for (uint32_t pc = 0; pc < code_len && vfmi_decode(code, code_len, pc, &in) == 0; pc = in.next) {
        if ((in.info->flags & VFM_F_JUMP) && in.target <= (int64_t)in.pc)
            flags |= VFM_BC_F_LOOPS;
        if (in.info->flags & VFM_F_CALL)
            flags |= VFM_BC_F_HELPERS;
    }
    uint8_t *buf = malloc(VFM_BC_HEADER_SIZE + code_len);
    if (!buf)
        return VFM_ERROR_NO_MEMORY;
    memcpy(buf, VFM_BC_MAGIC, 4);
    put16(buf + 4, VFM_BC_VERSION);
    put16(buf + 6, flags);
    put32(buf + 8, code_len);
    put32(buf + 12, 0);
    memcpy(buf + VFM_BC_HEADER_SIZE, code, code_len);
    *out = buf;
    *out_len = VFM_BC_HEADER_SIZE + code_len;
    return VFM_SUCCESS;
}
