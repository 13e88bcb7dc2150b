/*
 * cbpf_range.c - value ranges for the classic-BPF backend.
 *
 * VFM values are 64 bits, BPF's A, X and M[] 32.  The backend keeps, for
 * every stack slot, the interval of its possible 64-bit values (as two's
 * complement, so "x - 1" with x >= 0 is [-1, ...] instead of everything).
 * BPF computes ADD, SUB, MUL, AND, OR, XOR, NOT and small left shifts
 * modulo 2^32, which is the low half of the 64-bit result whatever its size;
 * operations whose result depends on the high half (comparisons, zero
 * tests, division, right shifts, packet offsets) need the range to prove
 * the low half tells the whole story.  Arithmetic is done in 128 bits; a
 * result outside int64 becomes "top" (anything).
 */
#include "cbpf.h"

typedef __int128 i128;

cb_range_t vfmi_cb_range_of(int64_t lo, int64_t hi) { return (cb_range_t){lo, hi, false}; }

cb_range_t vfmi_cb_range_k(uint64_t k) { return vfmi_cb_range_of((int64_t)k, (int64_t)k); }

cb_range_t vfmi_cb_range_top(void) { return (cb_range_t){INT64_MIN, INT64_MAX, true}; }

/* [lo, hi] if both fit in int64, else top. */
static cb_range_t fit(i128 lo, i128 hi)
{
    if (lo < INT64_MIN || hi > INT64_MAX || lo > hi)
        return vfmi_cb_range_top();
    return vfmi_cb_range_of((int64_t)lo, (int64_t)hi);
}

cb_range_t vfmi_cb_range_union(cb_range_t a, cb_range_t b)
{
    if (a.top || b.top)
        return vfmi_cb_range_top();
    return vfmi_cb_range_of(a.lo < b.lo ? a.lo : b.lo, a.hi > b.hi ? a.hi : b.hi);
}

bool vfmi_cb_range_is_k(cb_range_t r, uint64_t *k)
{
    if (r.top || r.lo != r.hi)
        return false;
    if (k)
        *k = (uint64_t)r.lo;
    return true;
}

bool vfmi_cb_range_u32(cb_range_t r) { return !r.top && r.lo >= 0 && r.hi <= (int64_t)UINT32_MAX; }

/*
 * Reducing mod 2^32 keeps unsigned order on [0, 2^32) and on any
 * [-t, 2^32 - t): the negatives land above the non-negatives in both
 * widths.  So the range must be narrower than 2^32 and, if it is all
 * non-negative, below 2^32.
 */
bool vfmi_cb_range_orderable(cb_range_t r)
{
    if (r.top)
        return false;
    if (r.lo >= 0)
        return r.hi <= (int64_t)UINT32_MAX;
    return (i128)r.hi - r.lo < ((i128)1 << 32);
}

void vfmi_cb_range_ubounds(cb_range_t r, uint64_t *lo, uint64_t *hi)
{
    if (!r.top && (r.lo >= 0 || r.hi < 0)) {
        *lo = (uint64_t)r.lo;
        *hi = (uint64_t)r.hi;
    } else {
        *lo = 0;
        *hi = UINT64_MAX;
    }
}

static bool nonneg(cb_range_t r) { return !r.top && r.lo >= 0; }

static i128 min4(i128 a, i128 b, i128 c, i128 d)
{
    i128 m = a < b ? a : b;
    m = m < c ? m : c;
    return m < d ? m : d;
}

static i128 max4(i128 a, i128 b, i128 c, i128 d)
{
    i128 m = a > b ? a : b;
    m = m > c ? m : c;
    return m > d ? m : d;
}

static cb_range_t mul(cb_range_t a, i128 blo, i128 bhi)
{
    i128 p1 = (i128)a.lo * blo, p2 = (i128)a.lo * bhi, p3 = (i128)a.hi * blo,
         p4 = (i128)a.hi * bhi;
    return fit(min4(p1, p2, p3, p4), max4(p1, p2, p3, p4));
}

/* Smallest 2^n - 1 >= v (v >= 0). */
static int64_t mask_above(int64_t v)
{
    uint64_t m = 0;
    while (m < (uint64_t)v)
        m = (m << 1) | 1;
    return (int64_t)m;
}

static cb_range_t shl(cb_range_t a, cb_range_t b)
{
    uint64_t slo, shi;
    vfmi_cb_range_ubounds(b, &slo, &shi);
    if (slo >= 64)
        return vfmi_cb_range_k(0);
    if (a.top || shi >= 63)
        return vfmi_cb_range_top();
    return mul(a, (i128)1 << slo, (i128)1 << shi);
}

static cb_range_t shr(cb_range_t a, cb_range_t b)
{
    uint64_t slo, shi;
    vfmi_cb_range_ubounds(b, &slo, &shi);
    if (slo >= 64)
        return vfmi_cb_range_k(0);
    if (!nonneg(a))
        return slo ? vfmi_cb_range_of(0, (int64_t)(UINT64_MAX >> slo)) : vfmi_cb_range_top();
    return vfmi_cb_range_of(shi >= 64 ? 0 : a.lo >> shi, a.hi >> slo);
}

static cb_range_t divmod(uint8_t op, cb_range_t a, cb_range_t b)
{
    uint64_t alo, ahi, blo, bhi;
    vfmi_cb_range_ubounds(a, &alo, &ahi);
    vfmi_cb_range_ubounds(b, &blo, &bhi);
    if (bhi == 0)
        return vfmi_cb_range_k(0); /* always divides by zero: never produces a value */
    if (op == VFM_OP_DIV)
        return fit(alo / bhi, ahi / (blo ? blo : 1));
    return fit(0, ahi < bhi - 1 ? ahi : bhi - 1);
}

cb_range_t vfmi_cb_range_binop(uint8_t op, cb_range_t a, cb_range_t b)
{
    switch (op) {
    case VFM_OP_ADD:
        return a.top || b.top ? vfmi_cb_range_top() : fit((i128)a.lo + b.lo, (i128)a.hi + b.hi);
    case VFM_OP_SUB:
        return a.top || b.top ? vfmi_cb_range_top() : fit((i128)a.lo - b.hi, (i128)a.hi - b.lo);
    case VFM_OP_MUL:
        return a.top || b.top ? vfmi_cb_range_top() : mul(a, b.lo, b.hi);
    case VFM_OP_AND:
        /* a & b <= b when b >= 0 as unsigned, whatever a is */
        if (nonneg(a) && nonneg(b))
            return vfmi_cb_range_of(0, a.hi < b.hi ? a.hi : b.hi);
        if (nonneg(a) || nonneg(b))
            return vfmi_cb_range_of(0, nonneg(a) ? a.hi : b.hi);
        return vfmi_cb_range_top();
    case VFM_OP_OR:
        if (nonneg(a) && nonneg(b))
            return vfmi_cb_range_of(a.lo > b.lo ? a.lo : b.lo,
                                    mask_above(a.hi > b.hi ? a.hi : b.hi));
        return vfmi_cb_range_top();
    case VFM_OP_XOR:
        if (nonneg(a) && nonneg(b))
            return vfmi_cb_range_of(0, mask_above(a.hi > b.hi ? a.hi : b.hi));
        return vfmi_cb_range_top();
    case VFM_OP_SHL: return shl(a, b);
    case VFM_OP_SHR: return shr(a, b);
    case VFM_OP_DIV:
    case VFM_OP_MOD: return divmod(op, a, b);
    default: return vfmi_cb_range_of(0, 1); /* comparisons */
    }
}

cb_range_t vfmi_cb_range_not(cb_range_t a)
{
    /* ~v == -v - 1, which cannot leave int64 */
    return a.top ? a : vfmi_cb_range_of(-a.hi - 1, -a.lo - 1);
}
