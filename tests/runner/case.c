/* case.c - strict parser for .case files (format in case.h). */
#include <errno.h>
#include <stdarg.h>
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "case.h"
#include "errnames.h"
#include "vfm/asm.h"
#include "vfm/vfm.h"

enum section { S_NONE, S_DESC, S_ASM, S_BYTECODE, S_OPTIONS, S_PACKET, S_RESULT, S_ERROR };

static const char *const section_names[] = {
    [S_DESC] = "desc",       [S_ASM] = "asm",       [S_BYTECODE] = "bytecode",
    [S_OPTIONS] = "options", [S_PACKET] = "packet", [S_RESULT] = "result",
    [S_ERROR] = "error",
};
#define NSECTIONS (sizeof section_names / sizeof section_names[0])

typedef struct parser {
    const char *path;
    const char *text;
    size_t len;
    vfmt_case_t *c;
    char *err;
    size_t err_len;
    uint32_t seen_line[NSECTIONS]; /* header line of each section seen (0 = not seen) */
    const char *asm_text;          /* the asm section, for assembling after the parse */
    size_t asm_len;
    size_t nresults;               /* lines in the result section */
} parser_t;

__attribute__((format(printf, 3, 4))) static int bad(parser_t *p, uint32_t line, const char *fmt,
                                                     ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->err_len, "%s:%u: %s", p->path, line, what);
    return -1;
}

static bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

/* Trim [*s, *s + *n) of surrounding whitespace. */
static void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s))
        (*s)++, (*n)--;
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}

/* Cut a line at its "#" comment. */
static size_t uncomment(const char *s, size_t n)
{
    const char *h = memchr(s, '#', n);
    return h ? (size_t)(h - s) : n;
}

static char *dup_range(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int hex_digit(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

int vfmt_hex_parse(const char *s, size_t len, uint8_t **out, size_t *out_len, uint32_t *bad_line,
                   char *err, size_t err_len)
{
    uint8_t *buf = malloc(len / 2 + 1);
    size_t n = 0;
    int hi = -1;
    uint32_t line = 0, hi_line = 0;
    if (!buf) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '\n') {
            line++;
            continue;
        }
        if (is_space(ch))
            continue;
        if (ch == '#') {
            while (i + 1 < len && s[i + 1] != '\n')
                i++;
            continue;
        }
        int d = hex_digit(ch);
        if (d < 0) {
            if ((unsigned char)ch >= 0x21 && (unsigned char)ch < 0x7f)
                snprintf(err, err_len, "'%c' is not a hex digit", ch);
            else
                snprintf(err, err_len, "byte 0x%02x is not a hex digit", (unsigned char)ch);
            *bad_line = line;
            free(buf);
            return -1;
        }
        if (hi < 0) {
            hi = d;
            hi_line = line;
        } else {
            buf[n++] = (uint8_t)(hi << 4 | d);
            hi = -1;
        }
    }
    if (hi >= 0) {
        snprintf(err, err_len, "odd number of hex digits (a byte is two digits)");
        *bad_line = hi_line;
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = n;
    return 0;
}

/* Unsigned 64-bit number, decimal or 0x hex, the whole token. */
static bool parse_u64(const char *s, size_t n, uint64_t *v)
{
    unsigned base = 10;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, s += 2, n -= 2;
    if (n == 0)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hex_digit(s[i]);
        if (d < 0 || (unsigned)d >= base)
            return false;
        if (x > (UINT64_MAX - (unsigned)d) / base)
            return false;
        x = x * base + (unsigned)d;
    }
    *v = x;
    return true;
}

/* Iterate the lines of [s, s + n): ls and ll get the current line, pos moves to the next. */
static bool next_line(const char *s, size_t n, size_t *pos, const char **ls, size_t *ll)
{
    if (*pos >= n)
        return false;
    const char *nl = memchr(s + *pos, '\n', n - *pos);
    size_t end = nl ? (size_t)(nl - s) : n;
    *ls = s + *pos;
    *ll = end - *pos;
    *pos = nl ? end + 1 : n;
    return true;
}

/* Split a trimmed line into its first token and the rest (trimmed). */
static void split_token(const char *s, size_t n, const char **rest, size_t *tok_len,
                        size_t *rest_len)
{
    size_t t = 0;
    while (t < n && !is_space(s[t]))
        t++;
    *tok_len = t;
    *rest = s + t;
    *rest_len = n - t;
    trim(rest, rest_len);
}

static int parse_options(parser_t *p, const char *s, size_t n, uint32_t line0)
{
    size_t pos = 0, ll;
    const char *ls;
    for (uint32_t line = line0 + 1; next_line(s, n, &pos, &ls, &ll); line++) {
        ll = uncomment(ls, ll);
        trim(&ls, &ll);
        if (ll == 0)
            continue;
        const char *arg;
        size_t kl, al;
        split_token(ls, ll, &arg, &kl, &al);
        uint64_t v;
        if (al == 0)
            return bad(p, line, "option '%.*s' needs a value", (int)kl, ls);
        if (!parse_u64(arg, al, &v))
            return bad(p, line, "option '%.*s': '%.*s' is not a number", (int)kl, ls, (int)al,
                       arg);
        vfmt_case_t *c = p->c;
        bool *has;
        if (kl == 5 && memcmp(ls, "loops", 5) == 0) {
            has = &c->has_loops;
            c->loops = (uint32_t)v;
        } else if (kl == 8 && memcmp(ls, "linktype", 8) == 0) {
            has = &c->has_linktype;
            c->linktype = (int)v;
        } else if (kl == 4 && memcmp(ls, "flow", 4) == 0) {
            has = &c->has_flow;
            c->flow = (uint32_t)v;
        } else {
            return bad(p, line, "unknown option '%.*s' (known: loops, linktype, flow)", (int)kl,
                       ls);
        }
        if (v > UINT32_MAX || (has == &c->has_linktype && v > 0x7fffffff))
            return bad(p, line, "option '%.*s': %.*s is too large", (int)kl, ls, (int)al, arg);
        if (*has)
            return bad(p, line, "option '%.*s' given twice", (int)kl, ls);
        *has = true;
    }
    return 0;
}

static int parse_results(parser_t *p, const char *s, size_t n, uint32_t line0)
{
    size_t pos = 0, ll;
    const char *ls;
    vfmt_case_t *c = p->c;
    for (uint32_t line = line0 + 1; next_line(s, n, &pos, &ls, &ll); line++) {
        ll = uncomment(ls, ll);
        trim(&ls, &ll);
        if (ll == 0)
            continue;
        const char *rest;
        size_t tl, rl;
        split_token(ls, ll, &rest, &tl, &rl);
        if (rl)
            return bad(p, line, "one result per line: unexpected '%.*s'", (int)rl, rest);
        vfmt_expect_t e = {.code = VFM_SUCCESS, .line = line};
        if (tl > 4 && memcmp(ls, "VFM_", 4) == 0) {
            e.code = vfmt_errcode(ls, tl);
            if (e.code > 0)
                return bad(p, line, "unknown error name '%.*s'", (int)tl, ls);
            if (e.code == VFM_SUCCESS)
                return bad(p, line, "write a success as its value, not VFM_SUCCESS");
        } else if (!parse_u64(ls, tl, &e.value)) {
            return bad(p, line,
                       "result '%.*s' is neither an unsigned 64-bit number (decimal or 0x hex) "
                       "nor a VFM_ERROR_* name",
                       (int)tl, ls);
        }
        vfmt_expect_t *r = realloc(c->results, (p->nresults + 1) * sizeof *r);
        if (!r)
            return bad(p, line, "out of memory");
        c->results = r;
        c->results[p->nresults++] = e;
    }
    return 0;
}

static int parse_error(parser_t *p, const char *s, size_t n, uint32_t line0)
{
    /* Find the line of the first token for messages. */
    uint32_t line = line0 + 1;
    size_t i = 0;
    while (i < n && is_space(s[i]))
        line += s[i++] == '\n';
    const char *t = s + i;
    size_t tn = n - i;
    trim(&t, &tn);
    if (tn == 0)
        return bad(p, line0, "empty error section: write the error name and a message substring");
    const char *rest;
    size_t tl, rl;
    split_token(t, tn, &rest, &tl, &rl);
    int code = vfmt_errcode(t, tl);
    if (code > 0)
        return bad(p, line, "unknown error name '%.*s'", (int)tl, t);
    if (code == VFM_SUCCESS)
        return bad(p, line, "VFM_SUCCESS is not an error");
    if (rl == 0)
        return bad(p, line, "error %.*s: give a substring of the expected message after the name",
                   (int)tl, t);
    p->c->expect_error = true;
    p->c->error_code = code;
    p->c->error_line = line;
    p->c->error_msg = dup_range(rest, rl);
    return p->c->error_msg ? 0 : bad(p, line, "out of memory");
}

static int add_packet(parser_t *p, const char *s, size_t n, uint32_t line0)
{
    vfmt_case_t *c = p->c;
    char why[128];
    uint32_t bl = 0;
    uint8_t *data;
    size_t len;
    if (vfmt_hex_parse(s, n, &data, &len, &bl, why, sizeof why))
        return bad(p, line0 + 1 + bl, "packet: %s", why);
    vfmt_packet_t *pk = realloc(c->packets, (c->npackets + 1) * sizeof *pk);
    if (!pk) {
        free(data);
        return bad(p, line0, "out of memory");
    }
    c->packets = pk;
    c->packets[c->npackets++] = (vfmt_packet_t){data, len, line0};
    return 0;
}

/* Handle the body [s, s + n) of section @p sec whose header is at @p line0. */
static int end_section(parser_t *p, enum section sec, const char *s, size_t n, uint32_t line0)
{
    vfmt_case_t *c = p->c;
    const char *t = s;
    size_t tn = n;
    trim(&t, &tn);
    switch (sec) {
    case S_NONE:
    {
        /* Before the first header: only blank lines and # comments. */
        size_t pos = 0, ll;
        const char *ls;
        for (uint32_t line = 1; next_line(s, n, &pos, &ls, &ll); line++) {
            ll = uncomment(ls, ll);
            trim(&ls, &ll);
            if (ll)
                return bad(p, line, "text before the first section (expected '-- desc')");
        }
        return 0;
    }
    case S_DESC:
        if (tn == 0)
            return bad(p, line0, "empty description");
        c->desc = dup_range(t, tn);
        return c->desc ? 0 : bad(p, line0, "out of memory");
    case S_ASM:
        if (tn == 0)
            return bad(p, line0, "empty asm section");
        p->asm_text = s;
        p->asm_len = n;
        c->code_line = line0;
        c->from_asm = true;
        return 0;
    case S_BYTECODE: {
        char why[128];
        uint32_t bl = 0;
        uint8_t *data;
        size_t len;
        if (vfmt_hex_parse(s, n, &data, &len, &bl, why, sizeof why))
            return bad(p, line0 + 1 + bl, "bytecode: %s", why);
        if (len > UINT32_MAX) {
            free(data);
            return bad(p, line0, "bytecode too long");
        }
        c->code = data;
        c->code_len = (uint32_t)len;
        c->code_line = line0;
        return 0;
    }
    case S_OPTIONS: return parse_options(p, s, n, line0);
    case S_PACKET: return add_packet(p, s, n, line0);
    case S_RESULT: return parse_results(p, s, n, line0);
    case S_ERROR: return parse_error(p, s, n, line0);
    }
    return bad(p, line0, "internal error: section %d", (int)sec);
}

/* Assemble the asm section; lines are padded so the assembler's line numbers are the file's. */
static int assemble(parser_t *p)
{
    vfmt_case_t *c = p->c;
    size_t pad = c->code_line; /* the section starts on line code_line + 1 */
    char *src = malloc(pad + p->asm_len + 1);
    if (!src)
        return bad(p, c->code_line, "out of memory");
    memset(src, '\n', pad);
    memcpy(src + pad, p->asm_text, p->asm_len);
    src[pad + p->asm_len] = '\0';
    c->asm_src = dup_range(p->asm_text, p->asm_len);

    vfm_asm_opts_t opts;
    memset(&opts, 0, sizeof opts);
    opts.filename = p->path;
    opts.no_verify = 1;
    vfm_diag_t d;
    memset(&d, 0, sizeof d);
    int rc = vfm_assemble(src, pad + p->asm_len, &opts, &c->code, &c->code_len, &d);
    free(src);
    if (rc != VFM_SUCCESS) {
        snprintf(p->err, p->err_len, "%s (assembler: %s)", d.msg[0] ? d.msg : "?",
                 vfmt_errname(rc) ? vfmt_errname(rc) : "?");
        return -1;
    }
    return c->asm_src ? 0 : bad(p, c->code_line, "out of memory");
}

/* Cross-section rules, after every section is read. */
static int check(parser_t *p, uint32_t last_line)
{
    vfmt_case_t *c = p->c;
    uint32_t *seen = p->seen_line;
    if (!seen[S_DESC])
        return bad(p, 1, "missing '-- desc' section");
    if (!seen[S_ASM] && !seen[S_BYTECODE])
        return bad(p, last_line, "no program: add an '-- asm' or a '-- bytecode' section");
    if (seen[S_ASM] && seen[S_BYTECODE])
        return bad(p, seen[S_BYTECODE], "both '-- asm' (line %u) and '-- bytecode': pick one",
                   seen[S_ASM]);
    if (seen[S_RESULT] && seen[S_ERROR])
        return bad(p, seen[S_ERROR], "both '-- result' (line %u) and '-- error': pick one",
                   seen[S_RESULT]);
    if (!seen[S_RESULT] && !seen[S_ERROR])
        return bad(p, last_line, "nothing to check: add a '-- result' or an '-- error' section");
    if (seen[S_ERROR] && c->npackets)
        return bad(p, c->packets[0].line,
                   "a case expecting a load error ('-- error') cannot have packets");
    if (seen[S_RESULT]) {
        if (c->npackets == 0)
            return bad(p, seen[S_RESULT], "'-- result' without any '-- packet' section");
        if (p->nresults != c->npackets)
            return bad(p, seen[S_RESULT], "%zu result line%s for %zu packet%s", p->nresults,
                       p->nresults == 1 ? "" : "s", c->npackets, c->npackets == 1 ? "" : "s");
    }
    return 0;
}

/* A header line: "-- name" at column 0.  Returns its section, S_NONE if malformed. */
static enum section header(const char *s, size_t n, const char **name, size_t *name_len)
{
    const char *t = s + 2;
    size_t tn = n - 2;
    trim(&t, &tn);
    *name = t;
    *name_len = tn;
    if (n < 3 || s[2] != ' ')
        return S_NONE;
    for (size_t i = 1; i < NSECTIONS; i++)
        if (strlen(section_names[i]) == tn && memcmp(section_names[i], t, tn) == 0)
            return (enum section)i;
    return S_NONE;
}

int vfmt_case_parse(const char *path, const char *text, size_t len, vfmt_case_t *c, char *err,
                    size_t err_len)
{
    parser_t p;
    memset(&p, 0, sizeof p);
    memset(c, 0, sizeof *c);
    p.path = path;
    p.text = text;
    p.len = len;
    p.c = c;
    p.err = err;
    p.err_len = err_len;
    c->path = dup_range(path, strlen(path));

    int rc = 0;
    if (memchr(text, '\0', len)) {
        size_t at = (size_t)((const char *)memchr(text, '\0', len) - text);
        uint32_t line = 1;
        for (size_t i = 0; i < at; i++)
            line += text[i] == '\n';
        rc = bad(&p, line, "NUL byte in a text file");
    }

    enum section cur = S_NONE;
    size_t body = 0, pos = 0, ll;
    uint32_t cur_line = 0, line = 0;
    const char *ls;
    while (rc == 0 && next_line(text, len, &pos, &ls, &ll)) {
        line++;
        if (ll < 2 || ls[0] != '-' || ls[1] != '-')
            continue;
        const char *name;
        size_t nl;
        enum section sec = header(ls, ll, &name, &nl);
        if (sec == S_NONE) {
            rc = bad(&p, line, "unknown section header '%.*s' (known: desc, asm, bytecode, "
                               "options, packet, result, error)",
                     (int)(ll > 60 ? 60 : ll), ls);
            break;
        }
        rc = end_section(&p, cur, text + body, (size_t)(ls - text) - body, cur_line);
        if (rc)
            break;
        if (sec != S_PACKET && p.seen_line[sec]) {
            rc = bad(&p, line, "second '-- %s' section (first at line %u)", section_names[sec],
                     p.seen_line[sec]);
            break;
        }
        if (!p.seen_line[sec])
            p.seen_line[sec] = line;
        cur = sec;
        cur_line = line;
        body = pos;
    }
    if (rc == 0)
        rc = end_section(&p, cur, text + body, len - body, cur_line);
    if (rc == 0)
        rc = check(&p, line);
    if (rc == 0 && c->from_asm)
        rc = assemble(&p);
    if (rc) {
        vfmt_case_free(c);
        return -1;
    }
    return 0;
}

int vfmt_case_load(const char *path, vfmt_case_t *c, char *err, size_t err_len)
{
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            snprintf(err, err_len, "%s: out of memory", path);
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = realloc(buf, cap * 2);
        if (!nb)
            free(buf);
        buf = nb;
        cap *= 2;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        snprintf(err, err_len, "%s: read error", path);
        return -1;
    }
    int rc = vfmt_case_parse(path, buf, n, c, err, err_len);
    free(buf);
    return rc;
}

void vfmt_case_free(vfmt_case_t *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->desc);
    free(c->code);
    free(c->asm_src);
    for (size_t i = 0; i < c->npackets; i++)
        free(c->packets[i].data);
    free(c->packets);
    free(c->results);
    free(c->error_msg);
    memset(c, 0, sizeof *c);
}

int vfmt_case_walk(const char *dir, void (*fn)(void *user, const char *path), void *user)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        size_t nl = strlen(e->d_name);
        if (S_ISDIR(st.st_mode))
            vfmt_case_walk(path, fn, user);
        else if (nl > 5 && strcmp(e->d_name + nl - 5, ".case") == 0)
            fn(user, path);
    }
    closedir(d);
    return 0;
}
