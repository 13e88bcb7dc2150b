/*
 * backends.c - the backend table of the case runner.
 *
 *   interp  vfm_run: the fused fast path
 *   trace   vfm_trace: the unfused instruction stream, one callback per
 *           instruction; the callback also checks what the verifier
 *           promises at run time (pcs on instruction starts, one depth per
 *           pc, pcs only increase without loops, depth within the limit)
 *   jit     vfm_run on native code (vfm_enable_jit); SKIP on a machine with
 *           no JIT, FAIL when the JIT exists but refused the program
 *
 * To add a backend, write its run (and setup/teardown if it needs state) and
 * add a row to `table`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "backend_cbpf.h"
#include "vfm/asm.h"
#include "vfm/bytecode.h"
#include "vfm/isa.h"

/* ---- interp --------------------------------------------------------------- */

static int interp_run(vfmt_run_t *r, const uint8_t *pkt, size_t len, uint64_t *result)
{
    return vfm_run(r->vm, pkt, len, result);
}

/* ---- trace ---------------------------------------------------------------- */

#define NO_DEPTH UINT32_MAX

typedef struct trace_state {
    vfmt_run_t *run;
    const uint8_t *code; /* the raw code (inside a file image, past its header) */
    uint32_t len;        /* code bytes */
    uint8_t *is_insn;    /* [len] 1 where an instruction starts (linear decode) */
    uint32_t *depth;     /* [len] depth seen at this pc, NO_DEPTH if never */
    uint32_t last_pc;    /* previous pc of the current packet */
    uint64_t steps;      /* instructions traced for the current packet */
    uint64_t max_steps;  /* more means the machine did not stop */
    bool broken;
} trace_state_t;

__attribute__((format(printf, 2, 3))) static void trace_broken(trace_state_t *t,
                                                               const char *fmt, ...)
{
    if (t->broken)
        return; /* keep the first */
    t->broken = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->run->why, sizeof t->run->why, fmt, ap);
    va_end(ap);
}

static void trace_step(void *user, uint32_t pc, const uint64_t *stack, uint32_t depth)
{
    trace_state_t *t = user;
    t->steps++;
    if (t->steps > t->max_steps) {
        trace_broken(t, "trace: more than %llu steps", (unsigned long long)t->max_steps);
        return;
    }
    if (pc >= t->len || !t->is_insn[pc]) {
        trace_broken(t, "trace: pc %u is not the start of an instruction", pc);
        return;
    }
    if (depth > VFM_STACK_MAX || (depth && !stack))
        trace_broken(t, "trace: pc %u: bad stack (depth %u, stack %p)", pc, depth,
                     (const void *)stack);
    if (t->depth[pc] == NO_DEPTH)
        t->depth[pc] = depth;
    else if (t->depth[pc] != depth)
        trace_broken(t, "trace: pc %u reached with depth %u, earlier with %u (the verifier "
                        "proves one depth per pc)",
                     pc, depth, t->depth[pc]);
    if (!t->run->c->has_loops) {
        if (t->steps > 1 && pc <= t->last_pc)
            trace_broken(t, "trace: pc %u after pc %u without loops enabled", pc, t->last_pc);
    }
    t->last_pc = pc;
    if (t->run->verbose) {
        char text[96];
        if (vfm_format_insn(t->code, t->len, pc, text, sizeof text) < 0)
            snprintf(text, sizeof text, "?");
        printf("    %04u  %-24s [", pc, text);
        for (uint32_t i = 0; stack && i < depth; i++)
            printf(i ? " %llu" : "%llu", (unsigned long long)stack[i]);
        printf("]\n");
    }
}

static int trace_setup(vfmt_run_t *r)
{
    const vfmt_case_t *c = r->c;
    trace_state_t *t = calloc(1, sizeof *t);
    if (!t)
        return VFM_ERROR_NO_MEMORY;
    r->state = t;
    t->run = r;
    if (vfm_bytecode_parse(c->code, c->code_len, &t->code, &t->len, r->why, sizeof r->why)) {
        return VFMT_BACKEND_BROKEN; /* it loaded, so this cannot fail */
    }
    t->is_insn = calloc(t->len + 1, 1);
    t->depth = malloc((t->len + 1) * sizeof *t->depth);
    if (!t->is_insn || !t->depth)
        return VFM_ERROR_NO_MEMORY;
    for (uint32_t pc = 0; pc <= t->len; pc++)
        t->depth[pc] = NO_DEPTH;
    /* The program was accepted, so it decodes linearly from pc 0. */
    for (uint32_t pc = 0; pc < t->len;) {
        const vfm_opinfo_t *info = vfm_opinfo(t->code[pc]);
        if (!info || info->size > t->len - pc) {
            snprintf(r->why, sizeof r->why, "trace: accepted code does not decode at pc %u", pc);
            return VFMT_BACKEND_BROKEN;
        }
        t->is_insn[pc] = 1;
        pc += info->size;
    }
    /* Each backward jump re-runs at most the whole program. */
    t->max_steps = ((uint64_t)c->loops + 1) * (t->len + 1);
    return VFM_SUCCESS;
}

static int trace_run(vfmt_run_t *r, const uint8_t *pkt, size_t len, uint64_t *result)
{
    trace_state_t *t = r->state;
    t->steps = 0;
    t->broken = false;
    int rc = vfm_trace(r->vm, pkt, len, result, trace_step, t);
    if (t->broken)
        return VFMT_BACKEND_BROKEN;
    if (t->steps == 0) {
        snprintf(r->why, sizeof r->why, "trace: the callback was never called");
        return VFMT_BACKEND_BROKEN;
    }
    return rc;
}

static void trace_teardown(vfmt_run_t *r)
{
    trace_state_t *t = r->state;
    if (!t)
        return;
    free(t->is_insn);
    free(t->depth);
    free(t);
    r->state = NULL;
}

/* ---- jit ------------------------------------------------------------------ */

static int jit_setup(vfmt_run_t *r)
{
    vfm_jit_info_t info;
    vfm_jit_info(r->vm, &info);
    if (!info.arch) {
        snprintf(r->why, sizeof r->why, "no JIT on this architecture");
        return VFM_ERROR_UNSUPPORTED;
    }
    /* The runner loaded the program already: this compiles it. */
    int rc = vfm_enable_jit(r->vm);
    if (rc != VFM_SUCCESS || !vfm_jit_active(r->vm)) {
        snprintf(r->why, sizeof r->why, "jit: not compiled: %s", vfm_jit_status(r->vm));
        return rc != VFM_SUCCESS && rc != VFM_ERROR_UNSUPPORTED ? rc : VFMT_BACKEND_BROKEN;
    }
    return VFM_SUCCESS;
}

static int jit_run(vfmt_run_t *r, const uint8_t *pkt, size_t len, uint64_t *result)
{
    if (!vfm_jit_active(r->vm)) {
        snprintf(r->why, sizeof r->why, "jit: no longer active: %s", vfm_jit_status(r->vm));
        return VFMT_BACKEND_BROKEN;
    }
    return vfm_run(r->vm, pkt, len, result);
}

static void jit_teardown(vfmt_run_t *r)
{
    vfm_disable_jit(r->vm);
}

/* ---- the table ------------------------------------------------------------ */

static const vfmt_backend_t table[] = {
    {"interp", "vfm_run (fused interpreter)", NULL, interp_run, NULL},
    {"trace", "vfm_trace (unfused, checked step by step)", trace_setup, trace_run,
     trace_teardown},
    VFMT_BACKEND_CBPF_ROW
    {"jit", "vfm_run on native code (vfm_enable_jit)", jit_setup, jit_run, jit_teardown},
};

const vfmt_backend_t *vfmt_backends(size_t *n)
{
    *n = sizeof table / sizeof table[0];
    return table;
}
