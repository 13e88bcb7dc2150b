/*
 * flows.c - flows in first-packet order with a chained hash index.
 *
 * Flows are never removed: an offline classification keeps every flow to the
 * end of the input, as ndpiReader does for a file (it expires idle flows only
 * on live captures).
 */
#include <stdlib.h>
#include <string.h>

#include "flows.h"

void vfmn_flows_init(vfmn_flows_t *t)
{
    memset(t, 0, sizeof *t);
}

void vfmn_flows_free(vfmn_flows_t *t, void (*free_nf)(void *))
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].nf && free_nf)
            free_nf(t->v[i].nf);
    free(t->v);
    free(t->heads);
    vfmn_flows_init(t);
}

/* FNV-1a over the key (make_key zeroes it, padding included). */
static uint64_t hash_key(const vfmn_key_t *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < sizeof *k; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

vfmn_flow_t *vfmn_flows_find(const vfmn_flows_t *t, const vfmn_key_t *key)
{
    if (!t->nbuckets)
        return NULL;
    for (uint32_t i = t->heads[hash_key(key) & (t->nbuckets - 1)]; i; i = t->v[i - 1].next)
        if (memcmp(&t->v[i - 1].key, key, sizeof *key) == 0)
            return &t->v[i - 1];
    return NULL;
}

/* Twice the buckets, every flow relinked. */
static bool grow_index(vfmn_flows_t *t)
{
    size_t nb = t->nbuckets ? t->nbuckets * 2 : 1024;
    uint32_t *heads = calloc(nb, sizeof *heads);
    if (!heads)
        return false;
    for (size_t i = 0; i < t->n; i++) {
        size_t b = hash_key(&t->v[i].key) & (nb - 1);
        t->v[i].next = heads[b];
        heads[b] = (uint32_t)(i + 1);
    }
    free(t->heads);
    t->heads = heads;
    t->nbuckets = nb;
    return true;
}

vfmn_flow_t *vfmn_flows_add(vfmn_flows_t *t, const vfmn_key_t *key)
{
    if (t->n >= UINT32_MAX - 1)
        return NULL;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        vfmn_flow_t *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    if (t->n >= t->nbuckets && !grow_index(t))
        return NULL;
    vfmn_flow_t *f = &t->v[t->n];
    memset(f, 0, sizeof *f);
    f->key = *key;
    size_t b = hash_key(key) & (t->nbuckets - 1);
    f->next = t->heads[b];
    t->heads[b] = (uint32_t)(t->n + 1);
    t->n++;
    return f;
}
