/* pktset.c - load or synthesise the benchmark's packets (see pktset.h). */
#include "pktset.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mix.h"

/* Growable arena; packet offsets are turned into pointers once it stops moving. */
typedef struct builder {
    uint8_t *arena;
    size_t bytes, cap;
    bench_pkt_t *pkt; /* data is set by finish(), from off[] */
    size_t *off;
    uint32_t n, ncap;
} builder_t;

static int add(builder_t *b, const uint8_t *data, uint32_t caplen, uint32_t len)
{
    if (b->bytes + caplen > b->cap) {
        size_t cap = b->cap ? b->cap : 1u << 20;
        while (b->bytes + caplen > cap)
            cap *= 2;
        uint8_t *a = realloc(b->arena, cap);
        if (!a)
            return -1;
        b->arena = a;
        b->cap = cap;
    }
    if (b->n == b->ncap) {
        if (b->ncap >= UINT32_MAX / 2)
            return -1;
        uint32_t ncap = b->ncap ? b->ncap * 2 : 4096;
        bench_pkt_t *p = realloc(b->pkt, ncap * sizeof *p);
        if (!p)
            return -1;
        b->pkt = p;
        size_t *o = realloc(b->off, ncap * sizeof *o);
        if (!o)
            return -1;
        b->off = o;
        b->ncap = ncap;
    }
    memcpy(b->arena + b->bytes, data, caplen);
    b->off[b->n] = b->bytes;
    b->pkt[b->n].caplen = caplen;
    b->pkt[b->n].len = len;
    b->n++;
    b->bytes += caplen;
    return 0;
}

static void finish(builder_t *b, bench_pkts_t *out)
{
    for (uint32_t i = 0; i < b->n; i++)
        b->pkt[i].data = b->arena + b->off[i];
    free(b->off);
    out->arena = b->arena;
    out->bytes = b->bytes;
    out->pkt = b->pkt;
    out->n = b->n;
}

static void discard(builder_t *b)
{
    free(b->arena);
    free(b->pkt);
    free(b->off);
}

int bench_load_pcap(const char *path, bench_pkts_t *out, char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *pc = pcap_open_offline(path, ebuf);
    if (!pc) {
        snprintf(err, errlen, "cannot open capture: %s", ebuf);
        return -1;
    }
    int dlt = pcap_datalink(pc);
    if (dlt != DLT_EN10MB) {
        const char *name = pcap_datalink_val_to_name(dlt);
        snprintf(err, errlen, "link type %s (%d) is not Ethernet; the filters assume Ethernet",
                 name ? name : "?", dlt);
        pcap_close(pc);
        return -1;
    }
    builder_t b = {0};
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;
    while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
        if (add(&b, data, h->caplen, h->len) < 0) {
            snprintf(err, errlen, "out of memory after %u packets", b.n);
            discard(&b);
            pcap_close(pc);
            return -1;
        }
    }
    if (rc == PCAP_ERROR) {
        snprintf(err, errlen, "packet %u: %s", b.n + 1, pcap_geterr(pc));
        discard(&b);
        pcap_close(pc);
        return -1;
    }
    pcap_close(pc);
    if (b.n == 0) {
        snprintf(err, errlen, "the capture holds no packets");
        discard(&b);
        return -1;
    }
    finish(&b, out);
    return 0;
}

int bench_synth(uint32_t n, uint64_t seed, bench_pkts_t *out, char *err, size_t errlen)
{
    pg_mix_t *mix = malloc(sizeof *mix);
    uint8_t *buf = malloc(PG_FRAME_MAX);
    builder_t b = {0};
    if (!mix || !buf) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    pg_mix_init(mix, seed);
    for (uint32_t i = 0; i < n; i++) {
        pg_rec_t rec;
        if (pg_mix_next(mix, buf, PG_FRAME_MAX, &rec) < 0) {
            snprintf(err, errlen, "packet %u: generator failed (a bug)", i + 1);
            goto fail;
        }
        if (add(&b, buf, rec.caplen, rec.len) < 0) {
            snprintf(err, errlen, "out of memory after %u packets", i);
            goto fail;
        }
    }
    free(mix);
    free(buf);
    finish(&b, out);
    return 0;
fail:
    free(mix);
    free(buf);
    discard(&b);
    return -1;
}

void bench_pkts_free(bench_pkts_t *p)
{
    free(p->arena);
    free(p->pkt);
    memset(p, 0, sizeof *p);
}
