/* rr_rank.h — the learned ranker's side of the recommender: gathers a user's candidates from
 * every source (co-occurrence plain and cosine, category tops, trends at several half-lives,
 * embedding retrieval), describes each candidate by its named features (rr_features.h), and
 * builds the training rows of a positive: the item against what the user was shown just before
 * it and a few other candidates. The model itself is a callback (learn/rr_ranker.h). */
#ifndef RR_RANK_H
#define RR_RANK_H

#include "rr_features.h"
#include "rr_rec_sources.h"

#define RR_RANK_MAX_CAND 256 /* candidates the ranker scores per user, by best source first */
#define RR_RANK_MAX_ROWS 16  /* training rows per positive: it and 15 others from its pool */
#define RR_RANK_WARMUP   1   /* ranker steps (about 4 positives each) before it orders lists */

/* What the features read besides the recommender's own sources. */
typedef struct rr_rank_src_s {
    const rr_trending_t *trends;  /* [RR_NTRENDS], rr_trend_half_life_s */
    const int64_t *item_first_ms; /* [items_max]: first interaction (0 = none yet) */
    const int64_t *item_last_ms;  /* [items_max]: latest interaction */
    /* [cats_max]: each category's item of the highest RR_TREND_LONG trend (RR_INTERN_NONE:
     * none yet) */
    const uint32_t *cat_leader;
    size_t cats_max;
    const int64_t *now_ms; /* event time of the latest event */
    const uint64_t *epoch; /* changes whenever any state the features read changes */
    const uint64_t *steps; /* the ranker's SGD steps so far */
    /* The demographic lift (DEMO_LIFT) of user uid for items[0..n); NULL: 0. Called with the
     * opaque of rr_rank_enable. */
    void (*demo)(void *opaque, uint32_t uid, const uint32_t *items, size_t n, float *out);
    /* The text likeness (TEXT_COS) of items[0..n) to user uid's recent items; NULL: 0. */
    void (*text)(void *opaque, uint32_t uid, const uint32_t *items, size_t n, float *out);
    /* The embedding MLP's logit (MLP) of user uid for items[0..n); NULL: 0. */
    void (*mlp)(void *opaque, uint32_t uid, const uint32_t *items, size_t n, float *out);
} rr_rank_src_t;

/* Ranker probabilities of n feature rows (n × RR_F__COUNT). */
typedef void (*rr_rank_fn)(void *opaque, const float *x, size_t n, float *probs);
/* What each feature did for each of n rows (n × RR_F__COUNT, largest = raised the score most). */
typedef void (*rr_explain_fn)(void *opaque, const float *x, size_t n, float *contrib);
/* Learned embeddings' u·v of user uid for items[0..n) (0 when there is no model). */
typedef void (*rr_dot_fn)(void *opaque, uint32_t uid, const uint32_t *items, size_t n, float *out);

/* Turns the learned ranker on: allocates the extra scratch. RR_ERR_NOMEM. */
rr_err_t rr_rank_enable(rr_recommender_t *rec, const rr_rank_src_t *src, rr_rank_fn rank,
                        rr_explain_fn explain, rr_dot_fn dot, void *opaque);
/* 1 when lists come from the ranker: it is on and past its warm-up. Before that, the
 * hand-weighted blend (re-ranked by the embedding MLP) orders them while the ranker learns, so
 * a new engine starts from sensible lists rather than an untrained model's. */
int rr_rank_active(const rr_recommender_t *rec);
/* Called by rr_recommend_pool when the ranker is active: the best 4n candidates by the ranker's
 * probability into pool, each with the reason whose features raised its score most (the
 * strongest source's when none did). */
size_t rr_rank_pool(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                    const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid,
                    rr_list_entry_t *pool);
/* Called by rr_recommend_score when the ranker is active: out[i] = items[i] scored by the
 * ranker's probability for user uid, with the reason it would show in a list (COOC reasons
 * without their recent item; rr_recommend_score names it). Any n. */
void rr_rank_score(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                   const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid,
                   const uint32_t *items, size_t n, rr_list_entry_t *out);
/* Training rows for user uid's positive pos, from the state before it: row 0 is pos (label 1,
 * weight 1/2), then up to 15 other candidates of the pool picked uniformly by *rng (label 0,
 * weights summing to 1/2). x gets RR_RANK_MAX_ROWS × RR_F__COUNT floats at most.
 * Returns the row count (0 when the user has no candidates to compare with). */
int rr_rank_train_rows(rr_recommender_t *rec, const rr_store_t *st, const rr_cooc_t *co,
                       const rr_trending_t *tr, const rr_cattop_t *ct, uint32_t uid, uint32_t pos,
                       uint64_t *rng, float *x, float *labels, float *weights);

/* Frees what rr_rank_enable allocated; rec->rank becomes NULL. */
void rr_rank_free(rr_recommender_t *rec);
/* rr_rank_enable on rec with base's sources and callbacks, opaque instead of base's. */
rr_err_t rr_rank_fork(const rr_recommender_t *base, rr_recommender_t *rec, void *opaque);

#endif
