/* rr_sync_fixed.c — the shared base in 64-bit fixed point, so that synced instances end with
 * bit-identical weights. Every delta (the own one at publication, each peer's at merge) enters
 * the base as integers converted from its decoded floats by one function; integer addition
 * commutes, so instances that merged the same set of deltas hold the same base in any order,
 * and W snapped to float(base) is then the same on each. The ranker's feature statistics go
 * the same way, as integer sums Σx, Σx². See rr_sync_internal.h. */
#include <math.h>
#include <string.h>
#include "rr_sync_internal.h"

/* |value| < 2^30 (past it the conversion saturates, deterministically). A float32 Adagrad sum
 * stops absorbing a clipped step (g² ≤ 25) before that, at 2^29 (half an ulp there is 32). */
#define FIX_LIMIT 0x1p62

/* Inline arithmetic rather than ldexp and llround (library calls, per weight of every delta):
 * scaling by a power of two is exact in double, and v ± 0.5 is exact too (v has 24 significant
 * bits; past 2^52 it is a multiple of 2^29), so truncation rounds halves away from zero, as
 * llround does, whatever the rounding mode (test_online_sync compares the two). */
int64_t rr_sync_fix_of(float x)
{
    double v = (double)x * 0x1p32;
    if (v != v) return 0;
    if (v >= FIX_LIMIT) return (int64_t)FIX_LIMIT;
    if (v <= -FIX_LIMIT) return -(int64_t)FIX_LIMIT;
    return (int64_t)(v < 0.0 ? v - 0.5 : v + 0.5);
}

float rr_sync_float_of(int64_t v)
{
    return (float)((double)v * 0x1p-32);
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

/* x · 2^32 as a 128-bit integer, rounded (halves away from zero), saturated at ±2^120. */
static __int128 fix128_of(double x)
{
    double v = round(ldexp(x, RR_SYNC_FIX_SHIFT));
    if (v != v) return 0;
    v = v > 0x1p120 ? 0x1p120 : v < -0x1p120 ? -0x1p120 : v;
    return (__int128)v;
}

static __int128 fix128_add(__int128 a, __int128 b)
{
    return (__int128)((unsigned __int128)a + (unsigned __int128)b);
}

/* Σx, Σx² of a Welford summary (c, μ, m2): c·μ and m2 + c·μ², computed alike everywhere. */
static void nfix_add(rr_sync_nfix_t *f, const rr_welford_t *d)
{
    double c = (double)d->count;
    f->count += d->count;
    f->s1 = fix128_add(f->s1, fix128_of(c * d->mean));
    f->s2 = fix128_add(f->s2, fix128_of(d->m2 + c * d->mean * d->mean));
}

/* The statistics of the shared sums: a function of the integers alone. */
static rr_welford_t nfix_value(const rr_sync_nfix_t *f)
{
    rr_welford_t w = {f->count, 0.0, 0.0};
    if (!f->count) return w;
    double s1 = ldexp((double)f->s1, -RR_SYNC_FIX_SHIFT);
    double s2 = ldexp((double)f->s2, -RR_SYNC_FIX_SHIFT);
    w.mean = s1 / (double)f->count;
    w.m2 = s2 - s1 * w.mean;
    if (w.m2 < 0.0) w.m2 = 0.0; /* rounding of a set with no spread */
    return w;
}

/* Feature k := the shared statistics plus the rows trained on since the last publication. */
static void snap_norm(rr_sync_t *sy, int k)
{
    rr_welford_t *norm = &sy->pl->ranker.norm[k], pending;
    rr_welford_since(norm, &sy->nbase[k], &pending);
    sy->nbase[k] = nfix_value(&sy->nfix[k]);
    *norm = sy->nbase[k];
    if (pending.count) rr_welford_merge(norm, &pending);
}

void rr_sync_norm_take(rr_sync_t *sy)
{
    memset(sy->nfix, 0, sizeof(sy->nfix));
    memcpy(sy->nbase, sy->pl->ranker.norm, sizeof(sy->nbase));
    for (int k = 0; sy->nranker && k < sy->pl->ranker.nfeat; k++)
        if (sy->nbase[k].count) nfix_add(&sy->nfix[k], &sy->nbase[k]);
}

void rr_sync_norm_add(rr_sync_t *sy, int k, const rr_welford_t *d)
{
    nfix_add(&sy->nfix[k], d);
    if (sy->synced) snap_norm(sy, k);
}

void rr_sync_norm_snap(rr_sync_t *sy)
{
    if (!sy->nranker) return;
    for (int k = 0; k < sy->pl->ranker.nfeat; k++) snap_norm(sy, k);
    rr_ranker_restored(&sy->pl->ranker);
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
    rr_sync_norm_snap(sy);
    sy->synced = 1;
}
