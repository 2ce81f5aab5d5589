/* rr_anchor_trend.c — trend[h], recency-decayed popularity, by forward decay; see rr_anchor.h.
 * An event at t adds 2^((t - base)/h) to its item: at any time T every score is the decayed sum
 * times the same 2^((T - base)/h), so ranking the stored sums ranks the decayed scores. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rr_anchor.h"
#include "rr_rank_tree.h"

/* Rescale once an increment would exceed 2^TREND_RESCALE_AT: the sums stay far below
 * DBL_MAX (2^1024) even when every event of a long stream lands on one item. */
#define TREND_RESCALE_AT 900.0

struct rr_trend_s {
    size_t nitems, nh;
    int64_t *half_life_ms; /* [nh] */
    int64_t *base_ms;      /* [nh] the time whose increment is 1 */
    uint64_t *rescales;    /* [nh] */
    double *score;         /* [nh][nitems] forward-decayed sums */
    rr_rank_tree_t *tree;  /* [nh], position = item id */
    uint8_t *placed;       /* [nitems] already a leaf of the trees */
    uint32_t *scratch;     /* rr_rank_tree_top scratch, [2 * tree cap] */
    int started;
};

rr_trend_t *rr_trend_new(size_t nitems, const int64_t *half_life_ms, size_t nh)
{
    rr_trend_t *trend = calloc(1, sizeof(*trend));
    if (!trend) return NULL;
    trend->nitems = nitems ? nitems : 1;
    trend->nh = nh;
    trend->half_life_ms = malloc(nh * sizeof(*trend->half_life_ms));
    trend->base_ms = calloc(nh, sizeof(*trend->base_ms));
    trend->rescales = calloc(nh, sizeof(*trend->rescales));
    trend->score = calloc(nh * trend->nitems, sizeof(*trend->score));
    trend->tree = calloc(nh, sizeof(*trend->tree));
    trend->placed = calloc(trend->nitems, 1);
    int ok = trend->half_life_ms && trend->base_ms && trend->rescales && trend->score &&
             trend->tree && trend->placed;
    for (size_t h = 0; ok && h < nh; h++) {
        trend->half_life_ms[h] = half_life_ms[h] > 0 ? half_life_ms[h] : 1;
        ok = rr_rank_tree_init(&trend->tree[h], trend->score + h * trend->nitems, trend->nitems) ==
             RR_OK;
    }
    if (ok) trend->scratch = malloc(2 * (size_t)trend->tree[0].cap * sizeof(*trend->scratch));
    if (!ok || !trend->scratch) {
        rr_trend_free(trend);
        return NULL;
    }
    return trend;
}

void rr_trend_free(rr_trend_t *trend)
{
    if (!trend) return;
    for (size_t h = 0; trend->tree && h < trend->nh; h++) rr_rank_tree_free(&trend->tree[h]);
    free(trend->half_life_ms);
    free(trend->base_ms);
    free(trend->rescales);
    free(trend->score);
    free(trend->tree);
    free(trend->placed);
    free(trend->scratch);
    free(trend);
}

/* Moves half-life h's base forward by whole half-lives. Scaling by a power of two is exact, so
 * the rank order is unchanged, but for sums that fall below the smallest double: they flush to
 * zero and tie (the item first seen earlier first). Such an item has had no event for over 1000
 * half-lives: its decayed score is below 2^-1000 of one fresh event. */
static void trend_rescale(rr_trend_t *trend, size_t h, int64_t ts_ms)
{
    int64_t shift = (ts_ms - trend->base_ms[h]) / trend->half_life_ms[h];
    double *score = trend->score + h * trend->nitems;
    int exp = shift > 4096 ? -4096 : -(int)shift; /* beyond 2^-1100 all is zero anyway */
    for (size_t i = 0; i < trend->nitems; i++) score[i] = ldexp(score[i], exp);
    trend->base_ms[h] += shift * trend->half_life_ms[h];
    trend->rescales[h]++;
    rr_rank_tree_rebuild(&trend->tree[h]);
}

rr_err_t rr_trend_observe(rr_trend_t *trend, const rr_anchor_ev_t *ev)
{
    if (ev->item >= trend->nitems) return RR_E(INVAL);
    if (!trend->started) {
        for (size_t h = 0; h < trend->nh; h++) trend->base_ms[h] = ev->ts_ms;
        trend->started = 1;
    }
    for (size_t h = 0; h < trend->nh; h++) {
        double x = (double)(ev->ts_ms - trend->base_ms[h]) / (double)trend->half_life_ms[h];
        if (x > TREND_RESCALE_AT) {
            trend_rescale(trend, h, ev->ts_ms);
            x = (double)(ev->ts_ms - trend->base_ms[h]) / (double)trend->half_life_ms[h];
        }
        trend->score[h * trend->nitems + ev->item] += exp2(x);
    }
    for (size_t h = 0; h < trend->nh; h++) {
        if (trend->placed[ev->item])
            rr_rank_tree_update(&trend->tree[h], ev->item);
        else
            rr_rank_tree_set(&trend->tree[h], ev->item, ev->item); /* a leaf at its own id */
    }
    trend->placed[ev->item] = 1;
    return RR_OK;
}

size_t rr_trend_top(rr_trend_t *trend, size_t h, uint32_t *out, size_t k, rr_baseline_skip_fn skip,
                    const void *opaque)
{
    if (h >= trend->nh) return 0;
    return rr_rank_tree_top(&trend->tree[h], trend->scratch, out, k, skip, opaque);
}

const double *rr_trend_scores(const rr_trend_t *trend, size_t h)
{
    return trend->score + h * trend->nitems;
}

uint64_t rr_trend_rescales(const rr_trend_t *trend, size_t h)
{
    return trend->rescales[h];
}

size_t rr_trend_count(const rr_trend_t *trend)
{
    return trend->nh;
}
