/*
 * backend_cbpf.h - the case runner's "cbpf" backend: the program through
 * vfm_to_bpf, each packet through libpcap's bpf_filter().  Classic BPF
 * only accepts or rejects, so a case passes when BPF accepts (returning
 * the snapshot length) exactly where the case expects a non-zero result,
 * and rejects where it expects 0 or a run-time error.  Programs BPF cannot
 * express are SKIPped with vfm_to_bpf's reason.
 *
 * Needs libpcap: built when VFMT_HAVE_PCAP is defined (not in the ARM64
 * cross build).  The table row is VFMT_BACKEND_CBPF_ROW, empty without it.
 */
#ifndef VFMT_BACKEND_CBPF_H
#define VFMT_BACKEND_CBPF_H

#include "backends.h"

#ifdef VFMT_HAVE_PCAP
int vfmt_cbpf_setup(vfmt_run_t *r);
int vfmt_cbpf_run(vfmt_run_t *r, const uint8_t *pkt, size_t len, uint64_t *result);
void vfmt_cbpf_teardown(vfmt_run_t *r);
#define VFMT_BACKEND_CBPF_ROW                                                                 \
    {"cbpf", "vfm_to_bpf + libpcap bpf_filter (accept/reject only)", vfmt_cbpf_setup,         \
     vfmt_cbpf_run, vfmt_cbpf_teardown},
#else
#define VFMT_BACKEND_CBPF_ROW
#endif

#endif /* VFMT_BACKEND_CBPF_H */
