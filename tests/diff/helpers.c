/*
 * helpers.c - the helpers generated programs CALL (see gen.h).
 *
 * Each one is a pure function of its arguments, the packet and its user
 * pointer, so two VMs running the same program see the same results.  They
 * check what a backend must pass through exactly: argument order (results
 * depend on it), the packet pointer and length, the user pointer, 0 to 8
 * arguments, 0 or 1 results, and error returns on both sides of the
 * VFM_ERROR_INVALID_ARGUMENT line (codes below it become VFM_ERROR_HELPER).
 */
#include <limits.h>
#include <stddef.h>

#include "gen.h"

static const uint64_t salt = 0x9e3779b97f4a7c15u;

/* a*31 + (b ^ c<<7) + salt: order-sensitive, reads the user pointer. */
static int h_mix3(void *user, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)p, (void)n;
    *r = a[0] * 31 + (a[1] ^ (a[2] << 7)) + *(const uint64_t *)user;
    return VFM_SUCCESS;
}

/* The packet byte at the argument, or 0x100 + length past the end. */
static int h_pkt_at(void *user, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)user;
    *r = a[0] < (uint64_t)n ? p[a[0]] : 0x100 + (uint64_t)n;
    return VFM_SUCCESS;
}

static int h_nop(void *user, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)user, (void)p, (void)n, (void)a, (void)r;
    return VFM_SUCCESS;
}

static int h_len7(void *user, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)user, (void)p, (void)a;
    *r = (uint64_t)n * 7 + 1;
    return VFM_SUCCESS;
}

/* Eight arguments, weighted by position. */
static int h_sum8(void *user, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)user, (void)p, (void)n;
    uint64_t s = 0;
    for (int i = 0; i < 8; i++)
        s = s * 3 + a[i];
    *r = s;
    return VFM_SUCCESS;
}

/* Fails for a quarter of its inputs, with codes that stay and codes that become HELPER. */
static int h_check(void *user, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)user, (void)p, (void)n;
    switch (a[0] % 16) {
    case 0:
        return -1000;                          /* -> VFM_ERROR_HELPER */
    case 1:
        return VFM_ERROR_BOUNDS;               /* kept as is */
    case 2:
        return VFM_ERROR_INVALID_ARGUMENT;     /* kept: the last code that is */
    case 3:
        return VFM_ERROR_INVALID_ARGUMENT - 1; /* -> VFM_ERROR_HELPER */
    default:
        *r = a[0] + 1;
        return VFM_SUCCESS;
    }
}

/* Two arguments, no result; fails when they are equal. */
static int h_drop2(void *user, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)user, (void)p, (void)n, (void)r;
    return a[0] == a[1] ? VFM_ERROR_HELPER : VFM_SUCCESS;
}

/* Always fails; INT_MIN checks that a backend compares the full int. */
static int h_fail(void *user, const uint8_t *p, size_t n, const uint64_t *a, uint64_t *r)
{
    (void)user, (void)p, (void)a, (void)r;
    static const int codes[3] = {VFM_ERROR_HELPER, VFM_ERROR_DIVISION_BY_ZERO, INT_MIN};
    return codes[n % 3];
}

static const struct {
    uint16_t id;
    vfm_helper_t h;
} table[VFMG_NHELPERS] = {
    {0, {"mix3", 3, 1, h_mix3, (void *)&salt}},
    {1, {"pkt_at", 1, 1, h_pkt_at, NULL}},
    {2, {"nop", 0, 0, h_nop, NULL}},
    {3, {"len7", 0, 1, h_len7, NULL}},
    {7, {"sum8", 8, 1, h_sum8, NULL}},
    {12, {"check", 1, 1, h_check, NULL}},
    {40, {"drop2", 2, 0, h_drop2, NULL}},
    {VFM_HELPERS_MAX - 1, {"fail", 0, 1, h_fail, NULL}},
};

const vfm_helper_t *vfmg_helper(unsigned row)
{
    return row < VFMG_NHELPERS ? &table[row].h : NULL;
}

uint16_t vfmg_helper_id(unsigned row)
{
    return row < VFMG_NHELPERS ? table[row].id : 0;
}

int vfmg_register_helpers(vfm_state_t *vm)
{
    for (unsigned i = 0; i < VFMG_NHELPERS; i++) {
        int rc = vfm_register_helper(vm, table[i].id, &table[i].h);
        if (rc != VFM_SUCCESS)
            return rc;
    }
    return VFM_SUCCESS;
}

int vfmg_configure(vfm_state_t *vm, const vfmg_program_t *p)
{
    int rc;
    if ((rc = vfm_set_loop_limit(vm, p->loop_limit)) || (rc = vfm_set_linktype(vm, p->linktype)) ||
        (rc = vfm_flow_table_init(vm, p->flow_size)))
        return rc;
    vfm_flow_table_clear(vm); /* init keeps the old entries; every program starts empty */
    return VFM_SUCCESS;
}

int vfmg_verify(const vfmg_program_t *p, vfm_diag_t *diag)
{
    vfm_helper_t h[VFM_HELPERS_MAX] = {{0}};
    for (unsigned i = 0; i < VFMG_NHELPERS; i++)
        h[table[i].id] = table[i].h;
    vfm_verify_opts_t o = {.allow_loops = p->loop_limit > 0, .helpers = h,
                           .nhelpers = VFM_HELPERS_MAX};
    return vfm_verify_ex(p->code, p->len, &o, diag);
}
