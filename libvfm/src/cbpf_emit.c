/*
 * cbpf_emit.c - the classic-BPF instruction buffer: labelled instructions
 * while translating, then final layout (long jumps, kernel scratch rules)
 * and the one check every emitted program passes.
 *
 * BPF jumps only forward; a conditional jump reaches 255 instructions, a JA
 * 2^32.  vfmi_cb_link() gives each conditional jump whose target is too far a JA
 * right behind it and jumps there instead; that lengthens other jumps, so
 * it repeats until nothing changes (each side of a jump gets at most one
 * JA, so it ends).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf.h"

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap)
        return true;
    uint32_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, (size_t)n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

static cb_ir_t *append(cb_buf_t *b)
{
    if (b->oom || !grow((void **)&b->ir, &b->cap, b->n + 1, sizeof *b->ir)) {
        b->oom = true;
        return NULL;
    }
    cb_ir_t *i = &b->ir[b->n++];
    memset(i, 0, sizeof *i);
    return i;
}

void vfmi_cb_emit(cb_buf_t *b, uint16_t code, uint32_t k)
{
    cb_ir_t *i = append(b);
    if (i) {
        i->code = code;
        i->k = k;
    }
}

void vfmi_cb_emit_jcc(cb_buf_t *b, uint16_t code, uint32_t k, uint32_t jt, uint32_t jf)
{
    cb_ir_t *i = append(b);
    if (i) {
        i->code = code;
        i->k = k;
        i->jt = jt;
        i->jf = jf;
    }
}

void vfmi_cb_emit_ja(cb_buf_t *b, uint32_t label)
{
    vfmi_cb_emit_jcc(b, CB_JMP | CB_JA, 0, label, label);
}

uint32_t vfmi_cb_label_new(cb_buf_t *b)
{
    if (b->oom || !grow((void **)&b->label, &b->labcap, b->nlabels + 1, sizeof *b->label)) {
        b->oom = true;
        return 0;
    }
    b->label[b->nlabels] = CB_UNBOUND;
    return b->nlabels++;
}

void vfmi_cb_label_bind(cb_buf_t *b, uint32_t label)
{
    if (!b->oom)
        b->label[label] = b->n;
}

void vfmi_cb_buf_free(cb_buf_t *b)
{
    free(b->ir);
    free(b->label);
    memset(b, 0, sizeof *b);
}

static bool is_jcc(uint16_t code) { return CB_CLASS(code) == CB_JMP && CB_OP(code) != CB_JA; }
static bool is_ja(uint16_t code) { return code == (CB_JMP | CB_JA); }

/*
 * The kernel's scratch rule (net/core/filter.c, check_load_and_stores):
 * walking the program in order, a word is valid after a store; at a jump
 * the targets keep only what is valid on every jump to them, and after a
 * jump the next instruction starts from the targets' masks (an
 * unconditional jump resets to all-valid).  A load of an invalid word
 * fails.  Returns the index of the first failing load, or UINT32_MAX.
 */
static uint32_t first_bad_load(const vfm_bpf_insn_t *p, uint32_t n)
{
    uint16_t *masks = malloc((size_t)n * sizeof *masks);
    if (!masks)
        return 0; /* treated as failing: the caller initialises every word */
    memset(masks, 0xff, (size_t)n * sizeof *masks);
    uint16_t valid = 0;
    uint32_t bad = UINT32_MAX;
    for (uint32_t pc = 0; pc < n && bad == UINT32_MAX; pc++) {
        valid &= masks[pc];
        uint16_t c = p[pc].code;
        if (c == (CB_ST) || c == (CB_STX)) {
            valid |= (uint16_t)(1u << (p[pc].k & 15));
        } else if (c == (CB_LD | CB_MEM) || c == (CB_LDX | CB_MEM)) {
            if (!(valid & (1u << (p[pc].k & 15))))
                bad = pc;
        } else if (is_ja(c)) {
            if (pc + 1 + (uint64_t)p[pc].k < n)
                masks[pc + 1 + p[pc].k] &= valid;
            valid = 0xffff;
        } else if (is_jcc(c)) {
            if (pc + 1 + p[pc].jt < n)
                masks[pc + 1 + p[pc].jt] &= valid;
            if (pc + 1 + p[pc].jf < n)
                masks[pc + 1 + p[pc].jf] &= valid;
            valid = 0xffff;
        }
    }
    free(masks);
    return bad;
}

/* Scratch words some instruction loads. */
static uint16_t words_loaded(const vfm_bpf_insn_t *p, uint32_t n)
{
    uint16_t m = 0;
    for (uint32_t pc = 0; pc < n; pc++)
        if (p[pc].code == (CB_LD | CB_MEM) || p[pc].code == (CB_LDX | CB_MEM))
            m |= (uint16_t)(1u << (p[pc].k & 15));
    return m;
}

int vfmi_cb_link(const cb_buf_t *b, vfm_bpf_insn_t **out, uint32_t *n_out, vfm_diag_t *diag)
{
    *out = NULL;
    *n_out = 0;
    uint32_t n = b->n;
    /* far[i]: bit 0 = jt goes through a JA, bit 1 = jf does. pos[i]: final index. */
    uint8_t *far = calloc(n + 1, 1);
    uint32_t *pos = malloc(((size_t)n + 1) * sizeof *pos);
    vfm_bpf_insn_t *p = NULL;
    int rc = VFM_SUCCESS;
    if (!far || !pos) {
        rc = vfmi_fail(diag, VFM_ERROR_NO_MEMORY, VFM_NO_PC, "out of memory laying out BPF");
        goto out;
    }
    /* Every jump lands on a placed label after itself (unused labels may stay unplaced). */
    for (uint32_t i = 0; i < n; i++) {
        const cb_ir_t *in = &b->ir[i];
        if (CB_CLASS(in->code) != CB_JMP)
            continue;
        uint32_t t = in->jt < b->nlabels ? b->label[in->jt] : CB_UNBOUND;
        uint32_t f = in->jf < b->nlabels ? b->label[in->jf] : CB_UNBOUND;
        if (t == CB_UNBOUND || f == CB_UNBOUND || t >= n || f >= n || t <= i || f <= i) {
            rc = vfmi_fail(diag, VFM_ERROR_VERIFICATION_FAILED, VFM_NO_PC,
                           "classic BPF backend: jump %u has no forward target (a bug)", i);
            goto out;
        }
    }
    uint64_t total;
    for (bool changed = true; changed;) {
        changed = false;
        total = 0;
        for (uint32_t i = 0; i <= n; i++) {
            pos[i] = (uint32_t)total;
            if (i < n)
                total += 1u + (far[i] & 1) + (far[i] >> 1);
            if (total > 16u * VFM_BPF_MAXINSNS)
                break; /* hopeless; reported below */
        }
        if (total > 16u * VFM_BPF_MAXINSNS)
            break;
        for (uint32_t i = 0; i < n; i++) {
            if (!is_jcc(b->ir[i].code))
                continue;
            uint32_t from = pos[i] + 1;
            if (!(far[i] & 1) && pos[b->label[b->ir[i].jt]] - from > 255)
                far[i] |= 1, changed = true;
            if (!(far[i] & 2) && pos[b->label[b->ir[i].jf]] - from > 255)
                far[i] |= 2, changed = true;
        }
    }
    if (total > VFM_BPF_MAXINSNS) {
        rc = vfmi_fail(diag, VFM_ERROR_UNSUPPORTED, VFM_NO_PC,
                       "the program needs %llu classic BPF instructions (at most %u)",
                       (unsigned long long)total, VFM_BPF_MAXINSNS);
        goto out;
    }
    /* Room for the scratch-word prologue: at most 1 + 16 instructions. */
    p = calloc(total + 1 + CB_MEMWORDS, sizeof *p);
    if (!p) {
        rc = vfmi_fail(diag, VFM_ERROR_NO_MEMORY, VFM_NO_PC, "out of memory laying out BPF");
        goto out;
    }
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        const cb_ir_t *in = &b->ir[i];
        vfm_bpf_insn_t *o = &p[m++];
        o->code = in->code;
        o->k = in->k;
        if (is_ja(in->code)) {
            o->k = pos[b->label[in->jt]] - (pos[i] + 1);
        } else if (is_jcc(in->code)) {
            uint32_t from = pos[i] + 1, t = pos[b->label[in->jt]], f = pos[b->label[in->jf]];
            o->jt = (uint8_t)((far[i] & 1) ? 0 : t - from);
            o->jf = (uint8_t)((far[i] & 2) ? (far[i] & 1) : f - from);
            if (far[i] & 1)
                p[m] = (vfm_bpf_insn_t){CB_JMP | CB_JA, 0, 0, t - (m + 1)}, m++;
            if (far[i] & 2)
                p[m] = (vfm_bpf_insn_t){CB_JMP | CB_JA, 0, 0, f - (m + 1)}, m++;
        }
    }
    /*
     * Every word the program reads is stored on every path to the read (the
     * translation keeps stack slots in their own words), but the kernel's
     * check is coarser than that (after a RET it carries on with the RET's
     * path).  If it would refuse, store 0 into the words first.
     */
    uint16_t init = 0;
    if (first_bad_load(p, m) != UINT32_MAX)
        init = words_loaded(p, m);
    if (init) {
        uint32_t extra = 1;
        for (unsigned w = 0; w < CB_MEMWORDS; w++)
            extra += (init >> w) & 1;
        if (m + extra > VFM_BPF_MAXINSNS) {
            rc = vfmi_fail(diag, VFM_ERROR_UNSUPPORTED, VFM_NO_PC,
                           "the program needs %u classic BPF instructions (at most %u)",
                           m + extra, VFM_BPF_MAXINSNS);
            goto out;
        }
        memmove(p + extra, p, (size_t)m * sizeof *p);
        uint32_t j = 0;
        p[j++] = (vfm_bpf_insn_t){CB_LDX | CB_IMM, 0, 0, 0};
        for (unsigned w = 0; w < CB_MEMWORDS; w++)
            if ((init >> w) & 1)
                p[j++] = (vfm_bpf_insn_t){CB_STX, 0, 0, w};
        m += extra;
    }
    char why[128];
    const char *bad = vfmi_cb_check(p, m, why);
    if (bad) {
        rc = vfmi_fail(diag, VFM_ERROR_VERIFICATION_FAILED, VFM_NO_PC,
                       "classic BPF backend produced an invalid program (a bug): %s", bad);
        goto out;
    }
    *out = p;
    *n_out = m;
    p = NULL;
out:
    free(far);
    free(pos);
    free(p);
    return rc;
}

/* Opcodes both libpcap's interpreter and the kernel's classic checker accept. */
static bool known_code(uint16_t c)
{
    switch (CB_CLASS(c)) {
    case CB_LD:
        if (CB_MODE(c) == CB_ABS || CB_MODE(c) == CB_IND)
            return CB_SIZE(c) != 0x18;
        return CB_SIZE(c) == CB_W && (CB_MODE(c) == CB_IMM || CB_MODE(c) == CB_MEM ||
                                      CB_MODE(c) == CB_LEN);
    case CB_LDX:
        return c == (CB_LDX | CB_W | CB_IMM) || c == (CB_LDX | CB_W | CB_MEM) ||
               c == (CB_LDX | CB_W | CB_LEN) || c == (CB_LDX | CB_B | CB_MSH);
    case CB_ST:
    case CB_STX: return c == CB_ST || c == CB_STX;
    case CB_ALU:
        if (CB_OP(c) > CB_XOR)
            return false;
        return CB_OP(c) != CB_NEG || CB_SRC(c) == CB_K;
    case CB_JMP:
        if (CB_OP(c) > CB_JSET)
            return false;
        return CB_OP(c) != CB_JA || CB_SRC(c) == CB_K;
    case CB_RET: return c == (CB_RET | CB_K) || c == (CB_RET | CB_RA);
    default: return c == (CB_MISC | CB_TAX) || c == (CB_MISC | CB_TXA);
    }
}

const char *vfmi_cb_check(const vfm_bpf_insn_t *p, uint32_t n, char *why)
{
#define BAD(...) return (snprintf(why, 128, __VA_ARGS__), why)
    if (n == 0 || n > VFM_BPF_MAXINSNS)
        BAD("%u instructions (1 to %u allowed)", n, VFM_BPF_MAXINSNS);
    for (uint32_t i = 0; i < n; i++) {
        uint16_t c = p[i].code;
        uint32_t k = p[i].k;
        if (!known_code(c))
            BAD("insn %u: unknown opcode 0x%x", i, c);
        switch (CB_CLASS(c)) {
        case CB_LD:
        case CB_LDX:
            if (CB_MODE(c) == CB_MEM && k >= CB_MEMWORDS)
                BAD("insn %u: scratch word %u (0 to 15)", i, k);
            /* The kernel reads k >= SKF_AD_OFF as ancillary data. */
            if (CB_MODE(c) == CB_ABS && k >= (uint32_t)CB_SKF_AD_OFF &&
                !(c == (CB_LD | CB_B | CB_ABS) &&
                  (k == (uint32_t)(CB_SKF_AD_OFF + CB_SKF_AD_VLAN_TAG) ||
                   k == (uint32_t)(CB_SKF_AD_OFF + CB_SKF_AD_VLAN_TAG_PRESENT))))
                BAD("insn %u: negative offset %d outside the ancillary data used", i, (int)k);
            if (CB_MODE(c) == CB_ABS && k > INT32_MAX && k < (uint32_t)CB_SKF_AD_OFF)
                BAD("insn %u: offset %u is negative for the kernel", i, k);
            break;
        case CB_ST:
        case CB_STX:
            if (k >= CB_MEMWORDS)
                BAD("insn %u: scratch word %u (0 to 15)", i, k);
            break;
        case CB_ALU:
            if (CB_SRC(c) == CB_K && (CB_OP(c) == CB_DIV || CB_OP(c) == CB_MOD) && k == 0)
                BAD("insn %u: division by the constant 0", i);
            if (CB_SRC(c) == CB_K && (CB_OP(c) == CB_LSH || CB_OP(c) == CB_RSH) && k >= 32)
                BAD("insn %u: shift by %u (the kernel allows 0 to 31)", i, k);
            break;
        case CB_JMP:
            if (CB_OP(c) == CB_JA) {
                if ((uint64_t)i + 1 + k >= n)
                    BAD("insn %u: jump past the end", i);
            } else if ((uint64_t)i + 1 + p[i].jt >= n || (uint64_t)i + 1 + p[i].jf >= n) {
                BAD("insn %u: jump past the end", i);
            }
            break;
        default: break;
        }
    }
    if (CB_CLASS(p[n - 1].code) != CB_RET)
        BAD("the last instruction is not a RET");
    if (first_bad_load(p, n) != UINT32_MAX)
        BAD("insn %u: scratch word read before any store (the kernel refuses it)",
            first_bad_load(p, n));
#undef BAD
    return NULL;
}
