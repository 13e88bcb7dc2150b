/*
 * vflisp.c - the public API: read, check, lower, verify, write the file image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vfm/bpf.h"
#include "vfm/bytecode.h"

#define SOURCE_MAX (16u << 20) /* 16 MiB of source is far beyond any filter */

void vfl_options_init(vfl_options_t *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->linktype = VFL_LINKTYPE_ETHERNET;
}

static int set_diag(vfl_diag_t *d, int code, const char *fmt, const char *a, const char *b)
{
    memset(d, 0, sizeof *d);
    d->code = code;
    snprintf(d->msg, sizeof d->msg, fmt, a, b);
    return code;
}

/*
 * Stand-in for the ancillary helpers and the app helper during verification:
 * the verifier needs their stack effect; whoever runs the program supplies
 * the real ones.
 */
static int no_helper(void *user, const uint8_t *pkt, size_t len, const uint64_t *args,
                     uint64_t *result)
{
    (void)user, (void)pkt, (void)len, (void)args, (void)result;
    return VFM_ERROR_HELPER;
}

/* The stages, inside the context's error exit. */
static int compile(vfl_ctx_t *c, const linkinfo_t *link, uint8_t **bytecode, uint32_t *len)
{
    uint32_t nforms;
    ast_t **forms = vfli_read(c, &nforms);
    ir_t *root = vfli_check(c, forms, nforms);
    lower_t L = {.c = c, .link = link};
    vfli_lower(&L, root);

    /* The compiler's output must pass the same verifier as any program;
     * if it does not, that is a bug here, not in the filter. */
    vfm_diag_t vd;
    vfm_helper_t helpers[VFM_HELPERS_MAX] = {{0}};
    vfm_verify_opts_t vo = {0};
    if (c->kernel_vlan) {
        helpers[VFM_HELPER_VLAN_AVAIL] = (vfm_helper_t){"vlan_avail", 0, 1, no_helper, NULL};
        helpers[VFM_HELPER_VLAN_TCI] = (vfm_helper_t){"vlan_tci", 0, 1, no_helper, NULL};
        vo.helpers = helpers;
        vo.nhelpers = VFM_HELPERS_MAX;
    }
    if (c->app_resolve) {
        helpers[VFM_HELPER_APP] = (vfm_helper_t){"app", 0, 1, no_helper, NULL};
        vo.helpers = helpers;
        vo.nhelpers = VFM_HELPERS_MAX;
    }
    if (vfm_verify_ex(L.e.code, L.e.len, &vo, &vd) != VFM_SUCCESS)
        vfli_fail(c, VFM_ERROR_VERIFICATION_FAILED,
                  "internal compiler error: the generated code fails verification (%s); please "
                  "report this filter",
                  vd.msg);
    uint8_t *image;
    size_t image_len;
    int rc = vfm_bytecode_write(L.e.code, L.e.len, &image, &image_len);
    if (rc != VFM_SUCCESS)
        vfli_fail(c, rc, "cannot write the bytecode: %s", vfm_error_string(rc));
    *bytecode = image;
    *len = (uint32_t)image_len;
    return VFM_SUCCESS;
}

/* The error exit lives here, in a function that modifies nothing after setjmp. */
static int compile_protected(vfl_ctx_t *c, const linkinfo_t *link, uint8_t **bytecode,
                             uint32_t *len)
{
    if (setjmp(c->fail) == 0)
        return compile(c, link, bytecode, len);
    return c->diag->code ? c->diag->code : VFM_ERROR_INVALID_PROGRAM;
}

int vfl_compile_ex(const char *src, size_t src_len, const vfl_options_t *opts, uint8_t **bytecode,
                   uint32_t *len, vfl_diag_t *diag)
{
    vfl_diag_t local;
    if (!diag)
        diag = &local;
    memset(diag, 0, sizeof *diag);
    if (bytecode)
        *bytecode = NULL;
    if (len)
        *len = 0;
    if (!src || !bytecode || !len)
        return set_diag(diag, VFM_ERROR_INVALID_ARGUMENT, "vfl_compile: %s%s", "NULL argument", "");
    vfl_options_t o;
    if (opts)
        o = *opts;
    else
        vfl_options_init(&o);
    const char *filename = o.filename ? o.filename : "<string>";
    const linkinfo_t *link = vfli_link(o.linktype);
    if (!link) {
        char num[32];
        snprintf(num, sizeof num, "%d", o.linktype);
        return set_diag(diag, VFM_ERROR_UNSUPPORTED,
                        "%s: link type %s is not supported (supported: EN10MB 1, LINUX_SLL 113, "
                        "LINUX_SLL2 276, RAW 12/14/101, IPV4 228, IPV6 229, NULL 0, LOOP 108)",
                        filename, num);
    }
    if (src_len > SOURCE_MAX)
        return set_diag(diag, VFM_ERROR_INVALID_PROGRAM, "%s: source too large (over %s)", filename,
                        "16 MiB");

    /* Heap, not a local: the arena in it changes between setjmp and longjmp. */
    vfl_ctx_t *c = calloc(1, sizeof *c);
    if (!c)
        return set_diag(diag, VFM_ERROR_NO_MEMORY, "%s: %s", filename, "out of memory");
    vfli_arena_init(&c->arena);
    c->src = src;
    c->src_len = src_len;
    c->filename = filename;
    c->linktype = o.linktype;
    c->kernel_vlan = o.live != 0;
    c->app_resolve = o.app_resolve;
    c->app_user = o.app_user;
    c->diag = diag;
    int rc = compile_protected(c, link, bytecode, len);
    vfli_arena_free(&c->arena);
    free(c);
    return rc;
}

int vfl_compile_string(const char *src, uint8_t **bytecode, uint32_t *len, char *err, size_t errlen)
{
    vfl_diag_t d;
    int rc = vfl_compile_ex(src, src ? strlen(src) : 0, NULL, bytecode, len, &d);
    if (rc != VFM_SUCCESS)
        vfl_format_diag(&d, err, errlen);
    else if (err && errlen)
        err[0] = '\0';
    return rc;
}

/* The whole file in a malloc'ed buffer. */
static int read_source(const char *path, char **out, size_t *out_len, vfl_diag_t *d)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return set_diag(d, VFM_ERROR_IO, "%s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap > SOURCE_MAX) {
                free(buf);
                fclose(f);
                return set_diag(d, VFM_ERROR_INVALID_PROGRAM, "%s: %s", path,
                                "source too large (over 16 MiB)");
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (!buf) {
        fclose(f);
        return set_diag(d, VFM_ERROR_NO_MEMORY, "%s: %s", path, "out of memory");
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        fclose(f);
        return set_diag(d, VFM_ERROR_IO, "%s: %s", path, strerror(e ? e : EIO));
    }
    fclose(f);
    *out = buf;
    *out_len = n;
    return VFM_SUCCESS;
}

static int compile_file(const char *path, const vfl_options_t *opts, uint8_t **bytecode,
                        uint32_t *len, vfl_diag_t *d)
{
    char *src;
    size_t n;
    int rc = read_source(path, &src, &n, d);
    if (rc != VFM_SUCCESS)
        return rc;
    vfl_options_t o;
    if (opts)
        o = *opts;
    else
        vfl_options_init(&o);
    if (!o.filename)
        o.filename = path;
    rc = vfl_compile_ex(src, n, &o, bytecode, len, d);
    free(src);
    return rc;
}

int vfl_compile_file(const char *path, uint8_t **bytecode, uint32_t *len, char *err, size_t errlen)
{
    vfl_diag_t d;
    int rc;
    if (bytecode)
        *bytecode = NULL;
    if (len)
        *len = 0;
    if (!path || !bytecode || !len)
        rc =
            set_diag(&d, VFM_ERROR_INVALID_ARGUMENT, "vfl_compile_file: %s%s", "NULL argument", "");
    else
        rc = compile_file(path, NULL, bytecode, len, &d);
    if (rc != VFM_SUCCESS)
        vfl_format_diag(&d, err, errlen);
    else if (err && errlen)
        err[0] = '\0';
    return rc;
}
