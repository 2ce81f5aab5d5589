/* rr_ranker.h — the learned ranker: a small MLP plus a linear part over named features of a
 * (user, candidate) pair (each source's score, trends, age, category/brand/price fit, activity;
 * rr_features.h), trained online on the distribution it ranks: each positive against the
 * candidates the user was shown just before it, by a softmax over that group plus half a
 * pointwise cross-entropy. The linear part learns the plain "more of this signal is better" in
 * the few hundred steps a sparse stream gives it; the MLP, the interactions. Features are
 * standardised by running means and variances (Welford) updated from the training rows only, so
 * scoring never changes the model. Caller-allocated; init allocates everything, stage/flush/score
 * never allocate. Deterministic given the row order. */
#ifndef RR_RANKER_H
#define RR_RANKER_H

#include <stddef.h>
#include <stdint.h>
#include "rr_mlp.h"
#include "rr_err.h"
#include "rr_norm.h"
#include "rr_optim.h"

#define RR_RANKER_MAX_FEATS  32
#define RR_RANKER_SCORE_ROWS 256  /* rows per forward pass when scoring */
#define RR_RANKER_BCE        0.5f /* weight of the pointwise term in the loss */

typedef struct rr_ranker_s {
    int nfeat;
    rr_mlp_t mlp;
    rr_optim_t opt;
    float *params, *grads, *state; /* [nparams] each; state: Adagrad accumulators */
    size_t nparams;
    rr_welford_t norm[RR_RANKER_MAX_FEATS];
    float mu[RR_RANKER_MAX_FEATS], inv_sd[RR_RANKER_MAX_FEATS]; /* from norm, after each step */
    /* Rows staged for the next step: x (raw features), labels, weights. */
    float *x, *labels, *weights;
    int nrows, max_rows;
    float *xn, *ws; /* scratch: standardised rows, MLP workspace */
    float *ones;    /* [ws_rows] dlogit of the attribution pass */
    float *z, *dz;  /* [ws_rows] a step's logits and dLoss/dlogit */
    float *dbce;    /* [ws_rows] the pointwise term's dLoss/dlogit */
    float *lin;     /* [nfeat] in params, after the MLP's: the linear part's weights */
    int ws_rows;
    uint64_t steps;
    uint64_t rows_trained; /* rows through forward + backward */
} rr_ranker_t;

/* Scoring scratch: what score and contributions write besides their output. The ranker has its
 * own (the functions without _with); another thread scoring while nothing trains uses its own. */
typedef struct rr_ranker_scratch_s {
    float *xn, *ws;                       /* standardised rows, MLP workspace */
    uint64_t rows_scored, rows_explained; /* rows through a forward; and a backward as well */
    int owned;                            /* allocated by rr_ranker_scratch_init */
} rr_ranker_scratch_t;

/* nfeat features (<= RR_RANKER_MAX_FEATS), hidden layers 32 and 16, Adagrad at lr, a step every
 * max_rows staged rows. RR_ERR_NOMEM or RR_ERR_INVAL. */
rr_err_t rr_ranker_init(rr_ranker_t *rk, int nfeat, int max_rows, float lr, uint64_t seed);
void rr_ranker_free(rr_ranker_t *rk);
/* Probabilities (sigmoid of the logit: the MLP's plus the linear part's) of n rows of raw
 * features x (n × nfeat). */
void rr_ranker_score(rr_ranker_t *rk, const float *x, size_t n, float *out);
/* What each feature did for each of n rows (n <= RR_RANKER_SCORE_ROWS): gradient × input, the
 * logit's gradient with respect to the standardised feature times that feature (its distance
 * from the mean in standard deviations), scaled by a positive factor per row, so within a row
 * the largest entry is the feature that raised the score most. out is n × nfeat. */
void rr_ranker_contributions(rr_ranker_t *rk, const float *x, int n, float *out);
/* A scratch for another scoring thread, sized for rk. RR_ERR_NOMEM. */
rr_err_t rr_ranker_scratch_init(const rr_ranker_t *rk, rr_ranker_scratch_t *sc);
void rr_ranker_scratch_free(rr_ranker_scratch_t *sc);
/* rr_ranker_score and rr_ranker_contributions with the caller's scratch; they only read rk. */
void rr_ranker_score_with(const rr_ranker_t *rk, rr_ranker_scratch_t *sc, const float *x, size_t n,
                          float *out);
void rr_ranker_contributions_with(const rr_ranker_t *rk, rr_ranker_scratch_t *sc, const float *x,
                                  int n, float *out);
/* Stages a group of n rows (x n × nfeat; labels: 1 for the first row, the positive, 0 for the
 * rest; weights of the pointwise term summing to 1) for training;
 * takes a step first when they would not fit. Rows beyond max_rows are dropped. */
void rr_ranker_stage(rr_ranker_t *rk, const float *x, const float *labels, const float *weights,
                     int n);
/* One Adagrad step on the staged rows (gradients clipped to norm 5), then empties the stage.
 * No-op when nothing is staged. */
void rr_ranker_flush(rr_ranker_t *rk);

/* After the parameters, statistics and stage were restored (a checkpoint): recomputes what is
 * derived from them. */
void rr_ranker_restored(rr_ranker_t *rk);

#endif
