/* decode.c - one instruction at a time, every read bounds-checked. */
#include "internal.h"

int vfmi_decode(const uint8_t *code, uint32_t len, uint32_t pc, vfmi_insn_t *out)
{
    if (pc >= len)
        return VFM_ERROR_INVALID_PROGRAM;
    const vfm_opinfo_t *info = vfm_opinfo(code[pc]);
    if (!info)
        return VFM_ERROR_INVALID_OPCODE;
    if (info->size > len - pc)
        return VFM_ERROR_INVALID_PROGRAM;
    const uint8_t *p = code + pc + 1;
    out->info = info;
    out->pc = pc;
    out->next = pc + info->size;
    out->target = -1;
    switch ((vfm_operand_t)info->operand) {
    case VFM_OPND_NONE: out->k = 0; break;
    case VFM_OPND_IMM8: out->k = (uint64_t)(int64_t)(int8_t)p[0]; break;
    case VFM_OPND_OFF16:
    case VFM_OPND_IMM16:
    case VFM_OPND_HELPER16: out->k = vfmi_le16(p); break;
    case VFM_OPND_IMM32: out->k = vfmi_le32(p); break;
    case VFM_OPND_IMM64: out->k = vfmi_le64(p); break;
    case VFM_OPND_REL16: {
        int16_t rel = (int16_t)vfmi_le16(p);
        out->k = (uint64_t)(int64_t)rel;
        out->target = (int64_t)out->next + rel;
        break;
    }
    case VFM_OPND_COUNT_: return VFM_ERROR_INVALID_OPCODE;
    }
    return VFM_SUCCESS;
}
