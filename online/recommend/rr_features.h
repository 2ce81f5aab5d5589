/* rr_features.h — the named features of a (user, candidate item) pair that the learned ranker
 * reads: each candidate source's score, plain and relative to the user's best; the item's trend
 * at several half-lives, popularity, age and idle time; the fit of its category, brand and price
 * with what the user did lately; the learned embeddings' agreement; the user's activity; its
 * popularity among users like this one (rr_segpop.h); its text's likeness to what the user
 * looked at lately (the learner's token rows).
 * A person can name every one, which is what the reasons are made of: each feature belongs to
 * the reason (rr_reason_t) it speaks for, NONE for those that only refine the order. */
#ifndef RR_FEATURES_H
#define RR_FEATURES_H

#include <stdint.h>
#include "rr_trending.h"

#define RR_NTRENDS 4 /* trend half-lives: 1 h, 1 d, 7 d, 30 d */
extern const double rr_trend_half_life_s[RR_NTRENDS];
#define RR_TREND_LONG 3 /* the 30 d trend: nearly a count, which CAT_TOP_30D reads */

#define RR_FEATURES(X)                                                                             \
    X(CO_LOG, COOC, "co-occurrence with recent items, recency-weighted (log)")                     \
    X(CO_REL, COOC, "the same over the user's best candidate's")                                   \
    X(COS, COOC, "cosine co-occurrence with recent items, position-weighted")                      \
    X(COS_REL, COOC, "the same over the user's best candidate's")                                  \
    X(COS_RATED, COOC, "the cosine weighted by the recent item's rating minus the user's mean")    \
    X(CO_LAST, COOC, "co-occurrence with the latest item (log)")                                   \
    X(NB_RECENCY, COOC, "position weight of the latest recent item it co-occurs with")             \
    X(CAT_AFF, CATEGORY, "share of recent items in its category")                                  \
    X(CAT_TOP, CATEGORY, "its trend over its category's top item's")                               \
    X(CAT_TOP_30D, CATEGORY, "its 30 d trend over its category's leader's by that trend (log)")    \
    X(CAT_LAST, CATEGORY, "same category as the latest item")                                      \
    X(BRAND_AFF, CATEGORY, "share of recent items of its brand")                                   \
    X(PRICE_FIT, NONE, "minus |log price - the user's mean log price|")                            \
    X(PRICE_KNOWN, NONE, "price and the user's price level both known")                            \
    X(TREND_1H, TRENDING, "trend, 1 h half-life, over the top item's (log)")                       \
    X(TREND_1D, TRENDING, "trend, 1 d half-life, over the top item's (log)")                       \
    X(TREND_7D, TRENDING, "trend, 7 d half-life, over the top item's (log)")                       \
    X(TREND_30D, TRENDING, "trend, 30 d half-life, over the top item's (log)")                     \
    X(CAT_TREND_1H, CATEGORY, "category share x trend over the top item's, 1 h (log)")             \
    X(CAT_TREND_1D, CATEGORY, "category share x trend over the top item's, 1 d (log)")             \
    X(CAT_TREND_7D, CATEGORY, "category share x trend over the top item's, 7 d (log)")             \
    X(CAT_TREND_30D, CATEGORY, "category share x trend over the top item's, 30 d (log)")           \
    X(POP, TRENDING, "interactions so far (log)")                                                  \
    X(AGE, NONE, "hours since first seen (log)")                                                   \
    X(IDLE, TRENDING, "minutes since its latest interaction (log)")                                \
    X(DOT, MODEL, "learned embeddings: user . item")                                               \
    X(ACTIVITY, NONE, "the user's events so far (log)")                                            \
    X(DEMO_LIFT, NONE,                                                                             \
      "popularity among users of the same age band, gender, occupation (log lift)")                \
    X(TEXT_COS, NONE, "learned text vector: cosine with the user's recent items' mean")            \
    X(MLP, MODEL, "the embedding MLP's probability (logit)")

typedef enum {
#define RR_F_ENUM(name, reason, doc) RR_F_##name,
    RR_FEATURES(RR_F_ENUM)
#undef RR_F_ENUM
        RR_F__COUNT
} rr_feature_t;

const char *rr_feature_name(rr_feature_t f);
/* The reason a feature speaks for (an rr_reason_t; RR_REASON_NONE for none). */
int rr_feature_reason(rr_feature_t f);

#endif
