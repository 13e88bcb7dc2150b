/*
 * reader.c - VFLisp text -> AST.
 *
 * Lexical syntax: `(` `)`, `;` comments to the end of the line, integers
 * (decimal, 0x hex, 0b binary, optionally negative: wraps modulo 2^64),
 * IPv4 dotted quads (10.0.0.1) and prefixes (10.0.0.0/8), IPv6 addresses and
 * prefixes (2001:db8::/32), and names made of letters, digits and
 * - + * / % = ! < > & | ^ ~ ? _ .  Every node records its span for messages.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Deep enough for any real filter, shallow enough for the C stack and for
 * the VM's 256-value stack. */
#define MAX_NESTING 200

typedef struct reader {
    vfl_ctx_t *c;
    size_t pos;
    uint32_t line, col;
} reader_t;

static int peek(const reader_t *r)
{
    return r->pos < r->c->src_len ? (unsigned char)r->c->src[r->pos] : -1;
}

static void advance(reader_t *r)
{
    if (r->c->src[r->pos] == '\n') {
        r->line++;
        r->col = 1;
    } else {
        r->col++;
    }
    r->pos++;
}

static span_t here(const reader_t *r)
{
    return (span_t){.off = (uint32_t)r->pos, .len = 1, .line = r->line, .col = r->col};
}

static void skip_space(reader_t *r)
{
    for (int ch; (ch = peek(r)) >= 0;) {
        if (ch == ';') {
            while (peek(r) >= 0 && peek(r) != '\n')
                advance(r);
        } else if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' ||
                   ch == '\v') {
            advance(r);
        } else {
            return;
        }
    }
}

static bool is_atom_char(int ch)
{
    return ch >= 0 && (isalnum(ch) || strchr("-+*/%=!<>&|^~?_.:", ch) != NULL) && ch != '\0';
}

static _Noreturn void bad_char(reader_t *r)
{
    span_t sp = here(r);
    int ch = peek(r);
    if (ch == '[' || ch == ']' || ch == '{' || ch == '}')
        vfli_error(r->c, &sp, "unexpected '%c': VFLisp uses only ( and )", ch);
    if (ch == '"')
        vfli_error(r->c, &sp, "unexpected '\"': put a space before a string");
    if (ch == '\'' || ch == '`' || ch == ',' || ch == '#')
        vfli_error(r->c, &sp, "unexpected '%c': VFLisp has no quoting or reader macros", ch);
    if (ch == 0)
        vfli_error(r->c, &sp, "NUL byte in the source");
    if (ch > 0x20 && ch < 0x7f)
        vfli_error(r->c, &sp, "unexpected character '%c'", ch);
    vfli_error(r->c, &sp, "unexpected byte 0x%02x", (unsigned)ch);
}

/* ---- literals --------------------------------------------------------------- */

static bool parse_uint(const char *s, size_t n, uint64_t *out)
{
    unsigned base = 10;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2, n -= 2;
    else if (n > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
        base = 2, s += 2, n -= 2;
    if (n == 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d;
        char ch = s[i];
        if (ch >= '0' && ch <= '9')
            d = (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            d = (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            d = (unsigned)(ch - 'A' + 10);
        else
            return false;
        if (d >= base)
            return false;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

static void read_number(reader_t *r, ast_t *a, const char *t, size_t n)
{
    bool neg = t[0] == '-';
    uint64_t v;
    if (!parse_uint(t + neg, n - neg, &v)) {
        /* Tell "too big" from "not a number". */
        bool digits = true;
        for (size_t i = neg; i < n; i++)
            digits &= isdigit((unsigned char)t[i]) != 0;
        if (digits)
            vfli_error(r->c, &a->span, "number '%.*s' does not fit in 64 bits", (int)n, t);
        vfli_error(r->c, &a->span, "malformed number '%.*s'", (int)n, t);
    }
    a->kind = AST_NUM;
    a->num = neg ? (uint64_t)0 - v : v;
}

/* Prefix length after '/', 0..max. */
static unsigned read_prefix(reader_t *r, ast_t *a, const char *p, size_t n, unsigned max,
                            const char *t, size_t tn)
{
    uint64_t v;
    if (n == 0 || n > 3 || !parse_uint(p, n, &v) || !isdigit((unsigned char)p[0]) || v > max)
        vfli_error(r->c, &a->span, "bad prefix length in '%.*s' (0..%u)", (int)tn, t, max);
    return (unsigned)v;
}

static void read_ip4(reader_t *r, ast_t *a, const char *t, size_t n)
{
    const char *slash = memchr(t, '/', n);
    size_t an = slash ? (size_t)(slash - t) : n;
    uint32_t addr = 0;
    unsigned parts = 0;
    size_t i = 0;
    while (i < an) {
        size_t j = i;
        while (j < an && isdigit((unsigned char)t[j]))
            j++;
        uint64_t v;
        if (j == i || j - i > 3 || !parse_uint(t + i, j - i, &v) || v > 255 || parts == 4)
            vfli_error(r->c, &a->span, "malformed IPv4 address '%.*s'", (int)n, t);
        addr = addr << 8 | (uint32_t)v;
        parts++;
        i = j;
        if (i < an) {
            if (t[i] != '.' || i + 1 == an)
                vfli_error(r->c, &a->span, "malformed IPv4 address '%.*s'", (int)n, t);
            i++;
        }
    }
    if (parts != 4)
        vfli_error(r->c, &a->span, "malformed IPv4 address '%.*s' (need 4 numbers)", (int)n, t);
    a->num = addr;
    if (!slash) {
        a->kind = AST_IP4;
        return;
    }
    unsigned len = read_prefix(r, a, slash + 1, n - an - 1, 32, t, n);
    uint32_t mask = len ? 0xffffffffu << (32 - len) : 0;
    if (addr & ~mask)
        vfli_error(r->c, &a->span,
                   "'%.*s' has bits set beyond the /%u prefix (did you mean %u.%u.%u.%u/%u?)",
                   (int)n, t, len, (addr & mask) >> 24, (addr & mask) >> 16 & 255,
                   (addr & mask) >> 8 & 255, addr & mask & 255, len);
    a->kind = AST_NET4;
    a->prefix = (uint8_t)len;
}

static void read_ip6(reader_t *r, ast_t *a, const char *t, size_t n)
{
    const char *slash = memchr(t, '/', n);
    size_t an = slash ? (size_t)(slash - t) : n;
    char buf[64];
    if (an >= sizeof buf)
        vfli_error(r->c, &a->span, "malformed IPv6 address '%.*s'", (int)n, t);
    memcpy(buf, t, an);
    buf[an] = '\0';
    if (inet_pton(AF_INET6, buf, a->ip6) != 1)
        vfli_error(r->c, &a->span, "malformed IPv6 address '%.*s'", (int)n, t);
    if (!slash) {
        a->kind = AST_IP6;
        a->prefix = 128;
        return;
    }
    unsigned len = read_prefix(r, a, slash + 1, n - an - 1, 128, t, n);
    for (unsigned bit = len; bit < 128; bit++)
        if (a->ip6[bit / 8] & (0x80u >> (bit % 8)))
            vfli_error(r->c, &a->span, "'%.*s' has bits set beyond the /%u prefix", (int)n, t, len);
    a->kind = AST_NET6;
    a->prefix = (uint8_t)len;
}

static ast_t *read_atom(reader_t *r)
{
    ast_t *a = vfli_arena_alloc(r->c, sizeof *a);
    a->span = here(r);
    size_t start = r->pos;
    while (is_atom_char(peek(r)))
        advance(r);
    int ch = peek(r);
    if (ch >= 0 && ch != '(' && ch != ')' && ch != ';' && !isspace(ch))
        bad_char(r);
    const char *t = r->c->src + start;
    size_t n = r->pos - start;
    a->span.len = (uint32_t)n;
    bool digit0 = isdigit((unsigned char)t[0]);
    bool neg_num = t[0] == '-' && n > 1 && isdigit((unsigned char)t[1]);
    if (memchr(t, ':', n))
        read_ip6(r, a, t, n);
    else if (digit0 && memchr(t, '.', n))
        read_ip4(r, a, t, n);
    else if (digit0 || neg_num)
        read_number(r, a, t, n);
    else {
        a->kind = AST_SYM;
        a->sym = vfli_arena_strndup(r->c, t, n);
    }
    return a;
}

/*
 * "text": an application name for `app` (the checker says where strings may
 * go).  Printable ASCII only and no escapes: nDPI names need none.
 */
enum { STRING_MAX = 63 };

static ast_t *read_string(reader_t *r)
{
    ast_t *a = vfli_arena_alloc(r->c, sizeof *a);
    a->kind = AST_STR;
    a->span = here(r);
    advance(r); /* '"' */
    size_t start = r->pos;
    for (;;) {
        int ch = peek(r);
        if (ch < 0 || ch == '\n')
            vfli_error(r->c, &a->span, "unterminated string: missing '\"' on this line");
        if (ch == '"')
            break;
        if (ch < 0x20 || ch > 0x7e || ch == '\\') {
            span_t sp = here(r);
            vfli_error(r->c, &sp, "a string holds printable characters only, without escapes");
        }
        advance(r);
    }
    size_t n = r->pos - start;
    if (n > STRING_MAX)
        vfli_error(r->c, &a->span, "string too long (%zu characters; the limit is %d)", n,
                   STRING_MAX);
    a->sym = vfli_arena_strndup(r->c, r->c->src + start, n);
    advance(r); /* '"' */
    a->span.len = (uint32_t)(r->pos - a->span.off);
    return a;
}

/* ---- lists -------------------------------------------------------------------- */

static ast_t *read_form(reader_t *r, unsigned depth);

static ast_t *read_list(reader_t *r, unsigned depth)
{
    ast_t *a = vfli_arena_alloc(r->c, sizeof *a);
    a->kind = AST_LIST;
    a->span = here(r);
    if (depth >= MAX_NESTING)
        vfli_error(r->c, &a->span, "expression nested too deeply (limit %d levels)", MAX_NESTING);
    advance(r); /* '(' */
    uint32_t cap = 0;
    for (;;) {
        skip_space(r);
        int ch = peek(r);
        if (ch < 0)
            vfli_error(r->c, &a->span, "unclosed '(': missing ')' before the end of the input");
        if (ch == ')') {
            advance(r);
            break;
        }
        ast_t *kid = read_form(r, depth + 1);
        if (a->n == cap) {
            cap = cap ? cap * 2 : 4;
            ast_t **kids = vfli_arena_alloc(r->c, cap * sizeof *kids);
            if (a->n)
                memcpy(kids, a->kids, a->n * sizeof *kids);
            a->kids = kids;
        }
        a->kids[a->n++] = kid;
    }
    a->span.len = (uint32_t)(r->pos - a->span.off);
    return a;
}

static ast_t *read_form(reader_t *r, unsigned depth)
{
    int ch = peek(r);
    if (ch == '(')
        return read_list(r, depth);
    if (ch == ')') {
        span_t sp = here(r);
        vfli_error(r->c, &sp, "unexpected ')' (no matching '(')");
    }
    if (ch == '"')
        return read_string(r);
    if (!is_atom_char(ch))
        bad_char(r);
    return read_atom(r);
}

ast_t **vfli_read(vfl_ctx_t *c, uint32_t *n)
{
    reader_t r = {.c = c, .pos = 0, .line = 1, .col = 1};
    ast_t **forms = NULL;
    uint32_t count = 0, cap = 0;
    for (;;) {
        skip_space(&r);
        if (peek(&r) < 0)
            break;
        ast_t *f = read_form(&r, 0);
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            ast_t **nf = vfli_arena_alloc(c, cap * sizeof *nf);
            if (count)
                memcpy(nf, forms, count * sizeof *nf);
            forms = nf;
        }
        forms[count++] = f;
    }
    *n = count;
    return forms;
}
