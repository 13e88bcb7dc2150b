/*
 * filter.c - one VFLisp filter: a VM per link type, compiled when the first
 * frame of that link type arrives.
 */
#include "filter.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfm/asm.h"
#include "vfm/bytecode.h"
#include "vfm/helpers.h"
#include "vfm/vflisp.h"
#include "vfm/vfm.h"
#ifdef VFMWS_HAVE_NDPI
#include "app.h"
#endif

/* The code for one link type: a ready VM, or why there is none. */
typedef struct slot {
    int linktype;
    vfm_state_t *vm; /* NULL when compiling failed */
    char *why;       /* the compiler's message when vm is NULL */
    int error;       /* and its code */
} slot_t;

struct vfmws_filter {
    char *name;
    char *src;
    slot_t slots[VFMWS_LINKTYPES_MAX];
    unsigned nslots;
    unsigned last; /* slot of the previous frame: captures rarely mix link types */
    bool uses_app; /* calls VFM_HELPER_APP: frames must be classified */
};

/* Does the bytecode image call helper @p id? */
static bool calls_helper(const uint8_t *image, uint32_t len, unsigned id)
{
    const uint8_t *code;
    uint32_t n;
    if (vfm_bytecode_parse(image, len, &code, &n, NULL, 0) != VFM_SUCCESS)
        return false;
    for (uint32_t pc = 0; pc < n;) {
        int size = vfm_format_insn(code, n, pc, NULL, 0);
        if (size <= 0)
            return false;
        if (code[pc] == VFM_OP_CALL && size >= 3 && (code[pc + 1] | code[pc + 2] << 8) == (int)id)
            return true;
        pc += (uint32_t)size;
    }
    return false;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/*
 * Compile for @p linktype into a new VM.  Returns 0, or an error code with
 * the one-line message in @p why.  The HASH5 link type follows the code's
 * (as vfm-test sets it from the capture), and the JIT is asked for: when it
 * declines, the interpreter gives the same results.
 */
static int compile(vfmws_filter_t *f, int linktype, vfm_state_t **out, char *why,
                   size_t whylen)
{
    vfl_options_t opts;
    vfl_options_init(&opts);
    opts.linktype = linktype;
    opts.filename = f->name;
#ifdef VFMWS_HAVE_NDPI
    opts.app_resolve = vfmws_app_resolve;
#endif
    vfl_diag_t diag;
    uint8_t *code = NULL;
    uint32_t len = 0;
    int rc = vfl_compile_ex(f->src, strlen(f->src), &opts, &code, &len, &diag);
    if (rc != VFM_SUCCESS) {
        snprintf(why, whylen, "%s", diag.msg);
        return rc;
    }
    vfm_state_t *vm = vfm_create();
    if (!vm) {
        free(code);
        snprintf(why, whylen, "%s: %s", f->name, vfm_error_string(VFM_ERROR_NO_MEMORY));
        return VFM_ERROR_NO_MEMORY;
    }
    f->uses_app |= calls_helper(code, len, VFM_HELPER_APP);
#ifdef VFMWS_HAVE_NDPI
    vfm_helper_t h;
    vfmws_app_helper(linktype, &h);
    vfm_register_helper(vm, VFM_HELPER_APP, &h);
#endif
    rc = vfm_set_linktype(vm, linktype);
    if (rc == VFM_SUCCESS || rc == VFM_ERROR_UNSUPPORTED)
        rc = vfm_load_program(vm, code, len);
    free(code);
    if (rc != VFM_SUCCESS) {
        snprintf(why, whylen, "%s: %s", f->name, vfm_last_error(vm));
        vfm_destroy(vm);
        return rc;
    }
    (void)vfm_enable_jit(vm); /* VFM_ERROR_UNSUPPORTED: the interpreter runs it */
    *out = vm;
    return VFM_SUCCESS;
}

/* Add the slot for @p linktype (compiled now); NULL when the table is full. */
static slot_t *add_slot(vfmws_filter_t *f, int linktype)
{
    if (f->nslots == VFMWS_LINKTYPES_MAX)
        return NULL;
    char why[sizeof ((vfl_diag_t *)0)->msg];
    slot_t *s = &f->slots[f->nslots];
    memset(s, 0, sizeof *s);
    s->linktype = linktype;
    s->error = compile(f, linktype, &s->vm, why, sizeof why);
    if (s->error != VFM_SUCCESS && !(s->why = dup_str(why)))
        s->why = NULL; /* the verdict then reads the error string instead */
    f->nslots++;
    return s;
}

vfmws_filter_t *vfmws_filter_new(const char *name, const char *src, char *err, size_t errlen)
{
    vfmws_filter_t *f = calloc(1, sizeof *f);
    if (!f || !(f->name = dup_str(name)) || !(f->src = dup_str(src))) {
        snprintf(err, errlen, "%s: %s", name, vfm_error_string(VFM_ERROR_NO_MEMORY));
        vfmws_filter_free(f);
        return NULL;
    }
    /* Ethernet is the usual link type, so this compilation is rarely wasted. */
    slot_t *s = add_slot(f, VFL_LINKTYPE_ETHERNET);
    if (s->error != VFM_SUCCESS) {
        snprintf(err, errlen, "%s", s->why ? s->why : vfm_error_string(s->error));
        vfmws_filter_free(f);
        return NULL;
    }
    return f;
}

void vfmws_filter_free(vfmws_filter_t *f)
{
    if (!f)
        return;
    for (unsigned i = 0; i < f->nslots; i++) {
        vfm_destroy(f->slots[i].vm);
        free(f->slots[i].why);
    }
    free(f->name);
    free(f->src);
    free(f);
}

const char *vfmws_filter_name(const vfmws_filter_t *f) { return f->name; }
const char *vfmws_filter_source(const vfmws_filter_t *f) { return f->src; }

static slot_t *find_slot(vfmws_filter_t *f, int linktype)
{
    if (f->slots[f->last].linktype == linktype)
        return &f->slots[f->last];
    for (unsigned i = 0; i < f->nslots; i++) {
        if (f->slots[i].linktype == linktype) {
            f->last = i;
            return &f->slots[i];
        }
    }
    slot_t *s = add_slot(f, linktype);
    if (s)
        f->last = (unsigned)(s - f->slots);
    return s;
}

void vfmws_filter_run(vfmws_filter_t *f, int linktype, const uint8_t *pkt, size_t len,
                      vfmws_verdict_t *v)
{
    memset(v, 0, sizeof *v);
    slot_t *s = find_slot(f, linktype);
    if (!s || !s->vm) {
        v->status = VFMWS_NO_CODE;
        v->error = s ? s->error : VFM_ERROR_UNSUPPORTED;
        v->why = s && s->why ? s->why : vfm_error_string(v->error);
        return;
    }
    int rc = vfm_run(s->vm, pkt, len, &v->value);
    if (rc != VFM_SUCCESS) {
        v->status = VFMWS_RUN_ERROR;
        v->error = rc;
        v->why = vfm_error_string(rc);
        return;
    }
    v->status = v->value ? VFMWS_ACCEPT : VFMWS_REJECT;
}

const char *vfmws_filter_no_code_why(const vfmws_filter_t *f, int linktype)
{
    for (unsigned i = 0; i < f->nslots; i++)
        if (f->slots[i].linktype == linktype)
            return f->slots[i].vm ? NULL
                                  : f->slots[i].why ? f->slots[i].why
                                                    : vfm_error_string(f->slots[i].error);
    return f->nslots == VFMWS_LINKTYPES_MAX ? vfm_error_string(VFM_ERROR_UNSUPPORTED) : NULL;
}

void vfmws_filter_reset(vfmws_filter_t *f)
{
    for (unsigned i = 0; i < f->nslots; i++)
        if (f->slots[i].vm)
            vfm_flow_table_clear(f->slots[i].vm);
}

int vfmws_filter_uses_app(const vfmws_filter_t *f)
{
    return f->uses_app;
}

int vfmws_filter_jit_active(const vfmws_filter_t *f)
{
    for (unsigned i = 0; i < f->nslots; i++)
        if (f->slots[i].vm && vfm_jit_active(f->slots[i].vm))
            return 1;
    return 0;
}
