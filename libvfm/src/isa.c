/* isa.c - the opcode table, expanded from opcodes.def. */
#include <stddef.h>
#include <strings.h>

#include "vfm/isa.h"

static const uint8_t operand_sizes[VFM_OPND_COUNT_] = {
#define VFM_X_(name, size) [VFM_OPND_##name] = size,
    VFM_OPERAND_KINDS(VFM_X_)
#undef VFM_X_
};

static const char *const operand_names[VFM_OPND_COUNT_] = {
#define VFM_X_(name, size) [VFM_OPND_##name] = #name,
    VFM_OPERAND_KINDS(VFM_X_)
#undef VFM_X_
};

/* Indexed by byte value; unused bytes have name == NULL. */
static const vfm_opinfo_t optable[256] = {
#define VFM_OP(op, byte, opnd, npops, npushes, fl, doc)                                      \
    [byte] = {.name = #op, .summary = doc, .code = byte, .operand = VFM_OPND_##opnd,         \
              .size = 1 + VFM_OPND_SIZE_##opnd, .pops = npops, .pushes = npushes, .flags = fl},
#include "vfm/opcodes.def"
#undef VFM_OP
};

const vfm_opinfo_t *vfm_opinfo(uint8_t code)
{
    return optable[code].name ? &optable[code] : NULL;
}

const vfm_opinfo_t *vfm_opinfo_by_name(const char *name, unsigned len)
{
    for (unsigned i = 0; i < 256; i++) {
        const char *n = optable[i].name;
        if (n && strncasecmp(n, name, len) == 0 && n[len] == '\0')
            return &optable[i];
    }
    return NULL;
}

unsigned vfm_operand_size(vfm_operand_t kind)
{
    return kind < VFM_OPND_COUNT_ ? operand_sizes[kind] : 0;
}

const char *vfm_operand_name(vfm_operand_t kind)
{
    return kind < VFM_OPND_COUNT_ ? operand_names[kind] : "?";
}

/* No opcode may take the byte that starts a file header. */
#define VFM_OP(op, byte, opnd, npops, npushes, fl, doc)                                      \
    _Static_assert(byte != VFM_OP_RESERVED_MAGIC, #op " uses the reserved byte 0x56");
#include "vfm/opcodes.def"
#undef VFM_OP
