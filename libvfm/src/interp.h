/*
 * interp.h - the interpreter's pre-decoded instruction form, shared by
 * predecode.c (which builds it) and interp.c (which runs it).
 *
 * Ops are dense: every ISA opcode (from opcodes.def) plus the internal ops
 * below, which the predecoder uses for superinstructions and edge fix-ups.
 * The interpreter's label table is generated from the same two lists, so an
 * op without a handler does not compile.
 */
#ifndef VFM_INTERP_H
#define VFM_INTERP_H

#include "internal.h"

/* Fusable compare-and-branch conditions: name, C operator. */
#define VFMI_CONDS(X) X(JEQ, ==) X(JNE, !=) X(JGT, >) X(JLT, <) X(JGE, >=) X(JLE, <=)

/* Binary ops with a constant right operand (PUSH k; OP). */
#define VFMI_ALU_K(X) \
    X(ADD) X(SUB) X(MUL) X(DIV) X(MOD) X(AND) X(OR) X(XOR) X(SHL) X(SHR)

/* LDn k1; PUSH k2; Jcc -> one op per load size and condition. */
#define VFMI_LD_J_K(X)                                                                     \
    X(LD8, JEQ) X(LD8, JNE) X(LD8, JGT) X(LD8, JLT) X(LD8, JGE) X(LD8, JLE)                \
    X(LD16, JEQ) X(LD16, JNE) X(LD16, JGT) X(LD16, JLT) X(LD16, JGE) X(LD16, JLE)          \
    X(LD32, JEQ) X(LD32, JNE) X(LD32, JGT) X(LD32, JLT) X(LD32, JGE) X(LD32, JLE)          \
    X(LD64, JEQ) X(LD64, JNE) X(LD64, JGT) X(LD64, JLT) X(LD64, JGE) X(LD64, JLE)

typedef enum vfmi_iop {
#define VFM_OP(name, byte, opnd, pops, pushes, flags, doc) VFMI_IOP_##name,
#include "vfm/opcodes.def"
#undef VFM_OP
    VFMI_IOP_DROPN, /* drop a values (edge fix-up at a join) */
    VFMI_IOP_LOOP,  /* count a backward jump against the loop limit, then go to a */
    VFMI_IOP_RET_K, /* PUSH k; RET */
#define VFMI_X_(name, op) VFMI_IOP_##name##_K,
    VFMI_CONDS(VFMI_X_)
#undef VFMI_X_
#define VFMI_X_(name) VFMI_IOP_##name##_K,
    VFMI_ALU_K(VFMI_X_)
#undef VFMI_X_
#define VFMI_X_(ld, j) VFMI_IOP_##ld##_##j##_K,
    VFMI_LD_J_K(VFMI_X_)
#undef VFMI_X_
    VFMI_IOP_COUNT
} vfmi_iop_t;

#define VFMI_NO_PC UINT32_MAX

typedef struct vfmi_pinsn {
    uint16_t op;  /* vfmi_iop_t */
    uint16_t n;   /* DROPN: values to drop; CALL: pops; LDn_Jcc_K: packet offset */
    uint32_t a;   /* packet offset, jump target index, helper id */
    uint64_t k;   /* immediate; CALL: pushes */
    uint32_t pc;  /* original pc, VFMI_NO_PC for fix-ups */
    uint32_t pad;
} vfmi_pinsn_t;

struct vfmi_prog {
    uint32_t n;
    vfmi_pinsn_t insn[];
};

#endif /* VFM_INTERP_H */
