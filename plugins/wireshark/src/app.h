/*
 * app.h - nDPI classification for the plugin (built only with the nDPI
 * extension, VFMWS_HAVE_NDPI): one libvfm-ndpi classifier per link type,
 * fed in capture order on the first pass, and the VFM_HELPER_APP helper and
 * name resolver the plugin's filters compile and run with.
 *
 * What a frame's application is (docs/ndpi.md): on the first pass, the
 * classification of its flow known once this frame has been seen (what a
 * single-pass tshark can know); after the first pass (tshark -2's second
 * pass, the GUI once the file is loaded), the flow's final classification,
 * nDPI having given up on undecided flows at the end as ndpiReader does.
 *
 * No Wireshark types here, as in filter.h.
 */
#ifndef VFMWS_APP_H
#define VFMWS_APP_H

#include <stddef.h>
#include <stdint.h>

#include "vfm/vfm.h"

/** Feed a first-pass frame; returns its flow's classification so far (VFM_NDPI_NO_FLOW: none). */
uint64_t vfmws_app_feed(int linktype, const uint8_t *pkt, size_t len, uint64_t ts_us);

/** The final classification of a frame's flow (gives up on open flows the first time). */
uint64_t vfmws_app_final(int linktype, const uint8_t *pkt, size_t len);

/** nDPI's name for @p app ("DNS", "TLS.Google"). */
const char *vfmws_app_name(uint64_t app, char *buf, size_t len);

/** The resolver for vfl_options_t.app_resolve (user unused). */
int vfmws_app_resolve(void *user, const char *name, uint64_t *app);

/** The VFM_HELPER_APP helper for a VM running frames of @p linktype. */
void vfmws_app_helper(int linktype, vfm_helper_t *h);

/** Drop every flow (a new file, or a redissection from the start). */
void vfmws_app_reset(void);

/** Free everything (Wireshark shutdown). */
void vfmws_app_free(void);

#endif /* VFMWS_APP_H */
