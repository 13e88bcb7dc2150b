/*
 * cbpf_gen.c - verified VFM code to classic BPF, one instruction at a time.
 *
 * Stack slots.  The verifier proves the stack depth before every pc, so
 * slot i (0 = bottom) can live in scratch word M[i] ("its home").  Within
 * straight-line code a slot may instead be a known constant or sit in A;
 * at most one slot is in A at a time, X is a temporary that never outlives
 * one VFM instruction.  Where a jump lands every slot is at home, so all
 * paths agree on where things are:
 *
 *   kind      where the value is            becomes home by
 *   E_CONST   nowhere yet (range is [k,k])  ldx #k; stx M[i]
 *   E_A       the accumulator               st M[i]
 *   E_MEM     M[i]                          -
 *
 * So at most 16 slots can be live where they must be stored.
 *
 * Values.  Each slot carries the range of its 64-bit values (cbpf_range.c);
 * an operation whose 32-bit result could differ from the 64-bit one is
 * refused with "pc N: OP: why".  Ranges of slots meeting at a jump target
 * are merged (jumps only go forward, so every edge into a pc is seen before
 * the pc itself).
 *
 * Results.  RET v returns the snapshot length when v != 0 and 0 otherwise.
 * A VFM run-time error rejects the packet; BPF returns 0 on the same
 * conditions (a load past the end, division by zero), so a failing load or
 * division needs no code of its own.
 *
 * Every opcode has a gen_<NAME> function: the dispatch table is expanded
 * from opcodes.def, so a new opcode does not compile until it is handled.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf.h"

enum { E_CONST, E_A, E_MEM };

typedef struct entry {
    uint8_t kind;
    cb_range_t r;
} entry_t;

typedef struct target {
    uint32_t label;
    bool live;                   /* some edge reaches it */
    cb_range_t r[CB_MEMWORDS];   /* merged ranges of the slots that survive */
} target_t;

typedef struct gen {
    const uint8_t *code;
    const vfmi_proof_t *proof;
    uint32_t len;
    uint32_t snaplen;
    cb_buf_t *b;
    vfm_diag_t *diag;
    int err;                   /* sticky: the first failure wins */
    const vfmi_insn_t *in;     /* being translated */
    entry_t st[VFM_STACK_MAX + 1];
    unsigned depth;
    bool live;                 /* the path falling into the next pc is possible */
    uint32_t *tidx;            /* [len] index into t[] for jump targets */
    target_t *t;
    uint32_t skip;             /* pcs below this were consumed by a fused sequence */
    uint32_t reject;           /* label of a shared "ret #0", or UINT32_MAX */
    int a_home;                /* A equals M[a_home] (-1: nothing known) */
} gen_t;

/* Packets are shorter than this; a larger packet offset can only fail to load. */
#define OFFSET_GUARD 0x7fff0000u

__attribute__((format(printf, 2, 3))) static void fail(gen_t *g, const char *fmt, ...)
{
    if (g->err)
        return;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    g->err = vfmi_fail(g->diag, VFM_ERROR_UNSUPPORTED, g->in->pc, "%s: %s", g->in->info->name,
                       msg);
    g->live = false;
}

static void bug(gen_t *g, const char *what)
{
    if (g->err)
        return;
    g->err = vfmi_fail(g->diag, VFM_ERROR_VERIFICATION_FAILED, g->in->pc,
                       "%s: classic BPF backend: %s (a bug)", g->in->info->name, what);
    g->live = false;
}

/*
 * Every instruction that is not a jump goes through here, which follows
 * what A holds: after "st M[i]" A equals M[i] until A or M[i] changes, so a
 * later "ld M[i]" can be left out (jumps keep A; jump targets forget).
 */
static void emit(gen_t *g, uint16_t code, uint32_t k)
{
    uint16_t cls = CB_CLASS(code);
    if (code == (CB_LD | CB_MEM) && g->a_home == (int)k)
        return;
    if (cls == CB_ST)
        g->a_home = (int)k;
    else if ((cls == CB_STX && g->a_home == (int)k) || cls == CB_LD || cls == CB_ALU ||
             code == (CB_MISC | CB_TXA))
        g->a_home = -1;
    vfmi_cb_emit(g->b, code, k);
}

/* Place a label other paths jump to: what A holds there is not known. */
static void bind(gen_t *g, uint32_t label)
{
    vfmi_cb_label_bind(g->b, label);
    g->a_home = -1;
}

/* Place the label of the fall-through path of the jump just emitted (A is as before it). */
static void bind_next(gen_t *g, uint32_t label) { vfmi_cb_label_bind(g->b, label); }

static bool is_k(entry_t e, uint64_t *k) { return vfmi_cb_range_is_k(e.r, k); }

static const char *show(cb_range_t r, char *buf, size_t n)
{
    if (r.top)
        snprintf(buf, n, "any 64-bit value");
    else if (r.lo == r.hi)
        snprintf(buf, n, "%lld", (long long)r.lo);
    else
        snprintf(buf, n, "%lld..%lld", (long long)r.lo, (long long)r.hi);
    return buf;
}

/* ---- where slots live ----------------------------------------------------- */

/* Move slot i home to M[i].  Uses X for constants. */
static void spill(gen_t *g, unsigned i)
{
    entry_t *e = &g->st[i];
    uint64_t k;
    if (e->kind == E_MEM)
        return;
    if (i >= CB_MEMWORDS) {
        fail(g, "%u values on the stack must be kept here; classic BPF has %u scratch words",
             i + 1, CB_MEMWORDS);
        return;
    }
    if (e->kind == E_A) {
        emit(g, CB_ST, i);
    } else {
        is_k(*e, &k);
        emit(g, CB_LDX | CB_IMM, (uint32_t)k);
        emit(g, CB_STX, i);
    }
    e->kind = E_MEM;
}

/* A is about to change: the slot held there goes home (a constant needs no room). */
static void free_a(gen_t *g)
{
    for (unsigned i = 0; i < g->depth; i++)
        if (g->st[i].kind == E_A) {
            if (is_k(g->st[i], NULL))
                g->st[i].kind = E_CONST;
            else
                spill(g, i);
        }
}

/* Slots 0..d-1 home, as every edge into a jump target must leave them. */
static void canonicalize(gen_t *g, unsigned d)
{
    if (d > CB_MEMWORDS) {
        fail(g, "%u values on the stack meet at a jump target; classic BPF has %u scratch words",
             d, CB_MEMWORDS);
        return;
    }
    for (unsigned i = 0; i < d; i++)
        spill(g, i);
}

/* Operand e, popped from slot i, into A. */
static void to_a(gen_t *g, entry_t e, unsigned i)
{
    uint64_t k;
    if (e.kind == E_A)
        return;
    free_a(g);
    if (is_k(e, &k))
        emit(g, CB_LD | CB_IMM, (uint32_t)k);
    else
        emit(g, CB_LD | CB_MEM, i);
}

/* Operand e, popped from slot i, into X (A unchanged). */
static void to_x(gen_t *g, entry_t e, unsigned i)
{
    uint64_t k;
    if (is_k(e, &k))
        emit(g, CB_LDX | CB_IMM, (uint32_t)k);
    else if (e.kind == E_A)
        emit(g, CB_MISC | CB_TAX, 0);
    else
        emit(g, CB_LDX | CB_MEM, i);
}

static void push_k(gen_t *g, uint64_t k)
{
    g->st[g->depth++] = (entry_t){E_CONST, vfmi_cb_range_k(k)};
}

/* The value just computed in A. */
static void push_a(gen_t *g, cb_range_t r)
{
    for (unsigned i = 0; i < g->depth; i++)
        if (g->st[i].kind == E_A)
            bug(g, "two stack slots in A");
    g->st[g->depth++] = (entry_t){E_A, r};
}

static entry_t pop(gen_t *g, unsigned *slot)
{
    *slot = --g->depth;
    return g->st[g->depth];
}

/* ---- control flow --------------------------------------------------------- */

static target_t *target_of(gen_t *g, uint32_t pc) { return &g->t[g->tidx[pc]]; }

/* This path reaches jump target pc with slots home: merge their ranges. */
static void edge(gen_t *g, uint32_t pc)
{
    target_t *t = target_of(g, pc);
    unsigned d = g->proof->depth[pc];
    for (unsigned i = 0; i < d && i < CB_MEMWORDS; i++)
        t->r[i] = t->live ? vfmi_cb_range_union(t->r[i], g->st[i].r) : g->st[i].r;
    t->live = true;
}

/* Arriving at jump target pc (by falling in, or only by jumps). */
static void enter(gen_t *g, uint32_t pc)
{
    unsigned d = g->proof->depth[pc];
    if (g->live) {
        if (g->depth < d)
            bug(g, "stack shallower than the verifier's depth");
        canonicalize(g, d);
        if (g->err)
            return;
        edge(g, pc);
    }
    target_t *t = target_of(g, pc);
    bind(g, t->label); /* other paths arrive with other values in A */
    g->live = t->live;
    g->depth = d;
    for (unsigned i = 0; i < d && i < CB_MEMWORDS; i++)
        g->st[i] = (entry_t){E_MEM, t->r[i]};
}

/* This path ends in a rejection (VFM would stop with a run-time error). */
static void reject_path(gen_t *g)
{
    emit(g, CB_RET | CB_K, 0);
    g->live = false;
}

static uint32_t reject_label(gen_t *g)
{
    if (g->reject == UINT32_MAX)
        g->reject = vfmi_cb_label_new(g->b);
    return g->reject;
}

/* The conditions, as VFM's comparison opcodes. */
static uint8_t mirror(uint8_t c)
{
    switch (c) {
    case VFM_OP_GT: return VFM_OP_LT;
    case VFM_OP_LT: return VFM_OP_GT;
    case VFM_OP_GE: return VFM_OP_LE;
    case VFM_OP_LE: return VFM_OP_GE;
    default: return c;
    }
}

static uint8_t negate(uint8_t c)
{
    switch (c) {
    case VFM_OP_EQ: return VFM_OP_NE;
    case VFM_OP_NE: return VFM_OP_EQ;
    case VFM_OP_GT: return VFM_OP_LE;
    case VFM_OP_LE: return VFM_OP_GT;
    case VFM_OP_LT: return VFM_OP_GE;
    default: return VFM_OP_LT; /* GE */
    }
}

/* 1 or 0 when the ranges decide "a c b" (unsigned 64-bit), else -1. */
static int decide(uint8_t c, cb_range_t a, cb_range_t b)
{
    uint64_t alo, ahi, blo, bhi;
    vfmi_cb_range_ubounds(a, &alo, &ahi);
    vfmi_cb_range_ubounds(b, &blo, &bhi);
    switch (c) {
    case VFM_OP_EQ:
        if (alo == ahi && blo == bhi && alo == blo)
            return 1;
        return ahi < blo || bhi < alo ? 0 : -1;
    case VFM_OP_NE: {
        int d = decide(VFM_OP_EQ, a, b);
        return d < 0 ? d : !d;
    }
    case VFM_OP_GT: return alo > bhi ? 1 : ahi <= blo ? 0 : -1;
    case VFM_OP_LT: return ahi < blo ? 1 : alo >= bhi ? 0 : -1;
    case VFM_OP_GE: return alo >= bhi ? 1 : ahi < blo ? 0 : -1;
    default: return ahi <= blo ? 1 : alo > bhi ? 0 : -1; /* LE */
    }
}

/*
 * "if (a c b) goto lt else goto lf", a and b popped from slots ia and ib.
 * Returns 1 or 0 without emitting anything when the outcome is known,
 * -1 when it emitted the jump.
 */
static int branch(gen_t *g, uint8_t c, entry_t a, unsigned ia, entry_t b, unsigned ib, uint32_t lt,
                  uint32_t lf)
{
    int known = decide(c, a.r, b.r);
    if (known >= 0)
        return known;
    char sa[64], sb[64];
    if (!vfmi_cb_range_orderable(vfmi_cb_range_union(a.r, b.r))) {
        fail(g, "comparing %s with %s: the values may not fit 32 bits", show(a.r, sa, sizeof sa),
             show(b.r, sb, sizeof sb));
        return -1;
    }
    uint64_t k;
    if (is_k(a, NULL)) { /* constant on the right, where BPF wants it */
        entry_t e = a;
        unsigned ie = ia;
        a = b, ia = ib, b = e, ib = ie;
        c = mirror(c);
    }
    uint16_t src = CB_K;
    if (is_k(b, &k)) {
        to_a(g, a, ia);
    } else {
        to_x(g, b, ib);
        to_a(g, a, ia);
        src = CB_X, k = 0;
    }
    static const struct {
        uint8_t c;
        uint16_t op;
        bool swap; /* jump on the negation */
    } map[] = {{VFM_OP_EQ, CB_JEQ, false}, {VFM_OP_NE, CB_JEQ, true}, {VFM_OP_GT, CB_JGT, false},
               {VFM_OP_LE, CB_JGT, true},  {VFM_OP_GE, CB_JGE, false}, {VFM_OP_LT, CB_JGE, true}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].c == c) {
            vfmi_cb_emit_jcc(g->b, CB_JMP | map[i].op | src, (uint32_t)k, map[i].swap ? lf : lt,
                        map[i].swap ? lt : lf);
            return -1;
        }
    bug(g, "unknown condition");
    return -1;
}

/* Jump to VFM pc `to` when "a c b" (operands already popped). */
static void cond_jump(gen_t *g, uint8_t c, entry_t a, unsigned ia, entry_t b, unsigned ib,
                      uint32_t to)
{
    if (to <= g->in->pc) {
        fail(g, "jump back to pc %u: loops cannot be expressed in classic BPF", to);
        return;
    }
    canonicalize(g, g->proof->depth[to]);
    if (g->err)
        return;
    uint32_t next = vfmi_cb_label_new(g->b);
    int known = branch(g, c, a, ia, b, ib, target_of(g, to)->label, next);
    if (known != 0)
        edge(g, to);
    if (known == 1) {
        vfmi_cb_emit_ja(g->b, target_of(g, to)->label);
        g->live = false;
    }
    bind_next(g, next);
}

/* Return accept (snaplen) when "a c b", else 0. */
static void cond_ret(gen_t *g, uint8_t c, entry_t a, unsigned ia, entry_t b, unsigned ib)
{
    uint32_t acc = vfmi_cb_label_new(g->b), rej = vfmi_cb_label_new(g->b);
    int known = branch(g, c, a, ia, b, ib, acc, rej);
    if (known >= 0) {
        emit(g, CB_RET | CB_K, known ? g->snaplen : 0);
    } else {
        bind(g, acc);
        emit(g, CB_RET | CB_K, g->snaplen);
        bind(g, rej);
        emit(g, CB_RET | CB_K, 0);
    }
    g->live = false;
}

/*
 * The instruction after the one being translated, if a fused sequence may
 * take it: reachable, and no jump lands on it (so nothing else sees the
 * value in between).
 */
static bool peek(gen_t *g, uint32_t pc, vfmi_insn_t *out)
{
    if (pc >= g->len || vfmi_decode(g->code, g->len, pc, out) != VFM_SUCCESS)
        return false;
    return g->proof->depth[pc] != VFMI_DEPTH_NONE && !(g->proof->pcflags[pc] & VFMI_PC_TARGET);
}

static const entry_t zero = {E_CONST, {0, 0, false}};

/* ---- packet loads ---------------------------------------------------------- */

static uint16_t size_of(uint8_t op)
{
    switch (op) {
    case VFM_OP_LD8:
    case VFM_OP_LDX8: return CB_B;
    case VFM_OP_LD16:
    case VFM_OP_LDX16: return CB_H;
    default: return CB_W;
    }
}

static cb_range_t load_range(uint16_t size)
{
    return vfmi_cb_range_of(0, size == CB_B ? 0xff : size == CB_H ? 0xffff : (int64_t)UINT32_MAX);
}

/* "LD8 k; PUSH 15; AND; PUSH 2; SHL" is the IPv4 header length: BPF's ldxb 4*([k]&0xf). */
static bool ihl_pattern(gen_t *g, const vfmi_insn_t *in, uint32_t *after)
{
    static const struct {
        uint8_t op; /* 0 = any PUSH */
        uint64_t k;
    } pat[] = {{0, 15}, {VFM_OP_AND, 0}, {0, 2}, {VFM_OP_SHL, 0}};
    vfmi_insn_t x;
    uint32_t pc = in->next;
    for (size_t i = 0; i < sizeof pat / sizeof pat[0]; i++, pc = x.next) {
        if (!peek(g, pc, &x))
            return false;
        if (pat[i].op ? x.info->code != pat[i].op
                      : !(x.info->flags & VFM_F_PUSH) || x.k != pat[i].k)
            return false;
    }
    *after = pc;
    return true;
}

static void gen_load(gen_t *g, const vfmi_insn_t *in)
{
    uint16_t size = size_of(in->info->code);
    uint32_t after;
    vfmi_insn_t x;
    if (size == CB_B && ihl_pattern(g, in, &after)) {
        emit(g, CB_LDX | CB_B | CB_MSH, (uint32_t)in->k);
        g->skip = after;
        /* ... and it is usually the base of the next load: ld [x + k]. */
        if (peek(g, after, &x) && (x.info->code == VFM_OP_LDX8 || x.info->code == VFM_OP_LDX16 ||
                                   x.info->code == VFM_OP_LDX32)) {
            free_a(g);
            emit(g, CB_LD | size_of(x.info->code) | CB_IND, (uint32_t)x.k);
            push_a(g, load_range(size_of(x.info->code)));
            g->skip = x.next;
            return;
        }
        free_a(g);
        emit(g, CB_MISC | CB_TXA, 0);
        push_a(g, vfmi_cb_range_of(0, 60));
        return;
    }
    free_a(g);
    emit(g, CB_LD | size | CB_ABS, (uint32_t)in->k);
    push_a(g, load_range(size));
}

static void gen_load_x(gen_t *g, const vfmi_insn_t *in)
{
    uint16_t size = size_of(in->info->code);
    unsigned ib;
    entry_t base = pop(g, &ib);
    uint64_t k;
    if (is_k(base, &k)) {
        if (k > OFFSET_GUARD) { /* beyond any packet: the load fails */
            reject_path(g);
            return;
        }
        free_a(g);
        emit(g, CB_LD | size | CB_ABS, (uint32_t)(k + in->k));
        push_a(g, load_range(size));
        return;
    }
    /*
     * BPF adds X + k in 32 bits and Linux reads a negative sum as an
     * ancillary offset, so the base must be a 32-bit value and the sum stay
     * below 2^31.  A base above OFFSET_GUARD fails VFM's bounds check, so it
     * may be rejected early; negative bases (huge as 64-bit) likewise.
     */
    cb_range_t r = base.r;
    char s[64];
    if (r.top || r.hi > (int64_t)UINT32_MAX || r.lo <= (int64_t)OFFSET_GUARD - ((int64_t)1 << 32)) {
        fail(g, "the offset (%s) may not fit 32 bits", show(r, s, sizeof s));
        return;
    }
    if (r.lo < 0 || r.hi > (int64_t)OFFSET_GUARD) {
        to_a(g, base, ib);
        uint32_t ok = vfmi_cb_label_new(g->b);
        vfmi_cb_emit_jcc(g->b, CB_JMP | CB_JGT | CB_K, OFFSET_GUARD, reject_label(g), ok);
        bind_next(g, ok);
        emit(g, CB_MISC | CB_TAX, 0);
    } else {
        to_x(g, base, ib);
    }
    free_a(g);
    emit(g, CB_LD | size | CB_IND, (uint32_t)in->k);
    push_a(g, load_range(size));
}

static void no_64bit_load(gen_t *g, const vfmi_insn_t *in)
{
    (void)in;
    fail(g, "64-bit loads do not fit classic BPF's 32-bit registers");
}

#define gen_LD8 gen_load
#define gen_LD16 gen_load
#define gen_LD32 gen_load
#define gen_LD64 no_64bit_load
#define gen_LDX8 gen_load_x
#define gen_LDX16 gen_load_x
#define gen_LDX32 gen_load_x
#define gen_LDX64 no_64bit_load

static void gen_LEN(gen_t *g, const vfmi_insn_t *in)
{
    (void)in;
    free_a(g);
    emit(g, CB_LD | CB_W | CB_LEN, 0);
    push_a(g, vfmi_cb_range_of(0, (int64_t)UINT32_MAX));
}

/* ---- stack ----------------------------------------------------------------- */

static void gen_push(gen_t *g, const vfmi_insn_t *in) { push_k(g, in->k); }
#define gen_PUSH gen_push
#define gen_PUSH8 gen_push
#define gen_PUSH16 gen_push
#define gen_PUSH32 gen_push

static void gen_POP(gen_t *g, const vfmi_insn_t *in)
{
    (void)in;
    g->depth--;
}

/* Push a copy of slot j. */
static void copy_slot(gen_t *g, unsigned j)
{
    entry_t e = g->st[j];
    uint64_t k;
    if (is_k(e, &k)) {
        push_k(g, k);
    } else if (e.kind == E_A) {
        spill(g, j); /* the copy takes A, the original goes home */
        push_a(g, e.r);
    } else {
        free_a(g);
        emit(g, CB_LD | CB_MEM, j);
        push_a(g, e.r);
    }
}

static void gen_DUP(gen_t *g, const vfmi_insn_t *in)
{
    (void)in;
    copy_slot(g, g->depth - 1);
}

static void gen_OVER(gen_t *g, const vfmi_insn_t *in)
{
    (void)in;
    copy_slot(g, g->depth - 2);
}

static void gen_SWAP(gen_t *g, const vfmi_insn_t *in)
{
    (void)in;
    entry_t *lo = &g->st[g->depth - 2], *hi = &g->st[g->depth - 1];
    if (is_k(*lo, NULL))
        lo->kind = E_CONST;
    if (is_k(*hi, NULL))
        hi->kind = E_CONST;
    if (lo->kind != E_MEM && hi->kind != E_MEM) { /* registers and constants just trade places */
        entry_t e = *lo;
        *lo = *hi;
        *hi = e;
        return;
    }
    unsigned ib, ia;
    entry_t b = pop(g, &ib), a = pop(g, &ia);
    to_x(g, b, ib);
    to_a(g, a, ia);
    emit(g, CB_STX, ia); /* ia < ib <= 15: one of them was home */
    g->st[g->depth++] = (entry_t){E_MEM, b.r};
    push_a(g, a.r);
}

/* ---- arithmetic -------------------------------------------------------------- */

static uint16_t alu_of(uint8_t op)
{
    switch (op) {
    case VFM_OP_ADD: return CB_ADD;
    case VFM_OP_SUB: return CB_SUB;
    case VFM_OP_MUL: return CB_MUL;
    case VFM_OP_DIV: return CB_DIV;
    case VFM_OP_MOD: return CB_MOD;
    case VFM_OP_AND: return CB_AND;
    case VFM_OP_OR: return CB_OR;
    case VFM_OP_XOR: return CB_XOR;
    case VFM_OP_SHL: return CB_LSH;
    default: return CB_RSH;
    }
}

/* AND k; JZ/JNZ is BPF's jset. */
static bool jset_fused(gen_t *g, entry_t a, unsigned ia, uint64_t k)
{
    vfmi_insn_t j;
    if (!peek(g, g->in->next, &j) ||
        (j.info->code != VFM_OP_JZ && j.info->code != VFM_OP_JNZ))
        return false;
    /* (a & k) != 0 must not depend on bits BPF does not have. */
    if (k > UINT32_MAX && !vfmi_cb_range_u32(a.r))
        return false;
    uint32_t to = (uint32_t)j.target;
    if (to <= j.pc)
        return false; /* a loop: JZ reports it */
    canonicalize(g, g->proof->depth[to]);
    if (g->err)
        return true;
    to_a(g, a, ia);
    uint32_t next = vfmi_cb_label_new(g->b), l = target_of(g, to)->label;
    bool jnz = j.info->code == VFM_OP_JNZ;
    vfmi_cb_emit_jcc(g->b, CB_JMP | CB_JSET | CB_K, (uint32_t)k, jnz ? l : next, jnz ? next : l);
    edge(g, to);
    bind_next(g, next);
    g->skip = j.next;
    return true;
}

/*
 * a << b or a >> b with a count that may exceed 31: BPF leaves such shifts
 * undefined (libpcap and the kernel's interpreter follow the host CPU), so
 * counts above 31 take another path, where VFM's result is 0 (SHR of a
 * 32-bit value) or has 32 low zero bits (SHL): A = 0.
 */
static void shift_guarded(gen_t *g, uint8_t op, entry_t a, unsigned ia, entry_t b, unsigned ib,
                          cb_range_t r)
{
    if (a.kind == E_A && !is_k(a, NULL)) { /* b needs A for the test */
        if (ia >= CB_MEMWORDS) {
            fail(g, "%u values on the stack must be kept here; classic BPF has %u scratch words",
                 ia + 1, CB_MEMWORDS);
            return;
        }
        emit(g, CB_ST, ia);
        a.kind = E_MEM;
    }
    to_a(g, b, ib);
    uint32_t small = vfmi_cb_label_new(g->b), big = vfmi_cb_label_new(g->b),
             done = vfmi_cb_label_new(g->b);
    vfmi_cb_emit_jcc(g->b, CB_JMP | CB_JGT | CB_K, 31, big, small);
    bind(g, small);
    emit(g, CB_MISC | CB_TAX, 0);
    uint64_t k;
    if (is_k(a, &k))
        emit(g, CB_LD | CB_IMM, (uint32_t)k);
    else
        emit(g, CB_LD | CB_MEM, ia);
    emit(g, CB_ALU | alu_of(op) | CB_X, 0);
    vfmi_cb_emit_ja(g->b, done);
    bind(g, big);
    emit(g, CB_LD | CB_IMM, 0);
    bind(g, done);
    push_a(g, r);
}

static void gen_binop(gen_t *g, const vfmi_insn_t *in)
{
    uint8_t op = in->info->code;
    unsigned ib, ia;
    entry_t b = pop(g, &ib), a = pop(g, &ia);
    uint64_t ka, kb;
    bool ca = is_k(a, &ka), cbk = is_k(b, &kb);
    char s1[64], s2[64];
    bool div = op == VFM_OP_DIV || op == VFM_OP_MOD;
    if (ca && cbk) {
        if (div && kb == 0)
            reject_path(g);
        else
            push_k(g, vfm_binop_eval(op, ka, kb));
        return;
    }
    cb_range_t r = vfmi_cb_range_binop(op, a.r, b.r);
    uint64_t slo = 0, shi = 0;
    if (op == VFM_OP_SHL || op == VFM_OP_SHR) {
        vfmi_cb_range_ubounds(b.r, &slo, &shi);
        if (slo >= 64) {
            push_k(g, 0); /* every bit shifted out */
            return;
        }
    }
    if (div || op == VFM_OP_SHR) {
        if (!vfmi_cb_range_u32(a.r) || (div && !vfmi_cb_range_u32(b.r))) {
            fail(g, "%s and %s: the values may not fit 32 bits", show(a.r, s1, sizeof s1),
                 show(b.r, s2, sizeof s2));
            return;
        }
    }
    if (div && cbk && kb == 0) {
        reject_path(g);
        return;
    }
    if (op == VFM_OP_SHL || op == VFM_OP_SHR) {
        if (op == VFM_OP_SHR && slo >= 32) {
            push_k(g, 0); /* a 32-bit value shifted out entirely */
            return;
        }
        if (cbk && kb >= 32) { /* SHL: the low 32 bits are 0 */
            if (a.kind != E_A)
                free_a(g);
            emit(g, CB_LD | CB_IMM, 0);
            push_a(g, r);
            return;
        }
        if (!cbk && !vfmi_cb_range_u32(b.r)) {
            fail(g, "shift by %s: the count may not fit 32 bits", show(b.r, s1, sizeof s1));
            return;
        }
        if (!cbk && shi > 31) {
            shift_guarded(g, op, a, ia, b, ib, r);
            return;
        }
    }
    bool commutes = op == VFM_OP_ADD || op == VFM_OP_MUL || op == VFM_OP_AND ||
                    op == VFM_OP_OR || op == VFM_OP_XOR;
    if (ca && commutes) {
        entry_t e = a;
        unsigned ie = ia;
        a = b, ia = ib, b = e, ib = ie;
        kb = ka, cbk = true, ca = false;
    }
    if (op == VFM_OP_AND && cbk && jset_fused(g, a, ia, kb))
        return;
    if (cbk) {
        to_a(g, a, ia);
        emit(g, CB_ALU | alu_of(op) | CB_K, (uint32_t)kb);
    } else if (op == VFM_OP_SUB && ca) { /* k - b = -b + k */
        to_a(g, b, ib);
        emit(g, CB_ALU | CB_NEG, 0);
        if ((uint32_t)ka)
            emit(g, CB_ALU | CB_ADD | CB_K, (uint32_t)ka);
    } else {
        to_x(g, b, ib);
        to_a(g, a, ia);
        emit(g, CB_ALU | alu_of(op) | CB_X, 0);
    }
    push_a(g, r);
}

#define gen_ADD gen_binop
#define gen_SUB gen_binop
#define gen_MUL gen_binop
#define gen_DIV gen_binop
#define gen_MOD gen_binop
#define gen_AND gen_binop
#define gen_OR gen_binop
#define gen_XOR gen_binop
#define gen_SHL gen_binop
#define gen_SHR gen_binop

static void gen_NOT(gen_t *g, const vfmi_insn_t *in)
{
    (void)in;
    unsigned ia;
    entry_t a = pop(g, &ia);
    uint64_t k;
    if (is_k(a, &k)) {
        push_k(g, ~k);
        return;
    }
    to_a(g, a, ia);
    emit(g, CB_ALU | CB_XOR | CB_K, UINT32_MAX);
    push_a(g, vfmi_cb_range_not(a.r));
}

/* EQ..LE: feed a following JZ/JNZ/RET directly, else materialise 0/1. */
static void gen_compare(gen_t *g, const vfmi_insn_t *in)
{
    uint8_t c = in->info->code;
    unsigned ib, ia;
    entry_t b = pop(g, &ib), a = pop(g, &ia);
    vfmi_insn_t j;
    if (peek(g, in->next, &j)) {
        if (j.info->code == VFM_OP_JZ || j.info->code == VFM_OP_JNZ) {
            g->skip = j.next;
            g->in = &j; /* messages name the jump */
            cond_jump(g, j.info->code == VFM_OP_JNZ ? c : negate(c), a, ia, b, ib,
                      (uint32_t)j.target);
            g->in = in;
            return;
        }
        if (j.info->code == VFM_OP_RET) {
            g->skip = j.next;
            cond_ret(g, c, a, ia, b, ib);
            return;
        }
    }
    uint32_t one = vfmi_cb_label_new(g->b), zero_l = vfmi_cb_label_new(g->b),
             done = vfmi_cb_label_new(g->b);
    int known = branch(g, c, a, ia, b, ib, one, zero_l);
    if (known >= 0) {
        push_k(g, (uint64_t)known);
        return;
    }
    bind(g, zero_l);
    emit(g, CB_LD | CB_IMM, 0);
    vfmi_cb_emit_ja(g->b, done);
    bind(g, one);
    emit(g, CB_LD | CB_IMM, 1);
    bind(g, done);
    push_a(g, vfmi_cb_range_of(0, 1));
}

#define gen_EQ gen_compare
#define gen_NE gen_compare
#define gen_GT gen_compare
#define gen_LT gen_compare
#define gen_GE gen_compare
#define gen_LE gen_compare

/* ---- control flow --------------------------------------------------------- */

static void gen_JMP(gen_t *g, const vfmi_insn_t *in)
{
    uint32_t to = (uint32_t)in->target;
    if (to <= in->pc) {
        fail(g, "jump back to pc %u: loops cannot be expressed in classic BPF", to);
        return;
    }
    canonicalize(g, g->proof->depth[to]);
    if (g->err)
        return;
    edge(g, to);
    vfmi_cb_emit_ja(g->b, target_of(g, to)->label);
    g->live = false;
}

static void gen_jcc(gen_t *g, const vfmi_insn_t *in)
{
    /* JEQ..JLE test what EQ..LE compute, in the same order. */
    uint8_t c = (uint8_t)(VFM_OP_EQ + (in->info->code - VFM_OP_JEQ));
    unsigned ib, ia;
    entry_t b = pop(g, &ib), a = pop(g, &ia);
    cond_jump(g, c, a, ia, b, ib, (uint32_t)in->target);
}

#define gen_JEQ gen_jcc
#define gen_JNE gen_jcc
#define gen_JGT gen_jcc
#define gen_JLT gen_jcc
#define gen_JGE gen_jcc
#define gen_JLE gen_jcc

static void gen_jz(gen_t *g, const vfmi_insn_t *in)
{
    unsigned ia;
    entry_t a = pop(g, &ia);
    cond_jump(g, in->info->code == VFM_OP_JZ ? VFM_OP_EQ : VFM_OP_NE, a, ia, zero, 0,
              (uint32_t)in->target);
}

#define gen_JZ gen_jz
#define gen_JNZ gen_jz

static void gen_RET(gen_t *g, const vfmi_insn_t *in)
{
    (void)in;
    unsigned ia;
    entry_t a = pop(g, &ia);
    cond_ret(g, VFM_OP_NE, a, ia, zero, 0);
}

/* ---- state and helpers ------------------------------------------------------ */

static void no_equivalent(gen_t *g, const vfmi_insn_t *in)
{
    (void)in;
    fail(g, "has no classic BPF equivalent (BPF keeps no state between packets)");
}

static void gen_HASH5(gen_t *g, const vfmi_insn_t *in)
{
    (void)in;
    fail(g, "has no classic BPF equivalent (the 5-tuple hash needs the IP header parsed)");
}

#define gen_FLOW_LOAD no_equivalent
#define gen_FLOW_STORE no_equivalent

static void gen_CALL(gen_t *g, const vfmi_insn_t *in)
{
    int32_t off;
    cb_range_t r;
    if (in->k == VFM_HELPER_VLAN_AVAIL) {
        off = CB_SKF_AD_VLAN_TAG_PRESENT;
        r = vfmi_cb_range_of(0, 1);
    } else if (in->k == VFM_HELPER_VLAN_TCI) {
        off = CB_SKF_AD_VLAN_TAG;
        r = vfmi_cb_range_of(0, 0xffff);
    } else {
        fail(g, "helper %llu has no classic BPF equivalent (only %d and %d, the VLAN ancillary "
                "data)",
             (unsigned long long)in->k, VFM_HELPER_VLAN_AVAIL, VFM_HELPER_VLAN_TCI);
        return;
    }
    free_a(g);
    /*
     * A byte load, as libpcap emits it: the kernel ignores the size, but on
     * Linux libpcap re-runs the filter in user space over the first ring
     * blocks and knows these offsets only as `ldb` (where vlan_tci is the
     * VLAN id alone; the range above covers both).
     */
    emit(g, CB_LD | CB_B | CB_ABS, (uint32_t)(CB_SKF_AD_OFF + off));
    push_a(g, r);
}

/* ---- driver ------------------------------------------------------------------ */

typedef void (*gen_fn)(gen_t *, const vfmi_insn_t *);

static const gen_fn handlers[256] = {
#define VFM_OP(name, code, opnd, pops, pushes, flags, doc) [code] = gen_##name,
#include "vfm/opcodes.def"
#undef VFM_OP
};

/* Jump targets get a label and a slot for their merged ranges. */
static int find_targets(gen_t *g)
{
    uint32_t n = 0;
    for (uint32_t pc = 0; pc < g->len; pc++)
        if (g->proof->depth[pc] != VFMI_DEPTH_NONE && (g->proof->pcflags[pc] & VFMI_PC_TARGET))
            n++;
    g->tidx = malloc((size_t)g->len * sizeof *g->tidx);
    g->t = calloc(n ? n : 1, sizeof *g->t);
    if (!g->tidx || !g->t)
        return VFM_ERROR_NO_MEMORY;
    n = 0;
    for (uint32_t pc = 0; pc < g->len; pc++) {
        g->tidx[pc] = UINT32_MAX;
        if (g->proof->depth[pc] != VFMI_DEPTH_NONE && (g->proof->pcflags[pc] & VFMI_PC_TARGET)) {
            g->tidx[pc] = n;
            g->t[n++].label = vfmi_cb_label_new(g->b);
        }
    }
    return VFM_SUCCESS;
}

int vfmi_cb_generate(const uint8_t *code, const vfmi_proof_t *proof, const vfm_verify_opts_t *vopts,
                uint32_t snaplen, cb_buf_t *out, vfm_diag_t *diag)
{
    (void)vopts;
    gen_t *g = calloc(1, sizeof *g);
    if (!g)
        return vfmi_fail(diag, VFM_ERROR_NO_MEMORY, VFM_NO_PC, "out of memory translating");
    *g = (gen_t){.code = code, .proof = proof, .len = proof->len, .snaplen = snaplen, .b = out,
                 .diag = diag, .live = true, .reject = UINT32_MAX, .a_home = -1};
    int rc = find_targets(g);
    vfmi_insn_t in;
    for (uint32_t pc = 0; rc == VFM_SUCCESS && pc < g->len && !g->err; pc = in.next) {
        vfmi_decode(code, g->len, pc, &in);
        g->in = &in;
        if (proof->depth[pc] == VFMI_DEPTH_NONE || pc < g->skip)
            continue;
        if (proof->pcflags[pc] & VFMI_PC_TARGET)
            enter(g, pc);
        if (!g->live || g->err)
            continue;
        if (g->depth != proof->depth[pc]) {
            bug(g, "stack depth differs from the verifier's");
            break;
        }
        gen_fn fn = handlers[in.info->code];
        if (!fn) {
            bug(g, "opcode not handled");
            break;
        }
        fn(g, &in);
        if (g->depth > VFM_STACK_MAX)
            bug(g, "stack overflow");
    }
    if (rc == VFM_SUCCESS && !g->err && g->live) {
        g->in = &in;
        bug(g, "execution falls off the end");
    }
    if (rc == VFM_SUCCESS && !g->err && g->reject != UINT32_MAX) {
        vfmi_cb_label_bind(out, g->reject);
        vfmi_cb_emit(out, CB_RET | CB_K, 0);
    }
    if (rc == VFM_SUCCESS && out->oom)
        rc = VFM_ERROR_NO_MEMORY;
    if (rc == VFM_ERROR_NO_MEMORY)
        vfmi_fail(diag, rc, VFM_NO_PC, "out of memory translating to classic BPF");
    else if (g->err)
        rc = g->err;
    free(g->tidx);
    free(g->t);
    free(g);
    return rc;
}
