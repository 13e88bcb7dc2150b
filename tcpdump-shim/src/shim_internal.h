/*
 * shim_internal.h - what libvfm-pcap and the preloaded shim share.
 *
 *   vfm_pcap.c   VFLisp / VFM bytecode -> struct bpf_program (vfm_pcap_compile)
 *   recognize.c  which language a filter text is in (docs/tcpdump-shim.md)
 *   shim.c       pcap_compile interposed for LD_PRELOAD
 */
#ifndef VFM_SHIM_INTERNAL_H
#define VFM_SHIM_INTERNAL_H

#include <pcap/pcap.h>

/** pcap_compile's type: the real one (dlsym RTLD_NEXT in the shim, or linked). */
typedef int (*vfmp_pcap_compile_fn)(pcap_t *, struct bpf_program *, const char *, int,
                                    bpf_u_int32);

/** printf into pcap_geterr(p) (PCAP_ERRBUF_SIZE bytes, truncated). */
void vfmp_seterr(pcap_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct vfm_pcap_opts;
/** vfm_pcap_compile(); *@p source_error (may be NULL) = 1 if the VFLisp text itself is wrong. */
int vfmp_compile_vflisp(pcap_t *p, struct bpf_program *fp, const char *src,
                        const struct vfm_pcap_opts *opts, int *source_error);

/** The recognition rule: compile @p text as VFLisp, VFM bytecode or with @p libpcap. */
int vfmp_compile_text(pcap_t *p, struct bpf_program *fp, const char *text, int optimize,
                      bpf_u_int32 netmask, vfmp_pcap_compile_fn libpcap);

/* Filter language chosen by VFM_SHIM_MODE. */
enum vfmp_mode { VFMP_MODE_AUTO, VFMP_MODE_PCAP, VFMP_MODE_VFLISP };

/** Parse VFM_SHIM_MODE's value (NULL or "" = auto); -1 if it is none of auto|pcap|vflisp. */
int vfmp_parse_mode(const char *value);

/** Is @p text one or more balanced S-expressions (';' comments allowed) and nothing else? */
int vfmp_is_sexpr(const char *text);

#endif /* VFM_SHIM_INTERNAL_H */
