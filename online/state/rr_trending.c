/* rr_trending.c — decayed popularity; see rr_trending.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rr_trending.h"

/* Rescale everything before float range is at risk. */
#define RESCALE_AT 1e20

rr_err_t rr_trending_init(rr_trending_t *tr, size_t max_items, double half_life_s)
{
    memset(tr, 0, sizeof(*tr));
    tr->score = calloc(max_items, sizeof(*tr->score));
    if (!tr->score) return RR_E(NOMEM);
    tr->max_items = max_items;
    tr->half_life_ms = half_life_s * 1000.0;
    tr->scale = 1.0;
    tr->t0_ms = INT64_MIN;
    return RR_OK;
}

void rr_trending_free(rr_trending_t *tr)
{
    free(tr->score);
    memset(tr, 0, sizeof(*tr));
}

static void rescale(rr_trending_t *tr)
{
    float f = (float)(1.0 / tr->scale);
    for (size_t i = 0; i < tr->max_items; i++) tr->score[i] *= f;
    tr->t0_ms = tr->t_last;
    tr->scale = 1.0;
}

static void advance(rr_trending_t *tr, int64_t ts_ms)
{
    if (tr->t0_ms == INT64_MIN) tr->t0_ms = tr->t_last = ts_ms;
    if (ts_ms <= tr->t_last) return;
    tr->t_last = ts_ms;
    tr->scale = exp2((double)(ts_ms - tr->t0_ms) / tr->half_life_ms);
    if (tr->scale > RESCALE_AT) rescale(tr);
}

static int better(const rr_trending_t *tr, uint32_t a, uint32_t b)
{
    return tr->score[a] > tr->score[b] || (tr->score[a] == tr->score[b] && a < b);
}

/* The set is kept best first. A hit only raises the hit item's score (the decay is one global
 * scale), so the item moves up and the rest stays in order: reading the set sorted is then a
 * linear pass instead of a sort per list refresh. */
void rr_trending_set_offer(const rr_trending_t *tr, uint32_t *set, uint32_t *n, uint32_t cap,
                           uint32_t item)
{
    uint32_t i = 0;
    while (i < *n && set[i] != item) i++;
    if (i == *n) { /* not in: takes a free slot, or the place of the worst if it beats it */
        if (*n < cap)
            i = (*n)++;
        else if (*n > 0 && better(tr, item, set[*n - 1]))
            i = *n - 1;
        else
            return;
        set[i] = item;
    }
    for (; i > 0 && better(tr, set[i], set[i - 1]); i--) {
        set[i] = set[i - 1];
        set[i - 1] = item;
    }
}

void rr_trending_hit(rr_trending_t *tr, uint32_t item, float w, int64_t ts_ms)
{
    if (item >= tr->max_items) return;
    advance(tr, ts_ms);
    tr->score[item] += (float)(w * tr->scale);
    rr_trending_set_offer(tr, tr->top, &tr->ntop, RR_TRENDING_TOP, item);
}

void rr_trending_hit_at(rr_trending_t *tr, uint32_t item, float w, int64_t ts_ms)
{
    if (item >= tr->max_items) return;
    if (tr->t0_ms == INT64_MIN || ts_ms >= tr->t_last) {
        rr_trending_hit(tr, item, w, ts_ms);
        return;
    }
    /* scale at ts_ms, relative to t0 like every stored score: the decay it missed is applied */
    tr->score[item] += (float)(w * exp2((double)(ts_ms - tr->t0_ms) / tr->half_life_ms));
    rr_trending_set_offer(tr, tr->top, &tr->ntop, RR_TRENDING_TOP, item);
}

double rr_trending_score(const rr_trending_t *tr, uint32_t item)
{
    return item < tr->max_items ? tr->score[item] / tr->scale : 0.0;
}

size_t rr_trending_set_sorted(const rr_trending_t *tr, const uint32_t *set, uint32_t n,
                              uint32_t *ids, float *scores, size_t k)
{
    uint32_t order[RR_TRENDING_TOP];
    if (n > RR_TRENDING_TOP) n = RR_TRENDING_TOP;
    memcpy(order, set, n * sizeof(*order));
    for (uint32_t i = 1; i < n; i++) { /* insertion sort: linear on the sets kept in order */
        uint32_t v = order[i];
        uint32_t j = i;
        for (; j > 0 && better(tr, v, order[j - 1]); j--) order[j] = order[j - 1];
        order[j] = v;
    }
    if (k > n) k = n;
    for (size_t i = 0; i < k; i++) {
        ids[i] = order[i];
        if (scores) scores[i] = (float)(tr->score[order[i]] / tr->scale);
    }
    return k;
}

size_t rr_trending_top(const rr_trending_t *tr, uint32_t *ids, float *scores, size_t k)
{
    return rr_trending_set_sorted(tr, tr->top, tr->ntop, ids, scores, k);
}

void rr_trending_clear(rr_trending_t *tr, uint32_t item)
{
    if (item >= tr->max_items) return;
    tr->score[item] = 0;
    for (uint32_t i = 0; i < tr->ntop; i++) {
        if (tr->top[i] == item) { /* shift the rest up: the set stays in order */
            memmove(&tr->top[i], &tr->top[i + 1], (--tr->ntop - i) * sizeof(tr->top[0]));
            break;
        }
    }
}
