/*
 * jit_x86_64.c - verified VFM code -> x86-64 machine code (System V ABI).
 *
 *   int fn(const uint8_t *pkt, uint64_t len, vfmi_ctx_t *ctx, uint64_t *result)
 *           rdi                 rsi           rdx              rcx
 *
 * The verifier proved the stack depth before every pc, so stack slot i has a
 * fixed home: a register for the first few slots, a frame qword beyond, and
 * a join that drops values costs nothing.  Values are kept *deferred* while
 * that is free: a pushed constant, a packet field already bounds-checked
 * (optionally ANDed with a mask), the packet length, or a comparison result
 * still in the CPU flags.  The consumer then folds them into its own
 * instruction (cmp word [pkt+12], 0x0008 / test word [pkt+20], 0xff1f /
 * mov qword [result], 1), which gives the classic peepholes without pattern
 * tables.  Deferred values are written to their homes where control flow
 * merges.  docs/jit.md has the register map and the frame.
 *
 * Two emission passes: the first with every jump in its long form, recording
 * where each jump and label is; branch relaxation then picks rel8 where it
 * fits, and the second pass writes the final bytes.  Emitting is otherwise
 * deterministic, so both passes produce the same instruction sequence.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit.h"
#include "jit_x86_64_enc.h"

/* ---- registers and frame ---------------------------------------------------- */

/*
 * Register map.  A program without calls is a leaf: the arguments stay where
 * they arrive, nothing is saved, and slot values live in caller-saved r8-r11:
 *
 *   rdi  packet            rax  scratch, return code
 *   rsi  length            rdx  scratch (DIV's high half)
 *   rcx  result pointer    r8-r11  slots 0-3      frame (red zone): slots 4+
 *
 * A program with HASH5, FLOW_* or CALL keeps everything live across the calls
 * in callee-saved registers and the frame:
 *
 *   rbx  packet            r12-r15  slots 0-3     frame: ctx, result, slots 4+
 *   rbp  length            rax, rcx, rdx, rsi, rdi, r8-r11: scratch / arguments
 */
static const int8_t leaf_slots[] = {R8, R9, R10, R11};
static const int8_t call_slots[] = {R12, R13, R14, R15};
#define NSLOTREGS 4

/* Stub labels placed after the program, numbered after the pc labels. */
enum { STUB_BOUNDS, STUB_DIVZERO, STUB_LIMIT, STUB_HELPER, STUB_FAIL, NSTUBS };
static const int stub_code[NSTUBS] = {VFM_ERROR_BOUNDS, VFM_ERROR_DIVISION_BY_ZERO,
                                      VFM_ERROR_LIMIT, 0, 0};

/* ---- deferred slot values ---------------------------------------------------- */

enum {
    S_REG,   /* in its home (register or frame qword) */
    S_CONST, /* the constant k */
    S_PKT,   /* be(width) at pkt[index + off], & k; the bounds check is already done */
    S_LEN,   /* the packet length register */
    S_FLAGS, /* 1 if condition cc holds in the CPU flags, else 0 (top slot only) */
};

typedef struct slot {
    uint8_t kind;
    uint8_t width; /* S_PKT: 1, 2, 4 or 8 bytes */
    uint8_t cc;    /* S_FLAGS */
    int8_t index;  /* S_PKT: NOREG, the length register, or (LDX) this slot's home holding x */
    uint32_t off;  /* S_PKT */
    uint64_t k;    /* S_CONST: value; S_PKT: mask, within the width */
    uint64_t max;  /* the value is at most this (for bounds checks and static compares) */
} slot_t;

/* A jump recorded by pass 1: where it starts and where it goes. */
typedef struct jump {
    uint32_t pos;
    uint32_t label;
    bool cond;
} jump_t;

#define JCC_LONG 6 /* 0F 8x rel32 */
#define JMP_LONG 5 /* E9 rel32 */
#define J_SHORT 2  /* 7x rel8 / EB rel8 */

typedef struct xjit {
    vfmi_jbuf_t *b;
    const uint8_t *code;
    const vfmi_proof_t *proof;
    const vfm_verify_opts_t *opts;

    /* Layout, fixed before emitting. */
    bool calls;
    int pkt, len, res; /* res: RCX, or NOREG when the pointer is kept in the frame */
    const int8_t *slotregs;
    unsigned nslotregs;
    uint8_t saved[6]; /* callee-saved registers pushed, in push order */
    unsigned nsaved;
    uint32_t frame;                                  /* sub rsp, frame (0: red zone) */
    int32_t d_save, d_tmp, d_budget, d_ctx, d_res;   /* rsp-relative qwords */
    int32_t d_hres, d_args, d_spill;

    /* Labels: pc labels [0, len), stubs, then local labels. */
    int pass;
    uint32_t nlabels, caplabels, nlocal;
    uint32_t *pos1;  /* pass 1 position of each label */
    uint32_t *posf;  /* final position (after relaxation) */
    jump_t *jumps;   /* pass 1 */
    uint32_t njumps, capjumps, jseq;
    uint8_t *shortj; /* per jump: rel8 in pass 2 */
    bool stub_used[NSTUBS];

    /* Per-pass state while walking the program. */
    slot_t st[VFM_STACK_MAX + 2];
    unsigned d;         /* current depth */
    uint32_t known;     /* len >= known has been checked on every path here */
    uint32_t *known_at; /* per pc: min of `known` over the jumps seen so far */

    int err; /* sticky: the first failure */
    uint32_t err_pc;
    char *why;
    size_t whylen;
} xjit_t;

__attribute__((format(printf, 3, 4))) static void fail(xjit_t *j, uint32_t pc, const char *fmt,
                                                       ...)
{
    if (j->err)
        return;
    j->err = VFM_ERROR_UNSUPPORTED;
    j->err_pc = pc;
    int n = pc == VFM_NO_PC ? 0 : snprintf(j->why, j->whylen, "pc %u: ", pc);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < j->whylen)
        vsnprintf(j->why + n, j->whylen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* ---- labels and jumps --------------------------------------------------------- */

static uint32_t stub_label(const xjit_t *j, int stub) { return j->proof->len + (uint32_t)stub; }

static uint32_t new_label(xjit_t *j)
{
    uint32_t id = j->proof->len + NSTUBS + j->nlocal++;
    if (id >= j->caplabels) {
        uint32_t cap = j->caplabels * 2;
        uint32_t *p1 = realloc(j->pos1, cap * sizeof *p1);
        if (p1)
            j->pos1 = p1;
        uint32_t *pf = realloc(j->posf, cap * sizeof *pf);
        if (pf)
            j->posf = pf;
        if (!p1 || !pf) {
            j->b->oom = true;
            return stub_label(j, STUB_FAIL); /* harmless: the result is discarded */
        }
        j->caplabels = cap;
    }
    if (id >= j->nlabels)
        j->nlabels = id + 1;
    return id;
}

/* The label is here. */
static void place(xjit_t *j, uint32_t label)
{
    uint32_t here = (uint32_t)j->b->len;
    if (j->pass == 1)
        j->pos1[label] = here;
    else if (j->posf[label] != here && !j->b->oom)
        fail(j, VFM_NO_PC, "internal error: label %u at %u, relaxation said %u", label, here,
             j->posf[label]);
}

/* jmp (cc < 0) or jcc to @p label: rel32 in pass 1, as relaxed in pass 2. */
static void jump_to(xjit_t *j, int cc, uint32_t label)
{
    vfmi_jbuf_t *b = j->b;
    uint32_t here = (uint32_t)b->len;
    if (label >= j->proof->len && label < j->proof->len + NSTUBS)
        j->stub_used[label - j->proof->len] = true;
    if (j->pass == 1) {
        if (j->njumps == j->capjumps) {
            uint32_t cap = j->capjumps ? j->capjumps * 2 : 64;
            jump_t *p = realloc(j->jumps, cap * sizeof *p);
            if (!p) {
                b->oom = true;
                return;
            }
            j->jumps = p;
            j->capjumps = cap;
        }
        j->jumps[j->njumps++] = (jump_t){here, label, cc >= 0};
        if (cc >= 0) {
            x_u8(b, 0x0f);
            x_u8(b, (uint8_t)(0x80 + cc));
        } else {
            x_u8(b, 0xe9);
        }
        x_u32(b, 0);
        return;
    }
    uint32_t n = j->jseq++;
    if (n >= j->njumps || j->jumps[n].label != label) {
        fail(j, VFM_NO_PC, "internal error: pass 2 jump %u differs from pass 1", n);
        return;
    }
    int64_t target = j->posf[label];
    if (j->shortj[n]) {
        int64_t disp = target - (here + J_SHORT);
        x_u8(b, cc >= 0 ? (uint8_t)(0x70 + cc) : 0xeb);
        x_u8(b, (uint8_t)(int8_t)disp);
        if (!x_fits8(disp))
            fail(j, VFM_NO_PC, "internal error: rel8 out of range");
    } else if (cc >= 0) {
        x_u8(b, 0x0f);
        x_u8(b, (uint8_t)(0x80 + cc));
        x_u32(b, (uint32_t)(int32_t)(target - (here + JCC_LONG)));
    } else {
        x_u8(b, 0xe9);
        x_u32(b, (uint32_t)(int32_t)(target - (here + JMP_LONG)));
    }
}

static void jump_stub(xjit_t *j, int cc, int stub) { jump_to(j, cc, stub_label(j, stub)); }

/* Index of the first pass-1 jump that starts at or after @p pos. */
static uint32_t jumps_before(const xjit_t *j, uint32_t pos)
{
    uint32_t lo = 0, hi = j->njumps;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (j->jumps[mid].pos < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Branch relaxation: start with every jump long (always correct) and shorten
 * a jump when its distance, with the others' current sizes, fits in rel8.
 * Shortening only brings code closer, so each round keeps every earlier
 * choice valid; stop when a round changes nothing.
 */
static bool relax(xjit_t *j)
{
    uint32_t nj = j->njumps;
    uint32_t *saved = malloc(((size_t)nj + 1) * sizeof *saved); /* bytes saved before jump i */
    j->shortj = calloc(nj ? nj : 1, 1);
    if (!saved || !j->shortj) {
        free(saved);
        return false;
    }
    for (int round = 0; round < 64; round++) {
        saved[0] = 0;
        for (uint32_t i = 0; i < nj; i++)
            saved[i + 1] = saved[i] + (j->shortj[i] ? (j->jumps[i].cond ? JCC_LONG : JMP_LONG) -
                                                          J_SHORT
                                                    : 0);
        bool changed = false;
        for (uint32_t i = 0; i < nj; i++) {
            if (j->shortj[i])
                continue;
            const jump_t *jp = &j->jumps[i];
            int64_t start = (int64_t)jp->pos - saved[i];
            uint32_t tp = j->pos1[jp->label];
            int64_t target = (int64_t)tp - saved[jumps_before(j, tp)];
            int64_t longsz = jp->cond ? JCC_LONG : JMP_LONG;
            /* Forward: shortening moves the target too, so the distance is the same. */
            int64_t disp = target > start ? target - (start + longsz) : target - (start + J_SHORT);
            if (x_fits8(disp)) {
                j->shortj[i] = 1;
                changed = true;
            }
        }
        if (!changed)
            break;
    }
    saved[0] = 0;
    for (uint32_t i = 0; i < nj; i++)
        saved[i + 1] =
            saved[i] + (j->shortj[i] ? (j->jumps[i].cond ? JCC_LONG : JMP_LONG) - J_SHORT : 0);
    for (uint32_t l = 0; l < j->nlabels; l++)
        j->posf[l] = j->pos1[l] - saved[jumps_before(j, j->pos1[l])];
    free(saved);
    return true;
}

/* ---- homes and deferred values --------------------------------------------- */

static int home_reg(const xjit_t *j, unsigned i)
{
    return i < j->nslotregs ? j->slotregs[i] : NOREG;
}

static xmem_t home_mem(const xjit_t *j, unsigned i)
{
    return x_mem(RSP, NOREG, j->d_spill + 8 * (int32_t)(i - j->nslotregs));
}

static xmem_t frame(int32_t disp) { return x_mem(RSP, NOREG, disp); }

static uint64_t width_max(unsigned width)
{
    return width >= 8 ? UINT64_MAX : (UINT64_C(1) << (8 * width)) - 1;
}

/* Byte-swap the low @p width bytes of k: a big-endian constant as memory holds it. */
static uint64_t swap_be(uint64_t k, unsigned width)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < width; i++)
        r = r << 8 | ((k >> (8 * i)) & 0xff);
    return r;
}

static xmem_t pkt_mem(const xjit_t *j, const slot_t *s)
{
    return x_mem(j->pkt, s->index, (int32_t)s->off);
}

/*
 * Can the description of @p s be copied to another slot?  Not an LDX field
 * whose index is its own slot's home: that register is rewritten once the
 * slot is.
 */
static bool movable(const xjit_t *j, const slot_t *s)
{
    return s->kind != S_PKT || s->index == NOREG || s->index == j->len;
}

/* dst &= k, 32-bit when that is enough (it zero-extends). */
static void emit_and_imm(xjit_t *j, int dst, uint64_t k)
{
    if (k <= INT32_MAX || (k <= UINT32_MAX && !x_simm32(k)))
        x_alu_ri(j->b, 0, ALU_AND, dst, (int32_t)(uint32_t)k); /* and r32, imm: clears 63..32 */
    else if (x_simm32(k))
        x_alu_ri(j->b, X_W, ALU_AND, dst, (int32_t)k);
    else {
        int tmp = dst == RDX ? RAX : RDX;
        x_mov_ri(j->b, tmp, k, false);
        x_alu_rr(j->b, ALU_AND, dst, tmp);
    }
}

/* Load slot @p i's value into register @p r; the slot's state does not change. */
static void load_slot(xjit_t *j, unsigned i, int r)
{
    const slot_t *s = &j->st[i];
    switch (s->kind) {
    case S_REG: {
        int h = home_reg(j, i);
        if (h != NOREG)
            x_mov_rr(j->b, r, h);
        else
            x_load(j->b, r, home_mem(j, i));
        break;
    }
    case S_CONST:
        x_mov_ri(j->b, r, s->k, false);
        break;
    case S_PKT:
        x_load_be(j->b, r, pkt_mem(j, s), s->width);
        if (s->k != width_max(s->width))
            emit_and_imm(j, r, s->k);
        break;
    case S_LEN:
        x_mov_rr(j->b, r, j->len);
        break;
    case S_FLAGS:
        x_setcc01(j->b, s->cc, r);
        break;
    }
}

/* The register slot @p i is computed in: its home, or rax for a frame home. */
static int work_reg(const xjit_t *j, unsigned i)
{
    int h = home_reg(j, i);
    return h != NOREG ? h : RAX;
}

/* Slot @p i's value is now in register @p r: move it home. */
static void set_reg(xjit_t *j, unsigned i, int r, uint64_t max)
{
    int h = home_reg(j, i);
    if (h != NOREG)
        x_mov_rr(j->b, h, r);
    else
        x_store(j->b, home_mem(j, i), r);
    j->st[i] = (slot_t){.kind = S_REG, .max = max};
}

/* Write slot @p i's deferred value to its home. */
static void settle(xjit_t *j, unsigned i)
{
    slot_t *s = &j->st[i];
    if (s->kind == S_REG)
        return;
    if (s->kind == S_CONST && home_reg(j, i) == NOREG && x_simm32(s->k)) {
        x_store_i(j->b, home_mem(j, i), (int32_t)s->k);
        s->kind = S_REG;
        return;
    }
    int r = work_reg(j, i);
    load_slot(j, i, r);
    set_reg(j, i, r, s->max);
}

/* The flags are about to change: a pending comparison becomes a 0/1 value. */
static void settle_flags(xjit_t *j)
{
    if (j->d && j->st[j->d - 1].kind == S_FLAGS)
        settle(j, j->d - 1);
}

/* Settle slots [0, n): what a jump target or a call expects. */
static void settle_below(xjit_t *j, unsigned n)
{
    settle_flags(j);
    for (unsigned i = 0; i < n; i++)
        settle(j, i);
}

static void push_slot(xjit_t *j, slot_t s) { j->st[j->d++] = s; }

static slot_t cnst(uint64_t k) { return (slot_t){.kind = S_CONST, .k = k, .max = k}; }

/* ---- entry and exits ---------------------------------------------------------- */

static void emit_epilogue(xjit_t *j)
{
    if (j->frame)
        x_alu_ri(j->b, X_W, ALU_ADD, RSP, (int32_t)j->frame);
    for (unsigned i = j->nsaved; i-- > 0;)
        x_pop(j->b, j->saved[i]);
    x_ret(j->b);
}

/* Where *result is: rcx, or (call mode) loaded from the frame into rdx. */
static xmem_t result_mem(xjit_t *j)
{
    if (j->res != NOREG)
        return x_mem(j->res, NOREG, 0);
    x_load(j->b, RDX, frame(j->d_res));
    return x_mem(RDX, NOREG, 0);
}

/* RET: *result = top; return VFM_SUCCESS. */
static void emit_return(xjit_t *j)
{
    unsigned top = j->d - 1;
    const slot_t *s = &j->st[top];
    if (s->kind == S_CONST && x_simm32(s->k)) {
        x_store_i(j->b, result_mem(j), (int32_t)s->k);
    } else {
        int r = RAX;
        if (s->kind == S_REG && home_reg(j, top) != NOREG)
            r = home_reg(j, top);
        else if (s->kind == S_LEN)
            r = j->len;
        else
            load_slot(j, top, RAX);
        x_store(j->b, result_mem(j), r);
    }
    x_rr(j->b, 0, 0x31, RAX, RAX); /* xor eax, eax */
    emit_epilogue(j);
}

static void emit_prologue(xjit_t *j)
{
    vfmi_jbuf_t *b = j->b;
    for (unsigned i = 0; i < j->nsaved; i++)
        x_push(b, j->saved[i]);
    if (j->frame)
        x_alu_ri(b, X_W, ALU_SUB, RSP, (int32_t)j->frame);
    if (j->proof->has_loops) {
        /* The budget counts down: a taken backward jump with 0 left is VFM_ERROR_LIMIT. */
        x_rm(b, 0, 0x8b, RAX, x_mem(RDX, NOREG, offsetof(vfmi_ctx_t, loop_limit)));
        x_store(b, frame(j->d_budget), RAX);
    }
    if (j->calls) {
        x_store(b, frame(j->d_ctx), RDX);
        x_store(b, frame(j->d_res), RCX);
        x_mov_rr(b, RBX, RDI);
        x_mov_rr(b, RBP, RSI);
    }
}

/* The error exits that were used: eax = code; *result = 0; return eax. */
static void emit_stubs(xjit_t *j)
{
    vfmi_jbuf_t *b = j->b;
    bool any = false;
    for (int s = 0; s < STUB_FAIL; s++)
        any |= j->stub_used[s];
    if (!any)
        return;
    int last = STUB_FAIL - 1;
    while (!j->stub_used[last])
        last--;
    for (int s = 0; s <= last; s++) {
        if (!j->stub_used[s])
            continue;
        place(j, stub_label(j, s));
        if (s == STUB_HELPER) {
            /* A helper's own code below VFM_ERROR_INVALID_ARGUMENT becomes HELPER (interp_body.h). */
            x_mov_ri(b, RDX, (uint32_t)VFM_ERROR_HELPER, false);
            x_alu_ri(b, 0, ALU_CMP, RAX, VFM_ERROR_INVALID_ARGUMENT);
            x_cmov32(b, CC_L, RAX, RDX);
        } else {
            x_mov_ri(b, RAX, (uint32_t)stub_code[s], false);
        }
        if (s != last) /* the last one falls into the common exit */
            jump_stub(j, -1, STUB_FAIL);
    }
    place(j, stub_label(j, STUB_FAIL));
    x_store_i(b, result_mem(j), 0);
    emit_epilogue(j);
}

/* ---- control flow --------------------------------------------------------------- */

/* Charge a taken backward jump against the budget (sub qword [budget], 1; jb LIMIT). */
static void emit_budget(xjit_t *j)
{
    x_alu_mi(j->b, ALU_SUB, frame(j->d_budget), 1);
    jump_stub(j, CC_B, STUB_LIMIT);
}

/*
 * The taken edge of @p in: cc < 0 always, else when cc holds.  Slots that
 * survive to the target are already settled (the caller did it before the
 * compare, so settling cannot disturb the flags).
 */
/* Another edge reaches forward target @p t: what it knows about len joins the minimum. */
static void note_edge(xjit_t *j, uint32_t t)
{
    if (j->known < j->known_at[t])
        j->known_at[t] = j->known;
}

static void emit_edge(xjit_t *j, const vfmi_insn_t *in, int cc)
{
    uint32_t t = (uint32_t)in->target;
    if (t > in->pc) {
        note_edge(j, t);
        jump_to(j, cc, t);
        return;
    }
    if (cc < 0) {
        emit_budget(j);
        jump_to(j, -1, t);
        return;
    }
    uint32_t skip = new_label(j);
    jump_to(j, CC_NOT(cc), skip);
    emit_budget(j);
    jump_to(j, -1, t);
    place(j, skip);
}

/* Relations in opcode order (EQ NE GT LT GE LE, JEQ .. JLE): condition and mirror. */
static const uint8_t rel_cc[6] = {CC_E, CC_NE, CC_A, CC_B, CC_AE, CC_BE};
static const uint8_t rel_mirror[6] = {0, 1, 3, 2, 5, 4}; /* a R b  <=>  b R' a */
#define ALWAYS (-1)
#define NEVER (-2)

static int rel_const(unsigned rel, uint64_t a, uint64_t b)
{
    bool r = rel == 0 ? a == b : rel == 1 ? a != b : rel == 2 ? a > b : rel == 3 ? a < b
           : rel == 4 ? a >= b : a <= b;
    return r ? ALWAYS : NEVER;
}

/* A register holding slot @p i without writing its home: home, len, or a load into @p r. */
static int value_reg(xjit_t *j, unsigned i, int r)
{
    const slot_t *s = &j->st[i];
    if (s->kind == S_REG && home_reg(j, i) != NOREG)
        return home_reg(j, i);
    if (s->kind == S_LEN)
        return j->len;
    load_slot(j, i, r);
    return r;
}

/*
 * Compare slot @p ia with slot @p ib (a R b, unsigned); returns the condition
 * code meaning "holds", or ALWAYS/NEVER when it is known now.  Emits
 * nothing that writes a slot home.
 */
static int emit_compare(xjit_t *j, unsigned ia, unsigned ib, unsigned rel)
{
    const slot_t *a = &j->st[ia], *bs = &j->st[ib];
    if (a->kind == S_CONST && bs->kind == S_CONST)
        return rel_const(rel, a->k, bs->k);
    if (a->kind == S_CONST) { /* constant second: k R x  <=>  x R' k */
        const slot_t *t = a;
        a = bs;
        bs = t;
        unsigned ti = ia;
        ia = ib;
        ib = ti;
        rel = rel_mirror[rel];
    }
    if (bs->kind == S_CONST) {
        uint64_t k = bs->k;
        if (a->max < k)
            return (rel == 0 || rel == 2 || rel == 4) ? NEVER : ALWAYS;
        if (k == 0 && (rel == 4 || rel == 3))
            return rel == 4 ? ALWAYS : NEVER;
        if (a->kind == S_PKT) {
            xmem_t m = pkt_mem(j, a);
            bool full = a->k == width_max(a->width);
            if (full && (a->width == 1 || ((rel == 0 || rel == 1) && a->width < 8))) {
                /* cmp byte|word|dword [pkt+off], be(k): no load, no byte swap */
                x_cmp_mi(j->b, false, m, a->width, a->width == 1 ? k : swap_be(k, a->width));
                return rel_cc[rel];
            }
            if (k == 0 && (rel == 0 || rel == 1) &&
                (a->width < 8 || x_simm32(swap_be(a->k, 8)))) {
                /* (field & mask) == 0: test [pkt+off], be(mask) */
                x_cmp_mi(j->b, true, m, a->width, swap_be(a->k, a->width));
                return rel_cc[rel];
            }
        }
        if (a->kind == S_REG && home_reg(j, ia) == NOREG && x_simm32(k)) {
            x_alu_mi(j->b, ALU_CMP, home_mem(j, ia), (int32_t)k);
            return rel_cc[rel];
        }
        int ra = value_reg(j, ia, RAX);
        if (x_simm32(k)) {
            x_alu_ri(j->b, X_W, ALU_CMP, ra, (int32_t)k);
        } else {
            x_mov_ri(j->b, RDX, k, false);
            x_alu_rr(j->b, ALU_CMP, ra, RDX);
        }
        return rel_cc[rel];
    }
    int ra = value_reg(j, ia, RAX);
    if (bs->kind == S_REG && home_reg(j, ib) == NOREG)
        x_alu_rm(j->b, ALU_CMP, ra, home_mem(j, ib));
    else
        x_alu_rr(j->b, ALU_CMP, ra, value_reg(j, ib, RDX));
    return rel_cc[rel];
}

/* Is slot @p i nonzero?  Condition code for "nonzero", or ALWAYS/NEVER. */
static int emit_nonzero(xjit_t *j, unsigned i)
{
    const slot_t *s = &j->st[i];
    switch (s->kind) {
    case S_CONST:
        return s->k ? ALWAYS : NEVER;
    case S_FLAGS:
        return s->cc;
    case S_PKT:
        if (s->k == 0)
            return NEVER;
        if (s->width < 8 || x_simm32(swap_be(s->k, 8))) {
            x_cmp_mi(j->b, s->k != width_max(s->width), pkt_mem(j, s), s->width,
                     s->k == width_max(s->width) ? 0 : swap_be(s->k, s->width));
            return CC_NE;
        }
        break;
    case S_REG:
        if (home_reg(j, i) == NOREG) {
            x_alu_mi(j->b, ALU_CMP, home_mem(j, i), 0);
            return CC_NE;
        }
        break;
    default:
        break;
    }
    int r = value_reg(j, i, RAX);
    x_test_rr(j->b, r, r);
    return CC_NE;
}

/* A conditional jump whose outcome is @p cc (ALWAYS/NEVER/a code). */
static void emit_branch(xjit_t *j, const vfmi_insn_t *in, int cc)
{
    if (cc == NEVER)
        return;
    emit_edge(j, in, cc == ALWAYS ? -1 : cc);
}

static unsigned target_depth(const xjit_t *j, const vfmi_insn_t *in)
{
    return j->proof->depth[in->target];
}

/* ---- arithmetic ------------------------------------------------------------------ */

static uint64_t sat_add(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }
static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}
/* The smallest 2^n - 1 >= v: a bound for OR and XOR. */
static uint64_t smear(uint64_t v)
{
    return v ? UINT64_MAX >> __builtin_clzll(v) : 0;
}


static uint64_t result_max(uint8_t op, const slot_t *a, const slot_t *b)
{
    switch (op) {
    case VFM_OP_ADD: return sat_add(a->max, b->max);
    case VFM_OP_MUL: return sat_mul(a->max, b->max);
    case VFM_OP_AND: return a->max < b->max ? a->max : b->max;
    case VFM_OP_OR:
    case VFM_OP_XOR: return smear(a->max | b->max);
    case VFM_OP_DIV: return a->max;
    case VFM_OP_MOD: return b->max && b->max - 1 < a->max ? b->max - 1 : a->max;
    case VFM_OP_SHL:
        if (b->kind == S_CONST && b->k < 64 && a->max <= UINT64_MAX >> b->k)
            return a->max << b->k;
        return UINT64_MAX;
    case VFM_OP_SHR: return b->kind == S_CONST && b->k < 64 ? a->max >> b->k : a->max;
    default: return UINT64_MAX;
    }
}

static unsigned alu_group(uint8_t op)
{
    switch (op) {
    case VFM_OP_ADD: return ALU_ADD;
    case VFM_OP_SUB: return ALU_SUB;
    case VFM_OP_AND: return ALU_AND;
    case VFM_OP_OR: return ALU_OR;
    default: return ALU_XOR;
    }
}

static bool commutes(uint8_t op)
{
    return op == VFM_OP_ADD || op == VFM_OP_MUL || op == VFM_OP_AND || op == VFM_OP_OR ||
           op == VFM_OP_XOR;
}

/* dst (op)= constant k, for ADD SUB AND OR XOR MUL SHL SHR. */
static void emit_op_imm(xjit_t *j, uint8_t op, int dst, uint64_t k)
{
    vfmi_jbuf_t *b = j->b;
    switch (op) {
    case VFM_OP_SHL:
    case VFM_OP_SHR:
        if (k)
            x_shift_ri(b, op == VFM_OP_SHL ? SH_SHL : SH_SHR, dst, (unsigned)k);
        return;
    case VFM_OP_AND:
        emit_and_imm(j, dst, k);
        return;
    case VFM_OP_MUL:
        if (k && !(k & (k - 1))) {
            x_shift_ri(b, SH_SHL, dst, (unsigned)__builtin_ctzll(k));
        } else if (x_simm32(k)) {
            x_imul_rri(b, dst, dst, (int32_t)k);
        } else {
            x_mov_ri(b, RDX, k, false);
            x_imul_rr(b, dst, RDX);
        }
        return;
    default:
        if (x_simm32(k)) {
            x_alu_ri(b, X_W, alu_group(op), dst, (int32_t)k);
        } else {
            x_mov_ri(b, RDX, k, false);
            x_alu_rr(b, alu_group(op), dst, RDX);
        }
        return;
    }
}

/* dst (op)= slot @p ib, a non-constant, for ADD SUB AND OR XOR MUL. */
static void emit_op_slot(xjit_t *j, uint8_t op, int dst, unsigned ib)
{
    const slot_t *s = &j->st[ib];
    if (s->kind == S_REG && home_reg(j, ib) == NOREG) {
        xmem_t m = home_mem(j, ib);
        if (op == VFM_OP_MUL)
            x_imul_rm(j->b, dst, m);
        else
            x_alu_rm(j->b, alu_group(op), dst, m);
        return;
    }
    int r = value_reg(j, ib, RDX);
    if (op == VFM_OP_MUL)
        x_imul_rr(j->b, dst, r);
    else
        x_alu_rr(j->b, alu_group(op), dst, r);
}

/* SHL/SHR by a run-time count: x86 masks the count, VFM gives 0 from 64 up. */
static void emit_shift_var(xjit_t *j, uint8_t op, unsigned ia, unsigned ib)
{
    vfmi_jbuf_t *b = j->b;
    int dst = work_reg(j, ia);
    if (j->res == RCX) /* leaf: rcx holds the result pointer */
        x_store(b, frame(j->d_save), RCX);
    load_slot(j, ib, RCX);
    load_slot(j, ia, dst);
    x_shift_rcl(b, op == VFM_OP_SHL ? SH_SHL : SH_SHR, dst); /* shl dst, cl */
    x_alu_ri(b, X_W, ALU_CMP, RCX, 64);
    x_sbb_rr(b, RDX, RDX);        /* rdx = count < 64 ? -1 : 0 */
    x_alu_rr(b, ALU_AND, dst, RDX);
    if (j->res == RCX)
        x_load(b, RCX, frame(j->d_save));
}

/* DIV/MOD: zero divisor -> VFM_ERROR_DIVISION_BY_ZERO. */
static void emit_divmod(xjit_t *j, uint8_t op, unsigned ia, unsigned ib)
{
    vfmi_jbuf_t *b = j->b;
    const slot_t *bs = &j->st[ib];
    if (bs->kind == S_CONST && bs->k == 0) {
        jump_stub(j, -1, STUB_DIVZERO);
        return; /* what follows is unreachable; keep emitting consistently */
    }
    if (bs->kind == S_CONST && !(bs->k & (bs->k - 1))) {
        int dst = work_reg(j, ia);
        load_slot(j, ia, dst);
        if (op == VFM_OP_DIV)
            emit_op_imm(j, VFM_OP_SHR, dst, (uint64_t)__builtin_ctzll(bs->k));
        else
            emit_and_imm(j, dst, bs->k - 1);
        return;
    }
    xmem_t divisor;
    if (bs->kind == S_REG && home_reg(j, ib) != NOREG) {
        int r = home_reg(j, ib);
        x_test_rr(b, r, r);
        jump_stub(j, CC_E, STUB_DIVZERO);
        load_slot(j, ia, RAX);
        x_rr(b, 0, 0x31, RDX, RDX); /* xor edx, edx */
        x_div_r(b, r);
    } else {
        if (bs->kind == S_REG) {
            divisor = home_mem(j, ib);
        } else { /* a constant or deferred value goes through the frame's scratch qword */
            divisor = frame(j->d_tmp);
            load_slot(j, ib, RAX);
            x_store(b, divisor, RAX);
        }
        if (bs->kind != S_CONST) {
            x_alu_mi(b, ALU_CMP, divisor, 0);
            jump_stub(j, CC_E, STUB_DIVZERO);
        }
        load_slot(j, ia, RAX);
        x_rr(b, 0, 0x31, RDX, RDX);
        x_div_m(b, divisor);
    }
    int dst = work_reg(j, ia);
    x_mov_rr(b, dst, op == VFM_OP_DIV ? RAX : RDX);
}

/* Binary arithmetic: slots d-2 (a) and d-1 (b) -> slot d-2. */
static void emit_binop(xjit_t *j, uint8_t op)
{
    unsigned ia = j->d - 2, ib = j->d - 1;
    slot_t a = j->st[ia], bs = j->st[ib];
    j->d--;
    bool isdiv = op == VFM_OP_DIV || op == VFM_OP_MOD;
    if (a.kind == S_CONST && bs.kind == S_CONST && !(isdiv && bs.k == 0)) {
        j->st[ia] = cnst(vfm_binop_eval(op, a.k, bs.k));
        return;
    }
    uint64_t max = result_max(op, &a, &bs);
    /* Deferred bit tests: (field & m) stays a packet operand. */
    if (op == VFM_OP_AND && ((a.kind == S_PKT && bs.kind == S_CONST) ||
                             (bs.kind == S_PKT && a.kind == S_CONST && movable(j, &bs)))) {
        slot_t p = a.kind == S_PKT ? a : bs;
        uint64_t m = (a.kind == S_CONST ? a.k : bs.k) & p.k;
        if (p.width < 8 || m <= INT32_MAX) {
            p.k = m;
            p.max = m;
            j->st[ia] = p;
            return;
        }
    }
    if ((op == VFM_OP_SHL || op == VFM_OP_SHR) && bs.kind == S_CONST) {
        if (bs.k >= 64) {
            j->st[ia] = cnst(0);
            return;
        }
        if (bs.k == 0)
            return; /* a stays as it is */
    }
    int dst = work_reg(j, ia);
    if (isdiv) {
        emit_divmod(j, op, ia, ib);
    } else if (op == VFM_OP_SHL || op == VFM_OP_SHR) {
        if (bs.kind == S_CONST) {
            load_slot(j, ia, dst);
            emit_op_imm(j, op, dst, bs.k);
        } else {
            emit_shift_var(j, op, ia, ib);
        }
    } else if (bs.kind == S_CONST) {
        load_slot(j, ia, dst);
        emit_op_imm(j, op, dst, bs.k);
    } else if (a.kind == S_CONST && commutes(op)) {
        load_slot(j, ib, dst);
        emit_op_imm(j, op, dst, a.k);
    } else {
        load_slot(j, ia, dst);
        emit_op_slot(j, op, dst, ib);
    }
    set_reg(j, ia, dst, max);
}

/* ---- packet loads -------------------------------------------------------------- */

/* Bounds check for n bytes at constant offset off (off + n < 2^31). */
static void check_const(xjit_t *j, uint32_t end)
{
    if (end <= j->known)
        return;
    x_alu_ri(j->b, X_W, ALU_CMP, j->len, (int32_t)end); /* cmp len, off + n */
    jump_stub(j, CC_B, STUB_BOUNDS);
    j->known = end;
}

static void emit_ld(xjit_t *j, uint32_t off, unsigned width)
{
    check_const(j, off + width);
    push_slot(j, (slot_t){.kind = S_PKT, .width = (uint8_t)width, .index = NOREG, .off = off,
                          .k = width_max(width), .max = width_max(width)});
}

/* LDXn k: x = pop; push be(pkt[x + k]), checked as n > len - (x + k) without overflow. */
static void emit_ldx(xjit_t *j, uint32_t k, unsigned width)
{
    vfmi_jbuf_t *b = j->b;
    unsigned i = j->d - 1;
    slot_t x = j->st[i];
    if (x.kind == S_CONST && x.k <= INT32_MAX - 0x10000u) {
        j->d--;
        emit_ld(j, (uint32_t)x.k + k, width);
        return;
    }
    int dst = work_reg(j, i);
    int rx = value_reg(j, i, dst == RAX ? RDX : dst);
    uint64_t need = (uint64_t)k + width;
    if (x.max <= INT32_MAX - need) {
        /* x is small: x + k + n cannot overflow; skip the check when already proved. */
        if (x.max + need > j->known) {
            x_lea(b, RAX, x_mem(rx, NOREG, (int32_t)need));
            x_alu_rr(b, ALU_CMP, j->len, RAX);
            jump_stub(j, CC_B, STUB_BOUNDS);
        }
    } else {
        x_mov_rr(b, RAX, j->len);
        x_alu_rr(b, ALU_SUB, RAX, rx); /* rax = len - x, borrow when x > len */
        jump_stub(j, CC_B, STUB_BOUNDS);
        x_alu_ri(b, X_W, ALU_CMP, RAX, (int32_t)need);
        jump_stub(j, CC_B, STUB_BOUNDS);
    }
    if (need > j->known)
        j->known = (uint32_t)need;
    if (rx == home_reg(j, i) || rx == j->len) {
        /* x stays in the index register until the field is used: cmp word [pkt+x+k], imm */
        j->st[i] = (slot_t){.kind = S_PKT, .width = (uint8_t)width, .index = (int8_t)rx,
                            .off = k, .k = width_max(width), .max = width_max(width)};
        return;
    }
    x_load_be(b, dst, x_mem(j->pkt, rx, (int32_t)k), width);
    set_reg(j, i, dst, width_max(width));
}

/* ---- state: hash, flow table, helpers (call mode only) ------------------------ */

static void call_abs(xjit_t *j, const void *fn)
{
    x_mov_ri(j->b, RAX, (uint64_t)(uintptr_t)fn, false);
    x_call_r(j->b, RAX);
}

static void emit_hash5(xjit_t *j)
{
    vfmi_jbuf_t *b = j->b;
    x_mov_rr(b, RDI, j->pkt);
    x_mov_rr(b, RSI, j->len);
    x_load(b, RAX, frame(j->d_ctx));
    x_rm(b, 0, 0x8b, RDX, x_mem(RAX, NOREG, offsetof(vfmi_ctx_t, linktype))); /* mov edx, [..] */
    call_abs(j, (const void *)vfm_hash5);
    unsigned i = j->d++;
    set_reg(j, i, RAX, UINT64_MAX);
}

static void load_flow_table(xjit_t *j)
{
    x_load(j->b, RAX, frame(j->d_ctx));
    x_load(j->b, RDI, x_mem(RAX, NOREG, offsetof(vfmi_ctx_t, flow)));
}

static void emit_flow_load(xjit_t *j)
{
    unsigned i = j->d - 1;
    load_slot(j, i, RSI);
    load_flow_table(j);
    call_abs(j, (const void *)vfmi_flow_load);
    set_reg(j, i, RAX, UINT64_MAX);
}

static void emit_flow_store(xjit_t *j)
{
    load_slot(j, j->d - 2, RSI);
    load_slot(j, j->d - 1, RDX);
    load_flow_table(j);
    call_abs(j, (const void *)vfmi_flow_store);
    j->d -= 2;
}

/* CALL k: args[] = the popped values, deepest first; as interp_body.h's CALL. */
static void emit_call(xjit_t *j, const vfmi_insn_t *in)
{
    vfmi_jbuf_t *b = j->b;
    unsigned pops, pushes;
    vfmi_stack_effect(in, j->opts, &pops, &pushes);
    for (unsigned a = 0; a < pops; a++) {
        unsigned i = j->d - pops + a;
        if (j->st[i].kind == S_CONST && x_simm32(j->st[i].k)) {
            x_store_i(b, frame(j->d_args + 8 * (int32_t)a), (int32_t)j->st[i].k);
        } else {
            int r = value_reg(j, i, RAX);
            x_store(b, frame(j->d_args + 8 * (int32_t)a), r);
        }
    }
    x_store_i(b, frame(j->d_hres), 0);
    int32_t h = (int32_t)(in->k * sizeof(vfm_helper_t));
    x_load(b, RAX, frame(j->d_ctx));
    x_load(b, RAX, x_mem(RAX, NOREG, offsetof(vfmi_ctx_t, helpers)));
    x_load(b, RDI, x_mem(RAX, NOREG, h + (int32_t)offsetof(vfm_helper_t, user)));
    x_mov_rr(b, RSI, j->pkt);
    x_mov_rr(b, RDX, j->len);
    x_lea(b, RCX, frame(j->d_args));
    x_lea(b, R8, frame(j->d_hres));
    x_call_m(b, x_mem(RAX, NOREG, h + (int32_t)offsetof(vfm_helper_t, fn)));
    x_rr(b, 0, 0x85, RAX, RAX); /* test eax, eax */
    jump_stub(j, CC_S, STUB_HELPER);
    j->d -= pops;
    if (pushes) {
        x_load(b, RAX, frame(j->d_hres));
        unsigned i = j->d++;
        set_reg(j, i, RAX, UINT64_MAX);
    }
}

/* ---- one instruction ------------------------------------------------------------- */

static void emit_insn(xjit_t *j, const vfmi_insn_t *in)
{
    uint8_t op = in->info->code;
    unsigned d = j->d;
    /* Only these read a pending comparison's flags; for the rest it becomes 0/1 now. */
    if (op != VFM_OP_JZ && op != VFM_OP_JNZ && op != VFM_OP_RET && op != VFM_OP_POP)
        settle_flags(j);
    /* The ALU ops (the table's two-in, one-out rows that are not comparisons). */
    if (vfm_opinfo_is_binop(in->info) && !(in->info->flags & VFM_F_CMP)) {
        emit_binop(j, op);
        return;
    }
    switch (op) {
    case VFM_OP_LD8:
    case VFM_OP_LD16:
    case VFM_OP_LD32:
    case VFM_OP_LD64:
        emit_ld(j, (uint32_t)in->k, 1u << (op - VFM_OP_LD8));
        break;
    case VFM_OP_LDX8:
    case VFM_OP_LDX16:
    case VFM_OP_LDX32:
    case VFM_OP_LDX64:
        emit_ldx(j, (uint32_t)in->k, 1u << (op - VFM_OP_LDX8));
        break;
    case VFM_OP_LEN:
        push_slot(j, (slot_t){.kind = S_LEN, .max = UINT64_MAX});
        break;
    case VFM_OP_PUSH:
    case VFM_OP_PUSH8:
    case VFM_OP_PUSH16:
    case VFM_OP_PUSH32:
        push_slot(j, cnst(in->k));
        break;
    case VFM_OP_POP:
        j->d--;
        break;
    case VFM_OP_DUP:
    case VFM_OP_OVER: {
        unsigned src = op == VFM_OP_DUP ? d - 1 : d - 2;
        if (!movable(j, &j->st[src]))
            settle(j, src);
        if (j->st[src].kind != S_REG) {
            push_slot(j, j->st[src]); /* a pure value: copy the description */
        } else {
            int r = value_reg(j, src, work_reg(j, d));
            j->d++;
            set_reg(j, d, r, j->st[src].max);
        }
        break;
    }
    case VFM_OP_SWAP: {
        for (unsigned i = d - 2; i < d; i++)
            if (!movable(j, &j->st[i]))
                settle(j, i);
        slot_t a = j->st[d - 2], b = j->st[d - 1];
        if (a.kind != S_REG && b.kind != S_REG) {
            j->st[d - 2] = b;
            j->st[d - 1] = a;
        } else if (home_reg(j, d - 2) != NOREG && home_reg(j, d - 1) != NOREG &&
                   a.kind == S_REG && b.kind == S_REG) {
            x_rr(j->b, X_W, 0x87, home_reg(j, d - 2), home_reg(j, d - 1)); /* xchg */
            j->st[d - 2].max = b.max;
            j->st[d - 1].max = a.max;
        } else {
            load_slot(j, d - 2, RAX);
            load_slot(j, d - 1, RDX);
            set_reg(j, d - 2, RDX, b.max);
            set_reg(j, d - 1, RAX, a.max);
        }
        break;
    }
    case VFM_OP_NOT: {
        slot_t *s = &j->st[d - 1];
        if (s->kind == S_CONST) {
            *s = cnst(~s->k);
        } else {
            int r = work_reg(j, d - 1);
            load_slot(j, d - 1, r);
            x_not(j->b, r);
            set_reg(j, d - 1, r, UINT64_MAX);
        }
        break;
    }
    case VFM_OP_EQ:
    case VFM_OP_NE:
    case VFM_OP_GT:
    case VFM_OP_LT:
    case VFM_OP_GE:
    case VFM_OP_LE: {
        int cc = emit_compare(j, d - 2, d - 1, op - VFM_OP_EQ);
        j->d--;
        if (cc == ALWAYS || cc == NEVER)
            j->st[d - 2] = cnst(cc == ALWAYS);
        else
            j->st[d - 2] = (slot_t){.kind = S_FLAGS, .cc = (uint8_t)cc, .max = 1};
        break;
    }
    case VFM_OP_JMP:
        settle_below(j, target_depth(j, in));
        if (in->target != in->next) /* a jump to the next instruction is a fall-through */
            emit_edge(j, in, -1);
        else
            note_edge(j, (uint32_t)in->target);
        break;
    case VFM_OP_JEQ:
    case VFM_OP_JNE:
    case VFM_OP_JGT:
    case VFM_OP_JLT:
    case VFM_OP_JGE:
    case VFM_OP_JLE: {
        settle_below(j, target_depth(j, in));
        int cc = emit_compare(j, d - 2, d - 1, op - VFM_OP_JEQ);
        j->d -= 2;
        emit_branch(j, in, cc);
        break;
    }
    case VFM_OP_JZ:
    case VFM_OP_JNZ: {
        unsigned keep = target_depth(j, in);
        bool lower_settled = true;
        for (unsigned i = 0; i < keep; i++)
            lower_settled &= j->st[i].kind == S_REG;
        if (!lower_settled) /* settle_below turns a pending comparison into 0/1 first */
            settle_below(j, keep);
        int cc = emit_nonzero(j, d - 1);
        j->d--;
        if (op == VFM_OP_JZ && cc >= 0)
            cc = CC_NOT(cc);
        else if (op == VFM_OP_JZ)
            cc = cc == ALWAYS ? NEVER : ALWAYS;
        emit_branch(j, in, cc);
        break;
    }
    case VFM_OP_RET:
        emit_return(j);
        j->d--;
        break;
    case VFM_OP_HASH5:
        emit_hash5(j);
        break;
    case VFM_OP_FLOW_LOAD:
        emit_flow_load(j);
        break;
    case VFM_OP_FLOW_STORE:
        emit_flow_store(j);
        break;
    case VFM_OP_CALL:
        emit_call(j, in);
        break;
    default:
        fail(j, in->pc, "%s is not handled by the x86-64 JIT", in->info->name);
        break;
    }
}

/* ---- the program --------------------------------------------------------------- */

static void emit_program(xjit_t *j)
{
    const vfmi_proof_t *p = j->proof;
    j->jseq = 0;
    j->nlocal = 0;
    j->d = 0;
    j->known = 0;
    memset(j->stub_used, 0, sizeof j->stub_used);
    for (uint32_t pc = 0; pc < p->len; pc++)
        j->known_at[pc] = UINT32_MAX;
    emit_prologue(j);
    bool falls = true; /* the previous instruction continues into this one */
    vfmi_insn_t in;
    for (uint32_t pc = 0; pc < p->len && !j->err; pc = in.next) {
        vfmi_decode(j->code, p->len, pc, &in);
        if (!(p->pcflags[pc] & VFMI_PC_REACH))
            continue;
        unsigned depth = p->depth[pc];
        if (p->pcflags[pc] & VFMI_PC_TARGET) {
            /* Every edge arrives with slots [0, depth) at home. */
            if (falls) {
                settle_below(j, depth);
                if (j->known_at[pc] < j->known)
                    j->known = j->known_at[pc];
            } else {
                j->known = j->known_at[pc] == UINT32_MAX ? 0 : j->known_at[pc];
            }
            if (p->pcflags[pc] & VFMI_PC_BACK)
                j->known = 0;
            /* Other edges bring other values: nothing is known about them. */
            for (unsigned i = 0; i < depth; i++)
                j->st[i] = (slot_t){.kind = S_REG, .max = UINT64_MAX};
            place(j, pc);
        }
        j->d = depth; /* on a join, values above the minimum depth are dropped */
        emit_insn(j, &in);
        falls = !(in.info->flags & VFM_F_NOFALL);
    }
    emit_stubs(j);
}

/*
 * Registers and frame for this program.  Frame qwords (rsp-relative):
 * save (rcx during a variable shift), tmp (a divisor), budget (loops),
 * and in call mode ctx, result pointer, helper result and 8 helper
 * arguments; then the slots beyond the registers.  A leaf whose frame
 * fits in the 128-byte red zone below rsp (System V ABI 3.2.2) does not
 * move rsp at all.
 */
static void layout(xjit_t *j)
{
    const vfmi_proof_t *p = j->proof;
    j->calls = p->uses_flow || p->uses_helpers;
    unsigned depth = p->max_depth;
    unsigned nreg = depth < NSLOTREGS ? depth : NSLOTREGS;
    unsigned nspill = depth - nreg;
    int32_t size = 0;
#define QWORDS(n) (size += 8 * (n), size - 8 * (n))
    j->d_save = QWORDS(1);
    j->d_tmp = QWORDS(1);
    j->d_budget = QWORDS(1);
    if (j->calls) {
        j->pkt = RBX;
        j->len = RBP;
        j->res = NOREG;
        j->slotregs = call_slots;
        j->saved[j->nsaved++] = RBX;
        j->saved[j->nsaved++] = RBP;
        for (unsigned i = 0; i < nreg; i++)
            j->saved[j->nsaved++] = (uint8_t)call_slots[i];
        j->d_ctx = QWORDS(1);
        j->d_res = QWORDS(1);
        j->d_hres = QWORDS(1);
        j->d_args = QWORDS(VFM_HELPER_ARGS_MAX);
    } else {
        j->pkt = RDI;
        j->len = RSI;
        j->res = RCX;
        j->slotregs = leaf_slots;
    }
    j->nslotregs = nreg;
    j->d_spill = QWORDS((int32_t)nspill);
#undef QWORDS
    int32_t base;
    if (j->calls) {
        /* rsp % 16 == 0 at each call: entry leaves 8 (the return address). */
        uint32_t f = (uint32_t)size;
        while ((8 + 8 * j->nsaved + f) % 16)
            f += 8;
        j->frame = f;
        base = 0;
    } else if (size <= 128) {
        j->frame = 0;
        base = -size;
    } else {
        j->frame = ((uint32_t)size + 15) & ~15u;
        base = 0;
    }
    j->d_save += base;
    j->d_tmp += base;
    j->d_budget += base;
    j->d_ctx += base;
    j->d_res += base;
    j->d_hres += base;
    j->d_args += base;
    j->d_spill += base;
}

int vfmi_jit_emit_x86_64(const uint8_t *code, const vfmi_proof_t *proof,
                         const vfm_verify_opts_t *opts, vfmi_jbuf_t *out, char *why,
                         size_t whylen)
{
    static const vfm_verify_opts_t defaults = {0};
    xjit_t *j = calloc(1, sizeof *j);
    if (!j)
        return VFM_ERROR_NO_MEMORY;
    j->b = out;
    j->code = code;
    j->proof = proof;
    j->opts = opts ? opts : &defaults;
    j->why = why;
    j->whylen = whylen;
    j->nlabels = proof->len + NSTUBS;
    j->caplabels = j->nlabels + 16;
    j->pos1 = calloc(j->caplabels, sizeof *j->pos1);
    j->posf = calloc(j->caplabels, sizeof *j->posf);
    j->known_at = malloc(((size_t)proof->len + 1) * sizeof *j->known_at);
    int rc = VFM_ERROR_NO_MEMORY;
    if (!j->pos1 || !j->posf || !j->known_at)
        goto out;
    layout(j);

    j->pass = 1;
    emit_program(j);
    if (!j->err && !out->oom) {
        if (!relax(j))
            goto out;
        out->len = 0;
        j->pass = 2;
        emit_program(j);
        if (!j->err && j->jseq != j->njumps)
            fail(j, VFM_NO_PC, "internal error: pass 2 made %u jumps, pass 1 %u", j->jseq,
                 j->njumps);
    }
    if (out->oom)
        rc = VFM_ERROR_NO_MEMORY;
    else
        rc = j->err ? j->err : VFM_SUCCESS;
out:
    free(j->pos1);
    free(j->posf);
    free(j->known_at);
    free(j->jumps);
    free(j->shortj);
    free(j);
    return rc;
}
