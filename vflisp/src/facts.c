/*
 * facts.c - what the compiler knows about the packet on a code path.
 *
 * The lowering carries a facts_t along the code it emits: a guard that has
 * passed (the packet is IPv4, its protocol is 6, it is not a fragment) need
 * not be emitted again, and a test whose answer is known folds away.  Where
 * paths join (a label), only what holds on every incoming path is kept.
 * Every fact comes from a load made on that path, so dropping a repeated
 * load never changes which packets are rejected for reading past the end.
 */
#include <string.h>

#include "internal.h"

void vfli_facts_top(facts_t *f)
{
    memset(f, 0, sizeof *f);
    f->fam = FAM_ALL;
    memset(f->proto, 0xff, sizeof f->proto);
    memset(f->nh6, 0xff, sizeof f->nh6);
}

/*
 * The sets hold "if the packet is IPv4 (IPv6), its protocol is in the set",
 * so a path on which the packet cannot be IPv4 says nothing about them and
 * does not widen the other path's set.
 */
void vfli_facts_meet(facts_t *into, const facts_t *o)
{
    bool in4 = into->fam & FAM_V4, o4 = o->fam & FAM_V4;
    bool in6 = into->fam & FAM_V6, o6 = o->fam & FAM_V6;
    for (int i = 0; i < 4; i++) {
        into->proto[i] = !in4 ? o->proto[i] : !o4 ? into->proto[i] : into->proto[i] | o->proto[i];
        into->nh6[i] = !in6 ? o->nh6[i] : !o6 ? into->nh6[i] : into->nh6[i] | o->nh6[i];
    }
    bool nofrag = (!in4 || (into->flags & FACT_NOFRAG4)) && (!o4 || (o->flags & FACT_NOFRAG4));
    into->fam |= o->fam;
    if ((into->flags & FACT_ETYPE) && (o->flags & FACT_ETYPE) && into->etype != o->etype)
        into->flags &= (uint8_t)~FACT_ETYPE;
    into->flags &= o->flags;
    if (nofrag)
        into->flags |= FACT_NOFRAG4;
}

bool vfli_set_has(const uint64_t s[4], unsigned v)
{
    return v < 256 && (s[v / 64] >> (v % 64) & 1);
}

void vfli_set_only(uint64_t s[4], unsigned v)
{
    bool had = vfli_set_has(s, v);
    memset(s, 0, 4 * sizeof s[0]);
    if (had)
        s[v / 64] |= 1ull << (v % 64);
}

void vfli_set_del(uint64_t s[4], unsigned v)
{
    if (v < 256)
        s[v / 64] &= ~(1ull << (v % 64));
}

void vfli_set_and(uint64_t s[4], const uint64_t t[4])
{
    for (int i = 0; i < 4; i++)
        s[i] &= t[i];
}

bool vfli_set_subset(const uint64_t s[4], const uint64_t t[4])
{
    for (int i = 0; i < 4; i++)
        if (s[i] & ~t[i])
            return false;
    return true;
}

unsigned vfli_set_count(const uint64_t s[4])
{
    unsigned n = 0;
    for (int i = 0; i < 4; i++)
        n += (unsigned)__builtin_popcountll(s[i]);
    return n;
}

int vfli_set_single(const uint64_t s[4])
{
    if (vfli_set_count(s) != 1)
        return -1;
    for (int i = 0; i < 4; i++)
        if (s[i])
            return i * 64 + __builtin_ctzll(s[i]);
    return -1;
}
