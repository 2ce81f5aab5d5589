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

void rr_welford_merge(rr_welford_t *a, const rr_welford_t *b)
{
    if (b->count <= 0) return;
    if (a->count <= 0) {
        *a = *b;
        return;
    }
    double na = (double)a->count, nb = (double)b->count, n = na + nb, d = b->mean - a->mean;
    a->mean += d * nb / n;
    a->m2 += b->m2 + d * d * na * nb / n;
    a->count += b->count;
}

void rr_welford_since(const rr_welford_t *now, const rr_welford_t *then, rr_welford_t *out)
{
    memset(out, 0, sizeof(*out));
    int64_t nb = now->count - then->count;
    if (nb <= 0) return;
    double n = (double)now->count, na = (double)then->count;
    out->count = nb;
    out->mean = (n * now->mean - na * then->mean) / (double)nb;
    double d = out->mean - then->mean;
    out->m2 = now->m2 - then->m2 - d * d * na * (double)nb / n;
    if (out->m2 < 0.0) out->m2 = 0.0; /* rounding of a set with no spread */
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
