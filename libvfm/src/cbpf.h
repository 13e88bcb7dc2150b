/*
 * cbpf.h - what the classic-BPF backend's files share (cbpf*.c only).
 *
 *   cbpf.c        public entry points: parse, verify, translate, check
 *   cbpf_range.c  value ranges: which VFM values provably fit BPF's 32 bits
 *   cbpf_gen.c    verified VFM code -> labelled BPF instructions
 *   cbpf_emit.c   the instruction buffer, labels, long jumps, final checks
 *   cbpf_dump.c   tcpdump's -d / -dd / -ddd listings
 *
 * BPF encodings are the classic ones (libpcap pcap/bpf.h, Linux
 * linux/filter.h); libvfm does not include either header.
 */
#ifndef VFM_CBPF_H
#define VFM_CBPF_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"
#include "vfm/bpf.h"

/* ---- encodings ----------------------------------------------------------- */

#define CB_CLASS(c) ((c) & 0x07)
#define CB_LD   0x00
#define CB_LDX  0x01
#define CB_ST   0x02
#define CB_STX  0x03
#define CB_ALU  0x04
#define CB_JMP  0x05
#define CB_RET  0x06
#define CB_MISC 0x07

#define CB_SIZE(c) ((c) & 0x18)
#define CB_W 0x00
#define CB_H 0x08
#define CB_B 0x10

#define CB_MODE(c) ((c) & 0xe0)
#define CB_IMM 0x00
#define CB_ABS 0x20
#define CB_IND 0x40
#define CB_MEM 0x60
#define CB_LEN 0x80
#define CB_MSH 0xa0

#define CB_OP(c) ((c) & 0xf0)
#define CB_ADD  0x00
#define CB_SUB  0x10
#define CB_MUL  0x20
#define CB_DIV  0x30
#define CB_OR   0x40
#define CB_AND  0x50
#define CB_LSH  0x60
#define CB_RSH  0x70
#define CB_NEG  0x80
#define CB_MOD  0x90
#define CB_XOR  0xa0

#define CB_JA   0x00
#define CB_JEQ  0x10
#define CB_JGT  0x20
#define CB_JGE  0x30
#define CB_JSET 0x40

#define CB_SRC(c) ((c) & 0x08)
#define CB_K 0x00
#define CB_X 0x08

#define CB_RVAL(c) ((c) & 0x18)
#define CB_RA 0x10

#define CB_MISCOP(c) ((c) & 0xf8)
#define CB_TAX 0x00
#define CB_TXA 0x80

#define CB_MEMWORDS 16

/* Linux ancillary loads: ld [SKF_AD_OFF + n] (linux/filter.h). */
#define CB_SKF_AD_OFF (-0x1000)
#define CB_SKF_AD_VLAN_TAG 44
#define CB_SKF_AD_VLAN_TAG_PRESENT 48
#define CB_SKF_AD_MAX 64

/* ---- value ranges (cbpf_range.c) ----------------------------------------- */

/*
 * The possible 64-bit values of a VFM stack slot, read as two's complement:
 * lo <= (int64_t)v <= hi, or anything when top.  BPF holds v mod 2^32; the
 * range says where that equals v (or orders like v).
 */
typedef struct cb_range {
    int64_t lo, hi;
    bool top;
} cb_range_t;

cb_range_t vfmi_cb_range_k(uint64_t k);
cb_range_t vfmi_cb_range_of(int64_t lo, int64_t hi);
cb_range_t vfmi_cb_range_top(void);
cb_range_t vfmi_cb_range_union(cb_range_t a, cb_range_t b);
bool vfmi_cb_range_is_k(cb_range_t r, uint64_t *k);
/* v is the same number in 32 bits: 0 <= v < 2^32. */
bool vfmi_cb_range_u32(cb_range_t r);
/* x -> x mod 2^32 keeps unsigned order and equality on every value in r. */
bool vfmi_cb_range_orderable(cb_range_t r);
/* Unsigned bounds of r ([0, UINT64_MAX] when r straddles 0 or is top). */
void vfmi_cb_range_ubounds(cb_range_t r, uint64_t *lo, uint64_t *hi);
/* Range of a VFM binary operation (opcode ADD..SHR) on a and b. */
cb_range_t vfmi_cb_range_binop(uint8_t op, cb_range_t a, cb_range_t b);
cb_range_t vfmi_cb_range_not(cb_range_t a);

/* ---- instruction buffer with labels (cbpf_emit.c) ------------------------ */

typedef struct cb_ir {
    uint16_t code;
    uint32_t k;
    uint32_t jt, jf; /* labels (conditional jumps), jt for JA */
} cb_ir_t;

typedef struct cb_buf {
    cb_ir_t *ir;
    uint32_t n, cap;
    uint32_t *label; /* label -> ir index, UINT32_MAX while unbound */
    uint32_t nlabels, labcap;
    bool oom;
} cb_buf_t;

#define CB_UNBOUND UINT32_MAX

void vfmi_cb_emit(cb_buf_t *b, uint16_t code, uint32_t k);
/* Conditional jump: to label jt when the test holds, else to label jf. */
void vfmi_cb_emit_jcc(cb_buf_t *b, uint16_t code, uint32_t k, uint32_t jt, uint32_t jf);
void vfmi_cb_emit_ja(cb_buf_t *b, uint32_t label);
uint32_t vfmi_cb_label_new(cb_buf_t *b);
void vfmi_cb_label_bind(cb_buf_t *b, uint32_t label);
void vfmi_cb_buf_free(cb_buf_t *b);

/*
 * Lay out @p b as final instructions: conditional jumps further than 255
 * go through a JA; scratch words the kernel would see read before a store
 * get stored first.  Fails (diag) above VFM_BPF_MAXINSNS instructions.
 */
int vfmi_cb_link(const cb_buf_t *b, vfm_bpf_insn_t **out, uint32_t *n, vfm_diag_t *diag);

/*
 * The rules libpcap's bpf_validate() and Linux's sk_chk_filter() apply,
 * in one place: NULL if @p prog passes both, else why not.  @p why must
 * hold 128 bytes.
 */
const char *vfmi_cb_check(const vfm_bpf_insn_t *prog, uint32_t n, char *why);

/* ---- the translation (cbpf_gen.c) ----------------------------------------- */

/** Translate verified @p code into @p out; on failure diag names the pc. */
int vfmi_cb_generate(const uint8_t *code, const vfmi_proof_t *proof, const vfm_verify_opts_t *vopts,
                uint32_t snaplen, cb_buf_t *out, vfm_diag_t *diag);

#endif /* VFM_CBPF_H */
