/*
 * jit_arm64.c - verified VFM code to AArch64 machine code.
 *
 * The verifier proved the exact stack depth before every instruction, so
 * stack slot i has one home for the whole program: register X4+i for the
 * first NREG slots, ctx->stack[i] above them.  A join that drops values moves
 * nothing (the values below stay where they are), and no code tracks a stack
 * pointer at run time.
 *
 * Register map (AAPCS64 passes pkt, len, ctx, result in X0-X3; X19-X28
 * survive calls):
 *
 *              leaf          with calls   holds
 *   pkt        X0            X19          packet
 *   len        X1            X20          captured length (64-bit)
 *   ctx        X2            X21          vfmi_ctx_t: flow, helpers, linktype, loop limit
 *   res        X3            X22          where RET stores the result
 *   slot i     X4+i, i < 9   X4+i         saved to ctx->stack around calls
 *   T3         X13           X13          scratch
 *   cnt        W14           W24          backward jumps taken (uint32_t, as the interpreter)
 *   base       X15           X23          ctx->stack: slots >= 9, call arguments
 *   T1, T2     X16, X17      X16, X17     scratch (IP0/IP1)
 *
 * A program without HASH5, FLOW_* or CALL is a leaf with no prologue.  One
 * with calls saves FP, LR and X19-X24 in an 80-byte frame; [sp+64] receives
 * a helper's result.  Errors branch to stubs after the code that set W0 and
 * *result = 0, exactly as interp_body.h does.
 *
 * Branches are emitted short (B.cond/CBZ reach +-1 MiB) and fixed up at the
 * end; if any does not reach, the whole program is emitted again with every
 * conditional branch as B.!cond over a B (+-128 MiB).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "jit.h"
#include "jit_arm64_enc.h"

#define NREG  9u  /* stack slots kept in registers */
#define SLOT0 4u  /* X4: slot 0 */
#define T1    16u
#define T2    17u
#define T3    13u
#define FRAME 80  /* FP, LR, X19-X24, helper result, padding to 16 */
#define FRAME_RES 64

/* The scaled 12-bit load/store offsets used on ctx, the helper table and ctx->stack reach. */
_Static_assert(offsetof(vfmi_ctx_t, loop_limit) % 4 == 0 && offsetof(vfmi_ctx_t, linktype) % 4 == 0,
               "32-bit ctx fields must be 4-aligned for LDR W");
_Static_assert(offsetof(vfmi_ctx_t, stack) % 8 == 0 && offsetof(vfmi_ctx_t, flow) % 8 == 0 &&
                   offsetof(vfmi_ctx_t, helpers) % 8 == 0,
               "pointer ctx fields must be 8-aligned for LDR X");
_Static_assert(sizeof(vfm_helper_t) % 8 == 0 && VFM_HELPERS_MAX * sizeof(vfm_helper_t) < 4096 * 8,
               "helper entries must be reachable with LDR X, #imm12");
_Static_assert((VFM_STACK_MAX + 1) * 8 < 4096 * 8, "stack slots must be reachable with LDR X, #imm12");

enum { STUB_BOUNDS, STUB_DIVZERO, STUB_LIMIT, STUB_HELPER, STUB_FAIL, STUB_EXIT, NSTUB };

#define NO_LABEL UINT32_MAX
#define NEED_FAR 1 /* emit_program(): a short branch did not reach */

typedef struct fixup {
    uint32_t at;    /* byte offset of the branch */
    uint32_t label; /* pc, or len + STUB_* */
    bool wide;      /* B (imm26) rather than B.cond/CBZ/CBNZ (imm19) */
} fixup_t;

typedef struct jit {
    const uint8_t *code;
    const vfmi_proof_t *proof;
    const vfm_verify_opts_t *opts;
    vfmi_jbuf_t *out;
    uint32_t *label; /* [len + NSTUB] code offset, NO_LABEL until emitted */
    fixup_t *fix;
    size_t nfix, capfix;
    bool used[NSTUB];
    bool far;   /* conditional branches as B.!cond +8; B */
    bool frame; /* the program calls out */
    unsigned pkt, len, ctx, res, base, cnt;
    uint32_t pc;    /* of the instruction being compiled, for messages */
    uint64_t known; /* len >= known holds here: a check on this straight path passed */
    int err;     /* sticky: VFM_ERROR_UNSUPPORTED or VFM_ERROR_NO_MEMORY */
    char *why;
    size_t whylen;
} jit_t;

__attribute__((format(printf, 3, 4))) static void fail(jit_t *j, uint32_t pc, const char *fmt, ...);

static void emit(jit_t *j, uint32_t word)
{
    if (!j->err)
        vfmi_jbuf_u32le(j->out, word);
}

static uint32_t here(const jit_t *j) { return (uint32_t)j->out->len; }

static void patch(jit_t *j, uint32_t at, uint32_t bits)
{
    if (j->err || j->out->oom)
        return;
    uint8_t *p = j->out->p + at;
    uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    w |= bits;
    p[0] = (uint8_t)w, p[1] = (uint8_t)(w >> 8), p[2] = (uint8_t)(w >> 16), p[3] = (uint8_t)(w >> 24);
}

/* ---- constants ------------------------------------------------------------ */

/* rd = v in the fewest instructions: MOVZ/MOVN + MOVK, or ORR with a bitmask immediate. */
static void mov_imm(jit_t *j, unsigned rd, uint64_t v)
{
    unsigned zeros = 0, ones = 0;
    for (unsigned hw = 0; hw < 4; hw++) {
        uint16_t h = (uint16_t)(v >> (16 * hw));
        zeros += h == 0;
        ones += h == 0xffff;
    }
    if (zeros == 4 || ones == 4) { /* movz rd, #0 / movn rd, #0 */
        emit(j, zeros == 4 ? a64_movz(rd, 0, 0) : a64_movn(rd, 0, 0));
        return;
    }
    unsigned n = 4 - (zeros > ones ? zeros : ones);
    uint32_t nrs;
    if (n > 1 && a64_bitmask(v, &nrs)) {
        emit(j, a64_logic_imm(A64_ORR_IMM, rd, A64_ZR, nrs)); /* orr rd, xzr, #v */
        return;
    }
    bool inverted = ones > zeros; /* MOVN first, then patch the lanes that are not 0xffff */
    uint16_t fill = inverted ? 0xffff : 0;
    bool first = true;
    for (unsigned hw = 0; hw < 4; hw++) {
        uint16_t h = (uint16_t)(v >> (16 * hw));
        if (h == fill)
            continue;
        if (first)
            emit(j, inverted ? a64_movn(rd, (uint16_t)~h, hw) : a64_movz(rd, h, hw));
        else
            emit(j, a64_movk(rd, h, hw));
        first = false;
    }
}

/* Flags as for CMP rn, #k (EQ/NE and the unsigned conditions hold).  Uses T2 for wide k. */
static void cmp_imm(jit_t *j, unsigned rn, uint64_t k)
{
    if (k < 4096) {
        emit(j, a64_addsub_imm(A64_SUBS_IMM, A64_ZR, rn, (uint32_t)k, false));
    } else if ((k & 0xfff) == 0 && k < (1u << 24)) {
        emit(j, a64_addsub_imm(A64_SUBS_IMM, A64_ZR, rn, (uint32_t)(k >> 12), true));
    } else if (-k < 4096) {
        /* cmn rn, #-k: rn + (2^64 - k) carries exactly when rn >= k. */
        emit(j, a64_addsub_imm(A64_ADDS_IMM, A64_ZR, rn, (uint32_t)-k, false));
    } else {
        mov_imm(j, T2, k);
        emit(j, a64_cmp(rn, T2));
    }
}

/* ---- stack slots ---------------------------------------------------------- */

/* The register holding slot i: its home, or @p tmp loaded from ctx->stack. */
static unsigned get(jit_t *j, unsigned i, unsigned tmp)
{
    if (i < NREG)
        return SLOT0 + i;
    emit(j, a64_ldr_uoff(3, tmp, j->base, i * 8)); /* ldr tmp, [base, #8*i] */
    return tmp;
}

/* The register to compute slot i into; put() then stores it when the home is memory. */
static unsigned dst(unsigned i, unsigned tmp) { return i < NREG ? SLOT0 + i : tmp; }

static void put(jit_t *j, unsigned i, unsigned r)
{
    if (i >= NREG)
        emit(j, a64_str_uoff(3, r, j->base, i * 8)); /* str r, [base, #8*i] */
    else if (r != SLOT0 + i)
        emit(j, a64_mov(SLOT0 + i, r));
}

static void move(jit_t *j, unsigned rd, unsigned rn)
{
    if (rd != rn)
        emit(j, a64_mov(rd, rn));
}

static void copy_slot(jit_t *j, unsigned from, unsigned to) { put(j, to, get(j, from, T1)); }

/* Slots [0, n) that live in registers to ctx->stack (before a call), or back. */
static void spill(jit_t *j, unsigned n, bool back)
{
    n = n < NREG ? n : NREG;
    unsigned i = 0;
    for (; i + 1 < n; i += 2) /* stp/ldp xA, xB, [base, #8*i] */
        emit(j, back ? a64_ldp(SLOT0 + i, SLOT0 + i + 1, j->base, (int32_t)i * 8)
                     : a64_stp(SLOT0 + i, SLOT0 + i + 1, j->base, (int32_t)i * 8));
    if (i < n)
        emit(j, back ? a64_ldr_uoff(3, SLOT0 + i, j->base, i * 8)
                     : a64_str_uoff(3, SLOT0 + i, j->base, i * 8));
}

/* ---- branches ------------------------------------------------------------- */

/* A branch to a pc or stub whose offset is filled in by resolve(). */
static void branch(jit_t *j, uint32_t word, bool wide, uint32_t label)
{
    if (j->err)
        return;
    if (j->nfix == j->capfix) {
        size_t cap = j->capfix ? j->capfix * 2 : 256;
        fixup_t *f = realloc(j->fix, cap * sizeof *f);
        if (!f) {
            j->err = VFM_ERROR_NO_MEMORY;
            return;
        }
        j->fix = f;
        j->capfix = cap;
    }
    if (label >= j->proof->len)
        j->used[label - j->proof->len] = true;
    j->fix[j->nfix++] = (fixup_t){here(j), label, wide};
    emit(j, word);
}

static uint32_t stub(const jit_t *j, unsigned s) { return j->proof->len + s; }

/* How a jump decides: always, on a condition code, or on a register being (non)zero. */
typedef enum { T_ALWAYS, T_COND, T_ZERO, T_NONZERO } test_kind_t;
typedef struct test {
    test_kind_t kind;
    unsigned cond; /* T_COND */
    unsigned reg;  /* T_ZERO, T_NONZERO */
} test_t;

static uint32_t test_word(test_t t, bool invert, int32_t off)
{
    switch (t.kind) {
    case T_COND: return a64_bcond(invert ? a64_invert(t.cond) : t.cond, off);
    case T_ZERO: return invert ? a64_cbnz(t.reg, off) : a64_cbz(t.reg, off);
    case T_NONZERO: return invert ? a64_cbz(t.reg, off) : a64_cbnz(t.reg, off);
    case T_ALWAYS: break;
    }
    return a64_b(off);
}

/* Branch to @p label when @p t holds. */
static void branch_if(jit_t *j, test_t t, uint32_t label)
{
    if (t.kind == T_ALWAYS) {
        branch(j, a64_b(0), true, label);
    } else if (j->far) {
        emit(j, test_word(t, true, 2)); /* skip the B when the test fails */
        branch(j, a64_b(0), true, label);
    } else {
        branch(j, test_word(t, false, 0), false, label);
    }
}

static test_t cond(unsigned c) { return (test_t){T_COND, c, 0}; }

/*
 * The jump of the instruction at @p pc to @p target when @p t holds.  A
 * backward jump (target <= pc, as predecode.c decides) is charged to the
 * loop budget when it is taken, like the interpreter's LOOP trampoline.
 */
static void jump(jit_t *j, uint32_t pc, uint32_t target, test_t t)
{
    if (target > pc) {
        branch_if(j, t, target);
        return;
    }
    uint32_t skip = here(j);
    if (t.kind != T_ALWAYS)
        emit(j, test_word(t, true, 0)); /* b.!cond over the back edge, patched below */
    emit(j, a64_addsub_imm(A64_ADD_IMM_W, j->cnt, j->cnt, 1, false)); /* add wcnt, wcnt, #1 */
    emit(j, a64_ldr_uoff(2, T1, j->ctx, offsetof(vfmi_ctx_t, loop_limit)));
    emit(j, a64_subs_w(A64_ZR, j->cnt, T1)); /* cmp wcnt, wT1 */
    branch_if(j, cond(A64_HI), stub(j, STUB_LIMIT));
    branch(j, a64_b(0), true, target);
    if (t.kind != T_ALWAYS)
        patch(j, skip, (uint32_t)((here(j) - skip) / 4) << 5);
}

/* ---- packet loads --------------------------------------------------------- */

static unsigned ld_size(vfm_opcode_t op)
{
    switch (op) {
    case VFM_OP_LD8: case VFM_OP_LDX8: return 0;
    case VFM_OP_LD16: case VFM_OP_LDX16: return 1;
    case VFM_OP_LD32: case VFM_OP_LDX32: return 2;
    default: return 3;
    }
}

/* rd = the big-endian value of 2^size bytes at rn + off (rn != T2; T2 for a far offset). */
static void load_be(jit_t *j, unsigned size, unsigned rd, unsigned rn, uint32_t off)
{
    uint32_t n = 1u << size;
    if (off % n == 0 && off / n < 4096) {
        emit(j, a64_ldr_uoff(size, rd, rn, off)); /* ldr{b,h} rd, [rn, #off] */
    } else if (off < 256) {
        emit(j, a64_ldur(size, rd, rn, (int32_t)off)); /* unaligned: ldur{b,h} */
    } else {
        mov_imm(j, T2, off);
        emit(j, a64_ldr_reg(size, rd, rn, T2)); /* ldr{b,h} rd, [rn, x17] */
    }
    if (size == 1)
        emit(j, a64_rev16_w(rd, rd)); /* the upper half is zero, so rev16 w = bswap16 */
    else if (size == 2)
        emit(j, a64_rev_w(rd, rd));
    else if (size == 3)
        emit(j, a64_rev(rd, rd));
}

/*
 * rd = LDn at the constant offset k, after `k + n > len` went to the bounds
 * stub -- unless an earlier check on the same straight-line path already
 * proved len large enough, so this one could not fail.
 */
static void load_k(jit_t *j, unsigned size, unsigned rd, uint64_t k)
{
    uint64_t need = k + (1u << size); /* k < 2^16: no overflow */
    if (need > j->known) {
        cmp_imm(j, j->len, need);
        branch_if(j, cond(A64_LO), stub(j, STUB_BOUNDS));
        j->known = need;
    }
    load_be(j, size, rd, j->pkt, (uint32_t)k);
}

/* Slot i = LDXn: x (slot i) + k + n must not pass len, computed without wrapping. */
static void load_x(jit_t *j, unsigned size, unsigned i, uint64_t k)
{
    unsigned x = get(j, i, T3);
    uint64_t need = k + (1u << size);
    if (need < 4096) {
        emit(j, a64_addsub_imm(A64_ADDS_IMM, T1, x, (uint32_t)need, false)); /* adds x16, x, #need */
    } else {
        mov_imm(j, T2, need);
        emit(j, a64_adds(T1, x, T2));
    }
    branch_if(j, cond(A64_HS), stub(j, STUB_BOUNDS)); /* x + need wrapped */
    emit(j, a64_cmp(T1, j->len));
    branch_if(j, cond(A64_HI), stub(j, STUB_BOUNDS));
    emit(j, a64_add(T1, j->pkt, x));
    unsigned rd = dst(i, T3);
    load_be(j, size, rd, T1, (uint32_t)k);
    put(j, i, rd);
}

/* ---- arithmetic ----------------------------------------------------------- */

/* The A64 condition for a comparison or two-operand conditional jump (unsigned). */
static unsigned cond_of(jit_t *j, vfm_opcode_t op)
{
    switch (op) {
    case VFM_OP_EQ: case VFM_OP_JEQ: return A64_EQ;
    case VFM_OP_NE: case VFM_OP_JNE: return A64_NE;
    case VFM_OP_GT: case VFM_OP_JGT: return A64_HI;
    case VFM_OP_LT: case VFM_OP_JLT: return A64_LO;
    case VFM_OP_GE: case VFM_OP_JGE: return A64_HS;
    case VFM_OP_LE: case VFM_OP_JLE: return A64_LS;
    default:
        fail(j, j->pc, "opcode 0x%02x has no arm64 condition", op);
        return A64_AL;
    }
}

/* Opcode families, from the ISA table's operand counts and flags. */
static bool is_cmp(const vfm_opinfo_t *i) { return i->flags & VFM_F_CMP; }
static bool is_jcc(const vfm_opinfo_t *i) { return (i->flags & VFM_F_JUMP) && i->pops == 2; }
static bool is_ld(const vfm_opinfo_t *i) { return (i->flags & VFM_F_PKT) && i->pops == 0; }
/* a OP b -> one value, no other effect: the arithmetic, bitwise and comparison ops. */
static bool is_binop(const vfm_opinfo_t *i)
{
    return i->pops == 2 && i->pushes == 1 && !(i->flags & ~(VFM_F_DIV | VFM_F_CMP));
}

/* rd = a OP b for the two-operand ALU and comparison ops (b == 0 checked for DIV/MOD). */
static void alu_rr(jit_t *j, vfm_opcode_t op, unsigned rd, unsigned a, unsigned b)
{
    switch (op) {
    case VFM_OP_ADD: emit(j, a64_add(rd, a, b)); break;
    case VFM_OP_SUB: emit(j, a64_sub(rd, a, b)); break;
    case VFM_OP_MUL: emit(j, a64_madd(rd, a, b, A64_ZR)); break;
    case VFM_OP_AND: emit(j, a64_and(rd, a, b)); break;
    case VFM_OP_OR: emit(j, a64_orr(rd, a, b)); break;
    case VFM_OP_XOR: emit(j, a64_eor(rd, a, b)); break;
    case VFM_OP_DIV:
    case VFM_OP_MOD:
        branch_if(j, (test_t){T_ZERO, 0, b}, stub(j, STUB_DIVZERO));
        if (op == VFM_OP_DIV) {
            emit(j, a64_udiv(rd, a, b));
        } else {
            emit(j, a64_udiv(T3, a, b));
            emit(j, a64_msub(rd, T3, b, a)); /* a - (a / b) * b */
        }
        break;
    case VFM_OP_SHL:
    case VFM_OP_SHR:
        /* LSLV/LSRV use the count mod 64; VFM gives 0 for counts >= 64. */
        emit(j, a64_addsub_imm(A64_SUBS_IMM, A64_ZR, b, 64, false)); /* cmp b, #64 */
        emit(j, op == VFM_OP_SHL ? a64_lslv(T3, a, b) : a64_lsrv(T3, a, b));
        emit(j, a64_csel(rd, T3, A64_ZR, A64_LO));
        break;
    case VFM_OP_EQ:
    case VFM_OP_NE:
    case VFM_OP_GT:
    case VFM_OP_LT:
    case VFM_OP_GE:
    case VFM_OP_LE:
        emit(j, a64_cmp(a, b));
        emit(j, a64_cset(rd, cond_of(j, op)));
        break;
    default:
        fail(j, j->pc, "opcode 0x%02x is no arm64 two-operand op", op);
        break;
    }
}

static bool pow2(uint64_t k) { return k && !(k & (k - 1)); }

/* rd = a OP k: the `PUSH k; OP` pair (never DIV/MOD by 0: the caller does not fuse it). */
static void alu_rk(jit_t *j, vfm_opcode_t op, unsigned rd, unsigned a, uint64_t k)
{
    uint32_t nrs;
    unsigned sh = pow2(k) ? (unsigned)__builtin_ctzll(k) : 0;
    switch (op) {
    case VFM_OP_ADD:
    case VFM_OP_SUB: {
        bool add = op == VFM_OP_ADD;
        if (k < 4096 || -k < 4096) {
            uint64_t m = k < 4096 ? k : -k;
            bool addi = add == (k < 4096);
            emit(j, a64_addsub_imm(addi ? A64_ADD_IMM : A64_SUB_IMM, rd, a, (uint32_t)m, false));
            return;
        }
        break;
    }
    case VFM_OP_AND:
    case VFM_OP_OR:
    case VFM_OP_XOR:
        if (a64_bitmask(k, &nrs)) {
            uint32_t base = op == VFM_OP_AND ? A64_AND_IMM : op == VFM_OP_OR ? A64_ORR_IMM : A64_EOR_IMM;
            emit(j, a64_logic_imm(base, rd, a, nrs));
            return;
        }
        break;
    case VFM_OP_MUL:
        if (pow2(k)) {
            emit(j, a64_lsl_imm(rd, a, sh));
            return;
        }
        break;
    case VFM_OP_DIV:
        if (pow2(k)) {
            emit(j, a64_lsr_imm(rd, a, sh));
            return;
        }
        break;
    case VFM_OP_MOD:
        if (k == 1) {
            emit(j, a64_mov(rd, A64_ZR));
            return;
        }
        if (pow2(k) && a64_bitmask(k - 1, &nrs)) {
            emit(j, a64_logic_imm(A64_AND_IMM, rd, a, nrs));
            return;
        }
        mov_imm(j, T2, k);
        emit(j, a64_udiv(T3, a, T2));
        emit(j, a64_msub(rd, T3, T2, a));
        return;
    case VFM_OP_SHL:
    case VFM_OP_SHR:
        if (k >= 64)
            emit(j, a64_mov(rd, A64_ZR));
        else if (op == VFM_OP_SHL)
            emit(j, a64_lsl_imm(rd, a, (unsigned)k));
        else
            emit(j, a64_lsr_imm(rd, a, (unsigned)k));
        return;
    case VFM_OP_EQ:
    case VFM_OP_NE:
    case VFM_OP_GT:
    case VFM_OP_LT:
    case VFM_OP_GE:
    case VFM_OP_LE:
        cmp_imm(j, a, k);
        emit(j, a64_cset(rd, cond_of(j, op)));
        return;
    default:
        break; /* alu_rr() below fails on what it does not know */
    }
    mov_imm(j, T2, k);
    if (op == VFM_OP_DIV)
        emit(j, a64_udiv(rd, a, T2)); /* k != 0: no zero test */
    else
        alu_rr(j, op, rd, a, T2);
}

/* ---- calls ---------------------------------------------------------------- */

static void call_c(jit_t *j, const void *fn)
{
    mov_imm(j, T1, (uint64_t)(uintptr_t)fn);
    emit(j, a64_blr(T1));
}

static void emit_ret_tail(jit_t *j)
{
    emit(j, a64_movz_w(0, 0)); /* w0 = VFM_SUCCESS */
    if (j->frame)
        branch(j, a64_b(0), true, stub(j, STUB_EXIT));
    else
        emit(j, a64_ret());
}

/* CALL k: arguments are slots d-n .. d-1 in ctx->stack; result (if any) to slot d-n. */
static void emit_call(jit_t *j, unsigned d, uint64_t id, unsigned pops, unsigned pushes)
{
    uint32_t h = (uint32_t)id * (uint32_t)sizeof(vfm_helper_t);
    spill(j, d, false);
    emit(j, a64_str_uoff(3, A64_ZR, A64_SP, FRAME_RES)); /* the interpreter's res = 0 */
    emit(j, a64_ldr_uoff(3, T1, j->ctx, offsetof(vfmi_ctx_t, helpers)));
    emit(j, a64_ldr_uoff(3, 0, T1, h + offsetof(vfm_helper_t, user)));
    emit(j, a64_ldr_uoff(3, T2, T1, h + offsetof(vfm_helper_t, fn)));
    emit(j, a64_mov(1, j->pkt));
    emit(j, a64_mov(2, j->len));
    emit(j, a64_addsub_imm(A64_ADD_IMM, 3, j->base, (d - pops) * 8, false)); /* args */
    emit(j, a64_addsub_imm(A64_ADD_IMM, 4, A64_SP, FRAME_RES, false));      /* &res */
    emit(j, a64_blr(T2));
    emit(j, a64_addsub_imm(A64_SUBS_IMM_W, A64_ZR, 0, 0, false)); /* cmp w0, #0 */
    branch_if(j, cond(A64_LT), stub(j, STUB_HELPER));
    spill(j, d - pops, true);
    if (pushes) {
        unsigned rd = dst(d - pops, T1);
        emit(j, a64_ldr_uoff(3, rd, A64_SP, FRAME_RES));
        put(j, d - pops, rd);
    }
}

/* HASH5 / FLOW_LOAD / FLOW_STORE at depth d. */
static void emit_flow(jit_t *j, vfm_opcode_t op, unsigned d)
{
    if (op == VFM_OP_HASH5) {
        spill(j, d, false);
        emit(j, a64_mov(0, j->pkt));
        emit(j, a64_mov(1, j->len));
        emit(j, a64_ldr_uoff(2, 2, j->ctx, offsetof(vfmi_ctx_t, linktype)));
        call_c(j, (const void *)vfm_hash5);
        spill(j, d, true);
        put(j, d, 0);
    } else if (op == VFM_OP_FLOW_LOAD) {
        spill(j, d - 1, false);
        move(j, 1, get(j, d - 1, 1)); /* key */
        emit(j, a64_ldr_uoff(3, 0, j->ctx, offsetof(vfmi_ctx_t, flow)));
        call_c(j, (const void *)vfmi_flow_load);
        spill(j, d - 1, true);
        put(j, d - 1, 0);
    } else {
        spill(j, d - 2, false);
        move(j, 1, get(j, d - 2, 1)); /* key */
        move(j, 2, get(j, d - 1, 2)); /* value */
        emit(j, a64_ldr_uoff(3, 0, j->ctx, offsetof(vfmi_ctx_t, flow)));
        call_c(j, (const void *)vfmi_flow_store);
        spill(j, d - 2, true);
    }
}

/* ---- instructions --------------------------------------------------------- */

/* The instruction after @p in when only fall-through reaches it (so the two may fuse). */
static bool follow(const jit_t *j, const vfmi_insn_t *in, vfmi_insn_t *next)
{
    if ((in->info->flags & VFM_F_NOFALL) || in->next >= j->proof->len)
        return false;
    if (j->proof->pcflags[in->next] & (VFMI_PC_TARGET | VFMI_PC_JOIN))
        return false;
    return vfmi_decode(j->code, j->proof->len, in->next, next) == VFM_SUCCESS;
}

static bool is_push(const vfmi_insn_t *in) { return in->info->flags & VFM_F_PUSH; }
/* 2^w - 1 for some 1 <= w <= 64. */
static bool low_mask(uint64_t k) { return k && !(k & (k + 1)); }
static bool is_jz(const vfmi_insn_t *in)
{
    return in->info->code == VFM_OP_JZ || in->info->code == VFM_OP_JNZ;
}
/* JNZ jumps when the condition that produced the value holds, JZ when it fails. */
static unsigned jz_cond(const vfmi_insn_t *jz, unsigned c)
{
    return jz->info->code == VFM_OP_JNZ ? c : a64_invert(c);
}

static void ret_value(jit_t *j, unsigned r)
{
    emit(j, a64_str_uoff(3, r, j->res, 0)); /* *result = r */
    emit_ret_tail(j);
}

/*
 * Sequences that become fewer instructions than their parts, at depth d:
 *   PUSH k; RET                      str of a constant
 *   PUSH k; Jcc  /  PUSH k; CMP; JZ  cmp #k; b.cond
 *   PUSH k; ALU/CMP                  the immediate form
 *   CMP; JZ                          cmp; b.cond
 *   LDn off; PUSH k; Jcc             load; cmp #k; b.cond
 *   LDn off; PUSH m; AND; JZ         load; tst #m; b.eq/ne
 * Returns the pc after the group, or 0 when none applies.
 */
static uint32_t emit_fused(jit_t *j, const vfmi_insn_t *i0, unsigned d)
{
    vfmi_insn_t i1, i2, i3;
    if (!follow(j, i0, &i1))
        return 0;
    vfm_opcode_t op0 = i0->info->code, op1 = i1.info->code;
    if (is_push(i0)) {
        uint64_t k = i0->k;
        if (op1 == VFM_OP_RET) {
            unsigned r = A64_ZR;
            if (k) {
                mov_imm(j, T1, k);
                r = T1;
            }
            ret_value(j, r);
            return i1.next;
        }
        if (is_jcc(i1.info)) {
            cmp_imm(j, get(j, d - 1, T1), k);
            jump(j, i1.pc, (uint32_t)i1.target, cond(cond_of(j, op1)));
            return i1.next;
        }
        if (is_cmp(i1.info) && follow(j, &i1, &i2) && is_jz(&i2)) {
            cmp_imm(j, get(j, d - 1, T1), k);
            jump(j, i2.pc, (uint32_t)i2.target, cond(jz_cond(&i2, cond_of(j, op1))));
            return i2.next;
        }
        if (op1 == VFM_OP_AND && low_mask(k) && follow(j, &i1, &i2) && is_push(&i2) &&
            i2.k < 64 && follow(j, &i2, &i3) && i3.info->code == VFM_OP_SHL &&
            (unsigned)__builtin_popcountll(k) + i2.k <= 64) {
            /* (a & (2^w - 1)) << s, as in the IPv4 header length: ubfiz rd, a, #s, #w */
            unsigned w = (unsigned)__builtin_popcountll(k), sh = (unsigned)i2.k;
            unsigned rd = dst(d - 1, T1);
            emit(j, a64_ubfm(rd, get(j, d - 1, T1), (64u - sh) & 63u, w - 1));
            put(j, d - 1, rd);
            return i3.next;
        }
        if (is_binop(i1.info) && !((i1.info->flags & VFM_F_DIV) && k == 0)) {
            unsigned rd = dst(d - 1, T1);
            alu_rk(j, op1, rd, get(j, d - 1, T1), k);
            put(j, d - 1, rd);
            return i1.next;
        }
        return 0;
    }
    if (is_cmp(i0->info) && is_jz(&i1)) {
        unsigned a = get(j, d - 2, T1), b = get(j, d - 1, T2);
        emit(j, a64_cmp(a, b));
        jump(j, i1.pc, (uint32_t)i1.target, cond(jz_cond(&i1, cond_of(j, op0))));
        return i1.next;
    }
    if (is_ld(i0->info) && is_push(&i1) && follow(j, &i1, &i2)) {
        vfm_opcode_t op2 = i2.info->code;
        if (is_jcc(i2.info)) {
            load_k(j, ld_size(op0), T1, i0->k);
            cmp_imm(j, T1, i1.k);
            jump(j, i2.pc, (uint32_t)i2.target, cond(cond_of(j, op2)));
            return i2.next;
        }
        if (op2 == VFM_OP_AND && follow(j, &i2, &i3) && is_jz(&i3)) {
            uint32_t nrs;
            load_k(j, ld_size(op0), T1, i0->k);
            if (a64_bitmask(i1.k, &nrs)) {
                emit(j, a64_logic_imm(A64_ANDS_IMM, A64_ZR, T1, nrs)); /* tst x16, #m */
            } else {
                mov_imm(j, T2, i1.k);
                emit(j, a64_ands(A64_ZR, T1, T2));
            }
            jump(j, i3.pc, (uint32_t)i3.target, cond(jz_cond(&i3, A64_NE)));
            return i3.next;
        }
    }
    return 0;
}

/* Code for the instruction (or fused group) at in->pc; returns the pc after it, 0 on failure. */
static uint32_t emit_insn(jit_t *j, const vfmi_insn_t *in)
{
    unsigned d = j->proof->depth[in->pc];
    uint32_t next = emit_fused(j, in, d);
    if (next)
        return next;
    vfm_opcode_t op = in->info->code;
    unsigned rd, a, b, pops, pushes;
    /* Every opcode is a case (no default): -Wswitch makes a new table row a build error here. */
    switch (op) {
    case VFM_OP_LD8:
    case VFM_OP_LD16:
    case VFM_OP_LD32:
    case VFM_OP_LD64:
        rd = dst(d, T1);
        load_k(j, ld_size(op), rd, in->k);
        put(j, d, rd);
        return in->next;
    case VFM_OP_LDX8:
    case VFM_OP_LDX16:
    case VFM_OP_LDX32:
    case VFM_OP_LDX64:
        load_x(j, ld_size(op), d - 1, in->k);
        return in->next;
    case VFM_OP_LEN:
        put(j, d, j->len);
        return in->next;
    case VFM_OP_PUSH:
    case VFM_OP_PUSH8:
    case VFM_OP_PUSH16:
    case VFM_OP_PUSH32:
        rd = dst(d, T1);
        mov_imm(j, rd, in->k);
        put(j, d, rd);
        return in->next;
    case VFM_OP_POP:
        return in->next; /* the slot is simply dead */
    case VFM_OP_DUP:
        copy_slot(j, d - 1, d);
        return in->next;
    case VFM_OP_OVER:
        copy_slot(j, d - 2, d);
        return in->next;
    case VFM_OP_SWAP:
        move(j, T2, get(j, d - 2, T2));
        copy_slot(j, d - 1, d - 2); /* via T1 */
        put(j, d - 1, T2);
        return in->next;
    case VFM_OP_ADD:
    case VFM_OP_SUB:
    case VFM_OP_MUL:
    case VFM_OP_DIV:
    case VFM_OP_MOD:
    case VFM_OP_AND:
    case VFM_OP_OR:
    case VFM_OP_XOR:
    case VFM_OP_SHL:
    case VFM_OP_SHR:
    case VFM_OP_EQ:
    case VFM_OP_NE:
    case VFM_OP_GT:
    case VFM_OP_LT:
    case VFM_OP_GE:
    case VFM_OP_LE:
        a = get(j, d - 2, T1);
        b = get(j, d - 1, T2);
        rd = dst(d - 2, T1);
        alu_rr(j, op, rd, a, b);
        put(j, d - 2, rd);
        return in->next;
    case VFM_OP_NOT:
        a = get(j, d - 1, T1);
        rd = dst(d - 1, T1);
        emit(j, a64_orn(rd, A64_ZR, a)); /* mvn rd, a */
        put(j, d - 1, rd);
        return in->next;
    case VFM_OP_JMP:
        jump(j, in->pc, (uint32_t)in->target, (test_t){T_ALWAYS, 0, 0});
        return in->next;
    case VFM_OP_JEQ:
    case VFM_OP_JNE:
    case VFM_OP_JGT:
    case VFM_OP_JLT:
    case VFM_OP_JGE:
    case VFM_OP_JLE:
        a = get(j, d - 2, T1);
        b = get(j, d - 1, T2);
        emit(j, a64_cmp(a, b));
        jump(j, in->pc, (uint32_t)in->target, cond(cond_of(j, op)));
        return in->next;
    case VFM_OP_JZ:
    case VFM_OP_JNZ:
        a = get(j, d - 1, T1);
        jump(j, in->pc, (uint32_t)in->target,
             (test_t){op == VFM_OP_JZ ? T_ZERO : T_NONZERO, 0, a});
        return in->next;
    case VFM_OP_RET:
        ret_value(j, get(j, d - 1, T1));
        return in->next;
    case VFM_OP_HASH5:
    case VFM_OP_FLOW_LOAD:
    case VFM_OP_FLOW_STORE:
        emit_flow(j, op, d);
        return in->next;
    case VFM_OP_CALL:
        vfmi_stack_effect(in, j->opts, &pops, &pushes);
        emit_call(j, d, in->k, pops, pushes);
        return in->next;
    case VFM_OP_RESERVED_MAGIC:
        break;
    }
    /* No default above: -Wswitch flags an opcode added to opcodes.def without code here. */
    fail(j, in->pc, "opcode 0x%02x (%s) has no arm64 code", in->info->code, in->info->name);
    return 0;
}

/* ---- prologue, stubs, fixups ---------------------------------------------- */

static void emit_prologue(jit_t *j)
{
    if (j->frame) {
        emit(j, a64_stp_pre(29, 30, A64_SP, -FRAME)); /* stp x29, x30, [sp, #-80]! */
        emit(j, a64_addsub_imm(A64_ADD_IMM, 29, A64_SP, 0, false)); /* mov x29, sp */
        emit(j, a64_stp(19, 20, A64_SP, 16));
        emit(j, a64_stp(21, 22, A64_SP, 32));
        emit(j, a64_stp(23, 24, A64_SP, 48));
        for (unsigned r = 0; r < 4; r++) /* pkt, len, ctx, res to X19-X22 */
            emit(j, a64_mov(19 + r, r));
    }
    if (j->frame || j->proof->max_depth > NREG)
        emit(j, a64_ldr_uoff(3, j->base, j->ctx, offsetof(vfmi_ctx_t, stack)));
    if (j->proof->has_loops)
        emit(j, a64_movz_w(j->cnt, 0));
}

static void emit_epilogue(jit_t *j)
{
    if (j->frame) {
        emit(j, a64_ldp(23, 24, A64_SP, 48));
        emit(j, a64_ldp(21, 22, A64_SP, 32));
        emit(j, a64_ldp(19, 20, A64_SP, 16));
        emit(j, a64_ldp_post(29, 30, A64_SP, FRAME)); /* ldp x29, x30, [sp], #80 */
    }
    emit(j, a64_ret());
}

/* Error exits, only those some branch uses: W0 = code, *result = 0, return. */
static void emit_stubs(jit_t *j)
{
    static const int codes[] = {[STUB_BOUNDS] = VFM_ERROR_BOUNDS,
                                [STUB_DIVZERO] = VFM_ERROR_DIVISION_BY_ZERO,
                                [STUB_LIMIT] = VFM_ERROR_LIMIT};
    unsigned last = STUB_HELPER; /* the stub that may fall through into FAIL */
    for (unsigned s = STUB_BOUNDS; s <= STUB_LIMIT && !j->used[STUB_HELPER]; s++)
        if (j->used[s])
            last = s;
    for (unsigned s = STUB_BOUNDS; s <= STUB_LIMIT; s++) {
        if (!j->used[s])
            continue;
        j->label[stub(j, s)] = here(j);
        emit(j, a64_movn_w(0, (uint32_t)(-codes[s] - 1))); /* mov w0, #code */
        if (s != last)
            branch(j, a64_b(0), true, stub(j, STUB_FAIL));
        else
            j->used[STUB_FAIL] = true;
    }
    if (j->used[STUB_HELPER]) {
        /* W0 < 0 from the helper; codes below INVALID_ARGUMENT become HELPER. */
        j->label[stub(j, STUB_HELPER)] = here(j);
        emit(j, a64_movn_w(T1, (uint32_t)(-VFM_ERROR_HELPER - 1)));
        emit(j, a64_addsub_imm(A64_ADDS_IMM_W, A64_ZR, 0, (uint32_t)-VFM_ERROR_INVALID_ARGUMENT,
                               false)); /* cmn w0, #13 */
        emit(j, a64_csel_w(0, T1, 0, A64_LT));
        j->used[STUB_FAIL] = true; /* falls through into it */
    }
    if (j->used[STUB_FAIL]) {
        j->label[stub(j, STUB_FAIL)] = here(j);
        emit(j, a64_str_uoff(3, A64_ZR, j->res, 0)); /* *result = 0 */
        j->used[STUB_EXIT] = true;
    }
    if (j->used[STUB_EXIT]) {
        j->label[stub(j, STUB_EXIT)] = here(j);
        emit_epilogue(j);
    }
}

/* Fill in every branch offset; NEED_FAR when a short one does not reach. */
static int resolve(jit_t *j)
{
    for (size_t i = 0; i < j->nfix && !j->err; i++) {
        const fixup_t *f = &j->fix[i];
        uint32_t to = j->label[f->label];
        if (to == NO_LABEL) {
            fail(j, f->label, "internal error: a branch goes where no code was emitted");
            break;
        }
        int64_t off = ((int64_t)to - (int64_t)f->at) / 4;
        if (f->wide) {
            if (off < -A64_B26_MAX - 1 || off > A64_B26_MAX)
                fail(j, f->label, "native code too large for a branch (over 128 MiB)");
            patch(j, f->at, (uint32_t)off & 0x3ffffffu);
        } else {
            if (off < -A64_B19_MAX - 1 || off > A64_B19_MAX)
                return NEED_FAR;
            patch(j, f->at, ((uint32_t)off & 0x7ffffu) << 5);
        }
    }
    return j->err;
}

static int emit_program(jit_t *j)
{
    j->out->len = 0;
    j->nfix = 0;
    j->known = 0;
    for (unsigned s = 0; s < NSTUB; s++)
        j->used[s] = false;
    for (uint32_t pc = 0; pc < j->proof->len + NSTUB; pc++)
        j->label[pc] = NO_LABEL;
    emit_prologue(j);
    for (uint32_t pc = 0; pc < j->proof->len && !j->err;) {
        vfmi_insn_t in;
        if (vfmi_decode(j->code, j->proof->len, pc, &in) != VFM_SUCCESS) {
            fail(j, pc, "internal error: verified code does not decode");
            break;
        }
        if (!(j->proof->pcflags[pc] & VFMI_PC_REACH)) {
            pc = in.next; /* dead code gets none */
            continue;
        }
        j->label[pc] = here(j);
        j->pc = pc;
        if (j->proof->pcflags[pc] & (VFMI_PC_TARGET | VFMI_PC_JOIN))
            j->known = 0; /* other paths arrive: nothing is known about len */
        pc = emit_insn(j, &in);
    }
    emit_stubs(j);
    return j->err ? j->err : resolve(j);
}

static void fail(jit_t *j, uint32_t pc, const char *fmt, ...)
{
    if (j->err)
        return;
    j->err = VFM_ERROR_UNSUPPORTED;
    int n = snprintf(j->why, j->whylen, "pc %u: ", pc);
    if (n < 0 || (size_t)n >= j->whylen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->why + n, j->whylen - (size_t)n, fmt, ap);
    va_end(ap);
}

int vfmi_jit_emit_arm64(const uint8_t *code, const vfmi_proof_t *proof,
                        const vfm_verify_opts_t *opts, vfmi_jbuf_t *out, char *why,
                        size_t whylen)
{
    static const vfm_verify_opts_t defaults = {0};
    jit_t j = {.code = code, .proof = proof, .opts = opts ? opts : &defaults, .out = out,
               .why = why, .whylen = whylen};
    j.frame = proof->uses_flow || proof->uses_helpers;
    j.pkt = j.frame ? 19 : 0;
    j.len = j.frame ? 20 : 1;
    j.ctx = j.frame ? 21 : 2;
    j.res = j.frame ? 22 : 3;
    j.base = j.frame ? 23 : 15;
    j.cnt = j.frame ? 24 : 14;
    j.label = malloc(((size_t)proof->len + NSTUB) * sizeof *j.label);
    if (!j.label)
        return VFM_ERROR_NO_MEMORY;
    int rc = emit_program(&j);
    if (rc == NEED_FAR) {
        j.far = true;
        rc = emit_program(&j);
        if (rc == NEED_FAR)
            fail(&j, 0, "internal error: a far branch does not reach"), rc = j.err;
    }
    free(j.label);
    free(j.fix);
    return rc;
}
