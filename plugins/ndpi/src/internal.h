/*
 * internal.h - the classifier object shared by classify.c and names.c.
 */
#ifndef VFMN_INTERNAL_H
#define VFMN_INTERNAL_H

#include "flows.h"
#include "vfm/vfm_ndpi.h"

struct ndpi_detection_module_struct;

struct vfm_ndpi {
    int linktype;
    struct ndpi_detection_module_struct *ndpi;
    vfmn_flows_t flows;
    uint64_t last_ms;  /* ndpiReader's clock: never goes backwards */
    uint64_t npackets; /* packets fed */
};

/** The app id of nDPI's (master, app) pair, one protocol folded to (0, p). */
uint64_t vfmn_app_id(uint16_t master, uint16_t app);

#endif
