/*
 * config.h - the filters the user configured: the vfm.filter preference and
 * the table of named filters (a UAT, "vfm_filters"), compiled, plus a
 * generation number that changes whenever either changes.
 *
 * Wireshark dissects on one thread; this state belongs to it.
 */
#ifndef VFMWS_CONFIG_H
#define VFMWS_CONFIG_H

#include "filter.h"

/* Name of the named-filter table: its file in the profile and the -o uat: name. */
#define VFMWS_UAT_NAME "vfm_filters"

typedef struct vfmws_config {
    vfmws_filter_t *main;     /* vfm.filter, NULL when unset or invalid */
    const char *main_error;   /* why vfm.filter does not compile, NULL if it does or is unset */
    vfmws_filter_t **named;   /* the enabled named filters, in table order */
    unsigned nnamed;
    unsigned generation;      /* bumped on every change: stored frame results go stale */
    int app;                  /* classify frames with nDPI: the vfm.ndpi preference, or a
                                 filter reads `app` (always 0 without the nDPI extension) */
} vfmws_config_t;

/** Register the preferences and the named-filter table of protocol @p proto. */
void vfmws_config_register(int proto);

/** The current filters (never NULL). */
const vfmws_config_t *vfmws_config(void);

/** Is any filter (valid or not) configured, or nDPI on?  Nothing to do per frame otherwise. */
int vfmws_config_active(void);

/** Forget the flow state of every filter: a new file or a full redissection starts. */
void vfmws_config_reset_state(void);

/** Free everything (Wireshark shutdown). */
void vfmws_config_free(void);

#endif /* VFMWS_CONFIG_H */
