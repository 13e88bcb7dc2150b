/*
 * fuzz_ndpi - the nDPI extension's packet decoding and flow table
 * (plugins/ndpi/src/decode.c, flows.c, classify.c) on any packets under
 * every link type it supports.  nDPI itself is not instrumented; our code
 * that finds the headers and the flow key is.
 *
 * Properties:
 *   - every packet is an exact-size heap block (ASan sees one byte too far);
 *   - feed returns 1 with a flow index below the flow count, or 0 with
 *     VFM_NDPI_NO_FLOW and index -1; the classification it reports is the
 *     one vfm_ndpi_lookup() gives for the same packet right after;
 *   - the flow count never exceeds the packets fed, and the flows' packet
 *     counts add up to the packets that joined a flow;
 *   - a second classifier fed the same packets ends with the same flows
 *     and classifications (decoding and flow keys are deterministic);
 *   - every classification has a name that resolves back to it;
 *   - vfm_ndpi_reset() forgets every flow.
 * The two classifiers live for the whole run (one per link type) and are
 * reset before each input: creating nDPI's detection module costs tens of
 * milliseconds, which would leave the fuzzer a few inputs a second.  Both
 * always see the same inputs, so nDPI's caches stay equal between them.
 * Input: byte 0 the link type (index into the supported ones), then packets,
 * each a 2-byte big-endian length and that many bytes (at most 64 packets).
 */
#include <string.h>

#include "fuzz_util.h"
#include "vfm/vfm_ndpi.h"

static const int linktypes[] = {1, 0, 12, 14, 101, 108, 113, 228, 229, 276};
enum { MAX_PACKETS = 64 };

typedef struct {
    const uint8_t *data[MAX_PACKETS];
    size_t len[MAX_PACKETS];
    size_t n;
} packets_t;

static void split(const uint8_t *data, size_t size, packets_t *p)
{
    p->n = 0;
    while (size >= 2 && p->n < MAX_PACKETS) {
        size_t len = (size_t)data[0] << 8 | data[1];
        data += 2;
        size -= 2;
        if (len > size)
            len = size;
        p->data[p->n] = data;
        p->len[p->n++] = len;
        data += len;
        size -= len;
    }
}

/* Feed every packet, checking each answer; returns the packets that joined a flow. */
static uint64_t feed_all(vfm_ndpi_t *c, const packets_t *p)
{
    uint64_t joined = 0;
    for (size_t i = 0; i < p->n; i++) {
        uint8_t *pkt = malloc(p->len[i] ? p->len[i] : 1);
        FUZZ_CHECK(pkt != NULL, "out of memory");
        memcpy(pkt, p->data[i], p->len[i]);
        uint64_t app = 0, again = 0;
        int64_t flow = 0;
        int rc = vfm_ndpi_feed(c, pkt, p->len[i], 1000000u + 1000u * i, &app, &flow);
        FUZZ_CHECK(rc == 0 || rc == 1, "feed returned %d", rc);
        int known = vfm_ndpi_lookup(c, pkt, p->len[i], &again);
        if (rc == 1) {
            joined++;
            FUZZ_CHECK(flow >= 0 && (size_t)flow < vfm_ndpi_flow_count(c), "flow index %lld of %zu",
                       (long long)flow, vfm_ndpi_flow_count(c));
            FUZZ_CHECK(known == 1 && again == app, "lookup gives %d/%llx, feed gave %llx", known,
                       (unsigned long long)again, (unsigned long long)app);
        } else {
            FUZZ_CHECK(app == VFM_NDPI_NO_FLOW && flow == -1, "no flow but app %llx, index %lld",
                       (unsigned long long)app, (long long)flow);
            FUZZ_CHECK(known == 0, "lookup finds a flow for a packet feed put in none");
        }
        free(pkt);
    }
    return joined;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int lt = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
    packets_t p;
    split(data + 1, size - 1, &p);

    static vfm_ndpi_t *pairs[sizeof linktypes / sizeof linktypes[0]][2];
    vfm_ndpi_t **pair = pairs[data[0] % (sizeof linktypes / sizeof linktypes[0])];
    char err[256] = "";
    for (int k = 0; k < 2; k++) {
        if (!pair[k])
            pair[k] = vfm_ndpi_create(lt, err, sizeof err);
        FUZZ_CHECK(pair[k] != NULL, "create(%d): %s", lt, err);
        vfm_ndpi_reset(pair[k]);
        FUZZ_CHECK(vfm_ndpi_flow_count(pair[k]) == 0, "flows left after reset");
    }
    vfm_ndpi_t *a = pair[0], *b = pair[1];
    uint64_t joined = feed_all(a, &p);
    FUZZ_CHECK(feed_all(b, &p) == joined, "a second classifier joins other packets");
    vfm_ndpi_finish(a);
    vfm_ndpi_finish(b);

    size_t nflows = vfm_ndpi_flow_count(a);
    FUZZ_CHECK(nflows <= joined, "%zu flows from %llu packets", nflows, (unsigned long long)joined);
    FUZZ_CHECK(vfm_ndpi_flow_count(b) == nflows, "the second classifier has other flows");
    uint64_t sum = 0;
    for (size_t i = 0; i < nflows; i++) {
        vfm_ndpi_flow_t fa, fb;
        FUZZ_CHECK(vfm_ndpi_flow_get(a, i, &fa) == VFM_SUCCESS, "flow %zu missing", i);
        FUZZ_CHECK(vfm_ndpi_flow_get(b, i, &fb) == VFM_SUCCESS, "flow %zu missing", i);
        FUZZ_CHECK(fa.packets == fb.packets && fa.app == fb.app && fa.proto == fb.proto &&
                       fa.sport == fb.sport && fa.dport == fb.dport &&
                       memcmp(fa.src, fb.src, sizeof fa.src) == 0,
                   "flow %zu differs between two classifiers", i);
        sum += fa.packets;
        char name[VFM_NDPI_NAME_MAX];
        uint64_t back = 0;
        vfm_ndpi_app_name(a, fa.app, name, sizeof name);
        FUZZ_CHECK(vfm_ndpi_app_id(a, name, &back) == 0 && back == fa.app,
                   "name '%s' of app %llx resolves to %llx", name, (unsigned long long)fa.app,
                   (unsigned long long)back);
    }
    FUZZ_CHECK(sum == joined, "flows hold %llu packets, %llu joined", (unsigned long long)sum,
               (unsigned long long)joined);
    FUZZ_CHECK(vfm_ndpi_flow_get(a, nflows, &(vfm_ndpi_flow_t){0}) == VFM_ERROR_INVALID_ARGUMENT,
               "flow_get past the end succeeds");
    return 0;
}
