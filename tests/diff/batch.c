/* batch.c - replay a program's packets through vfm_run_batch (see batch.h). */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

void vfmd_seq_reset(vfmd_seq_t *s)
{
    s->n = 0;
    s->nbytes = 0;
}

void vfmd_seq_free(vfmd_seq_t *s)
{
    free(s->bytes);
    free(s->off);
    free(s->len);
    free(s->want);
    free(s->pkt);
    free(s->res);
    free(s->codes);
    memset(s, 0, sizeof *s);
}

/* Room for one more packet record (all per-packet arrays grow together). */
static int grow_records(vfmd_seq_t *s)
{
    uint32_t cap = s->cap ? s->cap * 2 : 64;
#define GROW(field)                                                                        \
    do {                                                                                   \
        void *p_ = realloc(s->field, cap * sizeof *s->field);                              \
        if (!p_)                                                                           \
            return -1;                                                                     \
        s->field = p_;                                                                     \
    } while (0)
    GROW(off);
    GROW(len);
    GROW(want);
    GROW(pkt);
    GROW(res);
    GROW(codes);
#undef GROW
    s->cap = cap;
    return 0;
}

int vfmd_seq_add(vfmd_seq_t *s, const uint8_t *pkt, size_t len, vfmd_result_t want)
{
    if (s->n == s->cap && grow_records(s) < 0)
        return -1;
    if (len > s->capbytes - s->nbytes) {
        size_t cap = s->capbytes ? s->capbytes : 1 << 16;
        while (cap - s->nbytes < len)
            cap *= 2;
        uint8_t *p = realloc(s->bytes, cap);
        if (!p)
            return -1;
        s->bytes = p;
        s->capbytes = cap;
    }
    if (len)
        memcpy(s->bytes + s->nbytes, pkt, len);
    s->off[s->n] = s->nbytes;
    s->len[s->n] = len;
    s->want[s->n++] = want;
    s->nbytes += len;
    return 0;
}

/* Which outputs a burst asks for: mostly both, so most packets are compared in full. */
enum { OUT_BOTH, OUT_RESULTS, OUT_CODES, OUT_NONE };

static int pick_outputs(vfmg_rng_t *rng)
{
    uint32_t x = vfmg_below(rng, 10);
    return x < 7 ? OUT_BOTH : x == 7 ? OUT_RESULTS : x == 8 ? OUT_CODES : OUT_NONE;
}

int vfmd_seq_run(vfmd_seq_t *s, vfm_state_t *vm, vfmg_rng_t *rng, bool corrupt,
                 vfmd_batch_diff_t *diff)
{
    /* Pointers only now: the byte arena no longer moves. */
    for (uint32_t i = 0; i < s->n; i++) {
        bool null = s->len[i] == 0 && vfmg_chance(rng, 500);
        s->pkt[i] = (vfm_packet_t){null ? NULL : s->bytes + s->off[i], s->len[i]};
    }
    /* A sentinel, so a packet the batch skipped cannot pass on an old value. */
    memset(s->res, 0x5a, s->n * sizeof *s->res);
    memset(s->codes, 0x5a, s->n * sizeof *s->codes);
    for (uint32_t i = 0; i < s->n;) {
        uint32_t k = 1 + vfmg_below(rng, s->n - i < 40 ? s->n - i : 40);
        int outs = pick_outputs(rng);
        uint64_t *res = outs == OUT_BOTH || outs == OUT_RESULTS ? &s->res[i] : NULL;
        int *codes = outs == OUT_BOTH || outs == OUT_CODES ? &s->codes[i] : NULL;
        int got = vfm_run_batch(vm, &s->pkt[i], k, res, codes);
        if (corrupt && i == 0) {
            if (res)
                res[0] ^= 1;
            else if (codes)
                codes[0] ^= 1;
            else
                got ^= 1;
        }
        int want = 0;
        for (uint32_t j = i; j < i + k; j++) {
            const vfmd_result_t *w = &s->want[j];
            want += w->rc == VFM_SUCCESS && w->value != 0;
            if ((res && s->res[j] != w->value) || (codes && s->codes[j] != w->rc)) {
                *diff = (vfmd_batch_diff_t){j, i, i + k - 1,
                                            {codes ? s->codes[j] : 0, res ? s->res[j] : 0},
                                            0, 0};
                return 1;
            }
        }
        if (got != want) {
            *diff = (vfmd_batch_diff_t){i, i, i + k - 1, {0, 0}, got, want};
            return 1;
        }
        i += k;
    }
    return 0;
}
