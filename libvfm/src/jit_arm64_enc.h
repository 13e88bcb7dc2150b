/*
 * jit_arm64_enc.h - A64 instruction words, one function per encoding form.
 *
 * Section numbers are from the Arm Architecture Reference Manual for A-profile
 * (DDI 0487), chapter C6 "A64 Base Instruction Descriptions".  Every form here
 * is the 64-bit (sf = 1) variant unless its name ends in _w.  Register number
 * 31 means XZR/WZR, except where a comment says SP.  Only words are built
 * here; jit_arm64.c decides what to emit.  The encodings are checked against
 * aarch64-linux-gnu-objdump (see docs/jit.md, "## ARM64").
 */
#ifndef VFM_JIT_ARM64_ENC_H
#define VFM_JIT_ARM64_ENC_H

#include <stdbool.h>
#include <stdint.h>

#define A64_ZR 31u /* XZR / WZR in data-processing forms */
#define A64_SP 31u /* SP in the immediate add/sub and load/store base forms */

/* Condition codes (C1.2.4). */
enum a64_cond {
    A64_EQ = 0x0, A64_NE = 0x1, A64_HS = 0x2, A64_LO = 0x3, A64_MI = 0x4, A64_PL = 0x5,
    A64_VS = 0x6, A64_VC = 0x7, A64_HI = 0x8, A64_LS = 0x9, A64_GE = 0xa, A64_LT = 0xb,
    A64_GT = 0xc, A64_LE = 0xd, A64_AL = 0xe
};
static inline unsigned a64_invert(unsigned cond) { return cond ^ 1u; }

#define A64_R(rd, rn, rm) ((uint32_t)(rd) | (uint32_t)(rn) << 5 | (uint32_t)(rm) << 16)

/* ---- data processing, register (C6.2: ADD/SUB/AND/ORR/EOR/ORN shifted register) ---- */
static inline uint32_t a64_add(unsigned rd, unsigned rn, unsigned rm) { return 0x8b000000u | A64_R(rd, rn, rm); }
static inline uint32_t a64_sub(unsigned rd, unsigned rn, unsigned rm) { return 0xcb000000u | A64_R(rd, rn, rm); }
static inline uint32_t a64_adds(unsigned rd, unsigned rn, unsigned rm) { return 0xab000000u | A64_R(rd, rn, rm); }
static inline uint32_t a64_subs(unsigned rd, unsigned rn, unsigned rm) { return 0xeb000000u | A64_R(rd, rn, rm); }
static inline uint32_t a64_subs_w(unsigned rd, unsigned rn, unsigned rm) { return 0x6b000000u | A64_R(rd, rn, rm); }
static inline uint32_t a64_and(unsigned rd, unsigned rn, unsigned rm) { return 0x8a000000u | A64_R(rd, rn, rm); }
static inline uint32_t a64_ands(unsigned rd, unsigned rn, unsigned rm) { return 0xea000000u | A64_R(rd, rn, rm); }
static inline uint32_t a64_orr(unsigned rd, unsigned rn, unsigned rm) { return 0xaa000000u | A64_R(rd, rn, rm); }
static inline uint32_t a64_eor(unsigned rd, unsigned rn, unsigned rm) { return 0xca000000u | A64_R(rd, rn, rm); }
static inline uint32_t a64_orn(unsigned rd, unsigned rn, unsigned rm) { return 0xaa200000u | A64_R(rd, rn, rm); }
/* MOV Xd, Xm is ORR Xd, XZR, Xm (C6.2 MOV (register)). */
static inline uint32_t a64_mov(unsigned rd, unsigned rm) { return a64_orr(rd, A64_ZR, rm); }
/* CMP Xn, Xm is SUBS XZR, Xn, Xm; TST is ANDS XZR. */
static inline uint32_t a64_cmp(unsigned rn, unsigned rm) { return a64_subs(A64_ZR, rn, rm); }

/* ---- data processing, 2 and 3 sources (C6.2 UDIV, LSLV, LSRV, MADD, MSUB) ---- */
static inline uint32_t a64_udiv(unsigned rd, unsigned rn, unsigned rm) { return 0x9ac00800u | A64_R(rd, rn, rm); }
static inline uint32_t a64_lslv(unsigned rd, unsigned rn, unsigned rm) { return 0x9ac02000u | A64_R(rd, rn, rm); }
static inline uint32_t a64_lsrv(unsigned rd, unsigned rn, unsigned rm) { return 0x9ac02400u | A64_R(rd, rn, rm); }
static inline uint32_t a64_madd(unsigned rd, unsigned rn, unsigned rm, unsigned ra)
{
    return 0x9b000000u | A64_R(rd, rn, rm) | (uint32_t)ra << 10;
}
static inline uint32_t a64_msub(unsigned rd, unsigned rn, unsigned rm, unsigned ra)
{
    return 0x9b008000u | A64_R(rd, rn, rm) | (uint32_t)ra << 10;
}

/* ---- conditional select (C6.2 CSEL, CSINC; CSET is CSINC Xd, XZR, XZR, !cond) ---- */
static inline uint32_t a64_csel(unsigned rd, unsigned rn, unsigned rm, unsigned cond)
{
    return 0x9a800000u | A64_R(rd, rn, rm) | (uint32_t)cond << 12;
}
static inline uint32_t a64_csel_w(unsigned rd, unsigned rn, unsigned rm, unsigned cond)
{
    return 0x1a800000u | A64_R(rd, rn, rm) | (uint32_t)cond << 12;
}
static inline uint32_t a64_cset(unsigned rd, unsigned cond)
{
    return 0x9a800400u | A64_R(rd, A64_ZR, A64_ZR) | (uint32_t)a64_invert(cond) << 12;
}

/* ---- byte reverse (C6.2 REV16, REV (32 and 64 bit)) ---- */
static inline uint32_t a64_rev16_w(unsigned rd, unsigned rn) { return 0x5ac00400u | A64_R(rd, rn, 0); }
static inline uint32_t a64_rev_w(unsigned rd, unsigned rn) { return 0x5ac00800u | A64_R(rd, rn, 0); }
static inline uint32_t a64_rev(unsigned rd, unsigned rn) { return 0xdac00c00u | A64_R(rd, rn, 0); }

/* ---- immediates: add/sub (imm12, optionally << 12; Rn may be SP) ---- */
static inline uint32_t a64_addsub_imm(uint32_t base, unsigned rd, unsigned rn, uint32_t imm12,
                                      bool lsl12)
{
    return base | (lsl12 ? 1u << 22 : 0) | (imm12 & 0xfffu) << 10 | A64_R(rd, rn, 0);
}
#define A64_ADD_IMM  0x91000000u /* C6.2 ADD (immediate) */
#define A64_ADDS_IMM 0xb1000000u /* C6.2 ADDS (immediate); CMN with Rd = XZR */
#define A64_SUB_IMM  0xd1000000u /* C6.2 SUB (immediate) */
#define A64_SUBS_IMM 0xf1000000u /* C6.2 SUBS (immediate); CMP with Rd = XZR */
#define A64_ADD_IMM_W  0x11000000u
#define A64_ADDS_IMM_W 0x31000000u
#define A64_SUBS_IMM_W 0x71000000u

/* Logical immediate (C6.2 AND/ORR/EOR/ANDS (immediate)); fields from a64_bitmask(). */
#define A64_AND_IMM  0x92000000u
#define A64_ORR_IMM  0xb2000000u
#define A64_EOR_IMM  0xd2000000u
#define A64_ANDS_IMM 0xf2000000u
static inline uint32_t a64_logic_imm(uint32_t base, unsigned rd, unsigned rn, uint32_t nrs)
{
    return base | nrs << 10 | A64_R(rd, rn, 0);
}

/*
 * The N:immr:imms field (13 bits, placed at bit 10) for @p v as a bitmask
 * immediate (C6.2 "DecodeBitMasks"): an element of 2, 4, ..., 64 bits holding
 * one rotated run of ones, repeated across the register.  0 and ~0 have no
 * encoding.  Returns false when @p v is not such a pattern.
 */
static inline bool a64_bitmask(uint64_t v, uint32_t *nrs)
{
    if (v == 0 || v == ~(uint64_t)0)
        return false;
    unsigned size = 64;
    while (size > 2) { /* the smallest element that repeats */
        unsigned half = size / 2;
        uint64_t m = ((uint64_t)1 << half) - 1;
        if ((v & m) != ((v >> half) & m))
            break;
        size = half;
    }
    uint64_t mask = size == 64 ? ~(uint64_t)0 : ((uint64_t)1 << size) - 1;
    uint64_t elem = v & mask;
    unsigned ones = (unsigned)__builtin_popcountll(elem);
    uint64_t run = ((uint64_t)1 << ones) - 1; /* ones < size <= 64 */
    for (unsigned r = 0; r < size; r++) {
        uint64_t rot = r ? ((run << r) | (run >> (size - r))) & mask : run;
        if (rot == elem) {
            uint32_t immr = (size - r) % size; /* elem = ROR(run, immr) */
            uint32_t imms = ((~(size - 1u) << 1) | (ones - 1u)) & 0x3fu;
            *nrs = (uint32_t)(size == 64) << 12 | immr << 6 | imms;
            return true;
        }
    }
    return false;
}

/* ---- move wide (C6.2 MOVZ, MOVN, MOVK); hw selects the 16-bit lane ---- */
static inline uint32_t a64_movz(unsigned rd, uint32_t imm16, unsigned hw)
{
    return 0xd2800000u | (uint32_t)hw << 21 | (imm16 & 0xffffu) << 5 | rd;
}
static inline uint32_t a64_movn(unsigned rd, uint32_t imm16, unsigned hw)
{
    return 0x92800000u | (uint32_t)hw << 21 | (imm16 & 0xffffu) << 5 | rd;
}
static inline uint32_t a64_movk(unsigned rd, uint32_t imm16, unsigned hw)
{
    return 0xf2800000u | (uint32_t)hw << 21 | (imm16 & 0xffffu) << 5 | rd;
}
static inline uint32_t a64_movn_w(unsigned rd, uint32_t imm16) { return 0x12800000u | (imm16 & 0xffffu) << 5 | rd; }
static inline uint32_t a64_movz_w(unsigned rd, uint32_t imm16) { return 0x52800000u | (imm16 & 0xffffu) << 5 | rd; }

/* ---- bitfield (C6.2 UBFM; LSL #s = UBFM #(-s mod 64), #(63-s); LSR #s = UBFM #s, #63) ---- */
static inline uint32_t a64_ubfm(unsigned rd, unsigned rn, unsigned immr, unsigned imms)
{
    return 0xd3400000u | (uint32_t)immr << 16 | (uint32_t)imms << 10 | A64_R(rd, rn, 0);
}
static inline uint32_t a64_lsl_imm(unsigned rd, unsigned rn, unsigned s)
{
    return a64_ubfm(rd, rn, (64u - s) & 63u, 63u - s);
}
static inline uint32_t a64_lsr_imm(unsigned rd, unsigned rn, unsigned s) { return a64_ubfm(rd, rn, s, 63u); }

/*
 * ---- loads and stores ----
 * Unsigned offset (C6.2 LDR/LDRB/LDRH/STR (immediate)): imm12 scaled by the size.
 * Unscaled (LDUR*): signed 9-bit byte offset.  Register (LDR* (register)):
 * base + Xm, option LSL, no shift.  size: 0 = byte, 1 = half, 2 = word, 3 = double.
 */
static inline uint32_t a64_ldr_uoff(unsigned size, unsigned rt, unsigned rn, uint32_t byte_off)
{
    return 0x39400000u | (uint32_t)size << 30 | (byte_off >> size) << 10 | A64_R(rt, rn, 0);
}
static inline uint32_t a64_str_uoff(unsigned size, unsigned rt, unsigned rn, uint32_t byte_off)
{
    return 0x39000000u | (uint32_t)size << 30 | (byte_off >> size) << 10 | A64_R(rt, rn, 0);
}
static inline uint32_t a64_ldur(unsigned size, unsigned rt, unsigned rn, int32_t off9)
{
    return 0x38400000u | (uint32_t)size << 30 | ((uint32_t)off9 & 0x1ffu) << 12 | A64_R(rt, rn, 0);
}
static inline uint32_t a64_ldr_reg(unsigned size, unsigned rt, unsigned rn, unsigned rm)
{
    return 0x38606800u | (uint32_t)size << 30 | A64_R(rt, rn, rm);
}
/* Pairs of X registers (C6.2 STP/LDP): imm7 scaled by 8; pre-index, post-index, offset. */
static inline uint32_t a64_stp_pre(unsigned rt, unsigned rt2, unsigned rn, int32_t off)
{
    return 0xa9800000u | ((uint32_t)(off / 8) & 0x7fu) << 15 | (uint32_t)rt2 << 10 | A64_R(rt, rn, 0);
}
static inline uint32_t a64_ldp_post(unsigned rt, unsigned rt2, unsigned rn, int32_t off)
{
    return 0xa8c00000u | ((uint32_t)(off / 8) & 0x7fu) << 15 | (uint32_t)rt2 << 10 | A64_R(rt, rn, 0);
}
static inline uint32_t a64_stp(unsigned rt, unsigned rt2, unsigned rn, int32_t off)
{
    return 0xa9000000u | ((uint32_t)(off / 8) & 0x7fu) << 15 | (uint32_t)rt2 << 10 | A64_R(rt, rn, 0);
}
static inline uint32_t a64_ldp(unsigned rt, unsigned rt2, unsigned rn, int32_t off)
{
    return 0xa9400000u | ((uint32_t)(off / 8) & 0x7fu) << 15 | (uint32_t)rt2 << 10 | A64_R(rt, rn, 0);
}

/* ---- branches (C6.2 B, B.cond, CBZ, CBNZ, BLR, RET); offsets in instructions ---- */
#define A64_B26_MAX ((1 << 25) - 1)
#define A64_B19_MAX ((1 << 18) - 1)
static inline uint32_t a64_b(int32_t off) { return 0x14000000u | ((uint32_t)off & 0x3ffffffu); }
static inline uint32_t a64_bcond(unsigned cond, int32_t off)
{
    return 0x54000000u | ((uint32_t)off & 0x7ffffu) << 5 | cond;
}
static inline uint32_t a64_cbz(unsigned rt, int32_t off) { return 0xb4000000u | ((uint32_t)off & 0x7ffffu) << 5 | rt; }
static inline uint32_t a64_cbnz(unsigned rt, int32_t off) { return 0xb5000000u | ((uint32_t)off & 0x7ffffu) << 5 | rt; }
static inline uint32_t a64_blr(unsigned rn) { return 0xd63f0000u | (uint32_t)rn << 5; }
static inline uint32_t a64_ret(void) { return 0xd65f03c0u; }
static inline uint32_t a64_brk(uint32_t imm16) { return 0xd4200000u | (imm16 & 0xffffu) << 5; }

#endif /* VFM_JIT_ARM64_ENC_H */
