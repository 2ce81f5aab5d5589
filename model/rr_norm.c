/* rr_norm.c — Welford's running mean/variance: one pass, no catastrophic cancellation. */
#include "rr_norm.h"

#include <math.h>
#include <string.h>

void rr_welford_reset(rr_welford_t *w, int n)
{
    memset(w, 0, (size_t)n * sizeof(*w));
}

void rr_welford_update(rr_welford_t *w, const float *x, int n)
{
    for (int k = 0; k < n; k++) {
        if (!isfinite(x[k])) continue;
        double v = x[k], d = v - w[k].mean;
        w[k].count++;
        w[k].mean += d / (double)w[k].count;
        w[k].m2 += d * (v - w[k].mean);
    }
}

double rr_welford_var(const rr_welford_t *w)
{
    return w->count < 2 ? 0.0 : w->m2 / (double)w->count;
}

void rr_welford_normalize(const rr_welford_t *w, const float *x, float *out, int n, float eps)
{
    for (int k = 0; k < n; k++) {
        double centred = (double)x[k] - w[k].mean;
        if (w[k].count < 2)
            out[k] = (float)centred;
        else
            out[k] = (float)(centred / sqrt(rr_welford_var(&w[k]) + eps));
    }
}
