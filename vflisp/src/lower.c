/*
 * lower.c - typed IR -> VFM code.
 *
 * Two ways to compile an expression:
 *   vfli_gen_value(n, fail)           push its value; if a packet field it reads is
 *                                absent, jump to `fail` (possibly with extra
 *                                values on the stack: a join keeps the smaller
 *                                depth, so they are dropped there);
 *   vfli_gen_branch(n, sense, label)  jump to `label` when its truth equals `sense`,
 *                                else fall through.  No value is left behind.
 * A comparison is an "atom": it is false when a field it reads is absent,
 * so (= proto 6) means tcpdump's `ip proto 6` and (not (= proto 6)) is true
 * on ARP.  Comparisons in branch position become one conditional jump;
 * and/or become chains of jumps; comparisons of one expression with several
 * constants (an `or` of ports) load the expression once.  The top level
 * returns 1/0 for a truth value and the value itself for a number.
 */
#include <string.h>

#include "internal.h"
#include "vfm/isa.h"

static _Noreturn void internal(lower_t *L, const char *what)
{
    vfli_fail(L->c, VFM_ERROR_VERIFICATION_FAILED, "internal compiler error: %s", what);
}

/* ---- relations ------------------------------------------------------------------------ */

static const uint8_t rel_jump[] = {
    [REL_EQ] = VFM_OP_JEQ, [REL_NE] = VFM_OP_JNE, [REL_GT] = VFM_OP_JGT,
    [REL_LT] = VFM_OP_JLT, [REL_GE] = VFM_OP_JGE, [REL_LE] = VFM_OP_JLE,
};

static rel_t rel_negate(rel_t r)
{
    static const rel_t neg[] = {[REL_EQ] = REL_NE, [REL_NE] = REL_EQ, [REL_GT] = REL_LE,
                                [REL_LT] = REL_GE, [REL_GE] = REL_LT, [REL_LE] = REL_GT};
    return neg[r];
}

/* a REL b  <=>  b mirror(REL) a */
static rel_t rel_mirror(rel_t r)
{
    static const rel_t mir[] = {[REL_EQ] = REL_EQ, [REL_NE] = REL_NE, [REL_GT] = REL_LT,
                                [REL_LT] = REL_GT, [REL_GE] = REL_LE, [REL_LE] = REL_GE};
    return mir[r];
}

/* A comparison of an expression with a constant: x REL k (constant moved right). */
static bool cmp_parts(const ir_t *n, const ir_t **x, rel_t *rel, uint64_t *k)
{
    if (n->kind != IR_CALL || !(n->b->flags & B_CMP))
        return false;
    const ir_t *a = n->kids[0], *b = n->kids[1];
    rel_t r = (rel_t)n->b->sel;
    if (a->kind == IR_CONST && b->kind != IR_CONST) {
        const ir_t *t = a;
        a = b;
        b = t;
        r = rel_mirror(r);
    }
    if (b->kind != IR_CONST || a->kind == IR_CONST)
        return false;
    *x = a;
    *rel = r;
    *k = b->k;
    return true;
}

/* The value set the path facts track for field @p x, or NULL. */
static uint64_t *tracked_set(lower_t *L, facts_t *f, const ir_t *x, unsigned *fam)
{
    if (x->kind != IR_FIELD)
        return NULL;
    (void)L;
    switch (x->f->set_field) {
    case SETF_PROTO4: *fam = FAM_V4; return f->proto;
    case SETF_NH6: *fam = FAM_V6; return f->nh6;
    default: return NULL;
    }
}

/* Keep in the tracked set only the values v for which (v REL k) == holds. */
static void filter_set(uint64_t *s, rel_t rel, uint64_t k, bool holds)
{
    for (unsigned v = 0; v < 256; v++)
        if (vfli_set_has(s, v) && vfli_rel_holds(rel, v, k) != holds)
            vfli_set_del(s, v);
}

/* Facts on the two edges of a test "x REL k" (evaluated with x present). */
static void cmp_facts(lower_t *L, const ir_t *x, rel_t rel, uint64_t k, facts_t *yes, facts_t *no)
{
    *yes = *no = L->e.facts;
    unsigned fam;
    uint64_t *sy = tracked_set(L, yes, x, &fam), *sn = tracked_set(L, no, x, &fam);
    if (sy) {
        yes->fam &= (uint8_t)fam;
        no->fam &= (uint8_t)fam;
        filter_set(sy, rel, k, true);
        filter_set(sn, rel, k, false);
    }
}

/*
 * What a comparison x REL k is known to give here: 1, 0, or -1 (unknown).
 * Used to drop tests whose answer the path already implies.
 */
static int fold_cmp(lower_t *L, const ir_t *x, rel_t rel, uint64_t k)
{
    facts_t *f = &L->e.facts;
    if (x->kind != IR_FIELD)
        return -1;
    const field_t *fd = x->f;
    if (fd->bits < 64) {
        /* Out of the field's range: (= dst-port 70000) never holds. */
        uint64_t max = (1ull << fd->bits) - 1;
        bool any = false;
        if (rel == REL_EQ)
            any = k <= max;
        else if (rel == REL_GT)
            any = k < max;
        else if (rel == REL_GE)
            any = k <= max;
        else
            any = true;
        if (!any)
            return 0;
    }
    if (fd->set_field == SETF_ETYPE && L->link->kind == LK_ETHER && (f->flags & FACT_ETYPE))
        return vfli_rel_holds(rel, f->etype, k);
    unsigned fam;
    facts_t tmp = *f;
    uint64_t *s = tracked_set(L, &tmp, x, &fam);
    if (!s)
        return -1;
    if (!(f->fam & fam))
        return 0; /* the field is absent on this path */
    bool some = false, all = true;
    for (unsigned v = 0; v < 256; v++) {
        if (!vfli_set_has(s, v))
            continue;
        bool h = vfli_rel_holds(rel, v, k);
        some |= h;
        all &= h;
    }
    if (!some)
        return 0;
    if (all && f->fam == fam)
        return 1;
    return -1;
}

/* ---- link-layer tests and guards -------------------------------------------------------- */

static unsigned fam_of_etype(uint16_t k)
{
    return k == 0x0800 ? FAM_V4 : k == 0x86dd ? FAM_V6 : FAM_OTHER;
}

/*
 * Consume the value on top of the stack; jump to @p label when its
 * membership in @p vals equals @p in.  @p fin / @p fout: facts when it is /
 * is not a member.
 */
static void gen_set_jump(lower_t *L, const uint64_t *vals, unsigned n, bool in, int label,
                         const facts_t *fin, const facts_t *fout)
{
    emitter_t *e = &L->e;
    if (in) {
        for (unsigned i = 0; i < n; i++) {
            if (i + 1 < n)
                vfli_emit_op(e, VFM_OP_DUP, 0);
            vfli_emit_push(e, vals[i]);
            vfli_emit_jump(e, VFM_OP_JEQ, label, fin);
        }
        e->facts = *fout;
        return;
    }
    int hit = vfli_emit_label(e);
    for (unsigned i = 0; i + 1 < n; i++) {
        vfli_emit_op(e, VFM_OP_DUP, 0);
        vfli_emit_push(e, vals[i]);
        vfli_emit_jump(e, VFM_OP_JEQ, hit, fin);
    }
    vfli_emit_push(e, vals[n - 1]);
    vfli_emit_jump(e, VFM_OP_JNE, label, fout);
    e->facts = *fin;
    vfli_emit_bind(e, hit);
}

void vfli_gen_etype_test(lower_t *L, uint16_t k, bool eq, int label)
{
    emitter_t *e = &L->e;
    if (!e->live)
        return;
    facts_t *f = &e->facts;
    unsigned fam = fam_of_etype(k);
    int known = -1;
    if (f->flags & FACT_ETYPE)
        known = f->etype == k;
    else if (!(f->fam & fam))
        known = 0;
    else if (fam != FAM_OTHER && f->fam == fam)
        known = 1;
    if (known >= 0) {
        if (known == eq)
            vfli_emit_jump(e, VFM_OP_JMP, label, NULL);
        return;
    }
    facts_t yes = *f, no = *f;
    yes.flags |= FACT_ETYPE;
    yes.etype = k;
    yes.fam &= (uint8_t)fam;
    if (fam != FAM_OTHER)
        no.fam &= (uint8_t)~fam;
    vfli_emit_op(e, VFM_OP_LD16, L->link->etype_off);
    vfli_emit_push(e, k);
    vfli_emit_jump(e, eq ? VFM_OP_JEQ : VFM_OP_JNE, label, eq ? &yes : &no);
    e->facts = eq ? no : yes;
}

void vfli_gen_fam_test(lower_t *L, unsigned fam, bool is, int label)
{
    emitter_t *e = &L->e;
    if (!e->live)
        return;
    facts_t *f = &e->facts;
    if (!(f->fam & fam)) {
        if (!is)
            vfli_emit_jump(e, VFM_OP_JMP, label, NULL);
        return;
    }
    if (f->fam == fam) {
        if (is)
            vfli_emit_jump(e, VFM_OP_JMP, label, NULL);
        return;
    }
    facts_t yes = *f, no = *f;
    yes.fam = (uint8_t)fam;
    no.fam &= (uint8_t)~fam;
    switch (L->link->kind) {
    case LK_ETHER: vfli_gen_etype_test(L, fam == FAM_V4 ? 0x0800 : 0x86dd, is, label); return;
    case LK_RAW: /* libpcap: ldb [0]; and #0xf0; jeq #0x40 */
        vfli_emit_op(e, VFM_OP_LD8, 0);
        vfli_emit_push(e, 0xf0);
        vfli_emit_op(e, VFM_OP_AND, 0);
        vfli_emit_push(e, fam == FAM_V4 ? 0x40 : 0x60);
        vfli_emit_jump(e, is ? VFM_OP_JEQ : VFM_OP_JNE, label, is ? &yes : &no);
        e->facts = is ? no : yes;
        return;
    case LK_NULL:
    case LK_LOOP: {
        /* The 4-byte address family: AF_INET is 2 everywhere; AF_INET6 is 24, 28
         * or 30 depending on the BSD (libpcap tests all three, as here). */
        bool host = L->link->kind == LK_NULL;
        uint64_t v4 = host ? 0x02000000u : 2;
        uint64_t v6[3] = {host ? 0x1e000000u : 30, host ? 0x18000000u : 24,
                          host ? 0x1c000000u : 28};
        vfli_emit_op(e, VFM_OP_LD32, 0);
        if (fam == FAM_V4) {
            vfli_emit_push(e, v4);
            vfli_emit_jump(e, is ? VFM_OP_JEQ : VFM_OP_JNE, label, is ? &yes : &no);
            e->facts = is ? no : yes;
        } else {
            gen_set_jump(L, v6, 3, is, label, &yes, &no);
        }
        return;
    }
    case LK_RAW4:
    case LK_RAW6: break; /* fixed by the initial facts: handled above */
    }
    internal(L, "family test on a link type without one");
}

bool vfli_need_v4(lower_t *L, int fail)
{
    vfli_gen_fam_test(L, FAM_V4, false, fail);
    return L->e.live;
}

bool vfli_need_v6(lower_t *L, int fail)
{
    vfli_gen_fam_test(L, FAM_V6, false, fail);
    return L->e.live;
}

/* Continue only if the 8-bit field at @p off (whose possible values are *have) is in @p set. */
static bool need_byte_in(lower_t *L, uint64_t *have_field, size_t have_off, uint16_t off,
                         const uint64_t set[4], int fail)
{
    emitter_t *e = &L->e;
    if (!e->live)
        return false;
    (void)have_field;
    uint64_t *have = (uint64_t *)((char *)&e->facts + have_off);
    uint64_t poss[4];
    memcpy(poss, have, sizeof poss);
    vfli_set_and(poss, set);
    if (vfli_set_count(poss) == 0) {
        vfli_emit_jump(e, VFM_OP_JMP, fail, NULL);
        return false;
    }
    if (vfli_set_subset(have, set))
        return true;
    uint64_t vals[256];
    unsigned n = 0;
    /* libpcap tests SCTP, TCP, UDP in this order; any order loads the same byte. */
    for (unsigned v = 0; v < 256; v++)
        if (vfli_set_has(poss, v))
            vals[n++] = v;
    facts_t fin = e->facts, fout = e->facts;
    memcpy((char *)&fin + have_off, poss, sizeof poss);
    uint64_t *out = (uint64_t *)((char *)&fout + have_off);
    for (unsigned i = 0; i < n; i++)
        vfli_set_del(out, (unsigned)vals[i]);
    vfli_emit_op(e, VFM_OP_LD8, off);
    gen_set_jump(L, vals, n, false, fail, &fin, &fout);
    return e->live;
}

bool vfli_need_proto4(lower_t *L, const uint64_t set[4], int fail)
{
    return need_byte_in(L, L->e.facts.proto, offsetof(facts_t, proto), L->link->l3 + 9u, set, fail);
}

bool vfli_need_nh6(lower_t *L, const uint64_t set[4], int fail)
{
    return need_byte_in(L, L->e.facts.nh6, offsetof(facts_t, nh6), L->link->l3 + 6u, set, fail);
}

bool vfli_need_nofrag4(lower_t *L, int fail)
{
    emitter_t *e = &L->e;
    if (!e->live)
        return false;
    if (e->facts.flags & FACT_NOFRAG4)
        return true;
    /* libpcap: ldh [ip+6]; jset #0x1fff */
    vfli_emit_op(e, VFM_OP_LD16, L->link->l3 + 6u);
    vfli_emit_push(e, 0x1fff);
    vfli_emit_op(e, VFM_OP_AND, 0);
    vfli_emit_jump(e, VFM_OP_JNZ, fail, NULL);
    e->facts.flags |= FACT_NOFRAG4;
    return e->live;
}

void vfli_gen_ihl(lower_t *L)
{
    emitter_t *e = &L->e;
    vfli_emit_op(e, VFM_OP_LD8, L->link->l3);
    vfli_emit_push(e, 0x0f);
    vfli_emit_op(e, VFM_OP_AND, 0);
    vfli_emit_push(e, 2);
    vfli_emit_op(e, VFM_OP_SHL, 0);
}

/* ---- the two compilation modes ----------------------------------------------------------- */

void vfli_gen_value(lower_t *L, const ir_t *n, int fail)
{
    emitter_t *e = &L->e;
    if (!e->live)
        return;
    const span_t *saved = e->where;
    e->where = &n->span;
    switch (n->kind) {
    case IR_CONST: vfli_emit_push(e, n->k); break;
    case IR_FIELD: n->f->gen(L, n->f, fail); break;
    case IR_CALL:
        if (!n->b->value)
            internal(L, "builtin without a value lowering");
        n->b->value(L, n, fail);
        break;
    default: internal(L, "literal of a special type used as a value");
    }
    e->where = saved;
}

/* Truth of a number: non-zero; false when a field is absent. */
static void branch_on_value(lower_t *L, const ir_t *n, bool sense, int label)
{
    emitter_t *e = &L->e;
    int fail = sense ? vfli_emit_label(e) : label;
    vfli_gen_value(L, n, fail);
    vfli_emit_jump(e, sense ? VFM_OP_JNZ : VFM_OP_JZ, label, NULL);
    if (sense)
        vfli_emit_bind(e, fail);
}

void vfli_gen_branch(lower_t *L, const ir_t *n, bool sense, int label)
{
    emitter_t *e = &L->e;
    if (!e->live)
        return;
    const span_t *saved = e->where;
    e->where = &n->span;
    if (n->kind == IR_CONST) {
        if ((n->k != 0) == sense)
            vfli_emit_jump(e, VFM_OP_JMP, label, NULL);
    } else if (n->kind == IR_CALL && n->b->branch) {
        n->b->branch(L, n, sense, label);
    } else {
        branch_on_value(L, n, sense, label);
    }
    e->where = saved;
}

/* ---- builtins ------------------------------------------------------------------------------ */

void vfli_lower_arith(lower_t *L, const ir_t *n, int fail)
{
    vfli_gen_value(L, n->kids[0], fail);
    vfli_gen_value(L, n->kids[1], fail);
    if ((n->b->opcode == VFM_OP_DIV || n->b->opcode == VFM_OP_MOD) && vfli_emit_pushed_zero(&L->e))
        vfli_error(L->c, &n->kids[1]->span, "division by zero (the divisor is always 0 here)");
    vfli_emit_op(&L->e, n->b->opcode, 0);
}

void vfli_lower_not_bits(lower_t *L, const ir_t *n, int fail)
{
    vfli_gen_value(L, n->kids[0], fail);
    vfli_emit_op(&L->e, n->b->opcode, 0);
}

/* A truth value as a number: 1 or 0. */
void vfli_lower_bool_value(lower_t *L, const ir_t *n, int fail)
{
    emitter_t *e = &L->e;
    (void)fail; /* truth values absorb absent fields */
    int zero = vfli_emit_label(e), end = vfli_emit_label(e);
    vfli_gen_branch(L, n, false, zero);
    vfli_emit_push(e, 1);
    vfli_emit_jump(e, VFM_OP_JMP, end, NULL);
    vfli_emit_bind(e, zero);
    vfli_emit_push(e, 0);
    vfli_emit_bind(e, end);
}

void vfli_lower_cmp_value(lower_t *L, const ir_t *n, int fail)
{
    emitter_t *e = &L->e;
    (void)fail;
    int absent = vfli_emit_label(e);
    vfli_gen_value(L, n->kids[0], absent);
    vfli_gen_value(L, n->kids[1], absent);
    vfli_emit_op(e, n->b->opcode, 0);
    if (vfli_emit_label_used(e, absent)) {
        int end = vfli_emit_label(e);
        vfli_emit_jump(e, VFM_OP_JMP, end, NULL);
        vfli_emit_bind(e, absent);
        vfli_emit_push(e, 0);
        vfli_emit_bind(e, end);
    }
}

void vfli_lower_cmp_branch(lower_t *L, const ir_t *n, bool sense, int label)
{
    emitter_t *e = &L->e;
    const ir_t *x;
    rel_t rel;
    uint64_t k;
    if (cmp_parts(n, &x, &rel, &k)) {
        /* ethertype = K is the link's protocol test (what libpcap's `ether proto` does). */
        if (x->kind == IR_FIELD && x->f->set_field == SETF_ETYPE && k <= 0xffff &&
            (rel == REL_EQ || rel == REL_NE)) {
            if (L->link->kind == LK_ETHER) {
                vfli_gen_etype_test(L, (uint16_t)k, (rel == REL_EQ) == sense, label);
                return;
            }
            if (rel == REL_EQ && (k == 0x0800 || k == 0x86dd)) {
                vfli_gen_fam_test(L, fam_of_etype((uint16_t)k), sense, label);
                return;
            }
        }
        int known = fold_cmp(L, x, rel, k);
        if (known >= 0) {
            if (known == sense)
                vfli_emit_jump(e, VFM_OP_JMP, label, NULL);
            return;
        }
        int fail = sense ? vfli_emit_label(e) : label;
        vfli_gen_value(L, x, fail);
        vfli_emit_push(e, k);
        facts_t yes, no;
        cmp_facts(L, x, rel, k, &yes, &no);
        vfli_emit_jump(e, rel_jump[sense ? rel : rel_negate(rel)], label, sense ? &yes : &no);
        if (e->live)
            e->facts = sense ? no : yes;
        if (sense)
            vfli_emit_bind(e, fail);
        return;
    }
    int fail = sense ? vfli_emit_label(e) : label;
    rel = (rel_t)n->b->sel;
    vfli_gen_value(L, n->kids[0], fail);
    vfli_gen_value(L, n->kids[1], fail);
    vfli_emit_jump(e, rel_jump[sense ? rel : rel_negate(rel)], label, NULL);
    if (sense)
        vfli_emit_bind(e, fail);
}

/*
 * A run of comparisons of one expression with constants, inside `or` (any
 * holds) or `and` (all hold): the expression is computed once and kept on
 * the stack (DUP) while it is compared with each constant.
 */
static void gen_group(lower_t *L, const ir_t *const *kids, unsigned count, bool is_or, bool sense,
                      int label)
{
    emitter_t *e = &L->e;
    const ir_t *x = NULL;
    rel_t rel = REL_EQ; /* set by cmp_parts: every kid is a comparison (see the caller) */
    uint64_t k = 0;
    int fail = sense ? vfli_emit_label(e) : label; /* absent: the group is false */
    int past = vfli_emit_label(e);                 /* decided early, no jump to label */
    cmp_parts(kids[0], &x, &rel, &k);
    vfli_gen_value(L, x, fail);
    for (unsigned i = 0; i < count; i++) {
        bool last = i + 1 == count;
        cmp_parts(kids[i], &x, &rel, &k);
        if (!last)
            vfli_emit_op(e, VFM_OP_DUP, 0);
        vfli_emit_push(e, k);
        facts_t yes, no;
        cmp_facts(L, x, rel, k, &yes, &no);
        if (is_or) {
            if (sense)
                vfli_emit_jump(e, rel_jump[rel], label, &yes); /* one holds: true */
            else if (last)
                vfli_emit_jump(e, rel_jump[rel_negate(rel)], label, &no); /* none held */
            else
                vfli_emit_jump(e, rel_jump[rel], past, &yes); /* one holds: not false */
            if (e->live)
                e->facts = no;
        } else {
            if (!sense)
                vfli_emit_jump(e, rel_jump[rel_negate(rel)], label, &no); /* one fails: false */
            else if (last)
                vfli_emit_jump(e, rel_jump[rel], label, &yes); /* all held */
            else
                vfli_emit_jump(e, rel_jump[rel_negate(rel)], past, &no); /* one fails: not true */
            if (e->live)
                e->facts = yes;
        }
    }
    vfli_emit_bind(e, past);
    if (sense)
        vfli_emit_bind(e, fail);
}

/* How many kids from @p i on compare the same pure expression with constants. */
static unsigned group_len(const ir_t *n, uint32_t i)
{
    const ir_t *x0, *x;
    rel_t rel;
    uint64_t k;
    if (!cmp_parts(n->kids[i], &x0, &rel, &k) || !x0->pure)
        return 1;
    /* Fields the path facts track (ethertype, proto, ip6-nh) are one cheap
     * load each, and their own tests fold away on known paths: not grouped. */
    if (x0->kind == IR_FIELD && x0->f->set_field != SETF_NONE)
        return 1;
    unsigned len = 1;
    while (i + len < n->n && cmp_parts(n->kids[i + len], &x, &rel, &k) && vfli_ir_equal(x, x0))
        len++;
    return len;
}

/* One element of and/or: a kid, or a group of kids (see gen_group). */
static void gen_item(lower_t *L, const ir_t *n, uint32_t i, unsigned len, bool is_or, bool sense,
                     int label)
{
    if (len == 1)
        vfli_gen_branch(L, n->kids[i], sense, label);
    else
        gen_group(L, (const ir_t *const *)&n->kids[i], len, is_or, sense, label);
}

/*
 * and: !sense -> jump when some item is false;  sense -> all true.
 * or:   sense -> jump when some item is true;  !sense -> all false.
 * The "decided by one item" case jumps straight to label; the other case
 * skips past the chain on the first item that settles it.
 */
static void lower_chain(lower_t *L, const ir_t *n, bool is_or, bool sense, int label)
{
    emitter_t *e = &L->e;
    bool direct = is_or == sense;
    int skip = direct ? -1 : vfli_emit_label(e);
    for (uint32_t i = 0; i < n->n;) {
        unsigned len = group_len(n, i);
        bool last = i + len == n->n;
        if (direct)
            gen_item(L, n, i, len, is_or, sense, label);
        else if (!last)
            gen_item(L, n, i, len, is_or, !sense, skip);
        else
            gen_item(L, n, i, len, is_or, sense, label);
        i += len;
    }
    if (skip >= 0)
        vfli_emit_bind(e, skip);
}

void vfli_lower_and_branch(lower_t *L, const ir_t *n, bool sense, int label)
{
    lower_chain(L, n, false, sense, label);
}

void vfli_lower_or_branch(lower_t *L, const ir_t *n, bool sense, int label)
{
    lower_chain(L, n, true, sense, label);
}

void vfli_lower_not_branch(lower_t *L, const ir_t *n, bool sense, int label)
{
    vfli_gen_branch(L, n->kids[0], !sense, label);
}

void vfli_lower_if_branch(lower_t *L, const ir_t *n, bool sense, int label)
{
    emitter_t *e = &L->e;
    int other = vfli_emit_label(e), end = vfli_emit_label(e);
    vfli_gen_branch(L, n->kids[0], false, other);
    vfli_gen_branch(L, n->kids[1], sense, label);
    vfli_emit_jump(e, VFM_OP_JMP, end, NULL);
    vfli_emit_bind(e, other);
    vfli_gen_branch(L, n->kids[2], sense, label);
    vfli_emit_bind(e, end);
}

void vfli_lower_if_value(lower_t *L, const ir_t *n, int fail)
{
    emitter_t *e = &L->e;
    int other = vfli_emit_label(e), end = vfli_emit_label(e);
    vfli_gen_branch(L, n->kids[0], false, other);
    vfli_gen_value(L, n->kids[1], fail);
    vfli_emit_jump(e, VFM_OP_JMP, end, NULL);
    vfli_emit_bind(e, other);
    vfli_gen_value(L, n->kids[2], fail);
    vfli_emit_bind(e, end);
}

/* count-by KEY: table[KEY] += 1; the new count is the value. */
void vfli_lower_count_value(lower_t *L, const ir_t *n, int fail)
{
    emitter_t *e = &L->e;
    vfli_gen_value(L, n->kids[0], fail);  /* key */
    vfli_emit_op(e, VFM_OP_DUP, 0);       /* key key */
    vfli_emit_op(e, VFM_OP_FLOW_LOAD, 0); /* key old */
    vfli_emit_push(e, 1);
    vfli_emit_op(e, VFM_OP_ADD, 0);        /* key new */
    vfli_emit_op(e, VFM_OP_SWAP, 0);       /* new key */
    vfli_emit_op(e, VFM_OP_OVER, 0);       /* new key new */
    vfli_emit_op(e, VFM_OP_FLOW_STORE, 0); /* new */
}

/* (load WIDTH OFFSET) and the per-layer variants. */
void vfli_lower_load_value(lower_t *L, const ir_t *n, int fail)
{
    emitter_t *e = &L->e;
    unsigned bytes = (unsigned)n->kids[0]->k;
    const ir_t *off = n->kids[1];
    static const uint8_t ld[9] = {
        [1] = VFM_OP_LD8, [2] = VFM_OP_LD16, [4] = VFM_OP_LD32, [8] = VFM_OP_LD64};
    static const uint8_t ldx[9] = {
        [1] = VFM_OP_LDX8, [2] = VFM_OP_LDX16, [4] = VFM_OP_LDX32, [8] = VFM_OP_LDX64};
    uint64_t base = 0;
    bool indexed = false; /* the base is on the stack (IHL) */
    uint64_t set[4] = {0};
    switch (n->b->sel) {
    case LAYER_LINK: break;
    case LAYER_IP:
        if (!vfli_need_v4(L, fail))
            return;
        base = L->link->l3;
        break;
    case LAYER_IP6:
        if (!vfli_need_v6(L, fail))
            return;
        base = L->link->l3;
        break;
    case LAYER_TCP:
    case LAYER_UDP:
    case LAYER_ICMP: {
        unsigned proto = n->b->sel == LAYER_TCP ? 6 : n->b->sel == LAYER_UDP ? 17 : 1;
        set[proto / 64] |= 1ull << (proto % 64);
        if (!vfli_need_v4(L, fail) || !vfli_need_proto4(L, set, fail) ||
            !vfli_need_nofrag4(L, fail))
            return;
        vfli_gen_ihl(L);
        base = L->link->l3;
        indexed = true;
        break;
    }
    default: internal(L, "unknown load layer");
    }
    if (off->kind == IR_CONST) {
        uint64_t at = base + off->k;
        if (at > 0xffff)
            vfli_error(L->c, &off->span,
                       "offset %llu from the start of the packet is too large "
                       "(the limit is 65535)",
                       (unsigned long long)at);
        vfli_emit_op(e, indexed ? ldx[bytes] : ld[bytes], at);
        return;
    }
    vfli_gen_value(L, off, fail);
    if (indexed)
        vfli_emit_op(e, VFM_OP_ADD, 0);
    vfli_emit_op(e, ldx[bytes], base);
}

/*
 * (in-net src-ip6 PREFIX), (= src-ip6 ADDRESS), (!= src-ip6 ADDRESS): the
 * prefix compared 32 bits at a time, first word first, as libpcap does.
 * Result R = IPv6 && (match XOR negated); jump to label when R == sense.
 */
void vfli_lower_in6_branch(lower_t *L, const ir_t *n, bool sense, int label)
{
    emitter_t *e = &L->e;
    const ir_t *x = n->kids[0], *net = n->kids[1];
    bool negated = n->k != 0;
    if (x->kind != IR_FIELD || net->kind != IR_NET6)
        internal(L, "in-net on a non-IPv6 operand");
    int end = vfli_emit_label(e);
    int absent = sense ? end : label;              /* R is false */
    int mismatch = negated == sense ? label : end; /* R is `negated` */
    if (vfli_need_v6(L, absent)) {
        unsigned words = (net->prefix + 31u) / 32u;
        for (unsigned w = 0; w < words; w++) {
            unsigned bits = net->prefix - 32u * w;
            uint32_t mask = bits >= 32 ? 0xffffffffu : 0xffffffffu << (32 - bits);
            uint32_t want = (uint32_t)net->ip6[4 * w] << 24 | (uint32_t)net->ip6[4 * w + 1] << 16 |
                            (uint32_t)net->ip6[4 * w + 2] << 8 | net->ip6[4 * w + 3];
            vfli_emit_op(e, VFM_OP_LD32, L->link->l3 + x->f->arg + 4u * w);
            if (mask != 0xffffffffu) {
                vfli_emit_push(e, mask);
                vfli_emit_op(e, VFM_OP_AND, 0);
            }
            vfli_emit_push(e, want & mask);
            vfli_emit_jump(e, VFM_OP_JNE, mismatch, NULL);
        }
        if (!negated == sense) /* every word matched: R = !negated */
            vfli_emit_jump(e, VFM_OP_JMP, label, NULL);
    }
    vfli_emit_bind(e, end);
}

/* ---- the top level ----------------------------------------------------------------------------
 */

static void gen_top(lower_t *L, const ir_t *n, int ret0)
{
    emitter_t *e = &L->e;
    if (!e->live)
        return;
    e->where = &n->span;
    if (n->kind == IR_CALL && strcmp(n->b->name, "if") == 0) {
        int other = vfli_emit_label(e);
        vfli_gen_branch(L, n->kids[0], false, other);
        gen_top(L, n->kids[1], ret0);
        vfli_emit_bind(e, other);
        gen_top(L, n->kids[2], ret0);
        return;
    }
    if (n->type == T_BOOL) {
        vfli_gen_branch(L, n, false, ret0);
        vfli_emit_push(e, 1);
    } else {
        vfli_gen_value(L, n, ret0);
    }
    vfli_emit_op(e, VFM_OP_RET, 0);
}

void vfli_lower(lower_t *L, const ir_t *root)
{
    emitter_t *e = &L->e;
    vfli_emit_init(e, L->c);
    if (L->link->kind == LK_RAW4)
        e->facts.fam = FAM_V4;
    else if (L->link->kind == LK_RAW6)
        e->facts.fam = FAM_V6;
    else if (L->link->kind != LK_ETHER)
        e->facts.fam = FAM_V4 | FAM_V6 | FAM_OTHER;
    int ret0 = vfli_emit_label(e);
    gen_top(L, root, ret0);
    vfli_emit_bind(e, ret0);
    if (e->live) {
        vfli_emit_push(e, 0);
        vfli_emit_op(e, VFM_OP_RET, 0);
    }
    vfli_emit_finish(e);
}
