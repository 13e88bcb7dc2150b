/*
 * app.c - the plugin's nDPI classifiers (libvfm-ndpi), one per link type.
 *
 * A VM's helper keeps a pointer to its link type's slot, which lives as long
 * as the plugin, so a reset can replace the classifier under it.
 */
#include "app.h"

#include <stdbool.h>
#include <string.h>

#include "filter.h" /* VFMWS_LINKTYPES_MAX */
#include "vfm/vfm_ndpi.h"

typedef struct app_slot {
    int linktype;
    vfm_ndpi_t *c; /* NULL until the first frame of the link type (or after a reset) */
    bool finished; /* gave up on the open flows: lookups are final */
} app_slot_t;

static app_slot_t slots[VFMWS_LINKTYPES_MAX];
static unsigned nslots;
static vfm_ndpi_t *names; /* for name lookups, whatever the link type */

static app_slot_t *slot_of(int linktype)
{
    for (unsigned i = 0; i < nslots; i++)
        if (slots[i].linktype == linktype)
            return &slots[i];
    if (nslots == VFMWS_LINKTYPES_MAX)
        return NULL;
    app_slot_t *s = &slots[nslots++];
    memset(s, 0, sizeof *s);
    s->linktype = linktype;
    return s;
}

uint64_t vfmws_app_feed(int linktype, const uint8_t *pkt, size_t len, uint64_t ts_us)
{
    app_slot_t *s = slot_of(linktype);
    if (s && !s->c)
        s->c = vfm_ndpi_create(linktype, NULL, 0);
    uint64_t app = VFM_NDPI_NO_FLOW;
    if (s && s->c)
        vfm_ndpi_feed(s->c, pkt, len, ts_us, &app, NULL);
    return app;
}

uint64_t vfmws_app_final(int linktype, const uint8_t *pkt, size_t len)
{
    app_slot_t *s = slot_of(linktype);
    uint64_t app = VFM_NDPI_NO_FLOW;
    if (!s || !s->c)
        return app;
    if (!s->finished) {
        vfm_ndpi_finish(s->c);
        s->finished = true;
    }
    vfm_ndpi_lookup(s->c, pkt, len, &app);
    return app;
}

static vfm_ndpi_t *name_table(void)
{
    if (!names)
        names = vfm_ndpi_create(1, NULL, 0);
    return names;
}

const char *vfmws_app_name(uint64_t app, char *buf, size_t len)
{
    return vfm_ndpi_app_name(name_table(), app, buf, len);
}

int vfmws_app_resolve(void *user, const char *name, uint64_t *app)
{
    (void)user;
    return vfm_ndpi_app_id(name_table(), name, app);
}

static int app_helper(void *user, const uint8_t *pkt, size_t len, const uint64_t *args,
                      uint64_t *result)
{
    const app_slot_t *s = user;
    (void)args;
    *result = VFM_NDPI_NO_FLOW;
    if (s && s->c)
        vfm_ndpi_lookup(s->c, pkt, len, result);
    return VFM_SUCCESS;
}

void vfmws_app_helper(int linktype, vfm_helper_t *h)
{
    memset(h, 0, sizeof *h);
    h->name = "app";
    h->pushes = 1;
    h->fn = app_helper;
    h->user = slot_of(linktype);
}

void vfmws_app_reset(void)
{
    for (unsigned i = 0; i < nslots; i++) {
        vfm_ndpi_destroy(slots[i].c);
        slots[i].c = NULL;
        slots[i].finished = false;
    }
}

void vfmws_app_free(void)
{
    vfmws_app_reset();
    nslots = 0;
    vfm_ndpi_destroy(names);
    names = NULL;
}
