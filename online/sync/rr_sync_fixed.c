/* rr_sync_fixed.c — the shared base in 64-bit fixed point, so that synced instances end with
 * bit-identical weights. Every delta (the own one at publication, each peer's at merge) enters
 * the base as integers converted from its decoded floats by one function; integer addition
 * commutes, so instances that merged the same set of deltas hold the same base in any order,
 * and W snapped to float(base) is then the same on each. See rr_sync_internal.h. */
#include <math.h>
#include <string.h>
#include "rr_sync_internal.h"

/* |value| < 2^30 (past it the conversion saturates, deterministically). A float32 Adagrad sum
 * stops absorbing a clipped step (g² ≤ 25) long before that, at 2^28. */
#define FIX_LIMIT 0x1p62

int64_t rr_sync_fix_of(float x)
{
    double v = ldexp((double)x, RR_SYNC_FIX_SHIFT); /* exact: a float has 24 bits */
    if (v != v) return 0;
    if (v >= FIX_LIMIT) return (int64_t)FIX_LIMIT;
    if (v <= -FIX_LIMIT) return -(int64_t)FIX_LIMIT;
    return (int64_t)llround(v); /* halves away from zero, whatever the rounding mode */
}

float rr_sync_float_of(int64_t v)
{
    return (float)ldexp((double)v, -RR_SYNC_FIX_SHIFT);
}

/* Unsigned, so that even an overflow (not reachable, above) stays commutative and defined. */
static int64_t fix_add(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* W := float(fix) plus what this instance learned and has not published (W − base). */
static void snap(float *w, float *base, const int64_t *fix, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        float r = w[k] - base[k];
        base[k] = rr_sync_float_of(fix[k]);
        w[k] = r == 0.0f ? base[k] : base[k] + r;
    }
}

void rr_sync_take(float *w, float *base, int64_t *fix, size_t n)
{
    memcpy(base, w, n * sizeof(float));
    for (size_t k = 0; k < n; k++) fix[k] = rr_sync_fix_of(w[k]);
}

void rr_sync_settle(rr_sync_t *sy, float *w, float *base, int64_t *fix, const float *d,
                    const float *dq, size_t n, float s)
{
    for (size_t k = 0; k < n; k++) {
        float x = s == 1.0f ? dq[k] : s * dq[k];
        fix[k] = fix_add(fix[k], rr_sync_fix_of(x));
        if (sy->synced) {
            float r = d[k] - dq[k]; /* what quantisation lost: 0 in f32 */
            base[k] = rr_sync_float_of(fix[k]);
            w[k] = r == 0.0f ? base[k] : base[k] + r;
            continue;
        }
        /* No peer merged yet: W stays as it is (one instance with sync on is bit for bit one
         * without), and W − base keeps what quantisation lost. */
        base[k] = s == 1.0f && d[k] == dq[k] ? w[k] : base[k] + x;
        if (s != 1.0f) w[k] -= (1.0f - s) * dq[k];
    }
}

void rr_sync_merge_into(rr_sync_t *sy, float *w, float *base, int64_t *fix, const float *d,
                        size_t n, float weight)
{
    for (size_t k = 0; k < n; k++)
        fix[k] = fix_add(fix[k], rr_sync_fix_of(weight == 1.0f ? d[k] : weight * d[k]));
    if (sy->synced) snap(w, base, fix, n);
}

/* Every item row whose base was taken, and its optimiser state. */
static void snap_rows(rr_sync_t *sy)
{
    size_t words = sy->pl->store.items_max / 64 + 1, d = (size_t)sy->dim, rs = sy->row_state;
    for (size_t wd = 0; wd < words; wd++)
        for (uint64_t bits = sy->base_ready[wd]; bits; bits &= bits - 1) {
            uint32_t iid = (uint32_t)(wd * 64 + (size_t)__builtin_ctzll(bits));
            size_t at = sy->items_at + (size_t)iid * d, st = sy->items_state_at + (size_t)iid * rs;
            snap(sy->pl->learner.params + at, sy->base + at, sy->fix + at, d);
            snap(sy->pl->learner.state + st, sy->lbase + st, sy->lfix + st, rs);
        }
}

void rr_sync_snap_all(rr_sync_t *sy)
{
    if (sy->synced) return;
    for (int r = 0; r < RR_SYNC_REGIONS; r++) {
        float *w, *base;
        int64_t *fix;
        size_t n;
        rr_sync_region(sy, r, &w, &base, &fix, &n);
        snap(w, base, fix, n);
    }
    if (sy->dim) snap_rows(sy);
    sy->synced = 1;
}
