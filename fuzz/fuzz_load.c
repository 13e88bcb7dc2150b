/*
 * fuzz_load - the loader and verifier on any bytes, then every backend on
 * what they accept.
 *
 * Properties:
 *   - a load fails only with a verifier/format code and a one-line message,
 *     and vfm_verify_ex() with the same policy gives the same code;
 *   - the file image vfm_bytecode_write() makes of raw code loads with the
 *     same result as the raw code;
 *   - a loaded program runs on the fused interpreter, the traced one and the
 *     JIT with the same code and value on every packet (the JIT on a packet
 *     ending at a guard page), stops only with a documented run-time code
 *     (BOUNDS, DIVISION_BY_ZERO, HELPER, LIMIT when loops are allowed), and
 *     leaves the same flow table.
 *
 * Input layout:
 *   byte 0      policy: bit 0 loops allowed (limit 1 + bits 1-3 times 9),
 *               bits 4-7 link type (index into the supported ones)
 *   bytes 1-2   program length N, little-endian (clipped to what is there)
 *   N bytes     the program (file image or raw code)
 *   the rest    the packet (its prefixes are run too)
 */
#include <string.h>

#include "fuzz_util.h"
#include "vfm/bytecode.h"

/* Helpers with every stack shape: they fail on some arguments, with a code
 * that stays (HELPER) and one that becomes HELPER (-1000). */
static int h_add(void *u, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)u, (void)p, (void)n;
    *r = a[0] * 3 + a[1];
    return a[0] == 0xdead ? VFM_ERROR_HELPER : VFM_SUCCESS;
}
static int h_check(void *u, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)u, (void)p, (void)n, (void)r;
    return (a[0] & 7) == 5 ? -1000 : VFM_SUCCESS;
}
static int h_len(void *u, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)u, (void)a;
    *r = n ? p[n - 1] + (uint64_t)n * 256 : 0;
    return VFM_SUCCESS;
}
static int h_sum8(void *u, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)u, (void)p, (void)n;
    uint64_t s = 0;
    for (int i = 0; i < 8; i++)
        s = s * 7 + a[i];
    *r = s;
    return VFM_SUCCESS;
}

static const struct {
    uint16_t id;
    vfm_helper_t h;
} helpers[] = {
    {1, {.name = "add", .pops = 2, .pushes = 1, .fn = h_add}},
    {2, {.name = "check", .pops = 1, .pushes = 0, .fn = h_check}},
    {3, {.name = "len", .pops = 0, .pushes = 1, .fn = h_len}},
    {63, {.name = "sum8", .pops = 8, .pushes = 1, .fn = h_sum8}},
};

static const int linktypes[] = {1, 0, 12, 14, 101, 108, 113, 228, 229, 276};

typedef struct policy {
    uint32_t loops;
    int linktype;
} policy_t;

static int setup(vfm_state_t *vm, void *user)
{
    const policy_t *pol = user;
    int rc = vfm_set_loop_limit(vm, pol->loops);
    if (!rc)
        rc = vfm_set_linktype(vm, pol->linktype);
    for (size_t i = 0; !rc && i < sizeof helpers / sizeof helpers[0]; i++)
        rc = vfm_register_helper(vm, helpers[i].id, &helpers[i].h);
    return rc;
}

static bool load_error_ok(int rc)
{
    return rc == VFM_ERROR_INVALID_PROGRAM || rc == VFM_ERROR_INVALID_OPCODE ||
           rc == VFM_ERROR_STACK_OVERFLOW || rc == VFM_ERROR_STACK_UNDERFLOW ||
           rc == VFM_ERROR_VERIFICATION_FAILED || rc == VFM_ERROR_HELPER ||
           rc == VFM_ERROR_DIVISION_BY_ZERO; /* DIV/MOD by a constant 0 */
}

/* The raw code's file image must load exactly as the raw code does. */
static void check_image(const uint8_t *prog, uint32_t len, int rc, policy_t *pol)
{
    if (len == 0 || len > VFM_CODE_MAX || prog[0] == VFM_BC_MAGIC[0])
        return;
    uint8_t *img = NULL;
    size_t img_len = 0;
    FUZZ_CHECK(vfm_bytecode_write(prog, len, &img, &img_len) == VFM_SUCCESS,
               "vfm_bytecode_write refused %u bytes of code", len);
    vfm_state_t *vm = vfm_create();
    FUZZ_CHECK(vm && setup(vm, pol) == VFM_SUCCESS, "setting up a VM failed");
    int rc2 = vfm_load_program(vm, img, (uint32_t)img_len);
    FUZZ_CHECK(rc2 == rc, "raw code loads with %d, its file image with %d (%s)", rc, rc2,
               vfm_last_error(vm));
    vfm_destroy(vm);
    free(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    policy_t pol = {.loops = (data[0] & 1) ? 1 + 9u * ((data[0] >> 1) & 7) : 0,
                    .linktype = linktypes[(data[0] >> 4) % (sizeof linktypes / sizeof linktypes[0])]};
    size_t plen = (size_t)data[1] | (size_t)data[2] << 8;
    if (plen > size - 3)
        plen = size - 3;
    const uint8_t *prog = data + 3, *pkt = prog + plen;
    size_t pkt_len = size - 3 - plen;
    if (pkt_len > FUZZ_PKT_MAX)
        pkt_len = FUZZ_PKT_MAX;

    fuzz_engines_t e;
    int rc = fuzz_engines_load(&e, prog, (uint32_t)plen, setup, &pol);
    if (rc != VFM_SUCCESS) {
        FUZZ_CHECK(load_error_ok(rc), "load failed with %d (%s), not a format/verifier code", rc,
                   vfm_error_string(rc));
        /* vfm_verify_ex on the code must agree (file images: on their code). */
        vfm_state_t *vm = vfm_create();
        FUZZ_CHECK(vm && setup(vm, &pol) == VFM_SUCCESS, "setting up a VM failed");
        FUZZ_CHECK(vfm_load_program(vm, prog, (uint32_t)plen) == rc, "load is not deterministic");
        const vfm_diag_t *d = vfm_last_diag(vm);
        FUZZ_CHECK(d->code == rc, "diag code %d, load returned %d", d->code, rc);
        FUZZ_CHECK(fuzz_one_line(d->msg, sizeof d->msg), "load error message is not one line");
        FUZZ_CHECK(strcmp(vfm_last_error(vm), d->msg) == 0, "vfm_last_error differs from the diag");
        vfm_destroy(vm);
    }
    if (plen > 0) {
        vfm_helper_t tab[VFM_HELPERS_MAX];
        memset(tab, 0, sizeof tab);
        for (size_t i = 0; i < sizeof helpers / sizeof helpers[0]; i++)
            tab[helpers[i].id] = helpers[i].h;
        vfm_verify_opts_t vo = {.allow_loops = pol.loops > 0, .helpers = tab,
                                .nhelpers = VFM_HELPERS_MAX};
        vfm_diag_t d;
        int vr = vfm_verify_ex(prog, (uint32_t)plen, &vo, &d);
        FUZZ_CHECK(vr == rc, "vfm_verify_ex says %d, vfm_load_program %d", vr, rc);
        if (vr != VFM_SUCCESS)
            FUZZ_CHECK(d.code == vr && fuzz_one_line(d.msg, sizeof d.msg),
                       "vfm_verify_ex's diag does not match its result");
    }
    check_image(prog, (uint32_t)plen, rc, &pol);
    if (rc != VFM_SUCCESS)
        return 0;
    /* The whole packet, then prefixes (bounds checks at every length), twice over
     * for the flow table to see repeats. */
    for (size_t len = pkt_len, step = 1 + pkt_len / 6;; len = len > step ? len - step : 0) {
        fuzz_engines_run(&e, pkt, len, pol.loops > 0, NULL);
        if (len == 0)
            break;
    }
    fuzz_engines_run(&e, pkt, pkt_len, pol.loops > 0, NULL);
    fuzz_engines_done(&e);
    return 0;
}
