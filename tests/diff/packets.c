/*
 * packets.c - packet pool and packet generator (see packets.h).
 */
#include "packets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mix.h"
#ifdef VFMD_HAVE_PCAP
#include <pcap/pcap.h>
#endif

static int pool_add(vfmd_pool_t *p, const uint8_t *data, uint32_t len)
{
    if (p->n == p->cap) {
        uint32_t cap = p->cap ? 2 * p->cap : 1024;
        uint32_t *off = realloc(p->off, cap * sizeof *off);
        if (!off)
            return -1;
        p->off = off;
        uint32_t *ln = realloc(p->len, cap * sizeof *ln);
        if (!ln)
            return -1;
        p->len = ln;
        p->cap = cap;
    }
    if (p->nbytes + len > p->capbytes) {
        size_t cap = p->capbytes ? 2 * p->capbytes : 1u << 20;
        while (cap < p->nbytes + len)
            cap *= 2;
        uint8_t *b = realloc(p->bytes, cap);
        if (!b)
            return -1;
        p->bytes = b;
        p->capbytes = cap;
    }
    if (len)
        memcpy(p->bytes + p->nbytes, data, len);
    p->off[p->n] = (uint32_t)p->nbytes;
    p->len[p->n] = len;
    p->nbytes += len;
    p->n++;
    return 0;
}

int vfmd_pool_add_mix(vfmd_pool_t *pool, uint32_t count, uint64_t seed)
{
    pg_mix_t *mix = malloc(sizeof *mix);
    uint8_t *buf = malloc(PG_FRAME_MAX);
    int rc = mix && buf ? 0 : -1;
    if (!rc)
        pg_mix_init(mix, seed);
    for (uint32_t i = 0; !rc && i < count; i++) {
        pg_rec_t rec;
        rc = pg_mix_next(mix, buf, PG_FRAME_MAX, &rec) < 0 ? -1 : pool_add(pool, buf, rec.caplen);
    }
    free(mix);
    free(buf);
    return rc;
}

int vfmd_have_pcap(void)
{
#ifdef VFMD_HAVE_PCAP
    return 1;
#else
    return 0;
#endif
}

int vfmd_pool_add_pcap(vfmd_pool_t *pool, const char *path, char *err, size_t errlen)
{
#ifdef VFMD_HAVE_PCAP
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, ebuf);
    if (!pc) {
        snprintf(err, errlen, "%s", ebuf);
        return -1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int r;
    while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
        uint32_t len = h->caplen < VFMD_PKT_MAX ? h->caplen : VFMD_PKT_MAX;
        if (pool_add(pool, data, len) < 0) {
            snprintf(err, errlen, "out of memory");
            pcap_close(pc);
            return -1;
        }
    }
    if (r == -1) {
        snprintf(err, errlen, "%s", pcap_geterr(pc));
        pcap_close(pc);
        return -1;
    }
    pcap_close(pc);
    return 0;
#else
    (void)pool, (void)path;
    snprintf(err, errlen, "this build has no libpcap, so it cannot read captures");
    return -1;
#endif
}

void vfmd_pool_free(vfmd_pool_t *pool)
{
    free(pool->bytes);
    free(pool->off);
    free(pool->len);
    memset(pool, 0, sizeof *pool);
}

int vfmd_buf_init(vfmd_buf_t *b)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    b->data_len = (VFMD_PKT_MAX + page - 1) / page * page;
    b->map_len = b->data_len + page;
    b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b->map == MAP_FAILED) {
        b->map = NULL;
        return -1;
    }
    if (mprotect(b->map + b->data_len, page, PROT_NONE) != 0) {
        munmap(b->map, b->map_len);
        b->map = NULL;
        return -1;
    }
    return 0;
}

void vfmd_buf_free(vfmd_buf_t *b)
{
    if (b->map)
        munmap(b->map, b->map_len);
    memset(b, 0, sizeof *b);
}

static void fill_random(vfmg_rng_t *rng, uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint64_t v = vfmg_next(rng);
        memcpy(p, &v, 8);
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t v = vfmg_next(rng);
        memcpy(p, &v, n);
    }
}

/* A random length: mostly short, sometimes up to about 1600, rarely above 64 KiB. */
static size_t random_len(vfmg_rng_t *rng)
{
    unsigned r = vfmg_below(rng, 1000);
    if (r < 500)
        return vfmg_below(rng, 65);
    if (r < 800)
        return vfmg_below(rng, 201);
    if (r < 990)
        return vfmg_below(rng, 1601);
    return 65536 - 16 + vfmg_below(rng, 64); /* LD64 0xffff needs 65543 bytes */
}

const uint8_t *vfmd_packet(vfmg_rng_t *rng, const vfmd_pool_t *pool, const vfmg_program_t *prog,
                           vfmd_buf_t *b, size_t *len)
{
    uint8_t *end = b->map + b->data_len;
    /* The length: near a load's edge (off - 1 .. off + 9 covers every width), or free. */
    size_t want = SIZE_MAX;
    if (prog->nedges && vfmg_chance(rng, 350)) {
        uint32_t off = prog->edges[vfmg_below(rng, prog->nedges)];
        want = off + vfmg_below(rng, 11);
        want = want ? want - 1 : 0;
        if (want > VFMD_PKT_MAX)
            want = VFMD_PKT_MAX;
    }
    unsigned kind = pool->n ? vfmg_below(rng, 100) : 0;
    if (kind < 35) { /* random bytes; sometimes with an IPv4 EtherType, so HASH5 parses on */
        size_t n = want != SIZE_MAX ? want : random_len(rng);
        uint8_t *p = end - n;
        fill_random(rng, p, n);
        if (n >= 15 && vfmg_chance(rng, 300)) {
            /* IPv4 with the shortest, the longest (IHL 15) or any header length */
            unsigned r = vfmg_below(rng, 10);
            p[12] = 0x08, p[13] = 0x00;
            p[14] = r < 4 ? 0x45 : r < 8 ? 0x4f : (uint8_t)(0x40 | vfmg_below(rng, 16));
        }
        *len = n;
        return p;
    }
    uint32_t i = vfmg_below(rng, pool->n);
    const uint8_t *src = pool->bytes + pool->off[i];
    size_t n = pool->len[i], have = n;
    if (want != SIZE_MAX)
        n = want; /* cut, or padded with random bytes */
    else if (kind >= 75 && kind < 90 && n)
        n = vfmg_below(rng, (uint32_t)n); /* truncated anywhere */
    uint8_t *p = end - n;
    memcpy(p, src, n < have ? n : have);
    if (n > have)
        fill_random(rng, p + have, n - have);
    if (kind >= 90 && n) /* a few bytes changed */
        for (unsigned m = 1 + vfmg_below(rng, 4); m; m--)
            p[vfmg_below(rng, (uint32_t)n)] = (uint8_t)vfmg_next(rng);
    *len = n;
    return p;
}
