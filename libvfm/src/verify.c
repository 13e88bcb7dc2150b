/*
 * verify.c - the one verifier.  Every program passes through here before any
 * backend sees it; what it proves is recorded in a vfmi_proof_t.
 *
 * Passes:
 *   1. decode   every byte belongs to exactly one well-formed instruction
 *   2. static   jump targets in range and on instruction starts, loop policy,
 *               helpers known
 *   3. depth    stack depth per pc over the control-flow graph (worklist,
 *               no recursion); joins take the minimum of their incoming
 *               depths -- values above it are dropped on the edge, like a
 *               WebAssembly branch unwinding its operand stack
 *   4. check    per reachable instruction, in pc order: underflow, overflow,
 *               falling off the end, division by a constant zero
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Depths above the machine limit are clamped here; any pc left with it overflows. */
#define DEPTH_CLAMP (VFM_STACK_MAX + 1)
/* Pass-local flag: pc is on the worklist. */
#define PC_QUEUED 0x80u

int vfmi_fail(vfm_diag_t *diag, int code, uint32_t pc, const char *fmt, ...)
{
    if (diag) {
        diag->code = code;
        diag->pc = pc;
        diag->line = diag->col = 0;
        int n = 0;
        if (pc != VFM_NO_PC)
            n = snprintf(diag->msg, sizeof diag->msg, "pc %u: ", pc);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(diag->msg + n, sizeof diag->msg - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return code;
}

void vfmi_stack_effect(const vfmi_insn_t *insn, const vfm_verify_opts_t *opts, unsigned *pops,
                       unsigned *pushes)
{
    if (insn->info->flags & VFM_F_CALL) {
        const vfm_helper_t *h = &opts->helpers[insn->k]; /* id checked by verify_static */
        *pops = h->pops;
        *pushes = h->pushes;
    } else {
        *pops = insn->info->pops;
        *pushes = insn->info->pushes;
    }
}

void vfmi_proof_free(vfmi_proof_t *proof)
{
    if (!proof)
        return;
    free(proof->depth);
    free(proof->pcflags);
    memset(proof, 0, sizeof *proof);
}

typedef struct verifier {
    const uint8_t *code;
    uint32_t len;
    const vfm_verify_opts_t *opts;
    vfm_diag_t *diag;
    uint16_t *depth;   /* min incoming depth; VFMI_DEPTH_NONE = not reached */
    uint16_t *maxin;   /* max incoming depth, to explain uneven joins */
    uint8_t *flags;
    uint32_t *work;    /* worklist of pcs */
} verifier_t;

/* Pass 1: every byte is covered by a whole, known instruction. */
static int verify_decode(verifier_t *v)
{
    vfmi_insn_t in;
    for (uint32_t pc = 0; pc < v->len; pc = in.next) {
        int rc = vfmi_decode(v->code, v->len, pc, &in);
        if (rc == VFM_ERROR_INVALID_OPCODE)
            return vfmi_fail(v->diag, rc, pc, "unknown opcode 0x%02x", v->code[pc]);
        if (rc != VFM_SUCCESS) {
            const vfm_opinfo_t *info = vfm_opinfo(v->code[pc]);
            return vfmi_fail(v->diag, VFM_ERROR_INVALID_PROGRAM, pc,
                             "truncated instruction: %s needs %u bytes, %u left", info->name,
                             info->size, v->len - pc);
        }
        v->flags[pc] |= VFMI_PC_INSN;
    }
    return VFM_SUCCESS;
}

/* Pass 2: facts about single instructions that need no control flow. */
static int verify_static(verifier_t *v)
{
    vfmi_insn_t in;
    for (uint32_t pc = 0; pc < v->len; pc = in.next) {
        vfmi_decode(v->code, v->len, pc, &in);
        if (in.info->flags & VFM_F_CALL) {
            const vfm_opinfo_t *call = in.info;
            if (!v->opts->helpers || in.k >= v->opts->nhelpers || !v->opts->helpers[in.k].fn)
                return vfmi_fail(v->diag, VFM_ERROR_HELPER, pc,
                                 "%s of helper %llu, which is not registered", call->name,
                                 (unsigned long long)in.k);
            const vfm_helper_t *h = &v->opts->helpers[in.k];
            if (h->pops > VFM_HELPER_ARGS_MAX || h->pushes > 1)
                return vfmi_fail(v->diag, VFM_ERROR_HELPER, pc,
                                 "helper %llu (%s) declares %u pops/%u pushes (at most %u/1)",
                                 (unsigned long long)in.k, h->name ? h->name : "?", h->pops,
                                 h->pushes, VFM_HELPER_ARGS_MAX);
        }
        if (!(in.info->flags & VFM_F_JUMP))
            continue;
        if (in.target < 0 || in.target >= (int64_t)v->len)
            return vfmi_fail(v->diag, VFM_ERROR_VERIFICATION_FAILED, pc,
                             "jump target %lld out of range (program has %u bytes)",
                             (long long)in.target, v->len);
        uint32_t t = (uint32_t)in.target;
        if (!(v->flags[t] & VFMI_PC_INSN)) {
            uint32_t start = t;
            while (!(v->flags[start] & VFMI_PC_INSN))
                start--;
            return vfmi_fail(v->diag, VFM_ERROR_VERIFICATION_FAILED, pc,
                             "jump target %u is inside the instruction at pc %u", t, start);
        }
        if (t <= pc && !v->opts->allow_loops)
            return vfmi_fail(v->diag, VFM_ERROR_VERIFICATION_FAILED, pc,
                             "backward jump to pc %u: loops are not allowed by this policy "
                             "(enable them with a loop limit, e.g. vfm_set_loop_limit)",
                             t);
        v->flags[t] |= VFMI_PC_TARGET;
        if (t <= pc)
            v->flags[t] |= VFMI_PC_BACK;
    }
    return VFM_SUCCESS;
}

/* Record an edge arriving at @p to with @p d values; queue @p to if its depth dropped. */
static void edge(verifier_t *v, uint32_t to, unsigned d, uint32_t *nwork)
{
    if (d > DEPTH_CLAMP)
        d = DEPTH_CLAMP;
    if (v->maxin[to] == VFMI_DEPTH_NONE || d > v->maxin[to])
        v->maxin[to] = (uint16_t)d;
    if (v->depth[to] == VFMI_DEPTH_NONE || d < v->depth[to]) {
        v->depth[to] = (uint16_t)d;
        if (!(v->flags[to] & PC_QUEUED)) {
            v->flags[to] |= PC_QUEUED;
            v->work[(*nwork)++] = to;
        }
    }
}

/*
 * Pass 3: a pc is queued when its depth decreases; depths are bounded below
 * by 0 and above by DEPTH_CLAMP, so the fixpoint is reached.  A pc is never
 * on the worklist twice, so len entries suffice.
 */
static void verify_depths(verifier_t *v)
{
    uint32_t nwork = 0;
    v->depth[0] = 0;
    v->maxin[0] = 0;
    v->flags[0] |= PC_QUEUED;
    v->work[nwork++] = 0;
    while (nwork) {
        uint32_t pc = v->work[--nwork];
        v->flags[pc] = (uint8_t)((v->flags[pc] & ~PC_QUEUED) | VFMI_PC_REACH);
        vfmi_insn_t in;
        vfmi_decode(v->code, v->len, pc, &in);
        unsigned pops, pushes, d = v->depth[pc];
        vfmi_stack_effect(&in, v->opts, &pops, &pushes);
        /* Underflow is reported by pass 4; propagate as if it were empty. */
        unsigned after = (d >= pops ? d - pops : 0);
        if ((in.info->flags & VFM_F_JUMP))
            edge(v, (uint32_t)in.target, after, &nwork);
        if (!(in.info->flags & VFM_F_NOFALL) && in.next < v->len)
            edge(v, in.next, after + pushes, &nwork);
    }
}

/* Pass 4: per reachable instruction, in pc order, so the first error is the lowest pc. */
static int verify_check(verifier_t *v, vfmi_proof_t *proof)
{
    vfmi_insn_t in, prev = {0};
    uint32_t uneven = VFM_NO_PC; /* first join whose incoming depths differ */
    bool prev_valid = false;
    for (uint32_t pc = 0; pc < v->len; pc = in.next) {
        vfmi_decode(v->code, v->len, pc, &in);
        bool reach = v->flags[pc] & VFMI_PC_REACH;
        if (reach && uneven == VFM_NO_PC && v->maxin[pc] != v->depth[pc])
            uneven = pc;
        if (!reach) {
            prev_valid = false;
            continue;
        }
        unsigned pops, pushes, d = v->depth[pc];
        vfmi_stack_effect(&in, v->opts, &pops, &pushes);
        if (d < pops) {
            char hint[128] = "";
            if (uneven != VFM_NO_PC)
                snprintf(hint, sizeof hint,
                         " (paths meet at pc %u with %u and %u values; a join keeps the "
                         "smaller depth)",
                         uneven, v->maxin[uneven], v->depth[uneven]);
            return vfmi_fail(v->diag, VFM_ERROR_STACK_UNDERFLOW, pc,
                             "stack underflow: %s needs %u value%s, the stack holds %u%s",
                             in.info->name, pops, pops == 1 ? "" : "s", d, hint);
        }
        if (d - pops + pushes > VFM_STACK_MAX)
            return vfmi_fail(v->diag, VFM_ERROR_STACK_OVERFLOW, pc,
                             "stack overflow: %s would make the stack %u deep (limit %u)",
                             in.info->name, d - pops + pushes, VFM_STACK_MAX);
        if (!(in.info->flags & VFM_F_NOFALL) && in.next >= v->len)
            return vfmi_fail(v->diag, VFM_ERROR_VERIFICATION_FAILED, pc,
                             "execution falls off the end of the program after %s "
                             "(end every path with RET)",
                             in.info->name);
        /* A divisor pushed as constant 0 right before, with no jump in between. */
        if ((in.info->flags & VFM_F_DIV) && prev_valid && (prev.info->flags & VFM_F_PUSH) &&
            prev.k == 0 && !(v->flags[pc] & VFMI_PC_TARGET))
            return vfmi_fail(v->diag, VFM_ERROR_DIVISION_BY_ZERO, pc,
                             "%s by the constant 0 pushed at pc %u", in.info->name, prev.pc);
        if (d - pops + pushes > proof->max_depth)
            proof->max_depth = d - pops + pushes;
        if (d > proof->max_depth)
            proof->max_depth = d;
        proof->ninsns++;
        if (in.info->flags & VFM_F_FLOW)
            proof->uses_flow = true;
        if (in.info->flags & VFM_F_CALL)
            proof->uses_helpers = true;
        if ((in.info->flags & VFM_F_JUMP) && in.target <= (int64_t)pc)
            proof->has_loops = true;
        prev = in;
        prev_valid = true;
    }
    return VFM_SUCCESS;
}

/* Mark joins: pcs with two or more incoming edges from reachable code (entry counts). */
static void mark_joins(verifier_t *v)
{
    uint8_t *nin = (uint8_t *)v->work; /* reuse: len bytes fit in len u32s */
    memset(nin, 0, v->len);
    nin[0] = 1;
    vfmi_insn_t in;
    for (uint32_t pc = 0; pc < v->len; pc = in.next) {
        vfmi_decode(v->code, v->len, pc, &in);
        if (!(v->flags[pc] & VFMI_PC_REACH))
            continue;
        if ((in.info->flags & VFM_F_JUMP) && nin[in.target] < 2)
            nin[in.target]++;
        if (!(in.info->flags & VFM_F_NOFALL) && in.next < v->len && nin[in.next] < 2)
            nin[in.next]++;
    }
    for (uint32_t pc = 0; pc < v->len; pc++)
        if (nin[pc] >= 2)
            v->flags[pc] |= VFMI_PC_JOIN;
}

int vfmi_verify(const uint8_t *code, uint32_t len, const vfm_verify_opts_t *opts,
                vfmi_proof_t *proof, vfm_diag_t *diag)
{
    static const vfm_verify_opts_t defaults = {0};
    if (!opts)
        opts = &defaults;
    if (!code || len == 0)
        return vfmi_fail(diag, VFM_ERROR_INVALID_PROGRAM, VFM_NO_PC, "empty program");
    if (len > VFM_CODE_MAX)
        return vfmi_fail(diag, VFM_ERROR_INVALID_PROGRAM, VFM_NO_PC,
                         "program has %u bytes of code (at most %u)", len, VFM_CODE_MAX);

    verifier_t v = {.code = code, .len = len, .opts = opts, .diag = diag};
    v.depth = malloc(len * sizeof *v.depth);
    v.maxin = malloc(len * sizeof *v.maxin);
    v.flags = calloc(len, 1);
    v.work = malloc(len * sizeof *v.work);
    vfmi_proof_t p = {.len = len};
    int rc;
    if (!v.depth || !v.maxin || !v.flags || !v.work) {
        rc = vfmi_fail(diag, VFM_ERROR_NO_MEMORY, VFM_NO_PC, "out of memory verifying %u bytes",
                       len);
        goto out;
    }
    memset(v.depth, 0xff, len * sizeof *v.depth);
    memset(v.maxin, 0xff, len * sizeof *v.maxin);

    if ((rc = verify_decode(&v)) || (rc = verify_static(&v)))
        goto out;
    verify_depths(&v);
    if ((rc = verify_check(&v, &p)))
        goto out;
    mark_joins(&v);
    if (proof) {
        for (uint32_t pc = 0; pc < len; pc++)
            if (!(v.flags[pc] & VFMI_PC_REACH))
                v.depth[pc] = VFMI_DEPTH_NONE;
        p.depth = v.depth;
        p.pcflags = v.flags;
        v.depth = NULL;
        v.flags = NULL;
        *proof = p;
    }
out:
    free(v.depth);
    free(v.maxin);
    free(v.flags);
    free(v.work);
    return rc;
}
