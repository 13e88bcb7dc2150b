/*
 * isa.h - the VFM instruction set as C: opcode enum, operand kinds, and the
 * per-opcode table every stage reads.  All of it is expanded from opcodes.def.
 */
#ifndef VFM_ISA_H
#define VFM_ISA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Operand kinds and their sizes in bytes (little-endian in the bytecode). */
#define VFM_OPERAND_KINDS(X) \
    X(NONE, 0)     /* no operand */ \
    X(OFF16, 2)    /* unsigned packet offset */ \
    X(IMM8, 1)     /* signed 8-bit immediate, sign-extended to 64 bits */ \
    X(IMM16, 2)    /* unsigned 16-bit immediate */ \
    X(IMM32, 4)    /* unsigned 32-bit immediate */ \
    X(IMM64, 8)    /* 64-bit immediate */ \
    X(REL16, 2)    /* signed jump offset from the next instruction */ \
    X(HELPER16, 2) /* helper id */

typedef enum vfm_operand {
#define VFM_X_(name, size) VFM_OPND_##name,
    VFM_OPERAND_KINDS(VFM_X_)
#undef VFM_X_
    VFM_OPND_COUNT_
} vfm_operand_t;

/* VFM_OPND_SIZE_<kind>: operand size as a constant expression. */
enum {
#define VFM_X_(name, size) VFM_OPND_SIZE_##name = size,
    VFM_OPERAND_KINDS(VFM_X_)
#undef VFM_X_
};

/* Opcode flags. */
#define VFM_F_PKT    0x01u /* reads the packet (may fail with VFM_ERROR_BOUNDS) */
#define VFM_F_PUSH   0x02u /* pushes its immediate */
#define VFM_F_DIV    0x04u /* divides by the top value (may fail with DIVISION_BY_ZERO) */
#define VFM_F_CMP    0x08u /* pushes 0/1 */
#define VFM_F_JUMP   0x10u /* has a jump target */
#define VFM_F_NOFALL 0x20u /* never falls through to the next instruction */
#define VFM_F_FLOW   0x40u /* uses the packet's 5-tuple or the flow table */
#define VFM_F_CALL   0x80u /* calls a helper */

typedef enum vfm_opcode {
#define VFM_OP(name, code, opnd, pops, pushes, flags, doc) VFM_OP_##name = code,
#include "vfm/opcodes.def"
#undef VFM_OP
    VFM_OP_RESERVED_MAGIC = 0x56 /* 'V': first byte of a bytecode file header */
} vfm_opcode_t;

/* Number of opcodes in the table. */
enum {
    VFM_OPCODE_COUNT = 0
#define VFM_OP(name, code, opnd, pops, pushes, flags, doc) +1
#include "vfm/opcodes.def"
#undef VFM_OP
};

/* One row of the table. */
typedef struct vfm_opinfo {
    const char *name;    /* mnemonic, e.g. "LD16" */
    const char *summary; /* one-line semantics */
    uint8_t code;        /* byte value */
    uint8_t operand;     /* vfm_operand_t */
    uint8_t size;        /* instruction size in bytes, opcode included */
    uint8_t pops;        /* values popped (CALL: from the helper table) */
    uint8_t pushes;      /* values pushed (CALL: from the helper table) */
    uint8_t flags;       /* VFM_F_* */
} vfm_opinfo_t;

/** Table row for byte @p code, or NULL if it is not an opcode. Thread-safe (const data). */
const vfm_opinfo_t *vfm_opinfo(uint8_t code);

/** Row for mnemonic @p name (case-insensitive, @p len bytes), or NULL. */
const vfm_opinfo_t *vfm_opinfo_by_name(const char *name, unsigned len);

/** Size in bytes of an operand kind. */
unsigned vfm_operand_size(vfm_operand_t kind);

/** Name of an operand kind ("OFF16", ...). */
const char *vfm_operand_name(vfm_operand_t kind);

/**
 * Is @p info one of the two-operand ops vfm_binop_eval() computes (ADD..XOR,
 * SHL, SHR, EQ..LE)?  Read from the table: they are exactly the rows that pop
 * two values and push one, so backends need not list them again.
 */
static inline int vfm_opinfo_is_binop(const vfm_opinfo_t *info)
{
    return info && info->pops == 2 && info->pushes == 1;
}

/**
 * What a two-operand ALU or comparison opcode (ADD..XOR, SHL, SHR, EQ..LE)
 * computes from a (below the top) and b (the top): the one definition that
 * constant folders (VFLisp, the JITs, the classic-BPF backend) share with the
 * interpreter's semantics.  DIV and MOD need b != 0 (the caller checks: at run
 * time it is VFM_ERROR_DIVISION_BY_ZERO).  Any other opcode gives 0.
 */
static inline uint64_t vfm_binop_eval(uint8_t op, uint64_t a, uint64_t b)
{
    switch (op) {
    case VFM_OP_ADD: return a + b;
    case VFM_OP_SUB: return a - b;
    case VFM_OP_MUL: return a * b;
    case VFM_OP_DIV: return b ? a / b : 0;
    case VFM_OP_MOD: return b ? a % b : 0;
    case VFM_OP_AND: return a & b;
    case VFM_OP_OR: return a | b;
    case VFM_OP_XOR: return a ^ b;
    case VFM_OP_SHL: return b >= 64 ? 0 : a << b;
    case VFM_OP_SHR: return b >= 64 ? 0 : a >> b;
    case VFM_OP_EQ: return a == b;
    case VFM_OP_NE: return a != b;
    case VFM_OP_GT: return a > b;
    case VFM_OP_LT: return a < b;
    case VFM_OP_GE: return a >= b;
    case VFM_OP_LE: return a <= b;
    default: return 0;
    }
}

#ifdef __cplusplus
}
#endif
#endif /* VFM_ISA_H */
