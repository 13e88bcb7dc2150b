/*
 * gen.c - the random program generator (see gen.h).
 *
 * Code is built as a list of instructions with symbolic jump targets
 * (labels), then laid out and encoded.  While emitting, `d` is the stack
 * depth the verifier will compute before the next instruction:
 *   - a forward jump to a label lowers the label's pending depth to the
 *     depth on that edge; placing the label sets the depth to the minimum of
 *     it and the fall-through depth (the verifier's join rule);
 *   - a backward jump is emitted only when its edge depth is at least the
 *     depth already fixed at the target, so it never changes a depth the
 *     code after the target was generated for;
 *   - after RET or JMP, the next instruction must be a label with incoming
 *     edges, so no code is unreachable.
 * A counted loop keeps its counter below a `floor` that the loop body may not
 * pop through; the labels a body leaves pending are placed after the loop.
 */
#include "gen.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- random numbers ------------------------------------------------------- */

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

void vfmg_seed(vfmg_rng_t *r, uint64_t seed)
{
    pg_rng_seed(r, seed);
}

uint64_t vfmg_next(vfmg_rng_t *r)
{
    return pg_rng_next(r);
}

uint32_t vfmg_below(vfmg_rng_t *r, uint32_t n)
{
    return n ? (uint32_t)((vfmg_next(r) >> 32) % n) : 0;
}

int vfmg_chance(vfmg_rng_t *r, uint32_t permille)
{
    return vfmg_below(r, 1000) < permille;
}

uint64_t vfmg_program_seed(uint64_t seed, uint64_t index)
{
    return splitmix64(splitmix64(seed) ^ (index * 0xd1b54a32d192ed03u));
}

/* ---- opcode classes, from the ISA table ----------------------------------- */

enum { C_LD, C_LDX, C_PUSH, C_JCC, C_JMP, C_RET, C_CALL, C_PLAIN, NCLASSES };

typedef struct classes {
    const vfm_opinfo_t *op[NCLASSES][256];
    unsigned n[NCLASSES];
} classes_t;

/*
 * Sort every opcode into the class that says how to generate it.  An opcode
 * that fits none (a new operand kind, say) stops the generator loudly: it
 * would otherwise silently go untested.
 */
static void classify(classes_t *c)
{
    memset(c, 0, sizeof *c);
    for (unsigned code = 0; code < 256; code++) {
        const vfm_opinfo_t *in = vfm_opinfo((uint8_t)code);
        if (!in)
            continue;
        int k = -1;
        if (in->operand == VFM_OPND_OFF16 && (in->flags & VFM_F_PKT))
            k = in->pops == 0 ? C_LD : in->pops == 1 && in->pushes == 1 ? C_LDX : -1;
        else if (in->flags & VFM_F_PUSH)
            k = in->pops == 0 && in->pushes == 1 ? C_PUSH : -1;
        else if (in->operand == VFM_OPND_REL16 && (in->flags & VFM_F_JUMP))
            k = (in->flags & VFM_F_NOFALL) ? (in->pops == 0 ? C_JMP : -1) : C_JCC;
        else if (in->operand == VFM_OPND_HELPER16 && (in->flags & VFM_F_CALL))
            k = C_CALL;
        else if (in->operand == VFM_OPND_NONE && (in->flags & VFM_F_NOFALL))
            k = in->pops == 1 ? C_RET : -1;
        else if (in->operand == VFM_OPND_NONE && !(in->flags & (VFM_F_JUMP | VFM_F_CALL)))
            k = C_PLAIN;
        if (k < 0) {
            fprintf(stderr, "gen: opcode %s (0x%02x) does not fit any class the generator knows; "
                            "teach gen.c to generate it\n", in->name, code);
            abort();
        }
        c->op[k][c->n[k]++] = in;
    }
    for (int k = 0; k < NCLASSES; k++)
        if (!c->n[k]) {
            fprintf(stderr, "gen: the ISA table has no opcode of class %d\n", k);
            abort();
        }
}

/* ---- the program being built ---------------------------------------------- */

#define NO_LABEL (-1)
#define MAX_NEST 2 /* counted loops inside counted loops */

typedef struct ginsn {
    const vfm_opinfo_t *info;
    uint64_t k;  /* raw operand bits */
    int label;   /* jump target, NO_LABEL otherwise */
} ginsn_t;

typedef struct glabel {
    bool placed;
    uint32_t at;     /* placed: index of the instruction that follows */
    uint32_t depth;  /* placed: the verifier's depth; pending: min over edges so far */
    uint32_t maxin;  /* max over edges, to count uneven joins */
    uint32_t nin;    /* edges so far */
    int region;      /* loop region that must place it */
} glabel_t;

typedef struct gen {
    vfmg_rng_t rng;
    classes_t cls;
    vfmg_stats_t *st;
    ginsn_t *insn;
    uint32_t n, cap;
    glabel_t *lab;
    uint32_t nlab, caplab;
    bool oom;
    uint32_t d;        /* depth before the next instruction (when reach) */
    bool reach;        /* the next instruction is reached by fall-through */
    uint32_t floor;    /* random ops keep the depth >= floor (loop counters) */
    int region, nregions, nest;
    int rstack[MAX_NEST + 1]; /* regions of the loops we are in; rstack[nest] == region */
    bool loops;        /* backward jumps allowed */
    bool finishing;    /* no new labels: close every pending one */
    uint32_t soft_max; /* preferred maximum depth */
    bool push0_last;   /* the last instruction pushed the constant 0 */
    uint32_t edges[VFMG_EDGES]; /* see vfmg_program_t */
    unsigned nedges;
} gen_t;

/* Remember a load offset; when the list is full, replace a random one. */
static void note_edge(gen_t *g, uint64_t off)
{
    if (off > VFM_CODE_MAX + 64u)
        return;
    if (g->nedges < VFMG_EDGES)
        g->edges[g->nedges++] = (uint32_t)off;
    else
        g->edges[vfmg_below(&g->rng, VFMG_EDGES)] = (uint32_t)off;
}

static ginsn_t *emit(gen_t *g, const vfm_opinfo_t *in, uint64_t k, int label)
{
    static ginsn_t dummy;
    if (g->n == g->cap) {
        uint32_t cap = g->cap ? 2 * g->cap : 256;
        ginsn_t *p = realloc(g->insn, cap * sizeof *p);
        if (!p) {
            g->oom = true;
            return &dummy;
        }
        g->insn = p;
        g->cap = cap;
    }
    ginsn_t *i = &g->insn[g->n++];
    i->info = in;
    i->k = k;
    i->label = label;
    if (g->st)
        g->st->ops[in->code]++;
    g->push0_last = (in->flags & VFM_F_PUSH) && k == 0;
    return i;
}

static const vfm_opinfo_t *byname(const char *name)
{
    const vfm_opinfo_t *in = vfm_opinfo_by_name(name, (unsigned)strlen(name));
    if (!in) {
        fprintf(stderr, "gen: the ISA has no %s, which an idiom uses\n", name);
        abort();
    }
    return in;
}

/* Stack effect of @p in (CALL through the helper table). */
static void effect(const vfm_opinfo_t *in, uint64_t k, unsigned *pops, unsigned *pushes)
{
    *pops = in->pops;
    *pushes = in->pushes;
    if (in->flags & VFM_F_CALL) {
        for (unsigned r = 0; r < VFMG_NHELPERS; r++)
            if (vfmg_helper_id(r) == k) {
                *pops = vfmg_helper(r)->pops;
                *pushes = vfmg_helper(r)->pushes;
            }
    }
}

/* Emit a straight-line instruction and apply its stack effect. */
static void op(gen_t *g, const vfm_opinfo_t *in, uint64_t k)
{
    unsigned pops, pushes;
    effect(in, k, &pops, &pushes);
    if (g->d < pops || g->d - pops + pushes > VFM_STACK_MAX) {
        fprintf(stderr, "gen: bug: %s at depth %u\n", in->name, g->d);
        abort();
    }
    /* The verifier rejects DIV/MOD right after a constant 0 (no jump target between). */
    if ((in->flags & VFM_F_DIV) && g->push0_last)
        emit(g, byname("NOT"), 0, NO_LABEL);
    emit(g, in, k, NO_LABEL);
    g->d = g->d - pops + pushes;
    if ((in->flags & VFM_F_PKT) && in->pops == 0)
        note_edge(g, k);
}

static const vfm_opinfo_t *pick(gen_t *g, int cls)
{
    return g->cls.op[cls][vfmg_below(&g->rng, g->cls.n[cls])];
}

static int new_label(gen_t *g)
{
    if (g->nlab == g->caplab) {
        uint32_t cap = g->caplab ? 2 * g->caplab : 64;
        glabel_t *p = realloc(g->lab, cap * sizeof *p);
        if (!p) {
            g->oom = true;
            return NO_LABEL;
        }
        g->lab = p;
        g->caplab = cap;
    }
    glabel_t *l = &g->lab[g->nlab];
    memset(l, 0, sizeof *l);
    l->region = g->region;
    return (int)g->nlab++;
}

/* ---- values --------------------------------------------------------------- */

static uint64_t pick_const(gen_t *g)
{
    static const uint64_t edge[] = {
        0, 1, 2, 3, 4, 6, 7, 8, 14, 15, 17, 20, 23, 31, 32, 33, 53, 63, 64, 65, 80, 127, 128,
        255, 256, 443, 1400, 0x0800, 0x86dd, 0x1fff, 0x7fff, 0x8000, 0xffff, 0x10000,
        0x7fffffff, 0x80000000u, 0xffffffffu, 0x100000000u, 0x7fffffffffffffffu,
        0x8000000000000000u, 0xfffffffffffffffeu, 0xffffffffffffffffu};
    switch (vfmg_below(&g->rng, 8)) {
    case 0:
    case 1:
        return vfmg_below(&g->rng, 17);
    case 2:
    case 3:
        return edge[vfmg_below(&g->rng, sizeof edge / sizeof edge[0])];
    case 4:
        return vfmg_next(&g->rng);
    case 5: {
        uint64_t v = (uint64_t)1 << vfmg_below(&g->rng, 64);
        return v + (uint64_t)vfmg_below(&g->rng, 3) - 1;
    }
    case 6:
        return (uint64_t)0 - vfmg_below(&g->rng, 300);
    default:
        return vfmg_below(&g->rng, 2000);
    }
}

/* A push instruction for @p v: the shortest form that holds it, or a random one (truncating). */
static void push_const(gen_t *g, uint64_t v)
{
    const vfm_opinfo_t *in = NULL;
    if (vfmg_chance(&g->rng, 700)) {
        /* shortest exact form, as the assembler would choose */
        for (unsigned i = 0; i < g->cls.n[C_PUSH]; i++) {
            const vfm_opinfo_t *c = g->cls.op[C_PUSH][i];
            unsigned bits = 8 * vfm_operand_size(c->operand);
            bool fits = bits >= 64 || (c->operand == VFM_OPND_IMM8
                                           ? (int64_t)v >= -128 && (int64_t)v <= 127
                                           : v < ((uint64_t)1 << bits));
            if (fits && (!in || c->size < in->size))
                in = c;
        }
    }
    if (!in)
        in = pick(g, C_PUSH);
    unsigned bits = 8 * vfm_operand_size(in->operand);
    uint64_t k = bits >= 64 ? v : v & (((uint64_t)1 << bits) - 1);
    op(g, in, k);
}

/* A packet offset: mostly inside short packets, some near the edges of any packet. */
static uint64_t pick_offset(gen_t *g)
{
    static const uint16_t fields[] = {12, 13, 14, 16, 20, 22, 23, 26, 30, 34, 36, 38, 54, 56, 60};
    unsigned r = vfmg_below(&g->rng, 100);
    if (r < 45)
        return vfmg_below(&g->rng, 40);
    if (r < 65)
        return fields[vfmg_below(&g->rng, sizeof fields / sizeof fields[0])];
    if (r < 75)
        return vfmg_below(&g->rng, 128);
    if (r < 83)
        return vfmg_below(&g->rng, 1620);
    if (r < 90)
        return 1500 + vfmg_below(&g->rng, 20) - 10; /* around an MTU-sized packet's end */
    if (r < 95)
        return 0xffff - vfmg_below(&g->rng, 10);    /* the largest offsets */
    return 54 + vfmg_below(&g->rng, 12);            /* around a minimum frame's end */
}

/* Push one value from a leaf source (no pops). */
static void leaf(gen_t *g)
{
    switch (vfmg_below(&g->rng, 10)) {
    case 0:
    case 1:
    case 2:
    case 3:
        push_const(g, pick_const(g));
        break;
    case 4:
    case 5:
    case 6:
        op(g, pick(g, C_LD), pick_offset(g));
        break;
    default: {
        /* another value-only instruction from the table (LEN, HASH5, ...) */
        for (int tries = 0; tries < 8; tries++) {
            const vfm_opinfo_t *in = pick(g, C_PLAIN);
            if (in->pops == 0 && in->pushes == 1) {
                op(g, in, 0);
                return;
            }
        }
        push_const(g, pick_const(g));
    }
    }
}

/* Make sure @p pops values sit above the floor (pushing leaves), if the stack allows. */
static bool need(gen_t *g, unsigned pops)
{
    if (g->floor + pops > VFM_STACK_MAX - 1)
        return false;
    while (g->d < g->floor + pops)
        leaf(g);
    return true;
}

/* ---- control flow --------------------------------------------------------- */

/* Is label @p l made by a loop we are in (or the top level)? Then we may jump to it. */
static bool in_scope(const gen_t *g, const glabel_t *l)
{
    for (int i = 0; i <= g->nest; i++)
        if (g->rstack[i] == l->region)
            return true;
    return false;
}

/*
 * A pending label: one this region may place (@p to_place), or one it may
 * jump to forward (its own, or an enclosing loop's: an exit).  NO_LABEL if none.
 */
static int pending(gen_t *g, bool to_place)
{
    int found = NO_LABEL, seen = 0;
    for (uint32_t i = 0; i < g->nlab; i++) {
        glabel_t *l = &g->lab[i];
        if (l->placed || !l->nin)
            continue;
        if (to_place ? l->region != g->region : !in_scope(g, l))
            continue;
        if (vfmg_below(&g->rng, ++seen) == 0)
            found = (int)i;
    }
    return found;
}

static int pending_label(gen_t *g)
{
    return pending(g, true);
}

/* An edge with depth @p depth to label @p li (forward: still pending). */
static void edge_to(gen_t *g, int li, uint32_t depth)
{
    glabel_t *l = &g->lab[li];
    if (l->placed) { /* backward: never lowers the fixed depth (see the file comment) */
        if (depth < l->depth) {
            fprintf(stderr, "gen: bug: backward edge at depth %u to depth %u\n", depth, l->depth);
            abort();
        }
        l->nin++;
        return;
    }
    if (!l->nin || depth < l->depth)
        l->depth = depth;
    if (!l->nin || depth > l->maxin)
        l->maxin = depth;
    l->nin++;
}

static void place(gen_t *g, int li)
{
    glabel_t *l = &g->lab[li];
    uint32_t dep = l->nin ? l->depth : g->d;
    if (g->reach) {
        if (l->nin && g->d != l->depth)
            l->maxin = g->d > l->maxin ? g->d : l->maxin;
        if (g->d < dep)
            dep = g->d;
    }
    if (g->st && l->maxin != dep && l->nin)
        g->st->uneven_joins++;
    l->placed = true;
    l->at = g->n;
    l->depth = dep;
    g->d = dep;
    g->reach = true;
    g->push0_last = false; /* the verifier's constant-divisor check stops at a jump target */
}

/* A forward target: an existing pending label of this region, or a new one. */
static int forward_target(gen_t *g)
{
    int li = vfmg_chance(&g->rng, 500) || g->finishing ? pending(g, !!g->finishing) : NO_LABEL;
    if (li == NO_LABEL && !g->finishing)
        li = new_label(g);
    return li;
}

/* A conditional jump (any Jcc from the table) forward, or backward when allowed. */
static void jcc(gen_t *g, const vfm_opinfo_t *in)
{
    if (!need(g, in->pops))
        return;
    uint32_t after = g->d - in->pops;
    int li = NO_LABEL;
    if (g->loops && vfmg_chance(&g->rng, 150)) {
        int seen = 0;
        for (uint32_t i = 0; i < g->nlab; i++)
            if (g->lab[i].placed && g->lab[i].depth <= after && vfmg_below(&g->rng, ++seen) == 0)
                li = (int)i;
        if (li != NO_LABEL && g->st)
            g->st->back_jumps++;
    }
    if (li == NO_LABEL)
        li = forward_target(g);
    if (li == NO_LABEL || g->oom)
        return;
    emit(g, in, 0, li);
    g->d = after;
    edge_to(g, li, after);
}

/* Can the current path end here (RET, JMP) and code continue at a pending label? */
static bool can_end_path(gen_t *g)
{
    for (uint32_t i = 0; i < g->nlab; i++)
        if (!g->lab[i].placed && g->lab[i].nin && g->lab[i].region == g->region)
            return true;
    return g->region == 0 && !g->finishing;
}

static void end_path_ret(gen_t *g)
{
    if ((vfmg_chance(&g->rng, 300) && g->d < VFM_STACK_MAX) || g->d == 0)
        push_const(g, vfmg_chance(&g->rng, 500) ? vfmg_below(&g->rng, 2) : pick_const(g));
    op(g, pick(g, C_RET), 0);
    g->reach = false;
}

static void jmp(gen_t *g)
{
    int li = NO_LABEL;
    if (g->loops && vfmg_chance(&g->rng, 300)) {
        int seen = 0;
        for (uint32_t i = 0; i < g->nlab; i++)
            if (g->lab[i].placed && g->lab[i].depth <= g->d && vfmg_below(&g->rng, ++seen) == 0)
                li = (int)i;
        if (li != NO_LABEL && g->st)
            g->st->back_jumps++;
    }
    if (li == NO_LABEL)
        li = forward_target(g);
    if (li == NO_LABEL || g->oom)
        return;
    emit(g, pick(g, C_JMP), 0, li);
    edge_to(g, li, g->d);
    g->reach = false;
}

/* ---- idioms --------------------------------------------------------------- */

/* Bytes a load reads: the table has no column for it, the mnemonic says it (LD16, LDX64). */
static unsigned width(const vfm_opinfo_t *in)
{
    const char *digits = in->name + strcspn(in->name, "0123456789");
    unsigned bits = (unsigned)atoi(digits);
    if (bits != 8 && bits != 16 && bits != 32 && bits != 64) {
        fprintf(stderr, "gen: cannot tell how many bytes %s loads\n", in->name);
        abort();
    }
    return bits / 8;
}

/* LDX with a computed base: len - s (wraps when short), 4 * IHL, a constant, or what is there. */
static void idiom_ldx(gen_t *g)
{
    switch (vfmg_below(&g->rng, 4)) {
    case 0:
        op(g, byname("LEN"), 0);
        push_const(g, vfmg_below(&g->rng, 70));
        op(g, byname("SUB"), 0);
        break;
    case 1: {
        /* x = 4 * IHL is at most 60: a JIT may bound it and skip checks that an
         * earlier constant load already made; a guard load ending right around
         * 60 + k + n tests exactly that reasoning. */
        uint64_t k = vfmg_below(&g->rng, 64);
        const vfm_opinfo_t *ldx = pick(g, C_LDX);
        if (vfmg_chance(&g->rng, 400)) {
            const vfm_opinfo_t *ld = pick(g, C_LD);
            uint64_t end = 60 + k + width(ldx) + vfmg_below(&g->rng, 3) - 1;
            op(g, ld, end - width(ld));
            if (vfmg_chance(&g->rng, 500))
                op(g, byname("POP"), 0);
        }
        op(g, byname("LD8"), vfmg_chance(&g->rng, 800) ? 14 : pick_offset(g));
        push_const(g, 0x0f);
        op(g, byname("AND"), 0);
        if (vfmg_chance(&g->rng, 700)) {
            push_const(g, 2);
            op(g, byname("SHL"), 0);
        } else {
            push_const(g, 4);
            op(g, byname("MUL"), 0);
        }
        note_edge(g, 60 + k);
        note_edge(g, 20 + k);
        op(g, ldx, k);
        return;
    }
    case 2:
        push_const(g, pick_const(g));
        break;
    default:
        if (!need(g, 1))
            return;
    }
    op(g, pick(g, C_LDX), vfmg_chance(&g->rng, 900) ? vfmg_below(&g->rng, 64) : pick_offset(g));
}

/* The sequences the interpreter fuses, so a JIT that fuses them too gets exercised. */
static void idiom_fused(gen_t *g)
{
    static const char *const alu[] = {"ADD", "SUB", "MUL", "DIV", "MOD", "AND",
                                      "OR", "XOR", "SHL", "SHR", "EQ", "NE",
                                      "GT", "LT", "GE", "LE"};
    switch (vfmg_below(&g->rng, 5)) {
    case 0: { /* value; PUSH k; ALU (k != 0 for DIV/MOD: the verifier rejects a constant 0) */
        if (!need(g, 1))
            return;
        const vfm_opinfo_t *in = byname(alu[vfmg_below(&g->rng, 16)]);
        uint64_t k = pick_const(g);
        if ((in->flags & VFM_F_DIV) && k == 0)
            k = 1 + vfmg_below(&g->rng, 9);
        push_const(g, k);
        op(g, in, 0);
        break;
    }
    case 1: /* LDn k; PUSH c; Jcc */
        op(g, pick(g, C_LD), pick_offset(g));
        push_const(g, pick_const(g));
        jcc(g, pick(g, C_JCC));
        break;
    case 2: { /* LDn k; PUSH m; AND; JNZ|JZ */
        op(g, pick(g, C_LD), pick_offset(g));
        push_const(g, pick_const(g));
        op(g, byname("AND"), 0);
        jcc(g, byname(vfmg_chance(&g->rng, 500) ? "JNZ" : "JZ"));
        break;
    }
    case 3: /* shifts by run-time amounts (packet bytes reach 255) */
        if (!need(g, 1))
            return;
        op(g, byname("LD8"), pick_offset(g));
        op(g, byname(vfmg_chance(&g->rng, 500) ? "SHL" : "SHR"), 0);
        break;
    default: /* division by a run-time value that is often 0 */
        if (!need(g, 1))
            return;
        if (vfmg_chance(&g->rng, 500))
            op(g, byname("LD8"), pick_offset(g));
        else {
            push_const(g, vfmg_below(&g->rng, 3));
            push_const(g, vfmg_below(&g->rng, 2));
            op(g, byname("AND"), 0);
        }
        op(g, byname(vfmg_chance(&g->rng, 500) ? "DIV" : "MOD"), 0);
    }
}

/* Flow-table use that makes state matter: per-flow counters, small shared keys. */
static void idiom_flow(gen_t *g)
{
    if (vfmg_chance(&g->rng, 500))
        op(g, byname("HASH5"), 0);
    else
        push_const(g, vfmg_below(&g->rng, 12));
    op(g, byname("DUP"), 0);
    op(g, byname("FLOW_LOAD"), 0);
    push_const(g, 1 + vfmg_below(&g->rng, 3));
    op(g, byname("ADD"), 0);
    if (vfmg_chance(&g->rng, 500)) {
        op(g, byname("FLOW_STORE"), 0);
    } else { /* keep the new count: key count -> count key count */
        op(g, byname("DUP"), 0);
        op(g, byname("SWAP"), 0);
        op(g, byname("POP"), 0);
        op(g, byname("OVER"), 0);
        op(g, byname("OVER"), 0);
        op(g, byname("FLOW_STORE"), 0);
        op(g, byname("SWAP"), 0);
        op(g, byname("POP"), 0);
    }
}

static void call(gen_t *g)
{
    unsigned row = vfmg_below(&g->rng, VFMG_NHELPERS);
    const vfm_helper_t *h = vfmg_helper(row);
    if (!need(g, h->pops))
        return;
    if (g->d - h->pops + h->pushes > VFM_STACK_MAX)
        return;
    /* h_check fails on multiples of 16: feed it small constants some of the time. */
    op(g, pick(g, C_CALL), vfmg_helper_id(row));
}

static void steps(gen_t *g, unsigned n);

/* PUSH n; H: body; POP to the counter; PUSH 1; SUB; DUP; JNZ H (the counter is 0 after). */
static void counted_loop(gen_t *g)
{
    if (g->d + 4 >= g->soft_max + 8 || g->d + 12 > VFM_STACK_MAX)
        return;
    push_const(g, vfmg_chance(&g->rng, 900) ? vfmg_below(&g->rng, 6) : pick_const(g));
    int h = new_label(g);
    if (h == NO_LABEL)
        return;
    place(g, h);
    uint32_t outer_floor = g->floor;
    g->region = ++g->nregions;
    g->rstack[++g->nest] = g->region;
    g->floor = g->d;
    steps(g, 1 + vfmg_below(&g->rng, 12));
    /* Close the body: every label it left pending is placed before the back jump. */
    for (;;) {
        if (!g->reach) {
            int li = pending_label(g);
            if (li == NO_LABEL) {
                fprintf(stderr, "gen: bug: a loop body ended with no way to continue\n");
                abort();
            }
            place(g, li);
        }
        int li = pending_label(g);
        if (li == NO_LABEL)
            break;
        place(g, li);
    }
    while (g->d > g->floor)
        op(g, byname("POP"), 0);
    /* Exits to enclosing loops' labels stay pending: the enclosing code places them. */
    g->region = g->rstack[--g->nest];
    g->floor = outer_floor;
    push_const(g, 1);
    op(g, byname("SUB"), 0);
    op(g, byname("DUP"), 0);
    emit(g, byname("JNZ"), 0, h);
    g->d -= 1;
    edge_to(g, h, g->d);
    if (g->st)
        g->st->back_jumps++;
}

/* One random step of straight-line code, a branch, a path end or a label. */
static void step(gen_t *g)
{
    if (!g->reach) {
        int li = pending_label(g);
        if (li == NO_LABEL)
            return; /* caller's problem: finish() handles it */
        place(g, li);
    }
    bool high = g->d >= g->soft_max;
    unsigned r = vfmg_below(&g->rng, 100);
    if (r < 20 && !high) {
        leaf(g);
    } else if (r < 45) {
        const vfm_opinfo_t *in = pick(g, C_PLAIN);
        if (high && in->pushes > in->pops)
            in = byname("POP");
        if (!need(g, in->pops) || g->d - in->pops + in->pushes > VFM_STACK_MAX)
            return;
        op(g, in, 0);
    } else if (r < 52 && !high) {
        idiom_fused(g);
    } else if (r < 56 && !high) {
        idiom_ldx(g);
    } else if (r < 59 && !high) {
        idiom_flow(g);
    } else if (r < 71) {
        jcc(g, pick(g, C_JCC));
    } else if (r < 75) {
        if (can_end_path(g) && !g->finishing)
            jmp(g);
    } else if (r < 80) {
        if (can_end_path(g))
            end_path_ret(g);
    } else if (r < 88) {
        int li = pending_label(g);
        if (li != NO_LABEL) {
            /* Sometimes a constant 0 right before a join: no fusing across jump targets. */
            if (vfmg_chance(&g->rng, 100) && g->d < VFM_STACK_MAX)
                push_const(g, 0);
            place(g, li);
        }
    } else if (r < 93) {
        call(g);
    } else if (r < 96) {
        if (g->loops && g->nest < MAX_NEST && !g->finishing)
            counted_loop(g);
    } else if (r < 98) {
        /* deep stacks: fill toward the limit, so spills and the top slots are covered */
        if (g->soft_max > 200)
            while (g->d < g->soft_max - vfmg_below(&g->rng, 8))
                leaf(g);
    } else if (g->d > g->floor) {
        op(g, byname("POP"), 0);
    }
}

static void steps(gen_t *g, unsigned n)
{
    for (unsigned i = 0; i < n && !g->oom; i++) {
        if (!g->reach && pending_label(g) == NO_LABEL)
            return;
        step(g);
    }
}

/* End every path: RET here, then place each pending label, a little code, RET. */
static void finish(gen_t *g)
{
    g->finishing = true;
    for (;;) {
        if (g->reach)
            end_path_ret(g);
        int li = pending_label(g);
        if (li == NO_LABEL || g->oom)
            break;
        place(g, li);
        steps(g, vfmg_below(&g->rng, 4));
    }
}

/* ---- layout and encoding -------------------------------------------------- */

static int encode(gen_t *g, vfmg_program_t *out)
{
    uint32_t *pc = malloc((g->n + 1) * sizeof *pc);
    if (!pc)
        return VFM_ERROR_NO_MEMORY;
    uint32_t len = 0;
    for (uint32_t i = 0; i < g->n; i++) {
        pc[i] = len;
        len += g->insn[i].info->size;
    }
    pc[g->n] = len;
    uint8_t *code = malloc(len ? len : 1);
    if (!code) {
        free(pc);
        return VFM_ERROR_NO_MEMORY;
    }
    for (uint32_t i = 0; i < g->n; i++) {
        const ginsn_t *in = &g->insn[i];
        uint8_t *p = code + pc[i];
        uint64_t k = in->k;
        if (in->label != NO_LABEL) {
            const glabel_t *l = &g->lab[in->label];
            int64_t rel = (int64_t)pc[l->at] - (int64_t)(pc[i] + in->info->size);
            if (!l->placed || rel < INT16_MIN || rel > INT16_MAX) {
                fprintf(stderr, "gen: bug: jump at insn %u to label %d out of reach\n", i,
                        in->label);
                abort();
            }
            k = (uint64_t)(uint16_t)(int16_t)rel;
        }
        p[0] = in->info->code;
        for (unsigned b = 1; b < in->info->size; b++, k >>= 8)
            p[b] = (uint8_t)k;
    }
    free(pc);
    out->code = code;
    out->len = len;
    out->ninsns = g->n;
    return VFM_SUCCESS;
}

int vfmg_generate(uint64_t seed, vfmg_program_t *out, vfmg_stats_t *stats)
{
    static const int linktypes[] = {0, 12, 14, 101, 108, 113, 228, 229, 276};
    memset(out, 0, sizeof *out);
    gen_t *g = calloc(1, sizeof *g);
    if (!g)
        return VFM_ERROR_NO_MEMORY;
    vfmg_seed(&g->rng, seed);
    classify(&g->cls);
    g->st = stats;
    g->reach = true;
    g->loops = vfmg_chance(&g->rng, 300);
    unsigned r = vfmg_below(&g->rng, 100);
    g->soft_max = r < 30 ? 6 : r < 92 ? 24 : VFM_STACK_MAX - 4;
    unsigned nsteps = vfmg_chance(&g->rng, 100) ? 100 + vfmg_below(&g->rng, 200)
                                                : 1 + vfmg_below(&g->rng, 40);
    steps(g, nsteps);
    finish(g);

    out->loop_limit = g->loops ? 1 + vfmg_below(&g->rng, vfmg_chance(&g->rng, 900) ? 40 : 300)
                               : 0;
    out->linktype = vfmg_chance(&g->rng, 750)
                        ? 1
                        : linktypes[vfmg_below(&g->rng, sizeof linktypes / sizeof linktypes[0])];
    r = vfmg_below(&g->rng, 10);
    out->flow_size = r < 5 ? 4 : r < 8 ? 64 : VFM_FLOW_DEFAULT_ENTRIES;

    memcpy(out->edges, g->edges, sizeof out->edges);
    out->nedges = g->nedges;
    int rc = g->oom ? VFM_ERROR_NO_MEMORY : encode(g, out);
    if (stats && rc == VFM_SUCCESS)
        stats->programs++;
    free(g->insn);
    free(g->lab);
    free(g);
    return rc;
}

void vfmg_program_free(vfmg_program_t *p)
{
    if (!p)
        return;
    free(p->code);
    memset(p, 0, sizeof *p);
}
