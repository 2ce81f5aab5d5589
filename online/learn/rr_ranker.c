/* rr_ranker.c — the learned ranker over named features; see rr_ranker.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rr_ranker.h"
#include "rr_loss.h"

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
    rk->nparams = rr_mlp_param_count(&mc) + (size_t)nfeat; /* the MLP's, then the linear part's */
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
    rk->ones = malloc((size_t)rk->ws_rows * sizeof(float));
    rk->dz = calloc((size_t)rk->ws_rows, sizeof(float));
    rk->z = calloc((size_t)rk->ws_rows, sizeof(float));
    rk->dbce = calloc((size_t)rk->ws_rows, sizeof(float));
    if (!rk->params || !rk->grads || !rk->state || !rk->x || !rk->labels || !rk->weights ||
        !rk->xn || !rk->ws || !rk->ones || !rk->dz || !rk->z || !rk->dbce) {
        rr_ranker_free(rk);
        return RR_E(NOMEM);
    }
    for (int i = 0; i < rk->ws_rows; i++) rk->ones[i] = 1.0f;
    rr_mlp_init(&rk->mlp, &mc, rk->params);
    rk->lin = rk->params + rr_mlp_param_count(&mc); /* starts at 0: the MLP's start alone */
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
    free(rk->ones);
    free(rk->dz);
    free(rk->z);
    free(rk->dbce);
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

/* Logits of m standardised rows after the MLP's forward on ws: its logit plus the linear
 * part's. */
static void logits(const rr_ranker_t *rk, const float *xn, int m, const float *ws, float *z)
{
    int f = rk->nfeat;
    for (int i = 0; i < m; i++) {
        const float *row = xn + (size_t)i * f;
        float lin = 0;
        for (int k = 0; k < f; k++) lin += rk->lin[k] * row[k];
        z[i] = rr_mlp_logit(&rk->mlp, ws, m, i) + lin;
    }
}

void rr_ranker_score_with(const rr_ranker_t *rk, rr_ranker_scratch_t *sc, const float *x, size_t n,
                          float *out)
{
    for (size_t at = 0; at < n; at += (size_t)RR_RANKER_SCORE_ROWS) {
        int m = (int)(n - at < RR_RANKER_SCORE_ROWS ? n - at : RR_RANKER_SCORE_ROWS);
        standardise(rk, sc->xn, x + at * (size_t)rk->nfeat, m);
        rr_mlp_forward(&rk->mlp, sc->xn, m, sc->ws, NULL);
        logits(rk, sc->xn, m, sc->ws, out + at);
        for (int i = 0; i < m; i++) out[at + (size_t)i] = rr_sigmoid(out[at + (size_t)i]);
        sc->rows_scored += (uint64_t)m;
    }
}

/* Gradient × input: each row's dlogit/dx' (the MLP's by a backward from dlogit = 1, plus the
 * linear part's weights) times x'. Only dx: the parameters' gradients, half the backward's
 * work, would be thrown away. */
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
    rr_mlp_backward_logits(&rk->mlp, sc->xn, n, sc->ws, rk->ones, NULL, out);
    size_t f = (size_t)rk->nfeat;
    for (size_t k = 0; k < (size_t)n * f; k++) out[k] = (out[k] + rk->lin[k % f]) * sc->xn[k];
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

/* The linear part's gradient: sum over the rows of dLoss/dlogit × x'. */
static void linear_grads(const rr_ranker_t *rk, int n, float *g)
{
    size_t f = (size_t)rk->nfeat;
    for (size_t k = 0; k < f; k++) {
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double)rk->dz[i] * rk->xn[(size_t)i * f + k];
        g[k] = (float)sum;
    }
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
    logits(rk, rk->xn, n, rk->ws, rk->z);
    /* The pool's order is what counts (softmax over each positive's group), and the pointwise
     * term keeps the logits calibrated, so a candidate's score reads as a probability. */
    rr_softmax_groups(rk->z, rk->labels, n, rk->dz);
    rr_bce_grad(rk->z, rk->labels, rk->weights, n, rk->dbce);
    for (int i = 0; i < n; i++) rk->dz[i] += RR_RANKER_BCE * rk->dbce[i];
    rr_mlp_backward_logits(&rk->mlp, rk->xn, n, rk->ws, rk->dz, rk->grads, NULL);
    linear_grads(rk, n, rk->grads + (rk->lin - rk->params));
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
