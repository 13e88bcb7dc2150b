/*
 * vfm_pcap.h - VFLisp filters for libpcap handles (libvfm-pcap).
 *
 * vfm_pcap_compile() is pcap_compile() for a VFLisp filter: it compiles the
 * filter for the handle's link type (pcap_datalink) and snapshot length
 * (pcap_snapshot), translates it to classic BPF (vfm_to_bpf_ex) and fills a
 * struct bpf_program that pcap_setfilter() installs where libpcap's own
 * filters run: in the kernel for a live capture, in libpcap for a saved
 * file.  Free the program with pcap_freecode().
 *
 * VLAN tags: on a live Linux capture the kernel removes the outer tag before
 * the socket filter sees the frame and passes it as ancillary data.  A filter
 * for such a handle reads the tag there and, failing that, in the packet (as
 * libpcap's `vlan` does on live handles); a filter for a saved file or a dead
 * handle (pcap_open_dead, used by tcpdump -d) reads the tag in the packet.
 * VFM_PCAP_VLAN_AUTO decides from the handle; the other values force one way.
 *
 * vfm_pcap_compile_auto() is what the tcpdump shim puts in place of
 * pcap_compile: it applies the recognition rule of docs/tcpdump-shim.md
 * (`vfl:` prefix, VFM_SHIM_MODE, otherwise libpcap first and VFLisp only for
 * what libpcap rejects) and forwards everything else to pcap_compile().
 *
 * Errors: PCAP_ERROR (-1), with a one-line message in pcap_geterr(p), e.g.
 *   vflisp:1:4: unknown field 'dst-prot' (did you mean 'dst-port'?)
 * On error *fp is left as it was.
 *
 * Threads: as libpcap: a pcap_t is used by one thread at a time.  No global
 * state; the environment is read on each call of vfm_pcap_compile_auto().
 */
#ifndef VFM_VFM_PCAP_H
#define VFM_VFM_PCAP_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Where the filter looks for a VFLisp VLAN tag (vlan-id, vlan-ethertype). */
enum vfm_pcap_vlan {
    VFM_PCAP_VLAN_AUTO = 0, /* kernel's ancillary data on a live Linux handle, else in the packet */
    VFM_PCAP_VLAN_PACKET,   /* in the packet (saved captures, BSD live captures) */
    VFM_PCAP_VLAN_KERNEL,   /* ancillary data first, then the packet (Linux socket filters) */
};

typedef struct vfm_pcap_opts {
    int vlan;         /* enum vfm_pcap_vlan */
    const char *name; /* the filter's name in messages; NULL = "vflisp" */
} vfm_pcap_opts_t;

/**
 * Compile VFLisp @p src for handle @p p (activated, live, offline or dead)
 * into @p fp, a malloc'ed classic BPF program (pcap_freecode() frees it).
 * @p opts may be NULL (defaults).  Returns 0 or PCAP_ERROR (message in
 * pcap_geterr(p); NULL @p p just returns PCAP_ERROR).
 */
int vfm_pcap_compile(pcap_t *p, struct bpf_program *fp, const char *src,
                     const vfm_pcap_opts_t *opts);

/**
 * Like vfm_pcap_compile() for a compiled VFM program (a bytecode file image
 * or raw code, @p len bytes): it is verified and translated as it is, so it
 * must have been compiled for this handle's link type.
 */
int vfm_pcap_compile_bytecode(pcap_t *p, struct bpf_program *fp, const uint8_t *prog,
                              uint32_t len);

/**
 * pcap_compile() with VFLisp recognition (docs/tcpdump-shim.md):
 *   - VFM_SHIM_MODE=pcap: everything goes to pcap_compile();
 *   - `vfl:` before the text (after blanks), or VFM_SHIM_MODE=vflisp: VFLisp;
 *   - `vfm:@FILE`: a compiled VFM program read from FILE;
 *   - otherwise (auto): pcap_compile() first; only if it fails and the text
 *     starts with '(' is VFLisp tried.  Every expression libpcap accepts
 *     keeps its libpcap meaning.
 * A NULL @p text goes to pcap_compile() (libpcap: accept everything).
 * @p optimize and @p netmask are passed to pcap_compile() and unused by VFLisp.
 */
int vfm_pcap_compile_auto(pcap_t *p, struct bpf_program *fp, const char *text, int optimize,
                          bpf_u_int32 netmask);

#ifdef __cplusplus
}
#endif
#endif /* VFM_VFM_PCAP_H */
