/* rr_trending.h — global time-decayed popularity with an exact top-K kept incrementally.
 * Scores decay with a half-life in event time. All items decay by the same factor, so their
 * order never changes by decay alone: scores are stored scaled by 2^((t - t0)/half_life) and
 * only grow, which lets a small top-K set be maintained exactly on every hit. */
#ifndef RR_TRENDING_H
#define RR_TRENDING_H

#include <stddef.h>
#include <stdint.h>
#include "rr_err.h"

#define RR_TRENDING_TOP 128

typedef struct rr_trending_s {
    float *score; /* scaled score per item id (calloc'd for max_items) */
    size_t max_items;
    double half_life_ms;
    int64_t t0_ms; /* time at which scaled == real */
    double scale;  /* 2^((t_last - t0)/half_life): multiplier for a hit at t_last */
    int64_t t_last;
    uint32_t top[RR_TRENDING_TOP]; /* the ntop best ids, best first */
    uint32_t ntop;
} rr_trending_t;

rr_err_t rr_trending_init(rr_trending_t *tr, size_t max_items, double half_life_s);
void rr_trending_free(rr_trending_t *tr);
/* One hit of weight w on item at event time ts_ms (time never runs backwards here: an older
 * ts counts as t_last). */
void rr_trending_hit(rr_trending_t *tr, uint32_t item, float w, int64_t ts_ms);
/* A hit that may arrive late (a peer instance's, synced): weighted at its own event time, so a
 * hit older than the latest counts 2^((ts_ms - t_last)/half_life) of w; otherwise exactly
 * rr_trending_hit. */
void rr_trending_hit_at(rr_trending_t *tr, uint32_t item, float w, int64_t ts_ms);
/* Real (decayed) score at the latest time seen. */
double rr_trending_score(const rr_trending_t *tr, uint32_t item);
/* The best k ids (k <= RR_TRENDING_TOP), best first; ties by lower id. Returns count. */
size_t rr_trending_top(const rr_trending_t *tr, uint32_t *ids, float *scores, size_t k);
/* A top-k set of ids kept by trending score, best first (*n <= cap): offers item, which keeps
 * it if it is among the best. Call it after each hit of the item. Used for the global top and
 * for per-category tops. */
void rr_trending_set_offer(const rr_trending_t *tr, uint32_t *set, uint32_t *n, uint32_t cap,
                           uint32_t item);
/* Copies the best k of a set into ids, best first (ties: lower id), with real scores (scores
 * may be NULL). Returns the count. */
size_t rr_trending_set_sorted(const rr_trending_t *tr, const uint32_t *set, uint32_t n,
                              uint32_t *ids, float *scores, size_t k);
/* Removes an item (catalog removal, eviction). */
void rr_trending_clear(rr_trending_t *tr, uint32_t item);

#endif
