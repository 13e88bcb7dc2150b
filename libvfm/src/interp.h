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

/* PUSH k; CMP -> compare with a constant, push 0/1. */
#define VFMI_CMP_K(X) X(EQ, ==) X(NE, !=) X(GT, >) X(LT, <) X(GE, >=) X(LE, <=)

/* LDn k1; PUSH m; AND; JNZ|JZ -> test bits (JSET: any set, JCLR: all clear). */
#define VFMI_LD_TEST(X)                                                                    \
    X(LD8, JSET, JNZ, != 0) X(LD8, JCLR, JZ, == 0) X(LD16, JSET, JNZ, != 0)                \
    X(LD16, JCLR, JZ, == 0) X(LD32, JSET, JNZ, != 0) X(LD32, JCLR, JZ, == 0)               \
    X(LD64, JSET, JNZ, != 0) X(LD64, JCLR, JZ, == 0)

/* Bytes read by each constant-offset load. */
#define VFMI_NB_LD8 1
#define VFMI_NB_LD16 2
#define VFMI_NB_LD32 4
#define VFMI_NB_LD64 8

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
    VFMI_IOP_LDIHL, /* LD8 k; PUSH 15; AND; PUSH 2; SHL (or PUSH 4; MUL): IPv4 header length */
#define VFMI_X_(name, op) VFMI_IOP_##name##_K,
    VFMI_CONDS(VFMI_X_)
#undef VFMI_X_
#define VFMI_X_(name) VFMI_IOP_##name##_K,
    VFMI_ALU_K(VFMI_X_)
#undef VFMI_X_
#define VFMI_X_(ld, j) VFMI_IOP_##ld##_##j##_K,
    VFMI_LD_J_K(VFMI_X_)
#undef VFMI_X_
#define VFMI_X_(name, op) VFMI_IOP_##name##_K,
    VFMI_CMP_K(VFMI_X_)
#undef VFMI_X_
#define VFMI_X_(l, t, j, test) VFMI_IOP_##l##_##t,
    VFMI_LD_TEST(VFMI_X_)
#undef VFMI_X_
    VFMI_IOP_COUNT
} vfmi_iop_t;

#define VFMI_NO_PC UINT32_MAX

typedef struct vfmi_pinsn {
    uint16_t op;  /* vfmi_iop_t */
    uint16_t n;   /* DROPN: values to drop; CALL: pops; LDn_Jcc_K, LDn_JSET/JCLR: packet offset */
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
