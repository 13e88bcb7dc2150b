/*
 * packet-vfm.c - the vfm postdissector: runs the configured VFLisp filters on
 * every frame's raw bytes and shows the verdicts as fields.
 *
 *   vfm.match     present (True) only when vfm.filter accepts the frame, so
 *                 the display filter "vfm.match" selects exactly those frames
 *   vfm.result    vfm.filter's return value, when it ran to the end
 *   vfm.error     why a filter gave no verdict: a run-time error (packet load
 *                 past the captured bytes, ...), a filter that does not
 *                 compile, or a link type VFLisp has no layout for
 *   vfm.matched   the name of each named filter that accepts the frame
 *   vfm.linktype  the LINKTYPE_ value the filters were compiled for
 *   vfm.app       (with the nDPI extension, when vfm.ndpi is on or a filter
 *                 reads app) the nDPI application of the frame's flow: on the
 *                 first pass the one known once this frame is seen, on later
 *                 passes the flow's final one (app.h, docs/ndpi.md)
 *
 * Results are computed once per frame, on the first pass (fd->visited == 0),
 * and kept as per-frame data: a stateful filter (count-by, flow-count)
 * counts each frame once, in capture order, however often Wireshark
 * dissects it again (tshark -2, clicking a packet, printing).  A full
 * redissection starts over: the init routine clears the flow tables and
 * frames are visited afresh.
 */
#include <stdbool.h>

#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/proto_data.h>
#include <wiretap/wtap.h>

#include "config.h"
#include "filter.h"
#include "vfm/vfm.h"
#include "linktype.h"
#include "packet-vfm.h"
#ifdef VFMWS_HAVE_NDPI
#include "app.h"
#include "vfm/vfm_ndpi.h"
#endif

static int proto_vfm = -1;
static int hf_match = -1;
static int hf_result = -1;
static int hf_error = -1;
static int hf_matched = -1;
static int hf_linktype = -1;
static int hf_app = -1;
static int ett_vfm = -1;
static expert_field ei_bad_filter = EI_INIT;
static expert_field ei_linktype = EI_INIT;
static expert_field ei_no_code = EI_INIT;
static expert_field ei_run_error = EI_INIT;
static dissector_handle_t vfm_handle;

/*
 * What the filters said about one frame (file scope, per-frame data).  Kept
 * small, since every frame of a capture has one: a named filter's verdict is
 * two bytes; its message comes back from the error code or the filter.
 */
typedef struct named_verdict {
    uint8_t status; /* vfmws_status_t */
    int8_t error;   /* VFM_ERROR_* for RUN_ERROR */
} named_verdict_t;

typedef struct frame_result {
    unsigned generation; /* vfmws_config()->generation it was computed under */
    int linktype;        /* LINKTYPE_ value, or -1: none VFLisp knows */
    int encap;           /* the frame's WTAP_ENCAP (for the message when linktype < 0) */
    bool not_packet;     /* a record that is not a packet (event, report, ...) */
    bool has_main;
    bool has_app;    /* classified (the frame was fed on the first pass) */
    uint64_t app;    /* its flow's classification then (VFM_NDPI_NO_FLOW: no flow) */
    vfmws_verdict_t main;
    unsigned nnamed;
    named_verdict_t named[]; /* one per enabled named filter, table order */
} frame_result_t;

static frame_result_t *evaluate(tvbuff_t *tvb, packet_info *pinfo)
{
    const vfmws_config_t *c = vfmws_config();
    frame_result_t *r = wmem_alloc0(wmem_file_scope(),
                                    sizeof *r + c->nnamed * sizeof(named_verdict_t));
    r->generation = c->generation;
    r->linktype = -1;
    if (pinfo->rec->rec_type != REC_TYPE_PACKET) {
        r->not_packet = true;
        return r;
    }
    r->encap = pinfo->rec->rec_header.packet_header.pkt_encap;
    r->linktype = vfmws_linktype_of_encap(r->encap);
    if (r->linktype < 0)
        return r;
    /* The whole frame from the link layer, as a capture file holds it. */
    unsigned len = tvb_captured_length(tvb);
    const uint8_t *pkt = len ? tvb_get_ptr(tvb, 0, len) : NULL;
#ifdef VFMWS_HAVE_NDPI
    /* Before the filters: their app includes this frame.  Each frame once, in order. */
    if (c->app && !pinfo->fd->visited) {
        uint64_t us = (uint64_t)pinfo->abs_ts.secs * 1000000u + (uint64_t)pinfo->abs_ts.nsecs / 1000u;
        r->app = vfmws_app_feed(r->linktype, pkt, len, us);
        r->has_app = true;
    }
#endif
    if (c->main) {
        r->has_main = true;
        vfmws_filter_run(c->main, r->linktype, pkt, len, &r->main);
    }
    r->nnamed = c->nnamed;
    for (unsigned i = 0; i < c->nnamed; i++) {
        vfmws_verdict_t v;
        vfmws_filter_run(c->named[i], r->linktype, pkt, len, &v);
        r->named[i].status = (uint8_t)v.status;
        r->named[i].error = (int8_t)v.error;
    }
    return r;
}

static proto_item *add_error(proto_tree *t, tvbuff_t *tvb, const char *msg)
{
    proto_item *it = proto_tree_add_string(t, hf_error, tvb, 0, 0, msg);
    proto_item_set_generated(it);
    return it;
}

static void show_linktype_error(const frame_result_t *r, proto_tree *t, tvbuff_t *tvb,
                                packet_info *pinfo)
{
    const char *msg;
    if (r->not_packet)
        msg = "not a packet record: the filters only run on packets";
    else
        msg = wmem_strdup_printf(pinfo->pool,
                                 "link type '%s' (WTAP_ENCAP %d) has no VFLisp layout: "
                                 "the filters do not run on this frame",
                                 wtap_encap_description(r->encap), r->encap);
    expert_add_info_format(pinfo, add_error(t, tvb, msg), &ei_linktype, "%s", msg);
}

/* vfm.filter's verdict.  @p label collects a summary for the tree item. */
static void show_main(const frame_result_t *r, proto_tree *t, tvbuff_t *tvb, packet_info *pinfo,
                      wmem_strbuf_t *label)
{
    const vfmws_verdict_t *v = &r->main;
    proto_item *it;
    switch (v->status) {
    case VFMWS_ACCEPT:
        proto_item_set_generated(proto_tree_add_boolean(t, hf_match, tvb, 0, 0, TRUE));
        wmem_strbuf_append(label, ", match");
        /* fall through */
    case VFMWS_REJECT:
        proto_item_set_generated(proto_tree_add_uint64(t, hf_result, tvb, 0, 0, v->value));
        break;
    case VFMWS_RUN_ERROR:
        it = add_error(t, tvb, v->why);
        expert_add_info_format(pinfo, it, &ei_run_error, "vfm.filter stopped: %s", v->why);
        wmem_strbuf_append(label, ", error");
        break;
    case VFMWS_NO_CODE:
        it = add_error(t, tvb, v->why);
        expert_add_info_format(pinfo, it, &ei_no_code, "%s", v->why);
        wmem_strbuf_append(label, ", error");
        break;
    }
}

static void show_named(const frame_result_t *r, proto_tree *t, tvbuff_t *tvb,
                       packet_info *pinfo, wmem_strbuf_t *label)
{
    const vfmws_config_t *c = vfmws_config();
    const char *sep = ", matched: ";
    for (unsigned i = 0; i < r->nnamed; i++) {
        const named_verdict_t *v = &r->named[i];
        const char *name = vfmws_filter_name(c->named[i]);
        const char *why;
        proto_item *it;
        switch ((vfmws_status_t)v->status) {
        case VFMWS_ACCEPT:
            proto_item_set_generated(proto_tree_add_string(t, hf_matched, tvb, 0, 0, name));
            wmem_strbuf_append_printf(label, "%s%s", sep, name);
            sep = ", ";
            break;
        case VFMWS_REJECT:
            break;
        case VFMWS_RUN_ERROR:
            why = vfm_error_string(v->error);
            it = add_error(t, tvb, wmem_strdup_printf(pinfo->pool, "%s: %s", name, why));
            expert_add_info_format(pinfo, it, &ei_run_error, "%s stopped: %s", name, why);
            break;
        case VFMWS_NO_CODE:
            why = vfmws_filter_no_code_why(c->named[i], r->linktype);
            it = add_error(t, tvb, why ? why : name);
            expert_add_info_format(pinfo, it, &ei_no_code, "%s", why ? why : name);
            break;
        }
    }
}

static void show(const frame_result_t *r, tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree)
{
    const vfmws_config_t *c = vfmws_config();
    proto_item *ti = proto_tree_add_item(tree, proto_vfm, tvb, 0, 0, ENC_NA);
    proto_tree *t = proto_item_add_subtree(ti, ett_vfm);
    if (c->main_error) {
        proto_item *it = add_error(t, tvb, c->main_error);
        expert_add_info_format(pinfo, it, &ei_bad_filter, "vfm.filter does not compile: %s",
                               c->main_error);
    }
    if (r->linktype < 0) {
        show_linktype_error(r, t, tvb, pinfo);
        return;
    }
    proto_item_set_generated(
        proto_tree_add_uint(t, hf_linktype, tvb, 0, 0, (uint32_t)r->linktype));
    wmem_strbuf_t *label = wmem_strbuf_new(pinfo->pool, "");
#ifdef VFMWS_HAVE_NDPI
    if (c->app && r->has_app) {
        /* Later passes: the final classification, the same however often redissected. */
        uint64_t app = r->app;
        if (pinfo->fd->visited) {
            unsigned len = tvb_captured_length(tvb);
            app = vfmws_app_final(r->linktype, len ? tvb_get_ptr(tvb, 0, len) : NULL, len);
        }
        if (app != VFM_NDPI_NO_FLOW) {
            char name[VFM_NDPI_NAME_MAX];
            vfmws_app_name(app, name, sizeof name);
            proto_item_set_generated(proto_tree_add_string(t, hf_app, tvb, 0, 0, name));
            wmem_strbuf_append_printf(label, ", app %s", name);
        }
    }
#endif
    if (r->has_main)
        show_main(r, t, tvb, pinfo, label);
    show_named(r, t, tvb, pinfo, label);
    if (wmem_strbuf_get_len(label) > 2)
        proto_item_append_text(ti, ": %s", wmem_strbuf_get_str(label) + 2);
}

static int dissect_vfm(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data)
{
    (void)data;
    if (!vfmws_config_active())
        return 0;
    frame_result_t *r = p_get_proto_data(wmem_file_scope(), pinfo, proto_vfm, 0);
    /* First pass: run (in capture order, so flow counters count right).
     * Later passes: the stored verdicts, unless the filters changed since. */
    if (!pinfo->fd->visited || !r || r->generation != vfmws_config()->generation) {
        r = evaluate(tvb, pinfo);
        p_set_proto_data(wmem_file_scope(), pinfo, proto_vfm, 0, r);
    }
    show(r, tvb, pinfo, tree);
    return (int)tvb_captured_length(tvb);
}

void vfmws_register_proto(void)
{
    static hf_register_info hf[] = {
        {&hf_match,
         {"Match", "vfm.match", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
          "vfm.filter accepted the frame (absent otherwise)", HFILL}},
        {&hf_result,
         {"Result", "vfm.result", FT_UINT64, BASE_DEC, NULL, 0x0,
          "Value vfm.filter returned (non-zero: accepted)", HFILL}},
        {&hf_error,
         {"Error", "vfm.error", FT_STRING, BASE_NONE, NULL, 0x0,
          "Why a filter gave no verdict for the frame", HFILL}},
        {&hf_matched,
         {"Matched filter", "vfm.matched", FT_STRING, BASE_NONE, NULL, 0x0,
          "Name of a named filter that accepted the frame", HFILL}},
        {&hf_linktype,
         {"Link type", "vfm.linktype", FT_UINT32, BASE_DEC, NULL, 0x0,
          "LINKTYPE_ value the filters were compiled for", HFILL}},
        {&hf_app,
         {"Application", "vfm.app", FT_STRING, BASE_NONE, NULL, 0x0,
          "nDPI application of the frame's flow (with the nDPI extension; docs/ndpi.md)",
          HFILL}},
    };
    static int *ett[] = {&ett_vfm};
    static ei_register_info ei[] = {
        {&ei_bad_filter,
         {"vfm.filter.invalid", PI_PROTOCOL, PI_ERROR, "vfm.filter does not compile", EXPFILL}},
        {&ei_linktype,
         {"vfm.linktype.unsupported", PI_UNDECODED, PI_WARN,
          "The link type has no VFLisp layout", EXPFILL}},
        {&ei_no_code,
         {"vfm.filter.no_code", PI_UNDECODED, PI_WARN,
          "A filter does not compile for this link type", EXPFILL}},
        {&ei_run_error,
         {"vfm.filter.run_error", PI_PROTOCOL, PI_NOTE, "A filter stopped with an error",
          EXPFILL}},
    };

    proto_vfm = proto_register_protocol("VFM packet filters", "VFM", "vfm");
    proto_register_field_array(proto_vfm, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(expert_register_protocol(proto_vfm), ei, array_length(ei));
    vfmws_config_register(proto_vfm);
    vfmws_linktypes_init();
    vfm_handle = register_dissector("vfm", dissect_vfm, proto_vfm);
    register_init_routine(vfmws_config_reset_state);
    register_shutdown_routine(vfmws_config_free);
}

void vfmws_register_handoff(void) { register_postdissector(vfm_handle); }
