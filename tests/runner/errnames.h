/*
 * errnames.h - VFM_* result codes <-> their macro names, for the test
 * runner and the unit tests.  The table in errnames.c is the one place the
 * names are listed; a unit test checks it against vfm.h.
 */
#ifndef VFMT_ERRNAMES_H
#define VFMT_ERRNAMES_H

#include <stddef.h>

typedef struct vfmt_errname {
    const char *name; /* "VFM_ERROR_BOUNDS" */
    int code;         /* VFM_ERROR_BOUNDS */
} vfmt_errname_t;

/** The table (VFM_SUCCESS first), and its length in *n. */
const vfmt_errname_t *vfmt_errnames(size_t *n);

/** Macro name for @p code, or NULL if it is not a known code. */
const char *vfmt_errname(int code);

/** Code for the macro name @p name (@p len bytes); 1 if unknown (codes are <= 0). */
int vfmt_errcode(const char *name, size_t len);

#endif /* VFMT_ERRNAMES_H */
