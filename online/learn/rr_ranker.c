/* rr_ranker.c — the learned ranker over named features; see rr_ranker.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rr_ranker.h"

static void refresh_scaling(rr_ranker_t *rk);

rr_err_t rr_ranker_init(rr_ranker_t *rk, int nfeat, int max_rows, float lr, uint64_t seed)
{
    memset(rk, 0, sizeof(*rk));
    if (nfeat < 1 || nfeat > RR_RANKER_MAX_FEATS || max_rows < 1) return RR_E(INVAL);
    rr_mlp_config_t mc = rr_mlp_config_default(nfeat);
    mc.hidden[0] = 32;
    mc.hidden[1] = 16;
    mc.seed = seed ^ 0x52414e4bULL; /* "RANK": not the embedding MLP's stream */
    rk->nfeat = nfeat;
    rk->nparams = rr_mlp_param_count(&mc);
    rk->max_rows = max_rows;
    rk->ws_rows = max_rows > RR_RANKER_SCORE_ROWS ? max_rows : RR_RANKER_SCORE_ROWS;
    rk->params = calloc(rk->nparams, sizeof(float));
    rk->grads = calloc(rk->nparams, sizeof(float));
    rk->state = calloc(rk->nparams, sizeof(float));
    rk->x = calloc((size_t)max_rows * (size_t)nfeat, sizeof(float));
    rk->labels = calloc((size_t)max_rows, sizeof(float));
    rk->weights = calloc((size_t)max_rows, sizeof(float));
    rk->xn = calloc((size_t)rk->ws_rows * (size_t)nfeat, sizeof(float));
    rk->ws = calloc(rr_mlp_workspace_floats(&mc, rk->ws_rows), sizeof(float));
    rk->zeros = calloc((size_t)rk->ws_rows, sizeof(float));
    if (!rk->params || !rk->grads || !rk->state || !rk->x || !rk->labels || !rk->weights ||
        !rk->xn || !rk->ws || !rk->zeros) {
        rr_ranker_free(rk);
        return RR_E(NOMEM);
    }
    rr_mlp_init(&rk->mlp, &mc, rk->params);
    rk->opt = rr_optim_default(RR_OPTIM_ADAGRAD, lr);
    rr_welford_reset(rk->norm, nfeat);
    refresh_scaling(rk);
    return RR_OK;
}

void rr_ranker_free(rr_ranker_t *rk)
{
    free(rk->params);
    free(rk->grads);
    free(rk->state);
    free(rk->x);
    free(rk->labels);
    free(rk->weights);
    free(rk->xn);
    free(rk->ws);
    free(rk->zeros);
    memset(rk, 0, sizeof(*rk));
}

/* Standardises rows into rk->xn; clamped, so one outlier cannot saturate the ReLUs. */
/* The standardisation in force until the next step: x' = (x - mean) / sd, clamped to ±8 so
 * one outlier cannot saturate the ReLUs (a feature seen fewer than twice is only centred). */
static void refresh_scaling(rr_ranker_t *rk)
{
    for (int k = 0; k < rk->nfeat; k++) {
        const rr_welford_t *w = &rk->norm[k];
        rk->mu[k] = w->count > 0 ? (float)w->mean : 0.0f;
        rk->inv_sd[k] = w->count > 1 ? (float)(1.0 / sqrt(rr_welford_var(w) + 1e-6)) : 1.0f;
    }
}

static void standardise(const rr_ranker_t *rk, float *xn, const float *x, int n)
{
    int f = rk->nfeat;
    /* Local copies: the stores into xn could alias rk's, which would be reloaded per entry. */
    float mu[RR_RANKER_MAX_FEATS], inv_sd[RR_RANKER_MAX_FEATS];
    memcpy(mu, rk->mu, (size_t)f * sizeof(float));
    memcpy(inv_sd, rk->inv_sd, (size_t)f * sizeof(float));
    for (int i = 0; i < n; i++) {
        const float *in = x + (size_t)i * f;
        float *out = xn + (size_t)i * f;
        for (int k = 0; k < f; k++) {
            float z = (in[k] - mu[k]) * inv_sd[k];
            out[k] = z > 8.f ? 8.f : z < -8.f ? -8.f : z;
        }
    }
}

/* The ranker's own scratch, as the _with functions take it. */
static rr_ranker_scratch_t own_scratch(rr_ranker_t *rk)
{
    rr_ranker_scratch_t sc = {.xn = rk->xn, .ws = rk->ws};
    return sc;
}

rr_err_t rr_ranker_scratch_init(const rr_ranker_t *rk, rr_ranker_scratch_t *sc)
{
    sc->owned = 1;
    sc->xn = calloc((size_t)rk->ws_rows * (size_t)rk->nfeat, sizeof(float));
    sc->ws = calloc(rr_mlp_workspace_floats(&rk->mlp.cfg, rk->ws_rows), sizeof(float));
    if (sc->xn && sc->ws) return RR_OK;
    rr_ranker_scratch_free(sc);
    return RR_E(NOMEM);
}

void rr_ranker_scratch_free(rr_ranker_scratch_t *sc)
{
    if (sc->owned) {
        free(sc->xn);
        free(sc->ws);
    }
    memset(sc, 0, sizeof(*sc));
}

void rr_ranker_score(rr_ranker_t *rk, const float *x, size_t n, float *out)
{
    rr_ranker_scratch_t sc = own_scratch(rk);
    rr_ranker_score_with(rk, &sc, x, n, out);
}

void rr_ranker_score_with(const rr_ranker_t *rk, rr_ranker_scratch_t *sc, const float *x, size_t n,
                          float *out)
{
    for (size_t at = 0; at < n; at += (size_t)RR_RANKER_SCORE_ROWS) {
        int m = (int)(n - at < RR_RANKER_SCORE_ROWS ? n - at : RR_RANKER_SCORE_ROWS);
        standardise(rk, sc->xn, x + at * (size_t)rk->nfeat, m);
        rr_mlp_forward(&rk->mlp, sc->xn, m, sc->ws, out + at);
        sc->rows_scored += (uint64_t)m;
    }
}

/* The backward pass of the loss "every row is a negative": dLoss/dlogit_i = sigmoid(z_i) / n > 0,
 * so dx_i is the logit's gradient times a positive factor. Only dx: the parameters' gradients,
 * half the backward's work, would be thrown away. */
void rr_ranker_contributions(rr_ranker_t *rk, const float *x, int n, float *out)
{
    rr_ranker_scratch_t sc = own_scratch(rk);
    rr_ranker_contributions_with(rk, &sc, x, n, out);
}

void rr_ranker_contributions_with(const rr_ranker_t *rk, rr_ranker_scratch_t *sc, const float *x,
                                  int n, float *out)
{
    if (n <= 0) return;
    if (n > RR_RANKER_SCORE_ROWS) n = RR_RANKER_SCORE_ROWS;
    standardise(rk, sc->xn, x, n);
    rr_mlp_forward(&rk->mlp, sc->xn, n, sc->ws, NULL);
    rr_mlp_backward(&rk->mlp, sc->xn, n, sc->ws, rk->zeros, NULL, NULL, out);
    for (size_t k = 0; k < (size_t)n * (size_t)rk->nfeat; k++) out[k] *= sc->xn[k];
    sc->rows_explained += (uint64_t)n;
}

void rr_ranker_stage(rr_ranker_t *rk, const float *x, const float *labels, const float *weights,
                     int n)
{
    if (rk->nrows + n > rk->max_rows) rr_ranker_flush(rk);
    if (n > rk->max_rows) n = rk->max_rows;
    size_t f = (size_t)rk->nfeat;
    memcpy(rk->x + (size_t)rk->nrows * f, x, (size_t)n * f * sizeof(float));
    memcpy(rk->labels + rk->nrows, labels, (size_t)n * sizeof(float));
    memcpy(rk->weights + rk->nrows, weights, (size_t)n * sizeof(float));
    rk->nrows += n;
}

void rr_ranker_flush(rr_ranker_t *rk)
{
    int n = rk->nrows;
    if (n == 0) return;
    for (int i = 0; i < n; i++)
        rr_welford_update(rk->norm, rk->x + (size_t)i * rk->nfeat, rk->nfeat);
    refresh_scaling(rk);
    standardise(rk, rk->xn, rk->x, n);
    rr_mlp_forward(&rk->mlp, rk->xn, n, rk->ws, NULL);
    rr_mlp_backward(&rk->mlp, rk->xn, n, rk->ws, rk->labels, rk->weights, rk->grads, NULL);
    rr_clip_grad_norm(rk->grads, rk->nparams, 5.0f);
    rr_optim_step(&rk->opt, rk->params, rk->grads, rk->state, rk->nparams);
    rk->steps++;
    rk->rows_trained += (uint64_t)n;
    rk->nrows = 0;
}

void rr_ranker_restored(rr_ranker_t *rk)
{
    refresh_scaling(rk);
}
