/* rr_norm.h — running mean/variance of numeric features (Welford's algorithm), to standardise
 * raw features (prices, counters) online. One rr_welford_t per feature; caller-owned arrays. */
#ifndef RR_NORM_H
#define RR_NORM_H

#include <stdint.h>

typedef struct rr_welford_s {
    int64_t count;
    double mean;
    double m2; /* sum of squared deviations from the running mean */
} rr_welford_t;

/* Zeroes n accumulators. */
void rr_welford_reset(rr_welford_t *w, int n);
/* Adds one observation per feature: x[0..n). Non-finite values are ignored. */
void rr_welford_update(rr_welford_t *w, const float *x, int n);
/* Merges the observations summarised in b into a (Chan et al.'s pairwise update): a then holds
 * what one accumulator fed both sets would, up to rounding. */
void rr_welford_merge(rr_welford_t *a, const rr_welford_t *b);
/* The observations now holds beyond those it held when it equalled then (now fed more since):
 * the inverse of rr_welford_merge, so merge(then, since(now, then)) == now up to rounding.
 * A zero count when nothing was added. */
void rr_welford_since(const rr_welford_t *now, const rr_welford_t *then, rr_welford_t *out);
/* Population variance (0 until two observations). */
double rr_welford_var(const rr_welford_t *w);
/* out[k] = (x[k] - mean_k) / sqrt(var_k + eps); in place is fine (out == x). A feature seen
 * fewer than twice has no spread yet: it gets x - mean (x itself before any observation). */
void rr_welford_normalize(const rr_welford_t *w, const float *x, float *out, int n, float eps);

#endif
