/*
 * asm.c - VFM assembly text -> raw code.
 *
 * Syntax (vfm/asm.h, docs/isa.md):
 *
 *   [label:]... [MNEMONIC [operand]]   [; comment | # comment]
 *
 * Two passes.  Pass 1 lexes and parses every line into an item (opcode,
 * operand, source position), sizes it and records labels.  Pass 2 resolves
 * label operands and emits bytes.  Sizes never depend on labels (a jump is
 * always REL16 and PUSH picks its form from the value alone), so the pcs of
 * pass 1 are final.
 *
 * Sugar: `PUSH k` picks the shortest encoding (PUSH8 sign-extended, PUSH16,
 * PUSH32, PUSH); `PUSH64 k` forces the 8-byte form (so a disassembled
 * non-canonical PUSH re-assembles to the same bytes); `RET k` is PUSH k; RET.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"
#include "vfm/asm.h"

/* A value token: sign and magnitude, kept apart so ranges check exactly. */
typedef struct asm_num {
    bool neg;
    uint64_t mag;
} asm_num_t;

typedef enum { TK_END, TK_IDENT, TK_NUM, TK_COLON, TK_BAD } asm_tk_t;

typedef struct asm_tok {
    asm_tk_t kind;
    const char *text; /* into the source */
    uint32_t len;
    uint32_t col;     /* 1-based */
    asm_num_t num;    /* TK_NUM */
} asm_tok_t;

/* One source instruction (RET k counts as one item of two instructions). */
typedef struct asm_item {
    const vfm_opinfo_t *info; /* opcode to emit (PUSH form already chosen) */
    uint32_t pc, size;        /* size includes the RET of `RET k` */
    uint32_t line, col;       /* of the mnemonic */
    uint32_t ocol;            /* of the operand */
    uint64_t k;               /* operand value (jumps: relative offset) */
    const char *sym;          /* jump to a label: its name, else NULL */
    uint32_t symlen;
    bool ret_sugar;           /* RET k: emit RET after the PUSH */
} asm_item_t;

typedef struct asm_label {
    const char *name;
    uint32_t len;
    uint32_t pc, line, col;
} asm_label_t;

typedef struct asm_state {
    const char *src;
    size_t len;
    const char *file;
    const vfm_asm_opts_t *opts;
    vfm_diag_t *diag;

    /* current line: [ls, le) */
    size_t ls, le, pos;
    uint32_t line;

    asm_item_t *items;
    size_t nitems, items_cap;
    asm_label_t *labels;
    size_t nlabels, labels_cap;
    uint32_t *hash; /* label index + 1, 0 = empty; open addressing */
    size_t hash_cap;
    uint32_t pc;
} asm_state_t;

/* Longest piece of source quoted in a message. */
#define QUOTE_MAX 40

__attribute__((format(printf, 5, 6))) static int fail(asm_state_t *st, int code, uint32_t line,
                                                      uint32_t col, const char *fmt, ...)
{
    vfm_diag_t *d = st->diag;
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    d->code = code;
    d->pc = VFM_NO_PC;
    d->line = line;
    d->col = col;
    snprintf(d->msg, sizeof d->msg, "%s:%u:%u: %s", st->file, line, col, what);
    return code;
}

#define SYNTAX(st, col, ...) fail(st, VFM_ERROR_INVALID_PROGRAM, (st)->line, col, __VA_ARGS__)

/* ---- lexer ---------------------------------------------------------------- */

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
}

static bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Length of @p t for quoting (capped; the message says "..." when cut). */
static int qlen(const asm_tok_t *t) { return t->len > QUOTE_MAX ? QUOTE_MAX : (int)t->len; }
static const char *qdots(const asm_tok_t *t) { return t->len > QUOTE_MAX ? "..." : ""; }

/* Parse the digits of a number token (sign already skipped). */
static int lex_number(asm_state_t *st, asm_tok_t *t, const char *p, const char *end)
{
    unsigned base = 10;
    if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        base = 16;
    else if (end - p >= 2 && p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
        base = 2;
    if (base != 10) {
        p += 2;
        if (p == end)
            return SYNTAX(st, t->col, "number '%.*s' has no digits after its prefix", qlen(t),
                          t->text);
    }
    uint64_t v = 0;
    for (; p < end; p++) {
        unsigned dv = (unsigned)digit_value(*p);
        if (*p == '_' || dv >= base)
            return SYNTAX(st, t->col, "invalid digit '%c' in number '%.*s%s'", *p, qlen(t),
                          t->text, qdots(t));
        if (v > (UINT64_MAX - dv) / base)
            return SYNTAX(st, t->col, "number '%.*s%s' does not fit in 64 bits", qlen(t),
                          t->text, qdots(t));
        v = v * base + dv;
    }
    t->num.mag = v;
    return VFM_SUCCESS;
}

/* Next token of the current line; comments end the line. */
static int lex(asm_state_t *st, asm_tok_t *t)
{
    const char *s = st->src;
    size_t i = st->pos;
    while (i < st->le && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\f' ||
                          s[i] == '\v'))
        i++;
    memset(t, 0, sizeof *t);
    t->text = s + i;
    t->col = (uint32_t)(i - st->ls + 1);
    if (i >= st->le || s[i] == ';' || s[i] == '#') {
        t->kind = TK_END;
        st->pos = st->le;
        return VFM_SUCCESS;
    }
    size_t start = i;
    char c = s[i];
    if (c == ':') {
        t->kind = TK_COLON;
        i++;
    } else if (is_ident_start(c)) {
        while (i < st->le && is_ident_char(s[i]))
            i++;
        t->kind = TK_IDENT;
    } else if (is_digit(c) || ((c == '-' || c == '+') && i + 1 < st->le && is_digit(s[i + 1]))) {
        size_t digits = (c == '-' || c == '+') ? i + 1 : i;
        i = digits;
        while (i < st->le && is_ident_char(s[i]))
            i++;
        t->kind = TK_NUM;
        t->len = (uint32_t)(i - start);
        t->num.neg = c == '-';
        int rc = lex_number(st, t, s + digits, s + i);
        if (rc)
            return rc;
    } else {
        t->kind = TK_BAD;
        i++;
    }
    t->len = (uint32_t)(i - start);
    st->pos = i;
    return VFM_SUCCESS;
}

static int peek(asm_state_t *st, asm_tok_t *t)
{
    size_t save = st->pos;
    int rc = lex(st, t);
    st->pos = save;
    return rc;
}

/* "'x'" for an unexpected token (printable form of a stray byte). */
static void describe(const asm_tok_t *t, char *buf, size_t n)
{
    if (t->kind == TK_END)
        snprintf(buf, n, "end of line");
    else if (t->kind == TK_BAD && (unsigned char)t->text[0] < 0x20)
        snprintf(buf, n, "character 0x%02x", (unsigned char)t->text[0]);
    else if (t->kind == TK_BAD && (unsigned char)t->text[0] >= 0x7f)
        snprintf(buf, n, "byte 0x%02x", (unsigned char)t->text[0]);
    else if (t->kind == TK_BAD)
        snprintf(buf, n, "character '%c'", t->text[0]);
    else
        snprintf(buf, n, "'%.*s%s'", qlen(t), t->text, qdots(t));
}

/* ---- labels --------------------------------------------------------------- */

static uint32_t name_hash(const char *s, uint32_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* Slot for @p name in the hash: either its label or an empty slot. */
static uint32_t *label_slot(asm_state_t *st, const char *name, uint32_t n)
{
    size_t mask = st->hash_cap - 1;
    for (size_t i = name_hash(name, n) & mask;; i = (i + 1) & mask) {
        uint32_t *slot = &st->hash[i];
        if (*slot == 0)
            return slot;
        const asm_label_t *l = &st->labels[*slot - 1];
        if (l->len == n && memcmp(l->name, name, n) == 0)
            return slot;
    }
}

static const asm_label_t *label_find(asm_state_t *st, const char *name, uint32_t n)
{
    if (!st->hash_cap)
        return NULL;
    uint32_t *slot = label_slot(st, name, n);
    return *slot ? &st->labels[*slot - 1] : NULL;
}

/* Keep the hash at most half full. */
static int label_grow(asm_state_t *st)
{
    size_t cap = st->hash_cap ? st->hash_cap * 2 : 64;
    uint32_t *h = calloc(cap, sizeof *h);
    if (!h)
        return VFM_ERROR_NO_MEMORY;
    free(st->hash);
    st->hash = h;
    st->hash_cap = cap;
    for (size_t i = 0; i < st->nlabels; i++)
        *label_slot(st, st->labels[i].name, st->labels[i].len) = (uint32_t)i + 1;
    return VFM_SUCCESS;
}

static int label_define(asm_state_t *st, const asm_tok_t *t)
{
    const asm_label_t *old = label_find(st, t->text, t->len);
    if (old)
        return SYNTAX(st, t->col, "duplicate label '%.*s%s' (first defined at line %u)", qlen(t),
                      t->text, qdots(t), old->line);
    if (st->nlabels >= UINT32_MAX - 1)
        return SYNTAX(st, t->col, "too many labels");
    if ((st->nlabels + 1) * 2 > st->hash_cap && label_grow(st))
        return fail(st, VFM_ERROR_NO_MEMORY, st->line, t->col, "out of memory");
    if (st->nlabels == st->labels_cap) {
        size_t cap = st->labels_cap ? st->labels_cap * 2 : 32;
        asm_label_t *l = realloc(st->labels, cap * sizeof *l);
        if (!l)
            return fail(st, VFM_ERROR_NO_MEMORY, st->line, t->col, "out of memory");
        st->labels = l;
        st->labels_cap = cap;
    }
    st->labels[st->nlabels] = (asm_label_t){t->text, t->len, st->pc, st->line, t->col};
    *label_slot(st, t->text, t->len) = (uint32_t)++st->nlabels;
    return VFM_SUCCESS;
}

/* ---- operands ------------------------------------------------------------- */

/* Accepted range of an operand: -neg_max..pos_max. */
typedef struct asm_range {
    const char *what; /* "offset", "value", ... */
    uint64_t neg_max;
    uint64_t pos_max;
    const char *text; /* the range as written in messages */
} asm_range_t;

static const asm_range_t range_off16 = {"offset", 0, 0xffff, "0..65535"};
static const asm_range_t range_imm8 = {"value", 128, 127, "-128..127"};
static const asm_range_t range_imm16 = {"value", 0, 0xffff, "0..65535"};
static const asm_range_t range_imm32 = {"value", 0, 0xffffffffu, "0..4294967295"};
static const asm_range_t range_imm64 = {"value", 1ull << 63, UINT64_MAX,
                                        "-9223372036854775808..18446744073709551615"};
static const asm_range_t range_rel16 = {"jump offset", 32768, 32767, "-32768..32767"};
static const asm_range_t range_helper = {"helper id", 0, 0xffff, "0..65535"};

static const asm_range_t *operand_range(vfm_operand_t kind)
{
    switch (kind) {
    case VFM_OPND_OFF16: return &range_off16;
    case VFM_OPND_IMM8: return &range_imm8;
    case VFM_OPND_IMM16: return &range_imm16;
    case VFM_OPND_IMM32: return &range_imm32;
    case VFM_OPND_IMM64: return &range_imm64;
    case VFM_OPND_REL16: return &range_rel16;
    case VFM_OPND_HELPER16: return &range_helper;
    case VFM_OPND_NONE:
    case VFM_OPND_COUNT_: break;
    }
    return NULL;
}

/* Check @p t against @p r and return its two's-complement value in *k. */
static int check_range(asm_state_t *st, const asm_tok_t *t, const asm_range_t *r,
                       const char *mnem, uint64_t *k)
{
    bool ok = t->num.neg ? t->num.mag <= r->neg_max : t->num.mag <= r->pos_max;
    if (!ok)
        return SYNTAX(st, t->col, "%s %.*s%s out of range %s for %s", r->what, qlen(t), t->text,
                      qdots(t), r->text, mnem);
    *k = t->num.neg ? (uint64_t)0 - t->num.mag : t->num.mag;
    return VFM_SUCCESS;
}

/* The shortest PUSH for @p v (the decoder sign-extends PUSH8). */
static const vfm_opinfo_t *shortest_push(uint64_t v)
{
    int64_t s = (int64_t)v;
    if (s >= -128 && s <= 127)
        return vfm_opinfo(VFM_OP_PUSH8);
    if (v <= 0xffff)
        return vfm_opinfo(VFM_OP_PUSH16);
    if (v <= 0xffffffffu)
        return vfm_opinfo(VFM_OP_PUSH32);
    return vfm_opinfo(VFM_OP_PUSH);
}

/* What the operand of @p kind is, for "missing operand" messages. */
static const char *operand_what(vfm_operand_t kind)
{
    switch (kind) {
    case VFM_OPND_OFF16: return "a packet offset 0..65535";
    case VFM_OPND_IMM8: return "a value -128..127";
    case VFM_OPND_IMM16: return "a value 0..65535";
    case VFM_OPND_IMM32: return "a value 0..4294967295";
    case VFM_OPND_IMM64: return "a value";
    case VFM_OPND_REL16: return "a label or a relative offset";
    case VFM_OPND_HELPER16: return "a helper name or id";
    case VFM_OPND_NONE:
    case VFM_OPND_COUNT_: break;
    }
    return "an operand";
}

static int resolve_helper(asm_state_t *st, const asm_tok_t *t, uint64_t *k)
{
    const vfm_verify_opts_t *v = &st->opts->verify;
    for (uint32_t i = 0; v->helpers && i < v->nhelpers; i++) {
        const char *n = v->helpers[i].name;
        if (n && strlen(n) == t->len && memcmp(n, t->text, t->len) == 0) {
            *k = i;
            return VFM_SUCCESS;
        }
    }
    return SYNTAX(st, t->col, "unknown helper '%.*s%s'", qlen(t), t->text, qdots(t));
}

/* Parse the operand (if any) of @p it and check that nothing follows it. */
static int parse_operand(asm_state_t *st, asm_item_t *it, bool forced64)
{
    char mnem[QUOTE_MAX + 4];
    snprintf(mnem, sizeof mnem, "%s", forced64 ? "PUSH64" : it->info->name);
    asm_tok_t t;
    int rc = lex(st, &t);
    if (rc)
        return rc;
    it->ocol = t.col;
    vfm_operand_t kind = (vfm_operand_t)it->info->operand;
    bool is_ret = it->info->code == VFM_OP_RET;
    char found[64];

    if (kind == VFM_OPND_NONE && !(is_ret && t.kind != TK_END)) {
        if (t.kind == TK_END)
            return VFM_SUCCESS;
        describe(&t, found, sizeof found);
        return SYNTAX(st, t.col, "unexpected operand %s: %s takes none", found, mnem);
    }
    if (t.kind == TK_END)
        return SYNTAX(st, t.col, "missing operand: %s needs %s", mnem, operand_what(kind));

    if (is_ret || (it->info->code == VFM_OP_PUSH && !forced64)) {
        /* RET k / PUSH k: any 64-bit value, shortest form. */
        if (t.kind != TK_NUM) {
            describe(&t, found, sizeof found);
            return SYNTAX(st, t.col, "%s needs a number, found %s", mnem, found);
        }
        rc = check_range(st, &t, &range_imm64, mnem, &it->k);
        if (rc)
            return rc;
        it->ret_sugar = is_ret;
        it->info = shortest_push(it->k);
    } else if (kind == VFM_OPND_REL16 && t.kind == TK_IDENT) {
        it->sym = t.text;
        it->symlen = t.len;
    } else if (kind == VFM_OPND_HELPER16 && t.kind == TK_IDENT) {
        rc = resolve_helper(st, &t, &it->k);
        if (rc)
            return rc;
    } else if (t.kind == TK_NUM) {
        rc = check_range(st, &t, operand_range(kind), mnem, &it->k);
        if (rc)
            return rc;
    } else {
        describe(&t, found, sizeof found);
        return SYNTAX(st, t.col, "%s needs %s, found %s", mnem, operand_what(kind), found);
    }

    rc = lex(st, &t);
    if (rc)
        return rc;
    if (t.kind != TK_END) {
        describe(&t, found, sizeof found);
        return SYNTAX(st, t.col, "unexpected %s after the operand of %s", found, mnem);
    }
    return VFM_SUCCESS;
}

/* ---- pass 1: parse, size, define labels ----------------------------------- */

static int add_item(asm_state_t *st, const asm_item_t *it)
{
    if ((uint64_t)st->pc + it->size > VFM_CODE_MAX)
        return fail(st, VFM_ERROR_INVALID_PROGRAM, it->line, it->col,
                    "program too large: more than %u bytes of code (VFM_CODE_MAX)", VFM_CODE_MAX);
    if (st->nitems == st->items_cap) {
        size_t cap = st->items_cap ? st->items_cap * 2 : 64;
        asm_item_t *n = realloc(st->items, cap * sizeof *n);
        if (!n)
            return fail(st, VFM_ERROR_NO_MEMORY, it->line, it->col, "out of memory");
        st->items = n;
        st->items_cap = cap;
    }
    st->items[st->nitems++] = *it;
    st->pc += it->size;
    return VFM_SUCCESS;
}

static int parse_line(asm_state_t *st)
{
    asm_tok_t t, next;
    char found[64];
    for (;;) {
        int rc = lex(st, &t);
        if (rc)
            return rc;
        if (t.kind == TK_END)
            return VFM_SUCCESS;
        if (t.kind != TK_IDENT) {
            describe(&t, found, sizeof found);
            return SYNTAX(st, t.col, "expected a label or an instruction, found %s", found);
        }
        rc = peek(st, &next);
        if (rc)
            return rc;
        if (next.kind != TK_COLON)
            break;
        rc = label_define(st, &t);
        if (rc)
            return rc;
        lex(st, &next); /* the colon */
    }

    /* t is the mnemonic. */
    asm_item_t it = {.line = st->line, .col = t.col};
    bool forced64 = false;
    it.info = vfm_opinfo_by_name(t.text, t.len);
    if (!it.info && t.len == 6 && strncasecmp(t.text, "PUSH64", 6) == 0) {
        it.info = vfm_opinfo(VFM_OP_PUSH);
        forced64 = true;
    }
    if (!it.info)
        return SYNTAX(st, t.col, "unknown mnemonic '%.*s%s'", qlen(&t), t.text, qdots(&t));
    int rc = parse_operand(st, &it, forced64);
    if (rc)
        return rc;
    it.pc = st->pc;
    it.size = it.info->size + (it.ret_sugar ? 1u : 0u);
    return add_item(st, &it);
}

static int pass1(asm_state_t *st)
{
    size_t i = 0;
    st->line = 0;
    while (i < st->len) {
        st->line++;
        st->ls = i;
        const char *nl = memchr(st->src + i, '\n', st->len - i);
        st->le = nl ? (size_t)(nl - st->src) : st->len;
        st->pos = st->ls;
        /* A NUL cannot appear in text: say so rather than stop at it. */
        const char *nul = memchr(st->src + st->ls, '\0', st->le - st->ls);
        if (nul)
            return SYNTAX(st, (uint32_t)(nul - st->src - st->ls) + 1,
                          "unexpected character 0x00 (binary input?)");
        int rc = parse_line(st);
        if (rc)
            return rc;
        i = nl ? st->le + 1 : st->len;
        if (st->line == UINT32_MAX)
            return SYNTAX(st, 1, "too many lines");
    }
    if (st->nitems == 0)
        return fail(st, VFM_ERROR_INVALID_PROGRAM, 1, 1, "empty program: no instructions");
    return VFM_SUCCESS;
}

/* ---- pass 2: resolve and emit --------------------------------------------- */

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int pass2(asm_state_t *st, uint8_t *code)
{
    for (size_t i = 0; i < st->nitems; i++) {
        asm_item_t *it = &st->items[i];
        uint32_t isize = it->info->size;
        if (it->sym) {
            const asm_label_t *l = label_find(st, it->sym, it->symlen);
            if (!l)
                return fail(st, VFM_ERROR_INVALID_PROGRAM, it->line, it->ocol,
                            "undefined label '%.*s%s'", it->symlen > QUOTE_MAX ? QUOTE_MAX
                                                                                 : (int)it->symlen,
                            it->sym, it->symlen > QUOTE_MAX ? "..." : "");
            int64_t rel = (int64_t)l->pc - (int64_t)(it->pc + isize);
            if (rel < -32768 || rel > 32767)
                return fail(st, VFM_ERROR_INVALID_PROGRAM, it->line, it->ocol,
                            "jump to '%.*s%s' out of range (%+lld bytes; limit +-32767)",
                            it->symlen > QUOTE_MAX ? QUOTE_MAX : (int)it->symlen, it->sym,
                            it->symlen > QUOTE_MAX ? "..." : "", (long long)rel);
            it->k = (uint64_t)rel;
        }
        uint8_t *p = code + it->pc;
        p[0] = it->info->code;
        put_le(p + 1, it->k, isize - 1u);
        if (it->ret_sugar)
            p[isize] = VFM_OP_RET;
    }
    return VFM_SUCCESS;
}

/* The item whose bytes contain @p pc (the last one for pc past the end). */
static const asm_item_t *item_at(const asm_state_t *st, uint32_t pc)
{
    size_t lo = 0, hi = st->nitems;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->items[mid].pc <= pc)
            lo = mid;
        else
            hi = mid;
    }
    return &st->items[lo];
}

static int verify(asm_state_t *st, const uint8_t *code, uint32_t len)
{
    vfm_diag_t vd;
    memset(&vd, 0, sizeof vd);
    int rc = vfm_verify_ex(code, len, &st->opts->verify, &vd);
    if (rc == VFM_SUCCESS)
        return rc;
    const asm_item_t *it = item_at(st, vd.pc == VFM_NO_PC ? len : vd.pc);
    fail(st, rc, it->line, it->col, "%s", vd.msg[0] ? vd.msg : vfm_error_string(rc));
    st->diag->pc = vd.pc;
    return rc;
}

int vfm_assemble(const char *src, size_t len, const vfm_asm_opts_t *opts, uint8_t **code,
                 uint32_t *code_len, vfm_diag_t *diag)
{
    static const vfm_asm_opts_t defaults;
    vfm_diag_t local;
    asm_state_t st;
    memset(&st, 0, sizeof st);
    st.diag = diag ? diag : &local;
    st.opts = opts ? opts : &defaults;
    st.file = st.opts->filename ? st.opts->filename : "<input>";
    st.src = src;
    st.len = len;
    if (!code || !code_len || (!src && len))
        return fail(&st, VFM_ERROR_INVALID_ARGUMENT, 0, 0, "invalid argument");
    *code = NULL;
    *code_len = 0;

    uint8_t *out = NULL;
    int rc = pass1(&st);
    if (rc == VFM_SUCCESS) {
        out = calloc(1, st.pc);
        rc = out ? pass2(&st, out) : fail(&st, VFM_ERROR_NO_MEMORY, 0, 0, "out of memory");
    }
    if (rc == VFM_SUCCESS && !st.opts->no_verify)
        rc = verify(&st, out, st.pc);
    if (rc == VFM_SUCCESS) {
        *code = out;
        *code_len = st.pc;
        out = NULL;
    }
    free(out);
    free(st.items);
    free(st.labels);
    free(st.hash);
    return rc;
}
