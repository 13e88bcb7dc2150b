/*
 * classify.c - feed packets to nDPI flow by flow, as ndpiReader 4.2 does.
 *
 * Per packet (ndpiReader's packet_processing): count it in its flow; while
 * the flow is not complete, hand nDPI the IP header onwards.  A flow is
 * complete once nDPI names an application and wants no more packets
 * (ndpi_extra_dissection_possible), or after more than 80 TCP / 24 UDP
 * packets; if still unknown then, nDPI gives up with a guess by port.  At
 * the end of the input (vfm_ndpi_finish) every open flow gives up the same
 * way: the same calls, in the same packet order, give ndpiReader's results.
 */
#include <ndpi_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ndpiReader's defaults (-T and -U). */
enum { MAX_TCP_PACKETS = 80, MAX_UDP_PACKETS = 24 };

int vfm_ndpi_linktype_supported(int linktype)
{
    return vfmn_linktype_ok(linktype);
}

vfm_ndpi_t *vfm_ndpi_create(int linktype, char *err, size_t errlen)
{
    if (!vfmn_linktype_ok(linktype)) {
        if (err && errlen)
            snprintf(err, errlen, "link type %d is not supported by the nDPI classifier",
                     linktype);
        return NULL;
    }
    vfm_ndpi_t *c = calloc(1, sizeof *c);
    if (c)
        c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (!c || !c->ndpi) {
        free(c);
        if (err && errlen)
            snprintf(err, errlen, "out of memory (nDPI detection module)");
        return NULL;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
    ndpi_finalize_initialization(c->ndpi);
    c->linktype = linktype;
    vfmn_flows_init(&c->flows);
    return c;
}

void vfm_ndpi_destroy(vfm_ndpi_t *c)
{
    if (!c)
        return;
    vfmn_flows_free(&c->flows, ndpi_flow_free);
    ndpi_exit_detection_module(c->ndpi);
    free(c);
}

void vfm_ndpi_reset(vfm_ndpi_t *c)
{
    if (!c)
        return;
    vfmn_flows_free(&c->flows, ndpi_flow_free);
    c->last_ms = 0;
    c->npackets = 0;
}

static void set_proto(vfmn_flow_t *f, ndpi_protocol p)
{
    f->master = p.master_protocol;
    f->app = p.app_protocol;
}

static void give_up(vfm_ndpi_t *c, vfmn_flow_t *f)
{
    uint8_t guessed = 0;
    set_proto(f, ndpi_detection_giveup(c->ndpi, f->nf, 1, &guessed));
    f->completed = true;
}

/* The flow of @p pk, made if new; NULL if out of memory. */
static vfmn_flow_t *flow_of(vfm_ndpi_t *c, const vfmn_packet_t *pk)
{
    vfmn_flow_t *f = vfmn_flows_find(&c->flows, &pk->key);
    if (f)
        return f;
    struct ndpi_flow_struct *nf = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
    if (!nf)
        return NULL;
    memset(nf, 0, SIZEOF_FLOW_STRUCT);
    f = vfmn_flows_add(&c->flows, &pk->key);
    if (!f) {
        ndpi_flow_free(nf);
        return NULL;
    }
    f->nf = nf;
    memcpy(f->src, pk->src, 16);
    memcpy(f->dst, pk->dst, 16);
    f->sport = pk->sport;
    f->dport = pk->dport;
    f->first_packet = c->npackets;
    return f;
}

int vfm_ndpi_feed(vfm_ndpi_t *c, const uint8_t *pkt, size_t caplen, uint64_t ts_us,
                  uint64_t *app, int64_t *flow)
{
    if (app)
        *app = VFM_NDPI_NO_FLOW;
    if (flow)
        *flow = -1;
    if (!c || (!pkt && caplen))
        return VFM_ERROR_INVALID_ARGUMENT;
    c->npackets++;
    uint64_t ms = ts_us / 1000u;
    if (ms < c->last_ms)
        ms = c->last_ms;
    c->last_ms = ms;

    vfmn_packet_t pk;
    if (!vfmn_decode(c->linktype, pkt, caplen, &pk))
        return 0;
    vfmn_flow_t *f = flow_of(c, &pk);
    if (!f)
        return VFM_ERROR_NO_MEMORY;
    f->packets++;
    f->bytes += caplen;
    if (!f->completed) {
        uint8_t proto = pk.key.proto;
        bool enough = (proto == 17 && f->packets > MAX_UDP_PACKETS) ||
                      (proto == 6 && f->packets > MAX_TCP_PACKETS);
        ndpi_protocol p =
            ndpi_detection_process_packet(c->ndpi, f->nf, pkt + pk.ip_off, pk.ipsize, ms);
        set_proto(f, p);
        if (enough || p.app_protocol != NDPI_PROTOCOL_UNKNOWN) {
            if (enough || !ndpi_extra_dissection_possible(c->ndpi, f->nf)) {
                f->completed = true;
                if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN)
                    give_up(c, f);
            }
        }
    }
    if (app)
        *app = vfmn_app_id(f->master, f->app);
    if (flow)
        *flow = (int64_t)(f - c->flows.v);
    return 1;
}

void vfm_ndpi_finish(vfm_ndpi_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->flows.n; i++)
        if (!c->flows.v[i].completed)
            give_up(c, &c->flows.v[i]);
}

int vfm_ndpi_lookup(const vfm_ndpi_t *c, const uint8_t *pkt, size_t caplen, uint64_t *app)
{
    vfmn_packet_t pk;
    const vfmn_flow_t *f = NULL;
    if (c && vfmn_decode(c->linktype, pkt, caplen, &pk))
        f = vfmn_flows_find(&c->flows, &pk.key);
    if (app)
        *app = f ? vfmn_app_id(f->master, f->app) : VFM_NDPI_NO_FLOW;
    return f != NULL;
}

size_t vfm_ndpi_flow_count(const vfm_ndpi_t *c)
{
    return c ? c->flows.n : 0;
}

int vfm_ndpi_flow_get(const vfm_ndpi_t *c, size_t i, vfm_ndpi_flow_t *out)
{
    if (!c || !out || i >= c->flows.n)
        return VFM_ERROR_INVALID_ARGUMENT;
    const vfmn_flow_t *f = &c->flows.v[i];
    memset(out, 0, sizeof *out);
    out->ip_version = f->key.version;
    out->proto = f->key.proto;
    out->vlan = f->key.vlan;
    memcpy(out->src, f->src, 16);
    memcpy(out->dst, f->dst, 16);
    out->sport = f->sport;
    out->dport = f->dport;
    out->packets = f->packets;
    out->bytes = f->bytes;
    out->app = vfmn_app_id(f->master, f->app);
    out->first_packet = f->first_packet;
    return VFM_SUCCESS;
}
