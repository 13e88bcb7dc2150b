/*
 * emit.c - VFM code bytes, labels and forward jumps.
 *
 * Instructions are written straight from the ISA table (vfm_opinfo: size,
 * operand kind, stack effect), so this file lists no opcodes.  The emitter
 * tracks the stack depth and the path facts; code at a point no path reaches
 * (after JMP or RET, before a label something jumps to) is not emitted at
 * all, which is how dead branches vanish.  A JMP to the very next
 * instruction is deleted when its label is bound.  Jump offsets are patched
 * by vfli_emit_finish() once every label has a position.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vfm/isa.h"

void vfli_emit_init(emitter_t *e, vfl_ctx_t *c)
{
    memset(e, 0, sizeof *e);
    e->c = c;
    e->live = true;
    e->last_jmp = -1;
    e->last_insn = e->prev_insn = UINT32_MAX;
    vfli_facts_top(&e->facts);
}

static _Noreturn void internal(emitter_t *e, const char *what)
{
    vfli_fail(e->c, VFM_ERROR_VERIFICATION_FAILED, "internal compiler error: %s", what);
}

/* Grow an arena array of @p elem-byte items to hold @p need. */
static void *grow(vfl_ctx_t *c, void *old, uint32_t n, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return old;
    uint32_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *p = vfli_arena_alloc(c, (size_t)ncap * elem);
    if (n)
        memcpy(p, old, (size_t)n * elem);
    *cap = ncap;
    return p;
}

int vfli_emit_label(emitter_t *e)
{
    e->labels =
        grow(e->c, e->labels, e->nlabels, &e->labels_cap, e->nlabels + 1, sizeof *e->labels);
    label_t *l = &e->labels[e->nlabels];
    l->pos = LABEL_UNBOUND;
    l->depth = -1;
    l->used = false;
    return (int)e->nlabels++;
}

bool vfli_emit_label_used(const emitter_t *e, int label)
{
    return e->labels[label].used;
}

static uint8_t *reserve(emitter_t *e, uint32_t n)
{
    if (e->len + n > VFM_CODE_MAX)
        vfli_error(e->c, e->where, "program too large: more than %u bytes of code", VFM_CODE_MAX);
    e->code = grow(e->c, e->code, e->len, &e->cap, e->len + n, 1);
    uint8_t *p = e->code + e->len;
    e->len += n;
    return p;
}

/* Write one instruction and apply its stack effect. */
static void put(emitter_t *e, uint8_t opcode, uint64_t k)
{
    const vfm_opinfo_t *info = vfm_opinfo(opcode);
    if (!info)
        internal(e, "unknown opcode");
    if (e->depth < info->pops)
        internal(e, "stack underflow in generated code");
    e->prev_insn = e->last_insn;
    e->last_insn = e->len;
    uint8_t *p = reserve(e, info->size);
    p[0] = opcode;
    for (unsigned i = 1; i < info->size; i++, k >>= 8)
        p[i] = (uint8_t)k;
    e->depth += info->pushes - info->pops;
    if (e->depth > VFM_STACK_MAX)
        vfli_error(e->c, e->where, "expression too deep: it needs more than %d stack slots",
                   VFM_STACK_MAX);
}

void vfli_emit_op(emitter_t *e, uint8_t opcode, uint64_t k)
{
    if (!e->live)
        return;
    const vfm_opinfo_t *info = vfm_opinfo(opcode);
    if (!info || (info->flags & VFM_F_JUMP))
        internal(e, "vfli_emit_op used for a jump");
    put(e, opcode, k);
    e->last_jmp = -1;
    if (info->flags & VFM_F_NOFALL)
        e->live = false;
}

void vfli_emit_call(emitter_t *e, uint16_t id, int pops, int pushes)
{
    if (!e->live)
        return;
    if (e->depth < pops)
        internal(e, "stack underflow in generated code");
    put(e, VFM_OP_CALL, id); /* the table says 0/0 for CALL: the helper's effect follows */
    e->depth += pushes - pops;
    e->last_jmp = -1;
}

void vfli_emit_push(emitter_t *e, uint64_t k)
{
    if ((int64_t)k >= -128 && (int64_t)k <= 127)
        vfli_emit_op(e, VFM_OP_PUSH8, k);
    else if (k <= 0xffff)
        vfli_emit_op(e, VFM_OP_PUSH16, k);
    else if (k <= 0xffffffffu)
        vfli_emit_op(e, VFM_OP_PUSH32, k);
    else
        vfli_emit_op(e, VFM_OP_PUSH, k);
}

void vfli_emit_jump(emitter_t *e, uint8_t opcode, int label, const facts_t *taken)
{
    if (!e->live)
        return;
    const vfm_opinfo_t *info = vfm_opinfo(opcode);
    if (!info || !(info->flags & VFM_F_JUMP) || info->operand != VFM_OPND_REL16)
        internal(e, "vfli_emit_jump used for a non-jump");
    label_t *l = &e->labels[label];
    if (l->pos != LABEL_UNBOUND)
        internal(e, "backward jump");
    put(e, opcode, 0);
    e->fix = grow(e->c, e->fix, e->nfix, &e->fix_cap, e->nfix + 1, sizeof *e->fix);
    e->fix[e->nfix++] = (fixup_t){.at = e->len - 2, .label = (uint32_t)label};
    const facts_t *f = taken ? taken : &e->facts;
    if (!l->used) {
        l->used = true;
        l->facts = *f;
        l->depth = e->depth;
    } else {
        vfli_facts_meet(&l->facts, f);
        if (e->depth < l->depth)
            l->depth = e->depth;
    }
    if (info->flags & VFM_F_NOFALL) {
        e->live = false;
        e->last_jmp = label;
    } else {
        e->last_jmp = -1;
    }
}

void vfli_emit_bind(emitter_t *e, int label)
{
    label_t *l = &e->labels[label];
    if (l->pos != LABEL_UNBOUND)
        internal(e, "label bound twice");
    /* "JMP here" is a no-op: drop it; the code before it now falls through. */
    if (e->last_jmp == label && e->last_insn + 3 == e->len && e->nfix > 0 &&
        e->fix[e->nfix - 1].label == (uint32_t)label) {
        uint32_t old = e->len;
        e->len = e->last_insn;
        e->last_insn = e->prev_insn;
        e->prev_insn = UINT32_MAX;
        e->nfix--;
        for (uint32_t i = 0; i < e->nlabels; i++)
            if (e->labels[i].pos == old)
                e->labels[i].pos = e->len;
        if (!e->live) {
            e->live = true;
            e->facts = l->facts;
            e->depth = l->depth;
        }
        e->last_jmp = -1;
    }
    l->pos = e->len;
    if (!l->used)
        return;
    if (e->live) {
        vfli_facts_meet(&e->facts, &l->facts);
        if (l->depth < e->depth)
            e->depth = l->depth;
    } else {
        e->live = true;
        e->facts = l->facts;
        e->depth = l->depth;
    }
}

/*
 * The verifier rejects DIV/MOD right after a PUSH 0 that no jump bypasses
 * (the division always fails); the lowering asks this to report it as a
 * source error instead.
 */
bool vfli_emit_pushed_zero(const emitter_t *e)
{
    if (!e->live || e->last_insn == UINT32_MAX || e->last_insn >= e->len)
        return false;
    const vfm_opinfo_t *info = vfm_opinfo(e->code[e->last_insn]);
    if (!info || !(info->flags & VFM_F_PUSH) || e->last_insn + info->size != e->len)
        return false;
    for (unsigned i = 1; i < info->size; i++)
        if (e->code[e->last_insn + i] != 0)
            return false;
    for (uint32_t i = 0; i < e->nfix; i++)
        if (e->labels[e->fix[i].label].pos == e->len)
            return false; /* a jump lands here: the divisor may come from elsewhere */
    return true;
}

void vfli_emit_finish(emitter_t *e)
{
    for (uint32_t i = 0; i < e->nfix; i++) {
        const fixup_t *f = &e->fix[i];
        const label_t *l = &e->labels[f->label];
        if (l->pos == LABEL_UNBOUND)
            internal(e, "jump to a label that was never placed");
        int64_t rel = (int64_t)l->pos - (int64_t)(f->at + 2);
        if (rel < INT16_MIN || rel > INT16_MAX)
            vfli_error(e->c, NULL, "program too large: a jump spans %lld bytes (limit %d)",
                       (long long)rel, INT16_MAX);
        e->code[f->at] = (uint8_t)((uint16_t)rel & 0xff);
        e->code[f->at + 1] = (uint8_t)((uint16_t)rel >> 8);
    }
}
