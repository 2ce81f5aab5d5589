/* rr_hist.h — a fixed-bucket latency histogram for the loop thread: 33 log-spaced upper bounds
 * (E6 series 1, 1.5, 2.2, 3.3, 4.7, 6.8 per decade, 0.047 ms .. 10 s) plus an overflow bucket,
 * sum, count, min and max. Caller-allocated, never allocates, not thread-safe. */
#ifndef RR_HIST_H
#define RR_HIST_H

#include <stddef.h>
#include <stdint.h>

#define RR_HIST_NBOUNDS 33

/* Counts are stored per bucket (add is one increment); rr_metrics_histogram renders them
 * cumulative. counts[i] holds samples in (bound(i-1), bound(i)]; counts[RR_HIST_NBOUNDS] those
 * above the top bound. Zero-initialised ({0} or memset) is an empty histogram. */
typedef struct rr_hist_s {
    uint64_t counts[RR_HIST_NBOUNDS + 1];
    uint64_t count;
    double sum; /* seconds */
    double min, max;
} rr_hist_t;

/* Negative samples (clock skew) count as 0; NaN is ignored. */
void rr_hist_add(rr_hist_t *h, double seconds);
void rr_hist_add_us(rr_hist_t *h, int64_t us);
/* Adds src's samples into dst (e.g. per-partition histograms into one). */
void rr_hist_merge(rr_hist_t *dst, const rr_hist_t *src);
/* Upper bound of bucket i in seconds; +Inf for i == RR_HIST_NBOUNDS. */
double rr_hist_bound(size_t i);
/* Estimated q-quantile (0 <= q <= 1) in seconds, by linear interpolation inside the bucket
 * holding rank q*count (as Prometheus' histogram_quantile), clamped to [min, max] so the
 * overflow bucket and single-valued data give exact ends. NaN when empty. */
double rr_hist_quantile(const rr_hist_t *h, double q);

#endif
