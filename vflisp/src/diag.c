/* diag.c - located error messages: "file:line:col: message", source line, caret. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Copy the source line holding byte @p off into diag->source (printable). */
static void copy_source_line(vfl_ctx_t *c, uint32_t off)
{
    size_t start = off, end = off;
    if (start > c->src_len)
        start = end = c->src_len;
    while (start > 0 && c->src[start - 1] != '\n')
        start--;
    while (end < c->src_len && c->src[end] != '\n' && c->src[end] != '\r')
        end++;
    size_t n = end - start, cap = sizeof c->diag->source - 1;
    if (n > cap)
        n = cap;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)c->src[start + i];
        c->diag->source[i] = (ch == '\t' || (ch >= 0x20 && ch != 0x7f)) ? (char)ch : '?';
    }
    c->diag->source[n] = '\0';
}

void vfli_error(vfl_ctx_t *c, const span_t *sp, const char *fmt, ...)
{
    vfl_diag_t *d = c->diag;
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    d->code = VFM_ERROR_INVALID_PROGRAM;
    if (sp) {
        d->line = sp->line;
        d->col = sp->col;
        snprintf(d->msg, sizeof d->msg, "%s:%u:%u: %s", c->filename, sp->line, sp->col, text);
        copy_source_line(c, sp->off);
    } else {
        d->line = d->col = 0;
        snprintf(d->msg, sizeof d->msg, "%s: %s", c->filename, text);
        d->source[0] = '\0';
    }
    longjmp(c->fail, 1);
}

void vfli_fail(vfl_ctx_t *c, int code, const char *fmt, ...)
{
    vfl_diag_t *d = c->diag;
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    d->code = code;
    d->line = d->col = 0;
    d->source[0] = '\0';
    snprintf(d->msg, sizeof d->msg, "%s: %s", c->filename, text);
    longjmp(c->fail, 1);
}

void vfl_format_diag(const vfl_diag_t *d, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    if (!d) {
        buf[0] = '\0';
        return;
    }
    if (d->line == 0 || d->col == 0) {
        snprintf(buf, len, "%s", d->msg);
        return;
    }
    /* The caret line keeps the tabs of the source so it lines up. */
    char caret[sizeof d->source + 2];
    size_t i = 0, slen = strlen(d->source);
    for (; i + 1 < d->col && i < sizeof caret - 2; i++)
        caret[i] = i < slen && d->source[i] == '\t' ? '\t' : ' ';
    caret[i++] = '^';
    caret[i] = '\0';
    snprintf(buf, len, "%s\n%s\n%s", d->msg, d->source, caret);
}
