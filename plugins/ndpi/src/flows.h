/*
 * flows.h - the classifier's flow table: flows in order of their first
 * packet (a growing array, so an index names a flow for good) and a hash
 * index over their keys.
 */
#ifndef VFMN_FLOWS_H
#define VFMN_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"

struct ndpi_flow_struct;

typedef struct vfmn_flow {
    vfmn_key_t key;
    uint8_t src[16], dst[16]; /* direction of the first packet */
    uint16_t sport, dport;
    struct ndpi_flow_struct *nf; /* nDPI's state for this flow */
    uint16_t master, app;        /* nDPI's detected protocol pair, as last returned */
    bool completed;              /* nDPI is no longer given packets */
    uint64_t packets, bytes, first_packet;
    uint32_t next; /* hash chain: index + 1, 0 = end */
} vfmn_flow_t;

typedef struct vfmn_flows {
    vfmn_flow_t *v;
    size_t n, cap;
    uint32_t *heads; /* bucket -> index + 1 */
    size_t nbuckets; /* power of two */
} vfmn_flows_t;

void vfmn_flows_init(vfmn_flows_t *t);
/** Frees the table; @p free_nf is called on each flow's nDPI state first. */
void vfmn_flows_free(vfmn_flows_t *t, void (*free_nf)(void *));

/** The flow with @p key, or NULL. */
vfmn_flow_t *vfmn_flows_find(const vfmn_flows_t *t, const vfmn_key_t *key);

/** A new zeroed flow with @p key (the caller checked it is absent); NULL if out of memory. */
vfmn_flow_t *vfmn_flows_add(vfmn_flows_t *t, const vfmn_key_t *key);

#endif
