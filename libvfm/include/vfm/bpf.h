/*
 * bpf.h - translate verified VFM bytecode to classic BPF (the manual's
 * vfm_to_bpf), so a VFM filter can run where tcpdump's filters run: in the
 * kernel (SO_ATTACH_FILTER, BIOCSETF) or in libpcap's bpf_filter().
 *
 * Semantics: the BPF program returns the snapshot length where the VFM program
 * returns non-zero, and 0 where it returns 0 or stops with a run-time error
 * (an out-of-bounds load rejects the packet, as in BPF).  VFM's LEN becomes
 * BPF's "ld #pktlen", the wire length: the same as the captured length
 * where the filter sees the whole packet (the kernel; bpf_filter() with
 * wirelen == buflen).  Programs using the ancillary helpers below run only
 * in the kernel (libpcap's bpf_filter() reads 0 there and rejects).  Values are 32 bits
 * in BPF: a program whose results could differ from the 64-bit VFM ones is
 * refused, naming the instruction.  Also refused: HASH5, FLOW_*, loops, helper
 * calls other than the ancillary ones below, more than 16 live stack slots,
 * more than VFM_BPF_MAXINSNS instructions.
 *
 * vfm_bpf_insn_t has the layout of libpcap's struct bpf_insn and of Linux's
 * struct sock_filter, so an array can be handed to either.
 */
#ifndef VFM_BPF_H
#define VFM_BPF_H

#include <stddef.h>
#include <stdint.h>

#include "vfm/vfm.h"
#include "vfm/helpers.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vfm_bpf_insn {
    uint16_t code;
    uint8_t jt;
    uint8_t jf;
    uint32_t k;
} vfm_bpf_insn_t;

#ifndef VFM_NO_BPF_INSN_T
typedef vfm_bpf_insn_t bpf_insn_t; /* the manual's name */
#endif

/** The kernel's limit (BPF_MAXINSNS); longer programs are refused. */
#define VFM_BPF_MAXINSNS 4096
/** What an accepting program returns unless vfm_bpf_opts_t says otherwise. */
#define VFM_BPF_DEFAULT_SNAPLEN 262144u

/* The ancillary helpers VFM_HELPER_VLAN_AVAIL/TCI are in helpers.h. */

typedef struct vfm_bpf_opts {
    uint32_t snaplen; /* value returned on accept; 0 = VFM_BPF_DEFAULT_SNAPLEN */
} vfm_bpf_opts_t;

/**
 * The manual's signature.  @p vfm_prog is a bytecode file image or raw code;
 * it is verified first.  On entry *bpf_len is the capacity of @p bpf_prog in
 * instructions; on success it is the number written.  If the program does
 * not fit, VFM_ERROR_NO_MEMORY and *bpf_len is the number needed.
 */
int vfm_to_bpf(const uint8_t *vfm_prog, uint32_t vfm_len, bpf_insn_t *bpf_prog,
               uint32_t *bpf_len);

/**
 * vfm_to_bpf() with options (NULL = defaults) and a malloc'ed result (free()
 * it; libpcap's pcap_freecode() can free it too).  On failure @p diag (may be
 * NULL) names the instruction and the reason, e.g.
 * "pc 14: FLOW_LOAD has no classic BPF equivalent".
 */
int vfm_to_bpf_ex(const uint8_t *vfm_prog, uint32_t vfm_len, const vfm_bpf_opts_t *opts,
                  vfm_bpf_insn_t **bpf_prog, uint32_t *bpf_len, vfm_diag_t *diag);

/* ---- listings, as tcpdump prints them -------------------------------------- */

typedef enum vfm_bpf_format {
    VFM_BPF_LISTING = 1, /* tcpdump -d:   "(000) ldh      [12]" */
    VFM_BPF_C_ARRAY = 2, /* tcpdump -dd:  "{ 0x28, 0, 0, 0x0000000c }," */
    VFM_BPF_DECIMAL = 3  /* tcpdump -ddd: the count, then "40 0 0 12" per line */
} vfm_bpf_format_t;

/**
 * One instruction (at index @p n, for jump targets) as libpcap's
 * bpf_image() prints it, NUL-terminated in @p buf (@p len bytes; 128 is
 * always enough).  VFM_ERROR_NO_MEMORY if it was cut short.  Thread-safe.
 */
int vfm_bpf_image(const vfm_bpf_insn_t *insn, uint32_t n, char *buf, size_t len);

/**
 * The whole program as tcpdump -d, -dd or -ddd prints it (every line ends
 * in a newline), in a malloc'ed string *out (free() it).  Thread-safe.
 */
int vfm_bpf_dump(const vfm_bpf_insn_t *prog, uint32_t n, vfm_bpf_format_t format, char **out);

#ifdef __cplusplus
}
#endif
#endif /* VFM_BPF_H */
