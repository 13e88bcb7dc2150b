/*
 * shim.c - pcap_compile for LD_PRELOAD: VFLisp filters in tcpdump and in
 * any program that links libpcap dynamically.
 *
 * The preloaded pcap_compile applies the recognition rule (recognize.c) and
 * hands everything that is not VFLisp to the real pcap_compile, found with
 * dlsym(RTLD_NEXT) on each call (no state to initialise; compiling a filter
 * is rare).  A VFLisp program is malloc'ed, as libpcap's are, so the
 * program's pcap_freecode() frees it.  Nothing else is exported (shim.map).
 */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "shim_internal.h"

int pcap_compile(pcap_t *p, struct bpf_program *fp, const char *text, int optimize,
                 bpf_u_int32 netmask)
{
    vfmp_pcap_compile_fn real;
    /* dlsym returns void *; POSIX guarantees it converts to a function pointer. */
    *(void **)&real = dlsym(RTLD_NEXT, "pcap_compile");
    if (!real) {
        if (p)
            vfmp_seterr(p, "vfm shim: the real pcap_compile was not found (%s)", dlerror());
        return PCAP_ERROR;
    }
    return vfmp_compile_text(p, fp, text, optimize, netmask, real);
}
