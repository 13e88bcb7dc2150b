/*
 * vflisp.h - compile VFLisp filters to VFM bytecode.
 *
 * VFLisp is the S-expression filter language of the VFM manual ("VFLisp DSL",
 * docs/vflisp.md).  The compiler reads, checks and lowers a filter to VFM
 * code, verifies that code, and returns a bytecode file image (16-byte header
 * + code, see vfm/bytecode.h) that vfm_load_program() accepts.
 *
 * Threads: every function here is thread-safe.  A compilation allocates from
 * its own arena, freed before the function returns; there is no global state.
 *
 * Errors: functions return 0 or a negative VFM_ERROR_* code:
 *   VFM_ERROR_INVALID_PROGRAM   the source has an error (message says where)
 *   VFM_ERROR_IO                the file could not be read (vfl_compile_file)
 *   VFM_ERROR_UNSUPPORTED       the link type is not supported
 *   VFM_ERROR_INVALID_ARGUMENT  a NULL pointer
 *   VFM_ERROR_NO_MEMORY         out of memory
 *   VFM_ERROR_VERIFICATION_FAILED  the generated code failed verification:
 *                               a compiler bug (please report it)
 * A source error reads "file:line:col: message", then the source line and a
 * caret under the column, e.g.
 *   <string>:1:4: unknown field 'dst-prot' (did you mean 'dst-port'?)
 *   (= dst-prot 80)
 *      ^
 */
#ifndef VFM_VFLISP_H
#define VFM_VFLISP_H

#include <stddef.h>
#include <stdint.h>

#include "vfm/vfm.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Link types (LINKTYPE_/DLT_ values) the compiler knows the layout of. */
#define VFL_LINKTYPE_NULL 0        /* BSD loopback, 4-byte host-order AF header */
#define VFL_LINKTYPE_ETHERNET 1    /* the default */
#define VFL_LINKTYPE_RAW 12        /* raw IP (DLT_RAW; also 14 and LINKTYPE_RAW 101) */
#define VFL_LINKTYPE_LOOP 108      /* OpenBSD loopback, network-order AF header */
#define VFL_LINKTYPE_LINUX_SLL 113 /* Linux cooked v1 */
#define VFL_LINKTYPE_IPV4 228      /* raw IPv4 */
#define VFL_LINKTYPE_IPV6 229      /* raw IPv6 */
#define VFL_LINKTYPE_LINUX_SLL2 276 /* Linux cooked v2 */

/** Compilation settings.  Initialise with vfl_options_init(): 0 is a link type. */
typedef struct vfl_options {
    int linktype;         /* where the IP header is; VFL_LINKTYPE_ETHERNET by default */
    const char *filename; /* name used in messages; NULL = "<string>" */
    /*
     * 1: the filter will run on a live Linux capture (a socket filter), where
     * the kernel has removed the outer VLAN tag and passes it as ancillary
     * data.  vlan-id and vlan-ethertype then read that data through CALL
     * VFM_HELPER_VLAN_AVAIL / VFM_HELPER_VLAN_TCI (vfm/bpf.h) and fall back to
     * a tag still in the packet, as libpcap does for `vlan` on live handles;
     * the program needs those two helpers (vfm_to_bpf() maps them to the
     * kernel's ancillary loads).  0 (the default): tags are read in the packet,
     * as in saved captures.
     */
    int live;
    /*
     * Application names for the `app` field (the nDPI extension,
     * plugins/ndpi, docs/ndpi.md): `(= app "DNS")` compiles to CALL
     * VFM_HELPER_APP and a compare with the id app_resolve gives for "DNS"
     * (return 0 and set *app, or -1 for an unknown name).  The program then
     * needs that helper (vfm_ndpi_helper()).  NULL (the default): a filter
     * using `app` is an error.
     */
    int (*app_resolve)(void *user, const char *name, uint64_t *app);
    void *app_user; /* passed to app_resolve */
} vfl_options_t;

/*
 * What the VFM_HELPER_APP helper pushes for a packet that belongs to no flow
 * (not IP, ...): `app` is then absent, so (= app X) and (!= app X) are both
 * false, as (= proto 6) and (!= proto 6) are on an ARP frame.
 */
#define VFL_APP_NO_FLOW 0xffffffffu

/** Set @p opts to the defaults (Ethernet, filename NULL, live 0, no app_resolve). */
void vfl_options_init(vfl_options_t *opts);

/** Why a compilation failed.  Owned by the caller. */
typedef struct vfl_diag {
    int code;          /* VFM_ERROR_* */
    uint32_t line;     /* 1-based source line, 0 if the error has no location */
    uint32_t col;      /* 1-based column (bytes), 0 if none */
    char msg[512];     /* "file:line:col: message" (one line) */
    char source[256];  /* the offending source line, "" if none */
} vfl_diag_t;

/**
 * Compile NUL-terminated @p src for Ethernet (the manual's signature).  On
 * success *bytecode is a malloc'ed bytecode file image (free() it) of *len
 * bytes.  On failure @p err (may be NULL; @p errlen bytes) holds the message,
 * the source line and a caret line, NUL-terminated (truncated if needed).
 */
int vfl_compile_string(const char *src, uint8_t **bytecode, uint32_t *len, char *err,
                       size_t errlen);

/** vfl_compile_string() on the contents of file @p path (named in messages). */
int vfl_compile_file(const char *path, uint8_t **bytecode, uint32_t *len, char *err,
                     size_t errlen);

/**
 * Compile @p src_len bytes of @p src (NUL bytes are an error) with @p opts
 * (NULL = defaults).  Output as vfl_compile_string(); details of a failure
 * in @p diag (may be NULL).
 */
int vfl_compile_ex(const char *src, size_t src_len, const vfl_options_t *opts,
                   uint8_t **bytecode, uint32_t *len, vfl_diag_t *diag);

/** Is @p linktype one the compiler supports? (1 or 0) */
int vfl_linktype_supported(int linktype);

/**
 * Format @p diag as the message line, the source line and a caret line
 * (the last two only when the error has a location) into @p buf.
 */
void vfl_format_diag(const vfl_diag_t *diag, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* VFM_VFLISP_H */
