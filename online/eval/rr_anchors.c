/* rr_anchors.c — the anchor set of rr_anchors.h: builds each anchor, feeds it every event,
 * dispatches a list request by anchor id. */
#include <stdlib.h>
#include "rr_anchors.h"

static const struct {
    const char *name, *family, *half_life;
} anchor_info[RR_ANCHOR__COUNT] = {
#define RR_ANCHOR_INFO_(e, name, family, h) [RR_ANCHOR_##e] = {name, family, h},
    RR_ANCHOR_MAP(RR_ANCHOR_INFO_)
#undef RR_ANCHOR_INFO_
};

/* The half-lives of trend[h] and cat_trend[h], in the order of the map. */
static const int64_t half_life_ms[] = {
    5 * 60 * 1000LL,    3600 * 1000LL,       6 * 3600 * 1000LL,    24 * 3600 * 1000LL,
    7 * 86400 * 1000LL, 30 * 86400 * 1000LL, 365 * 86400 * 1000LL,
};
#define NHALF_LIVES (sizeof half_life_ms / sizeof half_life_ms[0])
_Static_assert(NHALF_LIVES == RR_ANCHOR_TREND_365D - RR_ANCHOR_TREND_5M + 1 &&
                   NHALF_LIVES == RR_ANCHOR_CAT_TREND_365D - RR_ANCHOR_CAT_TREND_5M + 1,
               "one half-life per trend and cat_trend anchor");

struct rr_anchors_s {
    rr_anchor_hist_t *hist;
    rr_trend_t *trend;
    rr_cattrend_t *cattrend; /* NULL without categories */
    rr_sknn_t *sknn;
    rr_iknn_t *iknn;
    rr_isgd_t *isgd;
};

const char *rr_anchor_name(int anchor)
{
    return anchor >= 0 && anchor < RR_ANCHOR__COUNT ? anchor_info[anchor].name : "none";
}

const char *rr_anchor_family(int anchor)
{
    return anchor >= 0 && anchor < RR_ANCHOR__COUNT ? anchor_info[anchor].family : "none";
}

const char *rr_anchor_half_life(int anchor)
{
    return anchor >= 0 && anchor < RR_ANCHOR__COUNT ? anchor_info[anchor].half_life : "";
}

rr_anchors_t *rr_anchors_new(size_t nusers, size_t nitems, int categories, rr_pop_t *pop,
                             const rr_knn_t *knn, uint64_t seed)
{
    rr_anchors_t *anchors = calloc(1, sizeof(*anchors));
    if (!anchors) return NULL;
    anchors->hist = rr_anchor_hist_new(nusers, nitems);
    anchors->trend = rr_trend_new(nitems, half_life_ms, NHALF_LIVES);
    if (anchors->hist && anchors->trend && categories)
        anchors->cattrend = rr_cattrend_new(nitems, anchors->trend, anchors->hist);
    if (anchors->hist) {
        anchors->sknn = rr_sknn_new(nusers, nitems, RR_SKNN_SAMPLE, RR_SKNN_K, anchors->hist, pop);
        anchors->iknn = rr_iknn_new(nitems, knn, anchors->hist, pop);
    }
    anchors->isgd = rr_isgd_new(nusers, nitems, seed);
    if (!anchors->hist || !anchors->trend || (categories && !anchors->cattrend) || !anchors->sknn ||
        !anchors->iknn || !anchors->isgd) {
        rr_anchors_free(anchors);
        return NULL;
    }
    return anchors;
}

void rr_anchors_free(rr_anchors_t *anchors)
{
    if (!anchors) return;
    rr_isgd_free(anchors->isgd);
    rr_iknn_free(anchors->iknn);
    rr_sknn_free(anchors->sknn);
    rr_cattrend_free(anchors->cattrend);
    rr_trend_free(anchors->trend);
    rr_anchor_hist_free(anchors->hist);
    free(anchors);
}

rr_err_t rr_anchors_observe(rr_anchors_t *anchors, const rr_anchor_ev_t *ev)
{
    rr_err_t err = rr_anchor_hist_observe(anchors->hist, ev);
    if (!err) err = rr_trend_observe(anchors->trend, ev);
    if (!err && anchors->cattrend) err = rr_cattrend_observe(anchors->cattrend, ev);
    if (!err) err = rr_isgd_observe(anchors->isgd, ev);
    return err;
}

const rr_anchor_hist_t *rr_anchors_hist(const rr_anchors_t *anchors)
{
    return anchors->hist;
}

int rr_anchors_has(const rr_anchors_t *anchors, int anchor)
{
    if (anchor >= RR_ANCHOR_CAT_TREND_5M && anchor <= RR_ANCHOR_CAT_TREND_365D)
        return anchors->cattrend != NULL;
    return anchor >= 0 && anchor < RR_ANCHOR__COUNT;
}

size_t rr_anchors_top(rr_anchors_t *anchors, int anchor, uint32_t user, uint32_t *out, size_t k,
                      rr_baseline_skip_fn skip, const void *opaque)
{
    if (anchor >= RR_ANCHOR_TREND_5M && anchor <= RR_ANCHOR_TREND_365D)
        return rr_trend_top(anchors->trend, (size_t)(anchor - RR_ANCHOR_TREND_5M), out, k, skip,
                            opaque);
    if (anchor >= RR_ANCHOR_CAT_TREND_5M && anchor <= RR_ANCHOR_CAT_TREND_365D)
        return anchors->cattrend
                   ? rr_cattrend_top(anchors->cattrend, (size_t)(anchor - RR_ANCHOR_CAT_TREND_5M),
                                     user, out, k, skip, opaque)
                   : 0;
    switch (anchor) {
    case RR_ANCHOR_VSKNN: return rr_sknn_top(anchors->sknn, user, out, k, skip, opaque);
    case RR_ANCHOR_IKNN_COS: return rr_iknn_top(anchors->iknn, user, out, k, skip, opaque);
    case RR_ANCHOR_ISGD: return rr_isgd_top(anchors->isgd, user, out, k, skip, opaque);
    default: return 0;
    }
}
