/*
 * predecode.c - verified code -> the interpreter's form (interp.h).
 *
 * Only reachable instructions are emitted, in pc order, so fall-through stays
 * fall-through.  Jump targets become array indexes.  Two things the bytecode
 * leaves implicit become explicit here, off the hot path:
 *   - an edge into a join with a smaller depth gets a DROPN (on fall-through,
 *     inline; on a taken jump, in a trampoline after the program);
 *   - a backward jump goes through a LOOP trampoline that charges the loop
 *     limit, so forward jumps (all of them, by default) pay nothing.
 * With @p fuse, common sequences become one superinstruction when no jump
 * lands inside them: PUSH k; OP  /  PUSH k; CMP  /  PUSH k; Jcc  /
 * LDn off; PUSH k; Jcc  /  LDn off; PUSH m; AND; JNZ|JZ  /  PUSH k; RET  /
 * LD8 off; PUSH 15; AND; PUSH 2; SHL (the IPv4 header length).
 */
#include <stdlib.h>
#include <string.h>

#include "interp.h"

static const uint16_t iop_of_byte[256] = {
#define VFM_OP(name, byte, opnd, pops, pushes, flags, doc) [byte] = VFMI_IOP_##name,
#include "vfm/opcodes.def"
#undef VFM_OP
};

/* Internal op for "PUSH k; <jump byte>", or 0 if none. */
static uint16_t cond_k(uint8_t jump)
{
    switch (jump) {
#define VFMI_X_(name, op) case VFM_OP_##name: return VFMI_IOP_##name##_K;
        VFMI_CONDS(VFMI_X_)
#undef VFMI_X_
    default: return 0;
    }
}

/* Internal op for "PUSH k; <alu byte>", or 0 if none. */
static uint16_t alu_k(uint8_t alu)
{
    switch (alu) {
#define VFMI_X_(name) case VFM_OP_##name: return VFMI_IOP_##name##_K;
        VFMI_ALU_K(VFMI_X_)
#undef VFMI_X_
    default: return 0;
    }
}

/* Internal op for "LDn off; PUSH k; <jump byte>", or 0 if none. */
static uint16_t ld_j_k(uint8_t ld, uint8_t jump)
{
#define VFMI_X_(l, j)                                                                      \
    if (ld == VFM_OP_##l && jump == VFM_OP_##j)                                             \
        return VFMI_IOP_##l##_##j##_K;
    VFMI_LD_J_K(VFMI_X_)
#undef VFMI_X_
    return 0;
}

/* Ops whose `a` is a jump target. */
static const bool iop_jumps[VFMI_IOP_COUNT] = {
#define VFM_OP(name, byte, opnd, pops, pushes, flags, doc)                                  \
    [VFMI_IOP_##name] = ((flags) & VFM_F_JUMP) != 0,
#include "vfm/opcodes.def"
#undef VFM_OP
#define VFMI_X_(name, o) [VFMI_IOP_##name##_K] = true,
    VFMI_CONDS(VFMI_X_)
#undef VFMI_X_
#define VFMI_X_(l, j) [VFMI_IOP_##l##_##j##_K] = true,
    VFMI_LD_J_K(VFMI_X_)
#undef VFMI_X_
#define VFMI_X_(l, t, j, test) [VFMI_IOP_##l##_##t] = true,
    VFMI_LD_TEST(VFMI_X_)
#undef VFMI_X_
};

/* Internal op for "PUSH k; <compare byte>", or 0 if none. */
static uint16_t cmp_k(uint8_t cmp)
{
    switch (cmp) {
#define VFMI_X_(name, op) case VFM_OP_##name: return VFMI_IOP_##name##_K;
        VFMI_CMP_K(VFMI_X_)
#undef VFMI_X_
    default: return 0;
    }
}

/* Internal op for "LDn off; PUSH m; AND; JNZ|JZ", or 0 if none. */
static uint16_t ld_test(uint8_t ld, uint8_t jump)
{
#define VFMI_X_(l, t, j, test)                                                             \
    if (ld == VFM_OP_##l && jump == VFM_OP_##j)                                             \
        return VFMI_IOP_##l##_##t;
    VFMI_LD_TEST(VFMI_X_)
#undef VFMI_X_
    return 0;
}

typedef struct builder {
    const uint8_t *code;
    const vfmi_proof_t *proof;
    const vfm_verify_opts_t *opts;
    vfmi_prog_t *prog;
    uint32_t *index;  /* pc -> insn index */
    uint32_t *target; /* insn index -> target pc (jumps only) */
    uint16_t *drop;   /* insn index -> values dropped on the taken edge */
} builder_t;

static vfmi_pinsn_t *emit(builder_t *b, uint16_t op, uint32_t pc)
{
    vfmi_pinsn_t *p = &b->prog->insn[b->prog->n++];
    memset(p, 0, sizeof *p);
    p->op = op;
    p->pc = pc;
    return p;
}

/* Depth after the instruction's pops, i.e. on its taken edge. */
static unsigned depth_after_pops(const builder_t *b, const vfmi_insn_t *in)
{
    unsigned pops, pushes;
    vfmi_stack_effect(in, b->opts, &pops, &pushes);
    return b->proof->depth[in->pc] - pops;
}

static void note_jump(builder_t *b, vfmi_pinsn_t *p, const vfmi_insn_t *jump)
{
    uint32_t i = (uint32_t)(p - b->prog->insn);
    b->target[i] = (uint32_t)jump->target;
    b->drop[i] = (uint16_t)(depth_after_pops(b, jump) - b->proof->depth[jump->target]);
}

/* Is the instruction after @p in a candidate to fuse with it? */
static bool next_fusable(const builder_t *b, const vfmi_insn_t *in, vfmi_insn_t *next)
{
    if ((in->info->flags & VFM_F_NOFALL) || in->next >= b->proof->len)
        return false;
    if (b->proof->pcflags[in->next] & (VFMI_PC_TARGET | VFMI_PC_JOIN))
        return false;
    return vfmi_decode(b->code, b->proof->len, in->next, next) == VFM_SUCCESS;
}

/* Up to @p max instructions following @p i0 that may fuse with it: run[0] = i0. */
static unsigned fusable_run(const builder_t *b, const vfmi_insn_t *i0, vfmi_insn_t *run,
                            unsigned max)
{
    unsigned n = 1;
    run[0] = *i0;
    while (n < max && next_fusable(b, &run[n - 1], &run[n]))
        n++;
    return n;
}

static bool is_push(const vfmi_insn_t *in, uint64_t k)
{
    return (in->info->flags & VFM_F_PUSH) && in->k == k;
}

/* The longer patterns: IHL scaling and bit tests on a loaded field. */
static bool emit_long_group(builder_t *b, const vfmi_insn_t *i0, vfmi_insn_t *last)
{
    vfmi_insn_t r[5];
    uint8_t op0 = i0->info->code;
    if (op0 < VFM_OP_LD8 || op0 > VFM_OP_LD64)
        return false;
    unsigned n = fusable_run(b, i0, r, 5);
    /* LD8 k; PUSH 15; AND; (PUSH 2; SHL | PUSH 4; MUL) */
    if (op0 == VFM_OP_LD8 && n == 5 && is_push(&r[1], 0x0f) && r[2].info->code == VFM_OP_AND &&
        ((is_push(&r[3], 2) && r[4].info->code == VFM_OP_SHL) ||
         (is_push(&r[3], 4) && r[4].info->code == VFM_OP_MUL))) {
        emit(b, VFMI_IOP_LDIHL, i0->pc)->a = (uint32_t)i0->k;
        *last = r[4];
        return true;
    }
    /* LDn k; PUSH m; AND; JNZ|JZ */
    if (n >= 4 && (r[1].info->flags & VFM_F_PUSH) && r[2].info->code == VFM_OP_AND) {
        uint16_t iop = ld_test(op0, r[3].info->code);
        if (iop) {
            vfmi_pinsn_t *p = emit(b, iop, i0->pc);
            p->n = (uint16_t)i0->k;
            p->k = r[1].k;
            note_jump(b, p, &r[3]);
            *last = r[3];
            return true;
        }
    }
    return false;
}

/* Emit the group starting with @p i0; returns its last ISA instruction in *last. */
static void emit_group(builder_t *b, const vfmi_insn_t *i0, bool fuse, vfmi_insn_t *last)
{
    vfmi_insn_t i1, i2;
    uint8_t op0 = i0->info->code;
    *last = *i0;
    if (fuse && emit_long_group(b, i0, last))
        return;
    if (fuse && (i0->info->flags & VFM_F_PUSH) && next_fusable(b, i0, &i1)) {
        uint8_t op1 = i1.info->code;
        uint16_t iop;
        if (op1 == VFM_OP_RET) {
            emit(b, VFMI_IOP_RET_K, i0->pc)->k = i0->k;
            *last = i1;
            return;
        }
        if ((iop = cond_k(op1))) {
            vfmi_pinsn_t *p = emit(b, iop, i0->pc);
            p->k = i0->k;
            note_jump(b, p, &i1);
            *last = i1;
            return;
        }
        if ((iop = cmp_k(op1))) {
            emit(b, iop, i0->pc)->k = i0->k;
            *last = i1;
            return;
        }
        if ((iop = alu_k(op1)) && !((i1.info->flags & VFM_F_DIV) && i0->k == 0)) {
            emit(b, iop, i0->pc)->k = i0->k;
            *last = i1;
            return;
        }
    }
    if (fuse && op0 >= VFM_OP_LD8 && op0 <= VFM_OP_LD64 && next_fusable(b, i0, &i1) &&
        (i1.info->flags & VFM_F_PUSH) && next_fusable(b, &i1, &i2)) {
        uint16_t iop = ld_j_k(op0, i2.info->code);
        if (iop) {
            vfmi_pinsn_t *p = emit(b, iop, i0->pc);
            p->n = (uint16_t)i0->k; /* offset; `a` becomes the jump target */
            p->k = i1.k;
            note_jump(b, p, &i2);
            *last = i2;
            return;
        }
    }
    vfmi_pinsn_t *p = emit(b, iop_of_byte[op0], i0->pc);
    if (i0->info->flags & VFM_F_JUMP) {
        note_jump(b, p, i0);
    } else if (i0->info->flags & VFM_F_CALL) {
        unsigned pops, pushes;
        vfmi_stack_effect(i0, b->opts, &pops, &pushes);
        p->a = (uint32_t)i0->k;
        p->n = (uint16_t)pops;
        p->k = pushes;
    } else if (i0->info->operand == VFM_OPND_OFF16) {
        p->a = (uint32_t)i0->k;
    } else {
        p->k = i0->k;
    }
}

/* Resolve jump targets; route edges that drop values or go backward via trampolines. */
static void link_jumps(builder_t *b, uint32_t nmain)
{
    for (uint32_t i = 0; i < nmain; i++) {
        vfmi_pinsn_t *p = &b->prog->insn[i];
        if (!iop_jumps[p->op])
            continue;
        uint32_t t = b->target[i];
        bool back = t <= p->pc;
        if (b->drop[i] == 0 && !back) {
            p->a = b->index[t];
            continue;
        }
        p->a = b->prog->n;
        if (b->drop[i])
            emit(b, VFMI_IOP_DROPN, VFMI_NO_PC)->n = b->drop[i];
        emit(b, back ? VFMI_IOP_LOOP : VFMI_IOP_JMP, VFMI_NO_PC)->a = b->index[t];
    }
}

int vfmi_predecode(const uint8_t *code, const vfmi_proof_t *proof, const vfm_verify_opts_t *opts,
                   bool fuse, vfmi_prog_t **out)
{
    static const vfm_verify_opts_t defaults = {0};
    builder_t b = {.code = code, .proof = proof, .opts = opts ? opts : &defaults};
    /* Each instruction: itself + a DROPN; each jump: a DROPN + JMP/LOOP trampoline. */
    size_t cap = (size_t)proof->ninsns * 4 + 1;
    b.prog = malloc(sizeof *b.prog + cap * sizeof(vfmi_pinsn_t));
    b.index = malloc(proof->len * sizeof *b.index);
    b.target = calloc(cap, sizeof *b.target);
    b.drop = calloc(cap, sizeof *b.drop);
    if (!b.prog || !b.index || !b.target || !b.drop) {
        free(b.prog);
        free(b.index);
        free(b.target);
        free(b.drop);
        return VFM_ERROR_NO_MEMORY;
    }
    b.prog->n = 0;

    vfmi_insn_t in, last;
    for (uint32_t pc = 0; pc < proof->len;) {
        vfmi_decode(code, proof->len, pc, &in);
        if (!(proof->pcflags[pc] & VFMI_PC_REACH)) {
            pc = in.next;
            continue;
        }
        b.index[pc] = b.prog->n;
        emit_group(&b, &in, fuse, &last);
        if (!(last.info->flags & VFM_F_NOFALL)) {
            unsigned pops, pushes;
            vfmi_stack_effect(&last, b.opts, &pops, &pushes);
            unsigned outd = proof->depth[last.pc] - pops + pushes;
            unsigned nextd = proof->depth[last.next];
            if (outd > nextd)
                emit(&b, VFMI_IOP_DROPN, VFMI_NO_PC)->n = (uint16_t)(outd - nextd);
        }
        pc = last.next;
    }
    link_jumps(&b, b.prog->n);

    free(b.index);
    free(b.target);
    free(b.drop);
    *out = b.prog;
    return VFM_SUCCESS;
}

void vfmi_prog_free(vfmi_prog_t *prog)
{
    free(prog);
}

size_t vfmi_prog_bytes(const vfmi_prog_t *prog)
{
    return prog ? sizeof *prog + (size_t)prog->n * sizeof prog->insn[0] : 0;
}
