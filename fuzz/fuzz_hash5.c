/*
 * fuzz_hash5 - the packet parser behind HASH5 (hash5.c: link layers,
 * VLAN tags, IPv4/IPv6 headers, ports) on any bytes under every link type.
 *
 * Properties:
 *   - vfm_hash5 never reads past the captured length (the packet is an
 *     exact-size heap block: ASan sees one byte too far) and is deterministic;
 *   - it is 0 for link types VFM does not support;
 *   - the HASH5 instruction pushes exactly vfm_hash5's value on the fused
 *     interpreter, the traced one and the JIT (whose copy ends at a guard page);
 *   - bytes past the captured length never matter: the same prefix inside a
 *     longer buffer hashes the same.
 * Input: byte 0 the link type (index into the supported ones, 255 = an
 * unsupported one), the rest the packet.
 */
#include <string.h>

#include "fuzz_util.h"

static const int linktypes[] = {1, 0, 12, 14, 101, 108, 113, 228, 229, 276};

static int setup(vfm_state_t *vm, void *user)
{
    return vfm_set_linktype(vm, *(const int *)user);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size - 1 > FUZZ_PKT_MAX)
        return 0;
    size_t n = sizeof linktypes / sizeof linktypes[0];
    size_t len = size - 1;
    uint8_t *pkt = malloc(len ? len : 1);
    FUZZ_CHECK(pkt != NULL, "out of memory");
    if (len)
        memcpy(pkt, data + 1, len);
    if (data[0] == 255) {
        FUZZ_CHECK(vfm_hash5(pkt, len, 2) == 0, "a hash for unsupported link type 2");
        free(pkt);
        return 0;
    }
    int lt = linktypes[data[0] % n];
    uint64_t h = vfm_hash5(pkt, len, lt);
    FUZZ_CHECK(vfm_hash5(pkt, len, lt) == h, "vfm_hash5 is not deterministic");

    /* The same bytes followed by junk, with the same captured length. */
    uint8_t *longer = malloc(len + 64);
    FUZZ_CHECK(longer != NULL, "out of memory");
    if (len)
        memcpy(longer, pkt, len);
    memset(longer + len, 0xa5, 64);
    FUZZ_CHECK(vfm_hash5(longer, len, lt) == h, "bytes past the captured length change the hash");
    free(longer);

    static const uint8_t prog[] = {0x60, 0x50}; /* HASH5; RET */
    fuzz_engines_t e;
    FUZZ_CHECK(fuzz_engines_load(&e, prog, sizeof prog, setup, &lt) == VFM_SUCCESS,
               "HASH5; RET does not load");
    uint64_t v = 0;
    int rc = fuzz_engines_run(&e, pkt, len, false, &v);
    FUZZ_CHECK(rc == VFM_SUCCESS && v == h, "HASH5 pushed %llu (rc %d), vfm_hash5 says %llu",
               (unsigned long long)v, rc, (unsigned long long)h);
    fuzz_engines_done(&e);
    free(pkt);
    return 0;
}
