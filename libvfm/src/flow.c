/*
 * flow.c - the flow table behind FLOW_LOAD / FLOW_STORE.
 *
 * Fixed memory, no allocation while packets run.  Set-associative: a key
 * hashes to one bucket of WAYS entries.  A store into a full bucket replaces
 * the bucket's least recently used entry (a per-table access clock, updated
 * by loads that hit and by stores).  Storing 0 removes the key, since a
 * missing key loads as 0 anyway; that frees the slot for someone else.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define WAYS 4u

typedef struct entry {
    uint64_t key;
    uint64_t value;
} entry_t;

struct vfmi_flow_table {
    uint32_t capacity; /* power of two, >= WAYS */
    uint32_t used;
    uint32_t clock;    /* last access stamp handed out; 0 marks an empty slot */
    uint64_t evictions;
    entry_t *entries;
    uint32_t *stamp;   /* per slot: last access, 0 = empty */
};

static uint64_t mix(uint64_t k)
{
    k ^= k >> 31;
    k *= 0x7fb5d329728ea185ULL;
    k ^= k >> 27;
    k *= 0x81dadef4bc2dd44dULL;
    return k ^ (k >> 33);
}

static uint32_t bucket_of(const vfmi_flow_table_t *t, uint64_t key)
{
    return (uint32_t)(mix(key) & (t->capacity / WAYS - 1)) * WAYS;
}

vfmi_flow_table_t *vfmi_flow_create(uint32_t entries)
{
    uint32_t cap = WAYS;
    while (cap < entries && cap < VFM_FLOW_MAX_ENTRIES)
        cap <<= 1;
    vfmi_flow_table_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->capacity = cap;
    t->entries = calloc(cap, sizeof *t->entries);
    t->stamp = calloc(cap, sizeof *t->stamp);
    if (!t->entries || !t->stamp) {
        vfmi_flow_destroy(t);
        return NULL;
    }
    return t;
}

void vfmi_flow_destroy(vfmi_flow_table_t *t)
{
    if (!t)
        return;
    free(t->entries);
    free(t->stamp);
    free(t);
}

/* Next access stamp.  On wrap-around, restart the clock keeping the order roughly. */
static uint32_t tick(vfmi_flow_table_t *t)
{
    if (t->clock == UINT32_MAX) {
        for (uint32_t i = 0; i < t->capacity; i++)
            if (t->stamp[i])
                t->stamp[i] = 1 + (t->stamp[i] >> 16);
        t->clock = 1 + (UINT32_MAX >> 16);
    }
    return ++t->clock;
}

static int find(const vfmi_flow_table_t *t, uint32_t b, uint64_t key)
{
    for (uint32_t w = 0; w < WAYS; w++)
        if (t->stamp[b + w] && t->entries[b + w].key == key)
            return (int)(b + w);
    return -1;
}

uint64_t vfmi_flow_load(vfmi_flow_table_t *t, uint64_t key)
{
    int i = find(t, bucket_of(t, key), key);
    if (i < 0)
        return 0;
    t->stamp[i] = tick(t);
    return t->entries[i].value;
}

void vfmi_flow_store(vfmi_flow_table_t *t, uint64_t key, uint64_t value)
{
    uint32_t b = bucket_of(t, key);
    int i = find(t, b, key);
    if (value == 0) {
        if (i >= 0) {
            t->stamp[i] = 0;
            t->used--;
        }
        return;
    }
    if (i < 0) {
        /* An empty way, else the least recently used one. */
        uint32_t victim = b;
        for (uint32_t w = 0; w < WAYS; w++) {
            if (t->stamp[b + w] == 0) {
                victim = b + w;
                break;
            }
            if (t->stamp[b + w] < t->stamp[victim])
                victim = b + w;
        }
        if (t->stamp[victim])
            t->evictions++;
        else
            t->used++;
        i = (int)victim;
        t->entries[i].key = key;
    }
    t->entries[i].value = value;
    t->stamp[i] = tick(t);
}

void vfmi_flow_clear(vfmi_flow_table_t *t)
{
    memset(t->stamp, 0, t->capacity * sizeof *t->stamp);
    t->used = 0;
    t->clock = 0;
}

void vfmi_flow_rehash(vfmi_flow_table_t *to, const vfmi_flow_table_t *from)
{
    /* Oldest first, so that if the new table is smaller the recent entries win. */
    for (uint32_t round = 0; round < 2; round++)
        for (uint32_t i = 0; i < from->capacity; i++)
            if (from->stamp[i] && (round == 0) == (from->stamp[i] <= from->clock / 2))
                vfmi_flow_store(to, from->entries[i].key, from->entries[i].value);
}

void vfmi_flow_stats(const vfmi_flow_table_t *t, vfm_flow_stats_t *st)
{
    st->capacity = t->capacity;
    st->entries = t->used;
    st->evictions = t->evictions;
    st->bytes = sizeof *t + (size_t)t->capacity * (sizeof *t->entries + sizeof *t->stamp);
}
