/* rr_hist.c — fixed-bucket latency histogram: binary search over a constant bound table on add,
 * interpolation inside one bucket for quantiles. */
#include <math.h>
#include "rr_hist.h"

/* Decimal literals rather than computed powers so the le="..." labels print exactly. */
/* clang-format off */
static const double rr_hist_bounds_[RR_HIST_NBOUNDS] = {
    0.000047, 0.000068,
    0.0001, 0.00015, 0.00022, 0.00033, 0.00047, 0.00068,
    0.001,  0.0015,  0.0022,  0.0033,  0.0047,  0.0068,
    0.01,   0.015,   0.022,   0.033,   0.047,   0.068,
    0.1,    0.15,    0.22,    0.33,    0.47,    0.68,
    1,      1.5,     2.2,     3.3,     4.7,     6.8,
    10,
};
/* clang-format on */

double rr_hist_bound(size_t i)
{
    return i < RR_HIST_NBOUNDS ? rr_hist_bounds_[i] : INFINITY;
}

/* First bucket whose upper bound is >= x (Prometheus' le semantics). */
static size_t rr_hist_index_(double x)
{
    size_t lo = 0, hi = RR_HIST_NBOUNDS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rr_hist_bounds_[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void rr_hist_add(rr_hist_t *h, double seconds)
{
    if (isnan(seconds)) return;
    if (seconds < 0) seconds = 0;
    h->counts[rr_hist_index_(seconds)]++;
    if (h->count == 0 || seconds < h->min) h->min = seconds;
    if (h->count == 0 || seconds > h->max) h->max = seconds;
    h->count++;
    h->sum += seconds;
}

void rr_hist_add_us(rr_hist_t *h, int64_t us)
{
    rr_hist_add(h, (double)us * 1e-6);
}

void rr_hist_merge(rr_hist_t *dst, const rr_hist_t *src)
{
    if (src->count == 0) return;
    for (size_t i = 0; i <= RR_HIST_NBOUNDS; i++) dst->counts[i] += src->counts[i];
    if (dst->count == 0 || src->min < dst->min) dst->min = src->min;
    if (dst->count == 0 || src->max > dst->max) dst->max = src->max;
    dst->count += src->count;
    dst->sum += src->sum;
}

double rr_hist_quantile(const rr_hist_t *h, double q)
{
    if (h->count == 0 || isnan(q)) return NAN;
    if (q < 0) q = 0;
    if (q > 1) q = 1;
    double rank = q * (double)h->count, before = 0, v = h->max;
    for (size_t i = 0; i <= RR_HIST_NBOUNDS; i++) {
        double n = (double)h->counts[i];
        if (n == 0 || before + n < rank) {
            before += n;
            continue;
        }
        /* The overflow bucket has no upper bound: max is the best one we have. */
        double lo = i == 0 ? 0 : rr_hist_bounds_[i - 1];
        double hi = i < RR_HIST_NBOUNDS ? rr_hist_bounds_[i] : h->max;
        v = lo + (hi - lo) * (rank - before) / n;
        break;
    }
    return v < h->min ? h->min : v > h->max ? h->max : v;
}
