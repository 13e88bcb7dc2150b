/*
 * report.h - what vfm-diff prints about a program and a packet: enough to
 * read a failure without rerunning it, and the command that replays it.
 */
#ifndef VFM_DIFF_REPORT_H
#define VFM_DIFF_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gen.h"

/** A backend's answer for one packet. */
typedef struct vfmd_result {
    int rc;          /* VFM_SUCCESS or VFM_ERROR_* */
    uint64_t value;  /* the RET value (0 on error) */
} vfmd_result_t;

/** "1234 (0x4d2)" or "ERROR BOUNDS (-6)" into @p buf. */
const char *vfmd_result_str(const vfmd_result_t *r, char *buf, size_t len);

/** The program's settings and its disassembly (labelled, so it re-assembles). */
void vfmd_print_program(FILE *fp, const vfmg_program_t *p);

/** Hex dump of a packet, 16 bytes a line; long packets show head and tail. */
void vfmd_print_packet(FILE *fp, const uint8_t *pkt, size_t len);

#endif /* VFM_DIFF_REPORT_H */
