/*
 * filter.h - one VFLisp filter of the Wireshark plugin, compiled on demand for
 * every link type it meets and run with libvfm.
 *
 * No Wireshark types here (STYLE.md: libvfm types never meet Wireshark's and
 * the reverse): the dissector maps a frame's WTAP_ENCAP to a LINKTYPE_ value
 * (linktype.c) and hands this file the raw frame bytes.  That also lets the
 * unit test run this code, under ASan with leak checks, without Wireshark.
 *
 * A filter holds one VM per link type (program compiled for that layout,
 * JIT requested, flow table of its own), so a stateful filter counts exactly
 * as vfm-test counts on a capture of that link type.
 */
#ifndef VFMWS_FILTER_H
#define VFMWS_FILTER_H

#include <stddef.h>
#include <stdint.h>

/* Distinct link types one filter keeps code for (VFLisp knows 10). */
#define VFMWS_LINKTYPES_MAX 16

typedef struct vfmws_filter vfmws_filter_t;

typedef enum vfmws_status {
    VFMWS_ACCEPT,    /* ran, returned non-zero */
    VFMWS_REJECT,    /* ran, returned 0 */
    VFMWS_RUN_ERROR, /* stopped with a run-time error (out of bounds, ...) */
    VFMWS_NO_CODE,   /* could not be compiled for this link type */
} vfmws_status_t;

typedef struct vfmws_verdict {
    vfmws_status_t status;
    int error;       /* VFM_ERROR_* for RUN_ERROR and NO_CODE, else 0 */
    uint64_t value;  /* the RET value (ACCEPT, REJECT) */
    const char *why; /* RUN_ERROR, NO_CODE: one line; lives as long as the filter */
} vfmws_verdict_t;

/**
 * Compile @p src for Ethernet, the check that the text is a filter at all
 * (VFLisp diagnostics do not depend on the link type).  @p name names the
 * filter in messages ("web:1:4: unknown name ..."); both strings are copied.
 * Returns NULL with the one-line reason in @p err on failure.
 */
vfmws_filter_t *vfmws_filter_new(const char *name, const char *src, char *err, size_t errlen);

/** Frees the filter and its VMs.  NULL is ignored. */
void vfmws_filter_free(vfmws_filter_t *f);

const char *vfmws_filter_name(const vfmws_filter_t *f);
const char *vfmws_filter_source(const vfmws_filter_t *f);

/**
 * Run the filter on @p len bytes of a frame of link type @p linktype (a
 * LINKTYPE_ value VFLisp supports), compiling for that link type first if
 * this is its first frame of that kind.
 */
void vfmws_filter_run(vfmws_filter_t *f, int linktype, const uint8_t *pkt, size_t len,
                      vfmws_verdict_t *v);

/**
 * Why the filter has no code for @p linktype (the message a NO_CODE verdict
 * carried), or NULL if it has.  Lives as long as the filter.
 */
const char *vfmws_filter_no_code_why(const vfmws_filter_t *f, int linktype);

/** Forget all flow-table state (a new file, or a redissection from the start). */
void vfmws_filter_reset(vfmws_filter_t *f);

/** Does the filter read `app` (VFM_HELPER_APP)?  The frames must then be classified. */
int vfmws_filter_uses_app(const vfmws_filter_t *f);

/** Does any compiled VM of the filter run native code? (for the About text) */
int vfmws_filter_jit_active(const vfmws_filter_t *f);

#endif /* VFMWS_FILTER_H */
