/*
 * vfm_pcap.c - VFLisp (or VFM bytecode) -> struct bpf_program for a pcap_t:
 * link type and snapshot from the handle, VLAN tags where the handle's
 * packets keep them, classic BPF from vfm_to_bpf_ex().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __linux__
#include <sys/socket.h>
#endif

#include "shim_internal.h"
#include "vfm/bpf.h"
#include "vfm/vflisp.h"
#include "vfm/vfm_pcap.h"

/* Our instructions go to libpcap as they are: the layouts must agree. */
_Static_assert(sizeof(vfm_bpf_insn_t) == sizeof(struct bpf_insn), "bpf_insn size");
_Static_assert(offsetof(vfm_bpf_insn_t, code) == offsetof(struct bpf_insn, code), "code");
_Static_assert(offsetof(vfm_bpf_insn_t, jt) == offsetof(struct bpf_insn, jt), "jt");
_Static_assert(offsetof(vfm_bpf_insn_t, jf) == offsetof(struct bpf_insn, jf), "jf");
_Static_assert(offsetof(vfm_bpf_insn_t, k) == offsetof(struct bpf_insn, k), "k");

void vfmp_seterr(pcap_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pcap_geterr(p), PCAP_ERRBUF_SIZE, fmt, ap);
    va_end(ap);
}

/*
 * Does the kernel hand this handle's packets over with the VLAN tag
 * removed?  Only a live Linux capture does: its descriptor is an AF_PACKET
 * socket.  A saved file has pcap_file(); a dead handle has no socket (its
 * descriptor is 0 or -1, never a packet socket).
 */
static int kernel_strips_vlan(pcap_t *p)
{
#ifdef __linux__
    if (pcap_file(p))
        return 0;
    int fd = pcap_fileno(p), domain = 0;
    socklen_t len = sizeof domain;
    if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0)
        return 0;
    return domain == AF_PACKET;
#else
    (void)p; /* BSD bpf(4) sees tags in the frame */
    return 0;
#endif
}

/* The handle's link type, or PCAP_ERROR with the message set. */
static int handle_linktype(pcap_t *p, const char *name)
{
    int dlt = pcap_datalink(p);
    if (dlt < 0)
        vfmp_seterr(p, "%s: the capture handle is not activated", name);
    return dlt < 0 ? PCAP_ERROR : dlt;
}

/* Translate verified VFM code to the handle's BPF program. */
static int to_bpf(pcap_t *p, struct bpf_program *fp, const uint8_t *prog, uint32_t len,
                  const char *name)
{
    vfm_bpf_opts_t bo = {0};
    int snap = pcap_snapshot(p); /* what libpcap's own filters return on accept */
    if (snap > 0)
        bo.snaplen = (uint32_t)snap;
    vfm_bpf_insn_t *insns = NULL;
    uint32_t n = 0;
    vfm_diag_t d;
    int rc = vfm_to_bpf_ex(prog, len, &bo, &insns, &n, &d);
    if (rc != VFM_SUCCESS) {
        vfmp_seterr(p, "%s: cannot run as classic BPF: %s", name,
                    d.msg[0] ? d.msg : vfm_error_string(rc));
        free(insns);
        return PCAP_ERROR;
    }
    fp->bf_len = n;
    fp->bf_insns = (struct bpf_insn *)insns; /* malloc'ed: pcap_freecode() frees it */
    return 0;
}

int vfm_pcap_compile(pcap_t *p, struct bpf_program *fp, const char *src,
                     const vfm_pcap_opts_t *opts)
{
    return vfmp_compile_vflisp(p, fp, src, opts, NULL);
}

int vfmp_compile_vflisp(pcap_t *p, struct bpf_program *fp, const char *src,
                        const vfm_pcap_opts_t *opts, int *source_error)
{
    if (source_error)
        *source_error = 0;
    if (!p)
        return PCAP_ERROR;
    const char *name = opts && opts->name ? opts->name : "vflisp";
    if (!fp || !src) {
        vfmp_seterr(p, "vfm_pcap_compile: NULL %s", !fp ? "program" : "filter text");
        return PCAP_ERROR;
    }
    int vlan = opts ? opts->vlan : VFM_PCAP_VLAN_AUTO;
    if (vlan != VFM_PCAP_VLAN_AUTO && vlan != VFM_PCAP_VLAN_PACKET && vlan != VFM_PCAP_VLAN_KERNEL) {
        vfmp_seterr(p, "vfm_pcap_compile: VLAN mode %d is not one of enum vfm_pcap_vlan", vlan);
        return PCAP_ERROR;
    }
    int dlt = handle_linktype(p, name);
    if (dlt < 0)
        return PCAP_ERROR;

    vfl_options_t o;
    vfl_options_init(&o);
    o.linktype = dlt;
    o.filename = name;
    o.live = vlan == VFM_PCAP_VLAN_KERNEL || (vlan == VFM_PCAP_VLAN_AUTO && kernel_strips_vlan(p));
    uint8_t *bc = NULL;
    uint32_t len = 0;
    vfl_diag_t d;
    if (vfl_compile_ex(src, strlen(src), &o, &bc, &len, &d) != VFM_SUCCESS) {
        if (d.code == VFM_ERROR_UNSUPPORTED) {
            const char *dn = pcap_datalink_val_to_name(dlt);
            vfmp_seterr(p, "%s: VFLisp does not support link type %s (%d)", name, dn ? dn : "?",
                        dlt);
        } else {
            vfmp_seterr(p, "%s", d.msg);
        }
        if (source_error)
            *source_error = d.code == VFM_ERROR_INVALID_PROGRAM;
        return PCAP_ERROR;
    }
    int rc = to_bpf(p, fp, bc, len, name);
    free(bc);
    return rc;
}

int vfm_pcap_compile_bytecode(pcap_t *p, struct bpf_program *fp, const uint8_t *prog,
                              uint32_t len)
{
    if (!p)
        return PCAP_ERROR;
    if (!fp || !prog) {
        vfmp_seterr(p, "vfm_pcap_compile_bytecode: NULL %s", !fp ? "program" : "bytecode");
        return PCAP_ERROR;
    }
    if (handle_linktype(p, "vfm") < 0)
        return PCAP_ERROR;
    return to_bpf(p, fp, prog, len, "vfm");
}

int vfm_pcap_compile_auto(pcap_t *p, struct bpf_program *fp, const char *text, int optimize,
                          bpf_u_int32 netmask)
{
    return vfmp_compile_text(p, fp, text, optimize, netmask, pcap_compile);
}
