/* rr_anchors.h — every anchor of rr_anchor.h as one set, in the order `rtrec eval` reports them:
 * one observe per event for all, one top per anchor. The set owns the anchors and their shared
 * history; it borrows the popularity and item-kNN baselines of the harness (their fill and
 * co-occurrence counts), which the caller updates before calling rr_anchors_observe. */
#ifndef RR_ANCHORS_H
#define RR_ANCHORS_H

#include "rr_anchor.h"

/* X(ENUM, name, family, half-life label ("" for none)) */
#define RR_ANCHOR_MAP(X)                                                                           \
    X(TREND_5M, "trend_5m", "trend", "5m")                                                         \
    X(TREND_1H, "trend_1h", "trend", "1h")                                                         \
    X(TREND_6H, "trend_6h", "trend", "6h")                                                         \
    X(TREND_1D, "trend_1d", "trend", "1d")                                                         \
    X(TREND_7D, "trend_7d", "trend", "7d")                                                         \
    X(TREND_30D, "trend_30d", "trend", "30d")                                                      \
    X(TREND_365D, "trend_365d", "trend", "365d")                                                   \
    X(VSKNN, "vsknn", "vsknn", "")                                                                 \
    X(IKNN_COS, "iknn_cos", "iknn_cos", "")                                                        \
    X(CAT_TREND_5M, "cat_trend_5m", "cat_trend", "5m")                                             \
    X(CAT_TREND_1H, "cat_trend_1h", "cat_trend", "1h")                                             \
    X(CAT_TREND_6H, "cat_trend_6h", "cat_trend", "6h")                                             \
    X(CAT_TREND_1D, "cat_trend_1d", "cat_trend", "1d")                                             \
    X(CAT_TREND_7D, "cat_trend_7d", "cat_trend", "7d")                                             \
    X(CAT_TREND_30D, "cat_trend_30d", "cat_trend", "30d")                                          \
    X(CAT_TREND_365D, "cat_trend_365d", "cat_trend", "365d")                                       \
    X(ISGD, "isgd", "isgd", "")

enum {
#define RR_ANCHOR_ENUM_(e, name, family, h) RR_ANCHOR_##e,
    RR_ANCHOR_MAP(RR_ANCHOR_ENUM_)
#undef RR_ANCHOR_ENUM_
        RR_ANCHOR__COUNT
};

const char *rr_anchor_name(int anchor);      /* "trend_5m" */
const char *rr_anchor_family(int anchor);    /* "trend": anchors of one family differ in h */
const char *rr_anchor_half_life(int anchor); /* "5m", or "" */

typedef struct rr_anchors_s rr_anchors_t;

/* For dense user ids < nusers, item ids < nitems. Without categories the cat_trend anchors are
 * not built (rr_anchors_has says 0). seed draws ISGD's initial factors. NULL on no memory. */
rr_anchors_t *rr_anchors_new(size_t nusers, size_t nitems, int categories, rr_pop_t *pop,
                             const rr_knn_t *knn, uint64_t seed);
void rr_anchors_free(rr_anchors_t *anchors);
/* Learns one event, after every method was scored on it. */
rr_err_t rr_anchors_observe(rr_anchors_t *anchors, const rr_anchor_ev_t *ev);
int rr_anchors_has(const rr_anchors_t *anchors, int anchor);
/* The histories the set keeps (each user's distinct items, ...), for the caller to read. */
const rr_anchor_hist_t *rr_anchors_hist(const rr_anchors_t *anchors);
/* The anchor's top k (k <= 64) for user into out, best first; 0 when it is not built. */
size_t rr_anchors_top(rr_anchors_t *anchors, int anchor, uint32_t user, uint32_t *out, size_t k,
                      rr_baseline_skip_fn skip, const void *opaque);

#endif
