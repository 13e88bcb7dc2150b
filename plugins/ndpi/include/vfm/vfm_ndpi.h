/*
 * vfm_ndpi.h - application classification for VFM filters, backed by nDPI.
 *
 * A classifier owns one nDPI detection module and a flow table.  Feed it the
 * packets of a capture in order (vfm_ndpi_feed); each IP packet joins its
 * flow (the 5-tuple and the VLAN id, both directions one flow, IPv4 and
 * IPv6) and nDPI looks at it until the flow is classified, exactly as
 * ndpiReader does.  At the end of the input vfm_ndpi_finish() gives up on the
 * flows nDPI has not decided, guessing by port as ndpiReader does.
 *
 * A filter reads the classification of the current packet's flow through
 * helper VFM_HELPER_APP (vfm/helpers.h): vfm_ndpi_helper() makes the helper,
 * vfm_ndpi_resolve() resolves application names for the VFLisp compiler
 * (vfl_options_t.app_resolve).  The helper answers with the flow's
 * classification as it stands when it runs: after vfm_ndpi_finish() that is
 * the final one (vfm-classify), during a single pass the one known so far.
 *
 * Application ids.  nDPI names a flow's protocol by a pair: a master
 * protocol and an application ("TLS.Google": TLS carrying Google; "DNS":
 * only one).  A vfm_ndpi app id holds the pair as (master << 16) | app, with
 * master 0 when there is only one protocol, so "DNS" is 5 and "TLS.Google"
 * is (91 << 16) | 126.  0 is "Unknown": a flow nDPI could not classify.
 * A packet that belongs to no flow (not IP, or dropped as ndpiReader drops
 * it) gets VFM_NDPI_NO_FLOW, for which VFLisp's `app` is absent.
 *
 * Threads: a classifier is used by one thread at a time; create one per
 * thread.  No nDPI type appears in this header.
 */
#ifndef VFM_NDPI_H
#define VFM_NDPI_H

#include <stddef.h>
#include <stdint.h>

#include "vfm/vfm.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The app id of a (master, app) pair of nDPI protocol ids. */
#define VFM_NDPI_APP(master, app) ((((uint64_t)(master)&0xffffu) << 16) | ((uint64_t)(app)&0xffffu))
#define VFM_NDPI_APP_MASTER(id) ((unsigned)(((id) >> 16) & 0xffffu))
#define VFM_NDPI_APP_PROTO(id) ((unsigned)((id)&0xffffu))
#define VFM_NDPI_UNKNOWN 0u
#define VFM_NDPI_NO_FLOW 0xffffffffu /* = VFL_APP_NO_FLOW (vfm/vflisp.h) */

/** Longest name vfm_ndpi_app_name() writes, with its NUL ("Master.App"). */
#define VFM_NDPI_NAME_MAX 80

typedef struct vfm_ndpi vfm_ndpi_t;

/**
 * New classifier for packets of link type @p linktype (a LINKTYPE_/DLT_
 * value: Ethernet with 802.1Q/802.1ad tags and LLC/SNAP, raw IP 12, 14, 101,
 * 228, 229, BSD loopback 0 and 108, Linux SLL 113 and SLL2 276).  NULL on
 * failure, with the reason in @p err (may be NULL; @p errlen bytes).
 */
vfm_ndpi_t *vfm_ndpi_create(int linktype, char *err, size_t errlen);

/** Free the classifier, its flows and its nDPI module.  NULL is ignored. */
void vfm_ndpi_destroy(vfm_ndpi_t *c);

/**
 * Forget every flow and the packet count, as for a new capture, but keep
 * the nDPI detection module (whose set-up is the costly part of create:
 * tens of milliseconds).  nDPI's own caches, filled by earlier flows, stay.
 * NULL is ignored.
 */
void vfm_ndpi_reset(vfm_ndpi_t *c);

/** 1 if vfm_ndpi_create() accepts @p linktype, else 0. */
int vfm_ndpi_linktype_supported(int linktype);

/**
 * Feed the next packet: @p caplen captured bytes at @p pkt, captured at
 * @p ts_us microseconds since the epoch.  Timestamps going backwards are
 * repaired as ndpiReader does.  Returns 1 when the packet belongs to a flow,
 * 0 when it does not (not IP, too short, a non-first IPv4 fragment, ...),
 * VFM_ERROR_NO_MEMORY, or VFM_ERROR_INVALID_ARGUMENT (NULL).  *app (may be
 * NULL) gets the flow's classification after this packet (VFM_NDPI_NO_FLOW
 * without a flow),
 * *flow (may be NULL) the flow's index (see vfm_ndpi_flow_get), or -1.
 */
int vfm_ndpi_feed(vfm_ndpi_t *c, const uint8_t *pkt, size_t caplen, uint64_t ts_us,
                  uint64_t *app, int64_t *flow);

/**
 * End of input: give up on every flow nDPI has not classified yet (with
 * ndpiReader's guess by port).  Later vfm_ndpi_feed() calls still work;
 * calling it again gives up on the flows left open since.
 */
void vfm_ndpi_finish(vfm_ndpi_t *c);

/**
 * The current classification of the flow @p pkt belongs to, without feeding
 * it: 1 and *app when the packet belongs to a known flow, else 0 and *app =
 * VFM_NDPI_NO_FLOW.
 */
int vfm_ndpi_lookup(const vfm_ndpi_t *c, const uint8_t *pkt, size_t caplen, uint64_t *app);

/* ---- flows ------------------------------------------------------------------ */

typedef struct vfm_ndpi_flow {
    uint8_t ip_version; /* 4 or 6 */
    uint8_t proto;      /* IP protocol (after IPv6 extension headers) */
    uint16_t vlan;      /* VLAN id of the innermost 802.1Q tag, 0 if none */
    uint8_t src[16];    /* the first packet's source (IPv4: first 4 bytes) */
    uint8_t dst[16];
    uint16_t sport, dport; /* 0 for protocols without ports */
    uint64_t packets;      /* both directions */
    uint64_t bytes;        /* captured bytes of those packets (as ndpiReader) */
    uint64_t app;          /* classification, as the helper pushes it */
    uint64_t first_packet; /* 1-based number of the flow's first packet fed */
} vfm_ndpi_flow_t;

/** Number of flows, in order of their first packet. */
size_t vfm_ndpi_flow_count(const vfm_ndpi_t *c);

/** Flow @p i (0-based, < vfm_ndpi_flow_count()); VFM_ERROR_INVALID_ARGUMENT if none. */
int vfm_ndpi_flow_get(const vfm_ndpi_t *c, size_t i, vfm_ndpi_flow_t *out);

/* ---- names ------------------------------------------------------------------ */

/**
 * nDPI's name for app id @p app into @p buf: "DNS", "TLS.Google", "Unknown"
 * (as ndpiReader prints it), "-" for VFM_NDPI_NO_FLOW.  Returns @p buf.
 */
const char *vfm_ndpi_app_name(const vfm_ndpi_t *c, uint64_t app, char *buf, size_t len);

/**
 * The app id for @p name: one nDPI protocol name ("DNS", "tls"; case does
 * not matter) or a pair "MASTER.APP" ("TLS.Google").  0 and *app on
 * success, -1 when the name is not an nDPI protocol.
 */
int vfm_ndpi_app_id(const vfm_ndpi_t *c, const char *name, uint64_t *app);

/**
 * vfm_ndpi_app_id() in the shape of vfl_options_t.app_resolve, @p user
 * being the classifier.
 */
int vfm_ndpi_resolve(void *user, const char *name, uint64_t *app);

/** Number of protocol ids nDPI knows (ids 0 .. n-1). */
unsigned vfm_ndpi_protocol_count(const vfm_ndpi_t *c);

/* ---- the helper --------------------------------------------------------------- */

/**
 * Fill @p h with the VFM_HELPER_APP helper for this classifier (pops 0,
 * pushes the app id of the packet's flow, vfm_ndpi_lookup()), to pass to
 * vfm_register_helper(vm, VFM_HELPER_APP, h) or a vfm_verify_opts_t table.
 * The classifier must outlive the VMs using it.
 */
void vfm_ndpi_helper(vfm_ndpi_t *c, vfm_helper_t *h);

/** The nDPI version the library runs with ("4.2.0"). */
const char *vfm_ndpi_ndpi_version(void);

#ifdef __cplusplus
}
#endif
#endif /* VFM_NDPI_H */
