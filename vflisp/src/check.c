/*
 * check.c - AST -> typed IR: names, arity, types, constant folding.
 *
 * A program is zero or more (define ...) forms followed by one filter
 * expression.  Names resolve, innermost first, to let bindings and function
 * parameters, then defines, then packet fields, then named constants.  A
 * name stands for its expression (substitution), so bound expressions must
 * be free of side effects (count-by).  Every error names the offending
 * source text.  Constants fold as the IR is built: (+ 1 2) is 3, (if 1 a b)
 * is a, (and 1 x) is x.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "vfm/isa.h"

typedef struct binding binding_t;
struct binding {
    const char *name;
    span_t span;
    ir_t *value;       /* a name for an expression */
    const ast_t *form; /* a function: (define (NAME PARAM...) BODY) */
    binding_t *env;    /* a function's scope at its definition */
    binding_t *next;
};

typedef struct checker {
    vfl_ctx_t *c;
    binding_t *scope;   /* innermost first */
    binding_t *defines; /* the top-level defines seen so far */
} checker_t;

static ir_t *check_expr(checker_t *k, const ast_t *a);

const char *vfli_type_name(vtype_t t)
{
    switch (t) {
    case T_INT: return "a number";
    case T_BOOL: return "a truth value";
    case T_NET4: return "an IPv4 prefix";
    case T_ADDR6: return "an IPv6 address field";
    case T_NET6: return "an IPv6 address";
    case T_WIDTH: return "a load width";
    }
    return "?";
}

/* ---- IR construction ------------------------------------------------------------- */

ir_t *vfli_ir_new(vfl_ctx_t *c, ir_kind_t kind, vtype_t type, const span_t *sp)
{
    ir_t *n = vfli_arena_alloc(c, sizeof *n);
    n->kind = kind;
    n->type = type;
    n->pure = true;
    if (sp)
        n->span = *sp;
    return n;
}

ir_t *vfli_ir_const(vfl_ctx_t *c, vtype_t type, uint64_t k, const span_t *sp)
{
    ir_t *n = vfli_ir_new(c, IR_CONST, type, sp);
    n->k = k;
    return n;
}

bool vfli_ir_equal(const ir_t *a, const ir_t *b)
{
    if (a == b)
        return true;
    if (a->kind != b->kind || a->type != b->type || a->k != b->k || a->b != b->b || a->f != b->f ||
        a->n != b->n || a->prefix != b->prefix || memcmp(a->ip6, b->ip6, sizeof a->ip6) != 0)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (!vfli_ir_equal(a->kids[i], b->kids[i]))
            return false;
    return true;
}

static ir_t *mk_call(checker_t *k, const builtin_t *b, const span_t *sp, vtype_t type, ir_t **kids,
                     uint32_t n)
{
    ir_t *node = vfli_ir_new(k->c, IR_CALL, type, sp);
    node->b = b;
    node->n = n;
    node->kids = vfli_arena_alloc(k->c, (n ? n : 1) * sizeof *node->kids);
    for (uint32_t i = 0; i < n; i++) {
        node->kids[i] = kids[i];
        node->pure &= kids[i]->pure;
    }
    if (b->flags & B_EFFECT)
        node->pure = false;
    return node;
}

static ir_t *mk_call2(checker_t *k, const builtin_t *b, const span_t *sp, vtype_t type, ir_t *x,
                      ir_t *y)
{
    ir_t *kids[2] = {x, y};
    return mk_call(k, b, sp, type, kids, 2);
}

/* ---- constant folding ---------------------------------------------------------------- */

static bool is_const(const ir_t *n)
{
    return n->kind == IR_CONST;
}

bool vfli_rel_holds(rel_t rel, uint64_t a, uint64_t b)
{
    switch (rel) {
    case REL_EQ: return a == b;
    case REL_NE: return a != b;
    case REL_GT: return a > b;
    case REL_LT: return a < b;
    case REL_GE: return a >= b;
    case REL_LE: return a <= b;
    }
    return false;
}

/* and/or: drop constants that do not decide, stop at one that does. */
static ir_t *fold_logic(checker_t *k, ir_t *n, bool is_and)
{
    uint32_t out = 0;
    bool decided = false, pure_before = true;
    for (uint32_t i = 0; i < n->n; i++) {
        ir_t *kid = n->kids[i];
        if (is_const(kid)) {
            bool truth = kid->k != 0;
            if (truth == is_and)
                continue; /* true in and, false in or: no effect */
            n->kids[out++] = kid;
            decided = true;
            break;
        }
        pure_before &= kid->pure;
        n->kids[out++] = kid;
    }
    n->n = out;
    if (out == 0)
        return vfli_ir_const(k->c, T_BOOL, is_and ? 1 : 0, &n->span);
    if (decided && pure_before)
        return vfli_ir_const(k->c, T_BOOL, is_and ? 0 : 1, &n->span);
    if (out == 1 && n->kids[0]->type == T_BOOL)
        return n->kids[0];
    return n;
}

static ir_t *fold(checker_t *k, ir_t *n)
{
    const builtin_t *b = n->b;
    if (b->flags & B_ARITH) {
        ir_t *x = n->kids[0], *y = n->kids[1];
        if ((b->opcode == VFM_OP_DIV || b->opcode == VFM_OP_MOD) && is_const(y) && y->k == 0)
            vfli_error(k->c, &y->span, "division by zero");
        if (is_const(x) && is_const(y))
            return vfli_ir_const(k->c, T_INT, vfm_binop_eval(b->opcode, x->k, y->k), &n->span);
        return n;
    }
    if (b->opcode == VFM_OP_NOT)
        return is_const(n->kids[0]) ? vfli_ir_const(k->c, T_INT, ~n->kids[0]->k, &n->span) : n;
    if (b->flags & B_CMP) {
        ir_t *x = n->kids[0], *y = n->kids[1];
        if (is_const(x) && is_const(y))
            return vfli_ir_const(k->c, T_BOOL, vfli_rel_holds((rel_t)b->sel, x->k, y->k), &n->span);
        return n;
    }
    if (strcmp(b->name, "and") == 0)
        return fold_logic(k, n, true);
    if (strcmp(b->name, "or") == 0)
        return fold_logic(k, n, false);
    if (strcmp(b->name, "not") == 0) {
        ir_t *x = n->kids[0];
        if (is_const(x))
            return vfli_ir_const(k->c, T_BOOL, x->k == 0, &n->span);
        /* (not (not c)) is c when c is already a truth value */
        if (x->kind == IR_CALL && x->b == b && x->kids[0]->type == T_BOOL)
            return x->kids[0];
        return n;
    }
    if (strcmp(b->name, "if") == 0 && is_const(n->kids[0]))
        return n->kids[0]->k ? n->kids[1] : n->kids[2];
    return n;
}

/* ---- names ------------------------------------------------------------------------------ */

static unsigned edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    /* Optimal-string-alignment distance; rows i-2, i-1 and i. */
    unsigned prev2[41] = {0}, prev[41], row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = prev[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j];
            unsigned best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            /* a swap of two neighbours costs 1 ("tpc" -> "tcp") */
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            row[j] = best;
            diag = up;
        }
        memcpy(prev2, prev, sizeof prev);
        memcpy(prev, row, sizeof row);
    }
    return row[lb];
}

typedef struct suggestion {
    const char *best;
    unsigned dist;
} suggestion_t;

static void consider(suggestion_t *s, const char *name, const char *cand)
{
    unsigned d = edit_distance(name, cand);
    size_t len = strlen(name);
    unsigned limit = len <= 2 ? 0 : len <= 4 ? 1 : 2;
    if (d <= limit && d < s->dist) {
        s->best = cand;
        s->dist = d;
    }
}

/* " (did you mean 'x'?)" or "". */
static const char *did_you_mean(checker_t *k, const char *name, bool operators, char *buf,
                                size_t len)
{
    suggestion_t s = {NULL, 99};
    if (operators) {
        for (unsigned i = 0; vfli_builtin_at(i); i++)
            consider(&s, name, vfli_builtin_at(i)->name);
        for (binding_t *b = k->scope; b; b = b->next)
            if (b->form)
                consider(&s, name, b->name);
    } else {
        for (binding_t *b = k->scope; b; b = b->next)
            if (!b->form)
                consider(&s, name, b->name);
        for (unsigned i = 0; vfli_field_at(i); i++)
            consider(&s, name, vfli_field_at(i)->name);
        for (unsigned i = 0; vfli_const_at(i); i++)
            consider(&s, name, vfli_const_at(i)->name);
    }
    if (!s.best)
        return "";
    snprintf(buf, len, " (did you mean '%s'?)", s.best);
    return buf;
}

static unsigned width_bytes(const char *name)
{
    if (strcmp(name, "u8") == 0)
        return 1;
    if (strcmp(name, "u16") == 0)
        return 2;
    if (strcmp(name, "u32") == 0)
        return 4;
    if (strcmp(name, "u64") == 0)
        return 8;
    return 0;
}

static binding_t *lookup(checker_t *k, const char *name)
{
    for (binding_t *b = k->scope; b; b = b->next)
        if (strcmp(b->name, name) == 0)
            return b;
    return NULL;
}

/* A name about to be bound by let, define or a parameter. */
static void check_new_name(checker_t *k, const ast_t *a, const char *what)
{
    if (a->kind != AST_SYM)
        vfli_error(k->c, &a->span, "%s must be a name", what);
    const char *name = a->sym;
    const char *clash = vfli_builtin(name)  ? "an operator"
                        : vfli_field(name)  ? "a packet field"
                        : vfli_const(name)  ? "a named constant"
                        : width_bytes(name) ? "a load width"
                                            : NULL;
    if (clash)
        vfli_error(k->c, &a->span, "'%s' is %s; choose another name", name, clash);
}

static ir_t *check_symbol(checker_t *k, const ast_t *a)
{
    const char *name = a->sym;
    binding_t *b = lookup(k, name);
    if (b) {
        if (b->form)
            vfli_error(k->c, &a->span, "'%s' is a function; call it as (%s ...)", name, name);
        return b->value;
    }
    const field_t *f = vfli_field(name);
    if (f && strcmp(name, "app") == 0 && !k->c->app_resolve)
        vfli_error(k->c, &a->span,
                   "'app' (the nDPI application of the packet's flow) needs the nDPI extension: "
                   "use vfm-classify, or compile with vfl_options_t.app_resolve");
    if (f) {
        ir_t *n = vfli_ir_new(k->c, IR_FIELD, f->type, &a->span);
        n->f = f;
        return n;
    }
    const vconst_t *cst = vfli_const(name);
    if (cst)
        return vfli_ir_const(k->c, T_INT, cst->value, &a->span);
    unsigned w = width_bytes(name);
    if (w) {
        ir_t *n = vfli_ir_new(k->c, IR_WIDTH, T_WIDTH, &a->span);
        n->k = w;
        return n;
    }
    if (vfli_builtin(name))
        vfli_error(k->c, &a->span, "'%s' is an operator; write (%s ...)", name, name);
    char buf[96];
    vfli_error(k->c, &a->span, "unknown name '%s'%s", name,
               did_you_mean(k, name, false, buf, sizeof buf));
}

/* ---- argument types ------------------------------------------------------------------------- */

static _Noreturn void bad_arg(checker_t *k, const ir_t *arg, unsigned i, const char *op,
                              const char *want)
{
    const char *hint = "";
    if (arg->type == T_BOOL && strcmp(want, "a number") == 0)
        hint = " (use (if TEST 1 0) to make a number of it)";
    else if (arg->type == T_NET4)
        hint = " (test a prefix with (in-net FIELD PREFIX))";
    else if (arg->type == T_ADDR6)
        hint = " (IPv6 addresses work with =, != and in-net only)";
    else if (arg->type == T_WIDTH)
        hint = " (widths go only in the load forms)";
    vfli_error(k->c, &arg->span, "argument %u of '%s' must be %s, not %s%s", i, op, want,
               vfli_type_name(arg->type), hint);
}

static void check_arg(checker_t *k, const builtin_t *b, const ir_t *arg, unsigned i)
{
    argkind_t kind = b->args[i < 3 ? i : 2];
    switch (kind) {
    case A_INT:
        if (arg->type != T_INT)
            bad_arg(k, arg, i + 1, b->name, "a number");
        break;
    case A_TRUTH:
    case A_ANY:
        if (arg->type != T_INT && arg->type != T_BOOL)
            bad_arg(k, arg, i + 1, b->name, "a number or a truth value");
        break;
    case A_WIDTH:
        if (arg->kind != IR_WIDTH)
            vfli_error(k->c, &arg->span, "argument %u of '%s' must be a width: u8, u16, u32 or u64",
                       i + 1, b->name);
        break;
    case A_NET:
        if (arg->type != T_NET4 && arg->type != T_NET6)
            vfli_error(k->c, &arg->span,
                       "argument %u of '%s' must be a prefix such as 10.0.0.0/8 or 2001:db8::/32",
                       i + 1, b->name);
        break;
    case A_SPECIAL: break;
    }
}

static void arity(checker_t *k, const ast_t *a, const char *name, uint32_t min, uint32_t max,
                  const char *usage)
{
    uint32_t got = a->n - 1;
    if (got >= min && (max == ARGS_MANY || got <= max))
        return;
    char want[64];
    if (min == max)
        snprintf(want, sizeof want, "%u argument%s", min, min == 1 ? "" : "s");
    else if (max == ARGS_MANY)
        snprintf(want, sizeof want, "at least %u argument%s", min, min == 1 ? "" : "s");
    else
        snprintf(want, sizeof want, "%u to %u arguments", min, max);
    const span_t *where = got >= min ? &a->kids[max + 1]->span : &a->kids[0]->span;
    vfli_error(k->c, where, "'%s' takes %s, got %u%s%s", name, want, got, usage ? ": " : "",
               usage ? usage : "");
}

/* ---- special forms -------------------------------------------------------------------------- */

static void require_pure(checker_t *k, const ir_t *v, const char *what, const char *name)
{
    if (!v->pure)
        vfli_error(k->c, &v->span,
                   "%s '%s' uses count-by/flow-count: a name stands for its expression, so the "
                   "counter would be bumped at every use; call count-by directly instead",
                   what, name);
}

static binding_t *bind(checker_t *k, const ast_t *name, ir_t *value, binding_t *next)
{
    binding_t *b = vfli_arena_alloc(k->c, sizeof *b);
    b->name = name->sym;
    b->span = name->span;
    b->value = value;
    b->next = next;
    return b;
}

/* (let ((NAME EXPR) ...) BODY): each binding sees the ones before it. */
static ir_t *check_let(checker_t *k, const ast_t *a)
{
    static const char usage[] = "(let ((NAME EXPR) ...) BODY)";
    arity(k, a, "let", 2, 2, usage);
    const ast_t *list = a->kids[1];
    if (list->kind != AST_LIST)
        vfli_error(k->c, &list->span, "let needs a list of bindings: %s", usage);
    binding_t *saved = k->scope;
    for (uint32_t i = 0; i < list->n; i++) {
        const ast_t *bnd = list->kids[i];
        if (bnd->kind != AST_LIST || bnd->n != 2)
            vfli_error(k->c, &bnd->span, "a let binding is (NAME EXPR): %s", usage);
        check_new_name(k, bnd->kids[0], "the first element of a let binding");
        ir_t *v = check_expr(k, bnd->kids[1]);
        require_pure(k, v, "the value of", bnd->kids[0]->sym);
        k->scope = bind(k, bnd->kids[0], v, k->scope);
    }
    ir_t *body = check_expr(k, a->kids[2]);
    k->scope = saved;
    return body;
}

/* (define NAME EXPR) or (define (NAME PARAM...) BODY), at the top level. */
static void check_define(checker_t *k, const ast_t *a)
{
    static const char usage[] = "(define NAME EXPR) or (define (NAME PARAM...) BODY)";
    arity(k, a, "define", 2, 2, usage);
    const ast_t *target = a->kids[1];
    const ast_t *name = target->kind == AST_LIST && target->n > 0 ? target->kids[0] : target;
    if (target->kind == AST_LIST && target->n == 0)
        vfli_error(k->c, &target->span, "define needs a name: %s", usage);
    check_new_name(k, name, "the name in define");
    for (binding_t *b = k->defines; b; b = b->next)
        if (strcmp(b->name, name->sym) == 0)
            vfli_error(k->c, &name->span, "'%s' is already defined (line %u)", name->sym,
                       b->span.line);
    binding_t *b;
    if (target->kind == AST_LIST) {
        for (uint32_t i = 1; i < target->n; i++) {
            check_new_name(k, target->kids[i], "a parameter");
            for (uint32_t j = 1; j < i; j++)
                if (strcmp(target->kids[j]->sym, target->kids[i]->sym) == 0)
                    vfli_error(k->c, &target->kids[i]->span, "parameter '%s' appears twice",
                               target->kids[i]->sym);
        }
        b = bind(k, name, NULL, k->defines);
        b->form = a;
        b->env = k->defines;
    } else {
        ir_t *v = check_expr(k, a->kids[2]);
        require_pure(k, v, "the value of", name->sym);
        b = bind(k, name, v, k->defines);
    }
    k->defines = b;
    k->scope = b;
}

/* A call of a function made with define: its body with the parameters bound. */
static ir_t *check_fcall(checker_t *k, const ast_t *a, binding_t *fn)
{
    const ast_t *sig = fn->form->kids[1];
    uint32_t nparams = sig->n - 1;
    arity(k, a, fn->name, nparams, nparams, NULL);
    binding_t *scope = fn->env;
    for (uint32_t i = 0; i < nparams; i++) {
        ir_t *v = check_expr(k, a->kids[i + 1]);
        require_pure(k, v, "the argument for", sig->kids[i + 1]->sym);
        scope = bind(k, sig->kids[i + 1], v, scope);
    }
    binding_t *saved = k->scope;
    k->scope = scope;
    ir_t *body = check_expr(k, fn->form->kids[2]);
    k->scope = saved;
    return body;
}

/* (in-net FIELD PREFIX): IPv4 becomes (= (& FIELD mask) net); IPv6 stays a call. */
static ir_t *check_in_net(checker_t *k, const ast_t *a, const builtin_t *b)
{
    arity(k, a, b->name, 2, 2, "(in-net ADDRESS PREFIX)");
    ir_t *x = check_expr(k, a->kids[1]), *net = check_expr(k, a->kids[2]);
    check_arg(k, b, net, 1);
    if (net->type == T_NET6) {
        if (x->type != T_ADDR6 || x->kind != IR_FIELD)
            vfli_error(k->c, &x->span,
                       "argument 1 of 'in-net' must be src-ip6 or dst-ip6 for an IPv6 prefix, "
                       "not %s",
                       vfli_type_name(x->type));
        return mk_call2(k, b, &a->span, T_BOOL, x, net);
    }
    if (x->type != T_INT)
        vfli_error(k->c, &x->span,
                   "argument 1 of 'in-net' must be a number (an IPv4 address) for an IPv4 prefix, "
                   "not %s",
                   vfli_type_name(x->type));
    uint64_t mask = net->prefix ? (0xffffffffull << (32 - net->prefix)) & 0xffffffffull : 0;
    const builtin_t *band = vfli_builtin("&"), *eq = vfli_builtin("=");
    ir_t *masked = net->prefix == 32
                       ? x
                       : fold(k, mk_call2(k, band, &a->span, T_INT, x,
                                          vfli_ir_const(k->c, T_INT, mask, &net->span)));
    return fold(k, mk_call2(k, eq, &a->span, T_BOOL, masked,
                            vfli_ir_const(k->c, T_INT, net->k, &net->span)));
}

/* (= ADDR6-FIELD ADDRESS) / (!= ...): an in-net with a /128, negated for !=. */
static ir_t *check_eq6(checker_t *k, const ast_t *a, const builtin_t *b, ir_t *x, ir_t *y)
{
    if (x->type != T_ADDR6) {
        ir_t *t = x;
        x = y;
        y = t;
    }
    if (x->kind != IR_FIELD)
        vfli_error(k->c, &x->span, "'%s' compares an IPv6 address field with an address", b->name);
    if (y->type != T_NET6 || y->prefix != 128)
        vfli_error(k->c, &y->span,
                   "%s can only be compared with an IPv6 address such as ::1, not %s", x->f->name,
                   y->type == T_NET6 ? "a prefix (use in-net)" : vfli_type_name(y->type));
    ir_t *n = mk_call2(k, vfli_builtin("in-net"), &a->span, T_BOOL, x, y);
    n->k = b->sel == REL_NE;
    return n;
}

/* ---- application names (the nDPI extension) -------------------------------------------------- */

/* A string where no application name may go. */
static _Noreturn void bad_string(checker_t *k, const ast_t *str)
{
    if (!k->c->app_resolve)
        vfli_error(k->c, &str->span, "unexpected '\"': VFLisp has no strings");
    vfli_error(k->c, &str->span,
               "a string is an application name: compare it with app, as in (= app \"%s\")",
               str->sym);
}

/* Is @p n the app field? */
static bool is_app(const ir_t *n)
{
    return n->kind == IR_FIELD && strcmp(n->f->name, "app") == 0;
}

/*
 * (= app "NAME") and (!= app "NAME").  The helper pushes (master << 16) |
 * app (vfm/vfm_ndpi.h); a single name matches a flow having it as either,
 * so "TLS" matches TLS and TLS.Google, "Google" matches Google and
 * TLS.Google, while a pair "TLS.Google" (an id above 0xffff) and "Unknown"
 * (0) match exactly.
 */
static ir_t *check_app_cmp(checker_t *k, const ast_t *a, const builtin_t *b)
{
    const ast_t *str = a->kids[1]->kind == AST_STR ? a->kids[1] : a->kids[2];
    const ast_t *other = str == a->kids[1] ? a->kids[2] : a->kids[1];
    if (other->kind == AST_STR)
        bad_string(k, other);
    ir_t *x = check_expr(k, other);
    if (!is_app(x))
        bad_string(k, str);
    if (b->sel != REL_EQ && b->sel != REL_NE)
        vfli_error(k->c, &a->kids[0]->span,
                   "applications are compared with = and != only, as in (= app \"%s\")",
                   str->sym);
    uint64_t id;
    if (k->c->app_resolve(k->c->app_user, str->sym, &id) != 0)
        vfli_error(k->c, &str->span,
                   "unknown application \"%s\" (nDPI protocol names such as \"DNS\", \"TLS\" "
                   "or \"TLS.Google\"; vfm-classify --list-apps lists them)",
                   str->sym);
    /* != is built from != (not from not =) so that a packet without a flow fails both. */
    bool ne = b->sel == REL_NE;
    const builtin_t *cmp = vfli_builtin(ne ? "!=" : "=");
    if (id == 0 || id > 0xffff)
        return mk_call2(k, cmp, &a->span, T_BOOL, x, vfli_ir_const(k->c, T_INT, id, &str->span));
    ir_t *lo = mk_call2(k, vfli_builtin("&"), &a->span, T_INT, x,
                        vfli_ir_const(k->c, T_INT, 0xffff, &str->span));
    ir_t *hi = mk_call2(k, vfli_builtin(">>"), &a->span, T_INT, x,
                        vfli_ir_const(k->c, T_INT, 16, &str->span));
    ir_t *kids[2] = {
        mk_call2(k, cmp, &a->span, T_BOOL, lo, vfli_ir_const(k->c, T_INT, id, &str->span)),
        mk_call2(k, cmp, &a->span, T_BOOL, hi, vfli_ir_const(k->c, T_INT, id, &str->span)),
    };
    ir_t *test = mk_call(k, vfli_builtin(ne ? "and" : "or"), &a->span, T_BOOL, kids, 2);
    return test;
}

/* ---- calls ------------------------------------------------------------------------------------
 */

static ir_t *check_call(checker_t *k, const ast_t *a, const builtin_t *b)
{
    if (b->flags & B_TOPLEVEL)
        vfli_error(k->c, &a->kids[0]->span,
                   "define is only allowed at the top level, before the filter expression (use "
                   "let inside expressions)");
    if (strcmp(b->name, "let") == 0)
        return check_let(k, a);
    if (strcmp(b->name, "in-net") == 0)
        return check_in_net(k, a, b);
    arity(k, a, b->name, b->min_args, b->max_args,
          strcmp(b->name, "if") == 0 ? "(if CONDITION THEN ELSE)" : NULL);
    if ((b->flags & B_CMP) && a->n == 3 &&
        (a->kids[1]->kind == AST_STR || a->kids[2]->kind == AST_STR))
        return check_app_cmp(k, a, b);
    uint32_t n = a->n - 1;
    ir_t **args = vfli_arena_alloc(k->c, n * sizeof *args);
    for (uint32_t i = 0; i < n; i++)
        args[i] = check_expr(k, a->kids[i + 1]);
    if ((b->flags & B_CMP) && (args[0]->type == T_ADDR6 || args[1]->type == T_ADDR6)) {
        if (b->sel != REL_EQ && b->sel != REL_NE)
            vfli_error(k->c, &a->kids[0]->span,
                       "IPv6 addresses can only be compared with = and != (or tested with in-net)");
        return check_eq6(k, a, b, args[0], args[1]);
    }
    for (uint32_t i = 0; i < n; i++)
        check_arg(k, b, args[i], i);
    if (b->flags & B_LOAD) {
        const ir_t *off = args[1];
        if (is_const(off) && off->k > 0xffff)
            vfli_error(k->c, &off->span, "offset %llu is too large (the limit is 65535)",
                       (unsigned long long)off->k);
    }
    if (b->flags & B_ARITH) {
        /* (- x) is 0 - x; (op a b c) is (op (op a b) c). */
        if (n == 1)
            return fold(k, mk_call2(k, b, &a->span, T_INT, vfli_ir_const(k->c, T_INT, 0, &a->span),
                                    args[0]));
        ir_t *acc = args[0];
        for (uint32_t i = 1; i < n; i++)
            acc = fold(k, mk_call2(k, b, &a->span, T_INT, acc, args[i]));
        return acc;
    }
    vtype_t type = b->result == R_INT                                     ? T_INT
                   : b->result == R_BOOL                                  ? T_BOOL
                   : (args[1]->type == T_BOOL && args[2]->type == T_BOOL) ? T_BOOL
                                                                          : T_INT;
    return fold(k, mk_call(k, b, &a->span, type, args, n));
}

static ir_t *check_list(checker_t *k, const ast_t *a)
{
    if (a->n == 0)
        vfli_error(k->c, &a->span, "empty list: expected (OPERATOR ARGUMENT...)");
    const ast_t *head = a->kids[0];
    if (head->kind == AST_LIST)
        vfli_error(k->c, &head->span, "expected an operator name here, not a list");
    if (head->kind != AST_SYM)
        vfli_error(k->c, &head->span,
                   "expected an operator name here, not a literal (a list starts with its "
                   "operator, as in (= proto 6))");
    const char *name = head->sym;
    binding_t *fn = lookup(k, name);
    if (fn && fn->form)
        return check_fcall(k, a, fn);
    if (fn)
        vfli_error(k->c, &head->span, "'%s' names a value, not a function", name);
    const builtin_t *b = vfli_builtin(name);
    if (b)
        return check_call(k, a, b);
    if (vfli_field(name))
        vfli_error(k->c, &head->span, "'%s' is a packet field, not an operator (as in (= %s ...))",
                   name, name);
    if (vfli_const(name))
        vfli_error(k->c, &head->span, "'%s' is a named constant, not an operator", name);
    char buf[96];
    vfli_error(k->c, &head->span, "unknown operator '%s'%s", name,
               did_you_mean(k, name, true, buf, sizeof buf));
}

static ir_t *check_expr(checker_t *k, const ast_t *a)
{
    switch (a->kind) {
    case AST_NUM:
    case AST_IP4: return vfli_ir_const(k->c, T_INT, a->num, &a->span);
    case AST_NET4: {
        ir_t *n = vfli_ir_new(k->c, IR_NET4, T_NET4, &a->span);
        n->k = a->num;
        n->prefix = a->prefix;
        return n;
    }
    case AST_IP6:
    case AST_NET6: {
        ir_t *n = vfli_ir_new(k->c, IR_NET6, T_NET6, &a->span);
        memcpy(n->ip6, a->ip6, sizeof n->ip6);
        n->prefix = a->prefix;
        return n;
    }
    case AST_SYM: return check_symbol(k, a);
    case AST_LIST: return check_list(k, a);
    case AST_STR: bad_string(k, a);
    }
    vfli_fail(k->c, VFM_ERROR_VERIFICATION_FAILED, "internal compiler error: bad AST node");
}

static bool is_define(const ast_t *a)
{
    return a->kind == AST_LIST && a->n > 0 && a->kids[0]->kind == AST_SYM &&
           strcmp(a->kids[0]->sym, "define") == 0;
}

ir_t *vfli_check(vfl_ctx_t *c, ast_t **forms, uint32_t n)
{
    checker_t k = {.c = c};
    if (n == 0) {
        span_t sp = {.off = 0, .len = 0, .line = 1, .col = 1};
        vfli_error(c, &sp, "empty program: expected a filter expression such as (= proto 6)");
    }
    for (uint32_t i = 0; i + 1 < n; i++) {
        if (!is_define(forms[i]))
            vfli_error(c, &forms[i]->span,
                       "a program is (define ...) forms followed by one filter expression; this "
                       "expression is not the last form");
        check_define(&k, forms[i]);
    }
    if (is_define(forms[n - 1]))
        vfli_error(c, &forms[n - 1]->span,
                   "the program ends with a define: add the filter "
                   "expression after it");
    ir_t *root = check_expr(&k, forms[n - 1]);
    if (root->type != T_INT && root->type != T_BOOL)
        vfli_error(c, &root->span, "a filter must be a number or a truth value, not %s",
                   vfli_type_name(root->type));
    return root;
}
