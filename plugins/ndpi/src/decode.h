/*
 * decode.h - find a packet's IP header and flow key the way ndpiReader 4.2
 * does (example/reader_util.c), so that our flows and what nDPI is shown are
 * the flows and bytes ndpiReader has.
 */
#ifndef VFMN_DECODE_H
#define VFMN_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A flow key: both directions give the same key (endpoints in order). */
typedef struct vfmn_key {
    uint8_t a[16], b[16]; /* addresses, a <= b with their ports; IPv4 in a[0..3] */
    uint16_t pa, pb;      /* ports of a and b */
    uint16_t vlan;
    uint8_t proto;
    uint8_t version; /* 4 or 6 */
} vfmn_key_t;

typedef struct vfmn_packet {
    vfmn_key_t key;
    bool a_is_src;        /* the packet goes from key.a to key.b */
    uint32_t ip_off;      /* the (innermost) IP header nDPI is given */
    uint16_t ipsize;      /* bytes from there to the end of the capture (16-bit, as ndpiReader) */
    uint8_t src[16], dst[16];
    uint16_t sport, dport;
} vfmn_packet_t;

/** Does decode know link type @p linktype? */
bool vfmn_linktype_ok(int linktype);

/** Decode @p pkt; true when it belongs to a flow (then @p out is filled). */
bool vfmn_decode(int linktype, const uint8_t *pkt, size_t caplen, vfmn_packet_t *out);

#endif
