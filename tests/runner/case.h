/*
 * case.h - one data-driven VM test case (tests/cases/<area>/<name>.case).
 *
 * Format: sections introduced by a line "-- NAME" at column 0.
 *
 *   -- desc       free text, required
 *   -- asm        assembly (vfm_assemble, no verification)   } exactly one
 *   -- bytecode   hex of raw code, for programs no assembler  } of these
 *                 would write (bad opcodes, truncated operands)
 *   -- options    "loops N" | "linktype N" | "flow N", one per line
 *   -- packet     hex bytes, whitespace ignored; empty = zero-length packet;
 *                 repeatable: packets run in order on the same VM
 *   -- result     one line per packet: a number (decimal or 0x hex, the full
 *                 64-bit RET value) or a runtime error name (VFM_ERROR_BOUNDS)
 *   -- error      instead of packets and results: the load must fail; first
 *                 token the error name, the rest a substring of the message
 *
 * In hex, options and result sections "#" starts a comment.  The parser is
 * strict: anything it does not understand is an error with file:line.
 */
#ifndef VFMT_CASE_H
#define VFMT_CASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vfmt_packet {
    uint8_t *data;
    size_t len;
    uint32_t line; /* of its "-- packet" header */
} vfmt_packet_t;

typedef struct vfmt_expect {
    int code;       /* VFM_SUCCESS or the runtime error expected */
    uint64_t value; /* when code == VFM_SUCCESS */
    uint32_t line;
} vfmt_expect_t;

typedef struct vfmt_case {
    char *path;
    char *desc;
    /* The program: raw code, from the asm or bytecode section. */
    uint8_t *code;
    uint32_t code_len;
    bool from_asm;
    char *asm_src; /* the asm section (NULL for bytecode) */
    uint32_t code_line;

    vfmt_packet_t *packets;
    size_t npackets;
    vfmt_expect_t *results; /* npackets of them, unless expect_error */

    bool expect_error; /* "-- error": the load must fail */
    int error_code;
    char *error_msg;   /* substring of the diagnostic */
    uint32_t error_line;

    /* Options; has_* says whether the line was given. */
    bool has_loops, has_linktype, has_flow;
    uint32_t loops, flow;
    int linktype;
} vfmt_case_t;

/**
 * Parse @p len bytes of case text (read from @p path, used in messages) into
 * @p c and assemble its program.  On failure returns -1 with
 * "path:line: reason" in @p err and @p c freed.
 */
int vfmt_case_parse(const char *path, const char *text, size_t len, vfmt_case_t *c, char *err,
                    size_t err_len);

/** vfmt_case_parse() on the contents of the file @p path. */
int vfmt_case_load(const char *path, vfmt_case_t *c, char *err, size_t err_len);

void vfmt_case_free(vfmt_case_t *c);

/**
 * Call @p fn for every *.case file below @p dir (recursively).  Returns -1 if
 * @p dir cannot be opened, else 0.
 */
int vfmt_case_walk(const char *dir, void (*fn)(void *user, const char *path), void *user);

/**
 * Parse hex digits in [s, s+len) ignoring whitespace and "#" comments; the
 * bytes go to a new malloc'ed buffer.  Returns -1 with a reason in @p err
 * (and *bad_line, 0-based line within the text) on a stray character or an
 * odd digit count.
 */
int vfmt_hex_parse(const char *s, size_t len, uint8_t **out, size_t *out_len, uint32_t *bad_line,
                   char *err, size_t err_len);

#endif /* VFMT_CASE_H */
