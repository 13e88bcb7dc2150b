/*
 * config.c - preferences: vfm.filter (one VFLisp expression) and the table of
 * named filters, validated when they are set and compiled for use.
 *
 * A bad filter is refused where Wireshark lets us refuse it: a named filter
 * record fails the table's update check (tshark -o uat:... then stops with
 * "Invalid -o flag", the GUI editor shows the message on the row).  A string
 * preference cannot be refused, so a bad vfm.filter is reported through
 * report_failure() (tshark: a line on stderr; the GUI: a dialog) and every
 * frame then carries vfm.error and an error expert item instead of results.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/uat.h>
#include <wsutil/report_message.h>

#include "version_compat.h"
#ifdef VFMWS_HAVE_NDPI
#include "app.h"
#endif

#define NAME_MAX_LEN 64

/* One row of the named-filter table, as the UAT stores it. */
typedef struct named_rec {
    char *name;
    char *expr;
    bool enabled;
} named_rec_t;

static vfmws_config_t cfg;
static const char *pref_filter = ""; /* owned by the preferences code */
static char *main_src;               /* the text cfg.main was built from */
static char *main_error;
static named_rec_t *recs;            /* owned by the UAT */
static unsigned nrecs;

const vfmws_config_t *vfmws_config(void) { return &cfg; }

int vfmws_config_active(void) { return cfg.main || cfg.main_error || cfg.nnamed || cfg.app; }

#ifdef VFMWS_HAVE_NDPI
static gboolean pref_ndpi; /* vfm.ndpi */
#endif

/* Frames are classified when asked (vfm.ndpi) or when a filter reads `app`. */
static void update_app(void)
{
#ifdef VFMWS_HAVE_NDPI
    int on = pref_ndpi || (cfg.main && vfmws_filter_uses_app(cfg.main));
    for (unsigned i = 0; i < cfg.nnamed; i++)
        on |= vfmws_filter_uses_app(cfg.named[i]);
    if (on != cfg.app)
        cfg.generation++;
    cfg.app = on;
#endif
}

/* ---- vfm.filter ------------------------------------------------------------ */

static void set_main(const char *src)
{
    vfmws_filter_free(cfg.main);
    cfg.main = NULL;
    g_free(main_error);
    main_error = NULL;
    cfg.main_error = NULL;
    g_free(main_src);
    main_src = g_strdup(src);
    cfg.generation++;
    if (!*src)
        return;
    char err[512];
    cfg.main = vfmws_filter_new("vfm.filter", src, err, sizeof err);
    if (!cfg.main) {
        main_error = g_strdup(err);
        cfg.main_error = main_error;
        report_failure("VFM: %s (no frame matches until vfm.filter is fixed)", err);
    }
}

/* Preferences were applied: recompile vfm.filter only if its text changed,
 * so that an unrelated change keeps the flow state. */
static void apply_prefs(void)
{
    const char *src = pref_filter ? pref_filter : "";
    if (!main_src || strcmp(src, main_src) != 0)
        set_main(src);
    update_app();
}

/* ---- the named filters ----------------------------------------------------- */

UAT_CSTRING_CB_DEF(named, name, named_rec_t)
UAT_CSTRING_CB_DEF(named, expr, named_rec_t)
UAT_BOOL_CB_DEF(named, enabled, named_rec_t)

static void *copy_rec(void *dst, const void *src, size_t len)
{
    (void)len;
    named_rec_t *d = dst;
    const named_rec_t *s = src;
    d->name = g_strdup(s->name);
    d->expr = g_strdup(s->expr);
    d->enabled = s->enabled;
    return d;
}

static void free_rec(void *r)
{
    named_rec_t *rec = r;
    g_free(rec->name);
    g_free(rec->expr);
}

/* Names go into display filters (vfm.matched == "web") and -T fields output
 * separated by commas: keep them to letters, digits, '_', '-' and '.'. */
static bool name_ok(const char *name, char **err)
{
    if (!name || !*name) {
        *err = g_strdup("the filter needs a name");
        return false;
    }
    if (strlen(name) > NAME_MAX_LEN) {
        *err = g_strdup_printf("name '%s' is longer than %d characters", name, NAME_MAX_LEN);
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-' && *p != '.') {
            *err = g_strdup_printf("name '%s': use only letters, digits, '_', '-' and '.'", name);
            return false;
        }
    }
    return true;
}

/* The table's record check: a usable name and an expression that compiles. */
static VFMWS_UAT_BOOL check_rec(void *r, char **err)
{
    const named_rec_t *rec = r;
    if (!name_ok(rec->name, err))
        return FALSE;
    if (!rec->expr || !*rec->expr) {
        *err = g_strdup_printf("filter '%s' has no expression", rec->name);
        return FALSE;
    }
    char msg[512];
    vfmws_filter_t *f = vfmws_filter_new(rec->name, rec->expr, msg, sizeof msg);
    if (!f) {
        *err = g_strdup(msg);
        return FALSE;
    }
    vfmws_filter_free(f);
    return TRUE;
}

static void free_named(void)
{
    for (unsigned i = 0; i < cfg.nnamed; i++)
        vfmws_filter_free(cfg.named[i]);
    g_free(cfg.named);
    cfg.named = NULL;
    cfg.nnamed = 0;
}

/* The table changed (loaded, edited, set with -o): compile the enabled rows. */
static void named_changed(void)
{
    free_named();
    cfg.generation++;
    if (!nrecs) {
        update_app();
        return;
    }
    cfg.named = g_new0(vfmws_filter_t *, nrecs);
    for (unsigned i = 0; i < nrecs; i++) {
        if (!recs[i].enabled)
            continue;
        char msg[512];
        vfmws_filter_t *f = vfmws_filter_new(recs[i].name, recs[i].expr, msg, sizeof msg);
        if (f)
            cfg.named[cfg.nnamed++] = f;
        else /* check_rec() refuses such rows; say so if one gets here anyway */
            report_failure("VFM: named filter skipped: %s", msg);
    }
    update_app();
}

static uat_field_t named_fields[] = {
    UAT_FLD_CSTRING(named, name, "Name",
                    "Shown in vfm.matched; letters, digits, '_', '-', '.'"),
    UAT_FLD_CSTRING(named, expr, "VFLisp expression",
                    "A VFLisp filter, e.g. (and (= proto 6) (= dst-port 80))"),
    UAT_FLD_BOOL(named, enabled, "Enabled", "Run this filter"),
    UAT_END_FIELDS};

void vfmws_config_register(int proto)
{
    module_t *m = prefs_register_protocol(proto, apply_prefs);
    prefs_register_string_preference(
        m, "filter", "VFLisp filter",
        "A VFLisp expression run on every frame (docs/vflisp.md); frames it accepts carry "
        "vfm.match, so the display filter vfm.match shows them.  Empty: off.",
        &pref_filter);
#ifdef VFMWS_HAVE_NDPI
    prefs_register_bool_preference(
        m, "ndpi", "Classify flows with nDPI (vfm.app)",
        "Give every frame the nDPI application of its flow as vfm.app (display filter: "
        "vfm.app == \"DNS\").  On the first pass that is what is known once the frame is "
        "seen; on later passes (tshark -2, the GUI after loading) the flow's final "
        "classification.  Filters that read app turn it on too (docs/ndpi.md).",
        &pref_ndpi);
#endif
    uat_t *u = uat_new("VFM named filters", sizeof(named_rec_t), VFMWS_UAT_NAME, TRUE, &recs,
                       &nrecs, UAT_AFFECTS_DISSECTION, NULL, copy_rec, check_rec, free_rec,
                       named_changed, NULL, named_fields);
    prefs_register_uat_preference(
        m, "filters", "Named filters",
        "VFLisp filters with names; every one that accepts a frame adds its name as "
        "vfm.matched (display filter: vfm.matched == \"web\")",
        u);
}

void vfmws_config_reset_state(void)
{
#ifdef VFMWS_HAVE_NDPI
    vfmws_app_reset();
#endif
    if (cfg.main)
        vfmws_filter_reset(cfg.main);
    for (unsigned i = 0; i < cfg.nnamed; i++)
        vfmws_filter_reset(cfg.named[i]);
}

void vfmws_config_free(void)
{
#ifdef VFMWS_HAVE_NDPI
    vfmws_app_free();
#endif
    vfmws_filter_free(cfg.main);
    cfg.main = NULL;
    g_free(main_error);
    main_error = NULL;
    cfg.main_error = NULL;
    g_free(main_src);
    main_src = NULL;
    free_named();
}
