/*
 * Well-known helper ids: the one list of CALL numbers that mean the same
 * thing everywhere.  A VM knows a helper only once its caller registers it
 * (vfm_register_helper()); these ids let compilers (VFLisp) and backends
 * (classic BPF) agree on what a CALL asks for.  Ids below 48 are free for
 * applications; 48..63 are reserved here.
 */
#ifndef VFM_HELPERS_H
#define VFM_HELPERS_H

/*
 * Ancillary helpers: the kernel strips a VLAN tag before its socket filter
 * runs and exposes it as ancillary data; a filter for a live handle reads it
 * with these (VFLisp does so when compiled with live = 1).  Each pops nothing
 * and pushes one value.  vfm_to_bpf() maps them to the kernel's ancillary
 * loads; the interpreter and JITs know them only if the caller registers them.
 */
#define VFM_HELPER_VLAN_AVAIL 62 /* 1 if the kernel stripped a VLAN tag, else 0 */
#define VFM_HELPER_VLAN_TCI   63 /* the stripped tag's TCI (priority, DEI, VLAN id) */

/*
 * Application classification (the nDPI extension, plugins/ndpi): pops
 * nothing, pushes (master << 16) | app for the packet's flow (nDPI protocol
 * ids; 0 = Unknown, 0xffffffff = the packet belongs to no flow); see
 * vfm/vfm_ndpi.h and docs/ndpi.md.  No classic-BPF equivalent: vfm_to_bpf()
 * refuses it.
 */
#define VFM_HELPER_APP        61

#endif
