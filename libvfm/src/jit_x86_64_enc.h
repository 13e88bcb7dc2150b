/*
 * jit_x86_64_enc.h - the x86-64 instruction encodings the JIT uses, one
 * function per form (Intel SDM Vol. 2, chapter 2 "Instruction Format" and
 * the instruction pages cited).  Only bytes: no knowledge of VFM here.
 *
 * Operand sizes: X_W = 64-bit (REX.W), X_16 = 16-bit (0x66 prefix), none =
 * 32-bit (which zero-extends the destination to 64 bits, SDM 3.4.1.1).
 */
#ifndef VFM_JIT_X86_64_ENC_H
#define VFM_JIT_X86_64_ENC_H

#include <stdbool.h>
#include <stdint.h>

#include "jit.h"

/* Register numbers as encoded (SDM Table 2-2); 8..15 need a REX bit. */
enum {
    RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
    R8, R9, R10, R11, R12, R13, R14, R15,
    NOREG = -1
};

/* Condition codes, the low nibble of Jcc/SETcc/CMOVcc (SDM Appendix B.1.4.7). */
enum {
    CC_B = 0x2,  /* unsigned <  (CF) */
    CC_AE = 0x3, /* unsigned >= */
    CC_E = 0x4,  /* == (ZF) */
    CC_NE = 0x5,
    CC_BE = 0x6, /* unsigned <= */
    CC_A = 0x7,  /* unsigned >  */
    CC_S = 0x8,
    CC_L = 0xc,  /* signed < */
};
#define CC_NOT(cc) ((cc) ^ 1) /* the opposite condition: codes come in pairs */

/* Flags for x_rr / x_rm. */
#define X_W    0x1u /* REX.W: 64-bit operand */
#define X_16   0x2u /* 0x66: 16-bit operand */
#define X_BYTE 0x4u /* an 8-bit register operand: force REX so 4..7 mean SPL..DIL */

/* ALU group-1 operations: the /digit of 0x81/0x83 and the row of the 0x01.. opcodes. */
enum { ALU_ADD = 0, ALU_OR = 1, ALU_AND = 4, ALU_SUB = 5, ALU_XOR = 6, ALU_CMP = 7 };

/* A memory operand [base + index + disp] (scale 1); index NOREG for none. */
typedef struct xmem {
    int8_t base;
    int8_t index;
    int32_t disp;
} xmem_t;

static inline xmem_t x_mem(int base, int index, int32_t disp)
{
    xmem_t m = {(int8_t)base, (int8_t)index, disp};
    return m;
}

static inline bool x_fits8(int64_t v) { return v >= -128 && v <= 127; }
static inline bool x_fits32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }
/* Does the 64-bit value survive an imm32's sign extension? */
static inline bool x_simm32(uint64_t v) { return x_fits32((int64_t)v); }

static inline void x_u8(vfmi_jbuf_t *b, uint8_t v) { vfmi_jbuf_u8(b, v); }
static inline void x_u16(vfmi_jbuf_t *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    vfmi_jbuf_put(b, x, 2);
}
static inline void x_u32(vfmi_jbuf_t *b, uint32_t v) { vfmi_jbuf_u32le(b, v); }

/* Prefixes: [66] [REX] (SDM 2.2.1). @p byte_regs lists registers used as 8-bit ones. */
static inline void x_prefix(vfmi_jbuf_t *b, unsigned f, int reg, int index, int rm)
{
    if (f & X_16)
        x_u8(b, 0x66);
    unsigned rex = ((f & X_W) ? 8u : 0u) | (reg >= 8 ? 4u : 0u) | (index >= 8 ? 2u : 0u) |
                   (rm >= 8 ? 1u : 0u);
    bool force = (f & X_BYTE) && ((reg >= 4 && reg < 8) || (rm >= 4 && rm < 8));
    if (rex || force)
        x_u8(b, (uint8_t)(0x40 | rex));
}

/* One or two opcode bytes (0x0fXX is written 0x0f, 0xXX). */
static inline void x_opcode(vfmi_jbuf_t *b, unsigned opc)
{
    if (opc > 0xff)
        x_u8(b, (uint8_t)(opc >> 8));
    x_u8(b, (uint8_t)opc);
}

/* opcode with ModRM.mod = 11: @p reg in ModRM.reg (or a /digit), @p rm a register. */
static inline void x_rr(vfmi_jbuf_t *b, unsigned f, unsigned opc, int reg, int rm)
{
    x_prefix(b, f, reg, NOREG, rm);
    x_opcode(b, opc);
    x_u8(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/*
 * opcode with a memory operand (SDM 2.1.5, Tables 2-2 and 2-3): RSP/R12 as
 * base need a SIB byte, RBP/R13 as base need a displacement.
 */
static inline void x_rm(vfmi_jbuf_t *b, unsigned f, unsigned opc, int reg, xmem_t m)
{
    x_prefix(b, f, reg, m.index, m.base);
    x_opcode(b, opc);
    unsigned mod = (m.disp == 0 && (m.base & 7) != RBP) ? 0u : x_fits8(m.disp) ? 1u : 2u;
    if (m.index == NOREG && (m.base & 7) != RSP) {
        x_u8(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | (m.base & 7)));
    } else {
        int index = m.index == NOREG ? RSP : m.index; /* index 100 = none */
        x_u8(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
        x_u8(b, (uint8_t)((index & 7) << 3 | (m.base & 7)));
    }
    if (mod == 1)
        x_u8(b, (uint8_t)m.disp);
    else if (mod == 2)
        x_u32(b, (uint32_t)m.disp);
}

/* ---- moves ---------------------------------------------------------------- */

/* mov dst, src (MOV 89 /r) */
static inline void x_mov_rr(vfmi_jbuf_t *b, int dst, int src)
{
    if (dst != src)
        x_rr(b, X_W, 0x89, src, dst);
}

/*
 * dst = k in the shortest form: xor r32, r32 (only when the flags may be
 * clobbered); mov r32, imm32 (B8+r, zero-extends); mov r64, simm32 (C7 /0);
 * movabs r64, imm64 (REX.W B8+r).
 */
static inline void x_mov_ri(vfmi_jbuf_t *b, int dst, uint64_t k, bool keep_flags)
{
    if (k == 0 && !keep_flags) {
        x_rr(b, 0, 0x31, dst, dst);
    } else if (k <= UINT32_MAX) {
        x_prefix(b, 0, NOREG, NOREG, dst);
        x_u8(b, (uint8_t)(0xb8 + (dst & 7)));
        x_u32(b, (uint32_t)k);
    } else if (x_simm32(k)) {
        x_rr(b, X_W, 0xc7, 0, dst);
        x_u32(b, (uint32_t)k);
    } else {
        x_prefix(b, X_W, NOREG, NOREG, dst);
        x_u8(b, (uint8_t)(0xb8 + (dst & 7)));
        vfmi_jbuf_u64le(b, k);
    }
}

/* mov r64, [m] (8B /r) */
static inline void x_load(vfmi_jbuf_t *b, int dst, xmem_t m) { x_rm(b, X_W, 0x8b, dst, m); }
/* mov [m], r64 (89 /r) */
static inline void x_store(vfmi_jbuf_t *b, xmem_t m, int src) { x_rm(b, X_W, 0x89, src, m); }
/* mov qword [m], simm32 (C7 /0) */
static inline void x_store_i(vfmi_jbuf_t *b, xmem_t m, int32_t k)
{
    x_rm(b, X_W, 0xc7, 0, m);
    x_u32(b, (uint32_t)k);
}
/* lea r64, [m] (8D /r) */
static inline void x_lea(vfmi_jbuf_t *b, int dst, xmem_t m) { x_rm(b, X_W, 0x8d, dst, m); }

/*
 * Big-endian loads, zero-extended to 64 bits (MOVZX 0F B6/B7, MOV 8B,
 * BSWAP 0F C8+r, ROL C1 /0): no MOVBE, which older CPUs lack.
 */
static inline void x_load_be(vfmi_jbuf_t *b, int dst, xmem_t m, unsigned width)
{
    switch (width) {
    case 1: /* movzx dst32, byte [m] */
        x_rm(b, 0, 0x0fb6, dst, m);
        break;
    case 2: /* movzx dst32, word [m]; rol dst16, 8 */
        x_rm(b, 0, 0x0fb7, dst, m);
        x_rr(b, X_16, 0xc1, 0, dst);
        x_u8(b, 8);
        break;
    case 4: /* mov dst32, [m]; bswap dst32 */
        x_rm(b, 0, 0x8b, dst, m);
        x_prefix(b, 0, NOREG, NOREG, dst);
        x_u8(b, 0x0f);
        x_u8(b, (uint8_t)(0xc8 + (dst & 7)));
        break;
    default: /* mov dst, [m]; bswap dst */
        x_rm(b, X_W, 0x8b, dst, m);
        x_prefix(b, X_W, NOREG, NOREG, dst);
        x_u8(b, 0x0f);
        x_u8(b, (uint8_t)(0xc8 + (dst & 7)));
        break;
    }
}

/* ---- arithmetic ------------------------------------------------------------ */

/* op dst, src (01/09/21/29/31/39 /r: the row is op * 8 + 1) */
static inline void x_alu_rr(vfmi_jbuf_t *b, unsigned op, int dst, int src)
{
    x_rr(b, X_W, op * 8 + 1, src, dst);
}

/* op dst, [m] (03/0B/23/2B/33/3B /r) */
static inline void x_alu_rm(vfmi_jbuf_t *b, unsigned op, int dst, xmem_t m)
{
    x_rm(b, X_W, op * 8 + 3, dst, m);
}

/* op dst, simm (83 /op ib or 81 /op id); @p f X_W for 64-bit, 0 for 32-bit. */
static inline void x_alu_ri(vfmi_jbuf_t *b, unsigned f, unsigned op, int dst, int32_t k)
{
    if (x_fits8(k)) {
        x_rr(b, f, 0x83, (int)op, dst);
        x_u8(b, (uint8_t)k);
    } else {
        x_rr(b, f, 0x81, (int)op, dst);
        x_u32(b, (uint32_t)k);
    }
}

/* op qword [m], simm (83 /op ib or 81 /op id) */
static inline void x_alu_mi(vfmi_jbuf_t *b, unsigned op, xmem_t m, int32_t k)
{
    if (x_fits8(k)) {
        x_rm(b, X_W, 0x83, (int)op, m);
        x_u8(b, (uint8_t)k);
    } else {
        x_rm(b, X_W, 0x81, (int)op, m);
        x_u32(b, (uint32_t)k);
    }
}

/*
 * cmp / test of a width-byte memory operand with an immediate of that width
 * (CMP 80 /7 ib, 66 81 /7 iw, 81 /7 id, REX.W 81 /7 id; TEST F6 /0 ib,
 * 66 F7 /0 iw, F7 /0 id, REX.W F7 /0 id).  For width 8, @p k must be a simm32.
 */
static inline void x_cmp_mi(vfmi_jbuf_t *b, bool test, xmem_t m, unsigned width, uint64_t k)
{
    int digit = test ? 0 : 7;
    switch (width) {
    case 1:
        x_rm(b, 0, test ? 0xf6 : 0x80, digit, m);
        x_u8(b, (uint8_t)k);
        break;
    case 2:
        x_rm(b, X_16, test ? 0xf7 : 0x81, digit, m);
        x_u16(b, (uint16_t)k);
        break;
    default:
        x_rm(b, width == 8 ? X_W : 0, test ? 0xf7 : 0x81, digit, m);
        x_u32(b, (uint32_t)k);
        break;
    }
}

/* test a, b (85 /r) */
static inline void x_test_rr(vfmi_jbuf_t *b, int a, int c) { x_rr(b, X_W, 0x85, c, a); }

/* imul dst, src (0F AF /r) and dst, [m] */
static inline void x_imul_rr(vfmi_jbuf_t *b, int dst, int src) { x_rr(b, X_W, 0x0faf, dst, src); }
static inline void x_imul_rm(vfmi_jbuf_t *b, int dst, xmem_t m) { x_rm(b, X_W, 0x0faf, dst, m); }
/* imul dst, src, simm (6B /r ib, 69 /r id) */
static inline void x_imul_rri(vfmi_jbuf_t *b, int dst, int src, int32_t k)
{
    if (x_fits8(k)) {
        x_rr(b, X_W, 0x6b, dst, src);
        x_u8(b, (uint8_t)k);
    } else {
        x_rr(b, X_W, 0x69, dst, src);
        x_u32(b, (uint32_t)k);
    }
}

/* div r64 / div qword [m]: rdx:rax / src (F7 /6) */
static inline void x_div_r(vfmi_jbuf_t *b, int src) { x_rr(b, X_W, 0xf7, 6, src); }
static inline void x_div_m(vfmi_jbuf_t *b, xmem_t m) { x_rm(b, X_W, 0xf7, 6, m); }
/* not r64 (F7 /2) */
static inline void x_not(vfmi_jbuf_t *b, int r) { x_rr(b, X_W, 0xf7, 2, r); }

/* Shifts: /4 shl, /5 shr. */
enum { SH_SHL = 4, SH_SHR = 5 };
/* shl/shr r64, imm8 (D1 /n for 1, C1 /n ib) */
static inline void x_shift_ri(vfmi_jbuf_t *b, int sh, int r, unsigned n)
{
    if (n == 1) {
        x_rr(b, X_W, 0xd1, sh, r);
    } else {
        x_rr(b, X_W, 0xc1, sh, r);
        x_u8(b, (uint8_t)n);
    }
}
/* shl/shr r64, cl (D3 /n) */
static inline void x_shift_rcl(vfmi_jbuf_t *b, int sh, int r) { x_rr(b, X_W, 0xd3, sh, r); }
/* sbb dst, src (19 /r) */
static inline void x_sbb_rr(vfmi_jbuf_t *b, int dst, int src) { x_rr(b, X_W, 0x19, src, dst); }

/* setcc r8; movzx r32, r8 (0F 90+cc /0; 0F B6 /r): the condition as 0/1 */
static inline void x_setcc01(vfmi_jbuf_t *b, int cc, int r)
{
    x_rr(b, X_BYTE, 0x0f90u + (unsigned)cc, 0, r);
    x_rr(b, X_BYTE, 0x0fb6, r, r);
}

/* cmovcc r32, r32 (0F 40+cc /r) */
static inline void x_cmov32(vfmi_jbuf_t *b, int cc, int dst, int src)
{
    x_rr(b, 0, 0x0f40u + (unsigned)cc, dst, src);
}

/* ---- stack and calls -------------------------------------------------------- */

static inline void x_push(vfmi_jbuf_t *b, int r)
{
    x_prefix(b, 0, NOREG, NOREG, r);
    x_u8(b, (uint8_t)(0x50 + (r & 7)));
}
static inline void x_pop(vfmi_jbuf_t *b, int r)
{
    x_prefix(b, 0, NOREG, NOREG, r);
    x_u8(b, (uint8_t)(0x58 + (r & 7)));
}
/* call r64 (FF /2) and call [m] */
static inline void x_call_r(vfmi_jbuf_t *b, int r) { x_rr(b, 0, 0xff, 2, r); }
static inline void x_call_m(vfmi_jbuf_t *b, xmem_t m) { x_rm(b, 0, 0xff, 2, m); }
static inline void x_ret(vfmi_jbuf_t *b) { x_u8(b, 0xc3); }

#endif /* VFM_JIT_X86_64_ENC_H */
