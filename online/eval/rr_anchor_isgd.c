/* rr_anchor_isgd.c — ISGD (Vinagre, Jorge & Gama 2014), incremental matrix factorisation for
 * positive-only streams; see rr_anchor.h. Item factors are stored factor-major, so scoring every
 * item is RR_ISGD_FACTORS passes of a multiply-add over contiguous floats. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rr_anchor.h"

#define ISGD_BLOCK 256 /* items scored per pass: the block of scores stays in L1 */
#define ISGD_K_MAX 64
#define ISGD_SIGMA 0.1 /* the standard deviation of the initial factors */

struct rr_isgd_s {
    size_t nusers, nitems;
    float *user;       /* [nusers][RR_ISGD_FACTORS] */
    float *item;       /* [RR_ISGD_FACTORS][nitems] */
    uint8_t *has_user; /* [nusers] factors drawn */
    uint8_t *has_item; /* [nitems] factors drawn: the item was observed */
    size_t item_bound; /* 1 + the highest item id observed */
    uint64_t rng;
};

rr_isgd_t *rr_isgd_new(size_t nusers, size_t nitems, uint64_t seed)
{
    rr_isgd_t *isgd = calloc(1, sizeof(*isgd));
    if (!isgd) return NULL;
    isgd->nusers = nusers ? nusers : 1;
    isgd->nitems = nitems ? nitems : 1;
    isgd->user = calloc(isgd->nusers * RR_ISGD_FACTORS, sizeof(*isgd->user));
    isgd->item = calloc(isgd->nitems * RR_ISGD_FACTORS, sizeof(*isgd->item));
    isgd->has_user = calloc(isgd->nusers, 1);
    isgd->has_item = calloc(isgd->nitems, 1);
    isgd->rng = seed;
    if (!isgd->user || !isgd->item || !isgd->has_user || !isgd->has_item) {
        rr_isgd_free(isgd);
        return NULL;
    }
    return isgd;
}

void rr_isgd_free(rr_isgd_t *isgd)
{
    if (!isgd) return;
    free(isgd->user);
    free(isgd->item);
    free(isgd->has_user);
    free(isgd->has_item);
    free(isgd);
}

/* splitmix64: a seeded, platform-independent stream. */
static uint64_t isgd_next(rr_isgd_t *isgd)
{
    uint64_t z = (isgd->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* N(0, ISGD_SIGMA^2) by Box-Muller; u1 in (0, 1] keeps the log finite. */
static float isgd_normal(rr_isgd_t *isgd)
{
    double u1 = ((double)(isgd_next(isgd) >> 11) + 1.0) / 9007199254740992.0;
    double u2 = (double)(isgd_next(isgd) >> 11) / 9007199254740992.0;
    return (float)(ISGD_SIGMA * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

rr_err_t rr_isgd_observe(rr_isgd_t *isgd, const rr_anchor_ev_t *ev)
{
    if (ev->user >= isgd->nusers || ev->item >= isgd->nitems) return RR_E(INVAL);
    float *a = isgd->user + (size_t)ev->user * RR_ISGD_FACTORS, *b = isgd->item + ev->item;
    size_t stride = isgd->nitems;
    /* New user, then new item: factors are drawn in stream order, so a seed fixes the run. */
    if (!isgd->has_user[ev->user]) {
        for (int f = 0; f < RR_ISGD_FACTORS; f++) a[f] = isgd_normal(isgd);
        isgd->has_user[ev->user] = 1;
    }
    if (!isgd->has_item[ev->item]) {
        for (int f = 0; f < RR_ISGD_FACTORS; f++) b[f * stride] = isgd_normal(isgd);
        isgd->has_item[ev->item] = 1;
        if (ev->item >= isgd->item_bound) isgd->item_bound = ev->item + 1;
    }
    float dot = 0.0f;
    for (int f = 0; f < RR_ISGD_FACTORS; f++) dot += a[f] * b[f * stride];
    float err = 1.0f - dot;
    for (int f = 0; f < RR_ISGD_FACTORS; f++)
        a[f] += RR_ISGD_LR * (err * b[f * stride] - RR_ISGD_L2 * a[f]);
    for (int f = 0; f < RR_ISGD_FACTORS; f++) /* with the updated a_u, as in the paper */
        b[f * stride] += RR_ISGD_LR * (err * a[f] - RR_ISGD_L2 * b[f * stride]);
    return RR_OK;
}

/* dot[i] = a . b_(first + i) for count items, summed over factors in order 0..F-1. */
static void isgd_dots(const rr_isgd_t *isgd, const float *a, size_t first, size_t count, float *dot)
{
    const float *b = isgd->item + first;
    for (size_t i = 0; i < count; i++) dot[i] = 0.0f;
    for (int f = 0; f < RR_ISGD_FACTORS; f++) {
        const float *bf = b + (size_t)f * isgd->nitems;
        float af = a[f];
        for (size_t i = 0; i < count; i++) dot[i] += af * bf[i];
    }
}

size_t rr_isgd_top(rr_isgd_t *isgd, uint32_t user, uint32_t *out, size_t k,
                   rr_baseline_skip_fn skip, const void *opaque)
{
    if (user >= isgd->nusers || !isgd->has_user[user] || k == 0) return 0;
    if (k > ISGD_K_MAX) k = ISGD_K_MAX;
    const float *a = isgd->user + (size_t)user * RR_ISGD_FACTORS;
    float dot[ISGD_BLOCK], dist[ISGD_K_MAX];
    size_t n = 0;
    for (size_t first = 0; first < isgd->item_bound; first += ISGD_BLOCK) {
        size_t count =
            isgd->item_bound - first < ISGD_BLOCK ? isgd->item_bound - first : ISGD_BLOCK;
        isgd_dots(isgd, a, first, count, dot);
        for (size_t i = 0; i < count; i++) {
            float d = fabsf(1.0f - dot[i]);
            /* strictly closer: among equals the lower id, met first, stays ahead */
            if (n == k && !(d < dist[k - 1])) continue;
            uint32_t item = (uint32_t)(first + i);
            if (!isgd->has_item[item] || (skip && skip(opaque, item))) continue;
            size_t pos = n < k ? n++ : k - 1;
            while (pos > 0 && d < dist[pos - 1]) {
                dist[pos] = dist[pos - 1];
                out[pos] = out[pos - 1];
                pos--;
            }
            dist[pos] = d;
            out[pos] = item;
        }
    }
    return n;
}
