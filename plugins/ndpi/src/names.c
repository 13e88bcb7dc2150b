/*
 * names.c - app ids <-> nDPI names, and the VFM_HELPER_APP helper.
 *
 * Names are nDPI's own (ndpi_get_proto_name), joined as ndpiReader joins
 * them: "MASTER.APP" when a flow has two different protocols, else one.
 */
#include <ndpi_api.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "vfm/helpers.h"

uint64_t vfmn_app_id(uint16_t master, uint16_t app)
{
    if (app == NDPI_PROTOCOL_UNKNOWN) {
        app = master;
        master = NDPI_PROTOCOL_UNKNOWN;
    }
    if (master == app)
        master = NDPI_PROTOCOL_UNKNOWN;
    return VFM_NDPI_APP(master, app);
}

unsigned vfm_ndpi_protocol_count(const vfm_ndpi_t *c)
{
    return c ? ndpi_get_num_supported_protocols(c->ndpi) : 0;
}

static const char *proto_name(const vfm_ndpi_t *c, unsigned id)
{
    if (id >= ndpi_get_num_supported_protocols(c->ndpi))
        return NULL;
    const char *n = ndpi_get_proto_name(c->ndpi, (uint16_t)id);
    return n ? n : NULL;
}

const char *vfm_ndpi_app_name(const vfm_ndpi_t *c, uint64_t app, char *buf, size_t len)
{
    if (!buf || !len)
        return buf;
    if (app == VFM_NDPI_NO_FLOW) {
        snprintf(buf, len, "-");
        return buf;
    }
    unsigned m = VFM_NDPI_APP_MASTER(app), a = VFM_NDPI_APP_PROTO(app);
    const char *mn = c && m ? proto_name(c, m) : NULL, *an = c ? proto_name(c, a) : NULL;
    if (!c || (m && !mn) || !an || (app >> 32))
        snprintf(buf, len, "Unknown(0x%llx)", (unsigned long long)app);
    else if (m)
        snprintf(buf, len, "%s.%s", mn, an);
    else
        snprintf(buf, len, "%s", an);
    return buf;
}

/* One protocol name (any case) -> id, or -1. */
static int one_id(const vfm_ndpi_t *c, const char *name, size_t n)
{
    char tmp[VFM_NDPI_NAME_MAX];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, name, n);
    tmp[n] = '\0';
    return ndpi_get_protocol_id(c->ndpi, tmp);
}

int vfm_ndpi_app_id(const vfm_ndpi_t *c, const char *name, uint64_t *app)
{
    if (!c || !name || !app)
        return -1;
    /* The whole name first: some nDPI names have a dot ("Z39.50"). */
    int id = one_id(c, name, strlen(name));
    if (id >= 0) {
        *app = VFM_NDPI_APP(0, id);
        return 0;
    }
    for (const char *dot = strchr(name, '.'); dot; dot = strchr(dot + 1, '.')) {
        int m = one_id(c, name, (size_t)(dot - name)), a = one_id(c, dot + 1, strlen(dot + 1));
        if (m > 0 && a > 0 && m != a) {
            *app = VFM_NDPI_APP(m, a);
            return 0;
        }
    }
    return -1;
}

int vfm_ndpi_resolve(void *user, const char *name, uint64_t *app)
{
    return vfm_ndpi_app_id(user, name, app);
}

static int app_helper(void *user, const uint8_t *pkt, size_t len, const uint64_t *args,
                      uint64_t *result)
{
    (void)args;
    vfm_ndpi_lookup(user, pkt, len, result);
    return VFM_SUCCESS;
}

void vfm_ndpi_helper(vfm_ndpi_t *c, vfm_helper_t *h)
{
    if (!h)
        return;
    memset(h, 0, sizeof *h);
    h->name = "app";
    h->pops = 0;
    h->pushes = 1;
    h->fn = app_helper;
    h->user = c;
}

const char *vfm_ndpi_ndpi_version(void)
{
    return ndpi_revision();
}
