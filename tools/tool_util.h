/*
 * tool_util.h - what vfm-asm, vfm-dis and vfm-test share: messages, files,
 * number arguments, loading a filter from bytecode or assembly.
 *
 * Exit codes of every tool: 0 success, 1 usage error, 2 bad input (unreadable
 * file, malformed bytecode, assembly error, corrupt capture).
 */
#ifndef VFM_TOOL_UTIL_H
#define VFM_TOOL_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "vfm/vfm.h"

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_INPUT = 2 };

/* Largest file a tool reads (assembly text, bytecode). */
#define TOOL_FILE_MAX (16u << 20)

/** Set the name used in messages ("vfm-asm"). */
void tool_init(const char *name);
const char *tool_name(void);

/** "NAME: message" on stderr. */
void tool_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Print "NAME (vfm) X.Y.Z" on stdout. */
void tool_version(void);

/** "Try 'NAME --help'." after a usage error; returns EXIT_USAGE. */
int tool_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * Report the option error getopt_long just returned ('?' or ':' with a
 * leading ':' in the option string and opterr = 0); returns EXIT_USAGE.
 */
int tool_bad_option(int c, char **argv);

/**
 * Read a whole file ("-" = stdin) of at most @p cap bytes into a malloc'ed
 * buffer (NUL-terminated, the NUL not counted).  On failure prints
 * "NAME: PATH: why" and returns -1.
 */
int tool_read_file(const char *path, size_t cap, uint8_t **buf, size_t *len);

/**
 * Write @p len bytes to @p path ("-" = stdout) all or nothing: a temporary
 * file next to it is renamed over it only when everything is written.  On
 * failure prints "NAME: PATH: why" and returns -1.
 */
int tool_write_file(const char *path, const void *data, size_t len);

/** Does @p path end in @p ext (".vfm"), case-insensitively? */
int tool_has_ext(const char *path, const char *ext);

/**
 * Parse a decimal (or 0x hex) unsigned number for option @p opt, at most
 * @p max.  On failure prints a usage error and returns -1.
 */
int tool_parse_u32(const char *opt, const char *arg, uint32_t max, uint32_t *out);

/**
 * Load a filter as raw code (malloc'ed, *code): assembly when @p path ends in
 * .vfm (assembled and verified with @p vopts, so a verifier error names the
 * source line), otherwise a bytecode file image or raw code (not verified
 * here).  On failure prints the error and returns -1.
 */
int tool_load_filter(const char *path, const vfm_verify_opts_t *vopts, uint8_t **code,
                     uint32_t *code_len);

/**
 * Parse a link type for option @p opt: a number, or a name as tcpdump -y
 * takes it (EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP; case
 * does not matter, a DLT_ or LINKTYPE_ prefix is allowed).  Whether the
 * caller supports it is the caller's check.  On failure prints a usage
 * error and returns -1.
 */
int tool_parse_linktype(const char *opt, const char *arg, int *out);

/** The name tool_parse_linktype() knows for @p linktype, or NULL. */
const char *tool_linktype_name(int linktype);

/** Short name of an error code ("BOUNDS", "DIVISION_BY_ZERO"). */
const char *tool_error_name(int code);

#endif /* VFM_TOOL_UTIL_H */
