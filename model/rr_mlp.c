/* rr_mlp.c — forward and backward of the scoring MLP (see rr_mlp.h), llm.c style: the math reads
 * top to bottom, tensors are pointers into caller blocks, GEMMs go through rr_blas. */
#include "rr_mlp.h"
#include "rr_loss.h"

#include <math.h>
#include <string.h>

#include "rr_blas.h"
#include "rr_gemm_rows.h"
#include "rr_rng.h"

rr_mlp_config_t rr_mlp_config_default(int in_dim)
{
    rr_mlp_config_t cfg = {.in_dim = in_dim, .nhidden = 2, .hidden = {64, 32}, .seed = 1};
    return cfg;
}

int rr_mlp_config_valid(const rr_mlp_config_t *cfg)
{
    if (cfg->in_dim < 1 || cfg->in_dim > RR_MLP_MAX_DIM) return 0;
    if (cfg->nhidden < 0 || cfg->nhidden > RR_MLP_MAX_HIDDEN) return 0;
    for (int l = 0; l < cfg->nhidden; l++)
        if (cfg->hidden[l] < 1 || cfg->hidden[l] > RR_MLP_MAX_DIM) return 0;
    return isfinite(cfg->init_scale) && cfg->init_scale >= 0.0f;
}

/* Fills dims and offsets; the parameter block is W_0, b_0, W_1, b_1, ... */
static void mlp_layout(rr_mlp_t *mlp, const rr_mlp_config_t *cfg)
{
    memset(mlp, 0, sizeof(*mlp));
    mlp->cfg = *cfg;
    mlp->nlayers = cfg->nhidden + 1;
    mlp->dim[0] = cfg->in_dim;
    for (int l = 0; l < cfg->nhidden; l++) mlp->dim[l + 1] = cfg->hidden[l];
    mlp->dim[mlp->nlayers] = 1;
    size_t off = 0;
    for (int l = 0; l < mlp->nlayers; l++) {
        mlp->w_off[l] = off;
        off += (size_t)mlp->dim[l] * mlp->dim[l + 1];
        mlp->b_off[l] = off;
        off += (size_t)mlp->dim[l + 1];
    }
    mlp->nparams = off;
}

size_t rr_mlp_param_count(const rr_mlp_config_t *cfg)
{
    if (!rr_mlp_config_valid(cfg)) return 0;
    rr_mlp_t mlp;
    mlp_layout(&mlp, cfg);
    return mlp.nparams;
}

double rr_mlp_flops_per_row(const rr_mlp_t *mlp)
{
    double f = 0;
    for (int l = 0; l < mlp->nlayers; l++) f += (2.0 * mlp->dim[l] + 1.0) * mlp->dim[l + 1];
    return f;
}

/* Workspace for batch B:
 *   act_l  for l = 1..L-1: B×dim[l], post-ReLU activations (the ReLU mask is act_l > 0)
 *   logit: B
 *   delta, delta2: B×maxw each, backward scratch (maxw = widest layer output) */
static int mlp_max_width(const rr_mlp_t *mlp)
{
    int maxw = 1;
    for (int l = 1; l < mlp->nlayers; l++)
        if (mlp->dim[l] > maxw) maxw = mlp->dim[l];
    return maxw;
}

static size_t act_offset(const rr_mlp_t *mlp, int B, int l)
{
    size_t off = 0;
    for (int j = 1; j < l; j++) off += (size_t)B * mlp->dim[j];
    return off;
}

static size_t delta_offset(const rr_mlp_t *mlp, int B, int which)
{
    return act_offset(mlp, B, mlp->nlayers) + B + (size_t)which * B * mlp_max_width(mlp);
}

static float *ws_act(const rr_mlp_t *mlp, float *ws, int B, int l)
{
    return ws + act_offset(mlp, B, l);
}

size_t rr_mlp_workspace_floats(const rr_mlp_config_t *cfg, int B)
{
    if (!rr_mlp_config_valid(cfg) || B < 1) return 0;
    rr_mlp_t mlp;
    mlp_layout(&mlp, cfg);
    return delta_offset(&mlp, B, 2);
}

void rr_mlp_attach(rr_mlp_t *mlp, const rr_mlp_config_t *cfg, float *params)
{
    mlp_layout(mlp, cfg);
    mlp->params = params;
}

void rr_mlp_init(rr_mlp_t *mlp, const rr_mlp_config_t *cfg, float *params)
{
    rr_mlp_attach(mlp, cfg, params);
    rr_rng_t rng;
    rr_rng_seed(&rng, cfg->seed);
    float scale = cfg->init_scale > 0.0f ? cfg->init_scale : 1.0f;
    for (int l = 0; l < mlp->nlayers; l++) {
        int fan_in = mlp->dim[l], fan_out = mlp->dim[l + 1];
        int is_output = l == mlp->nlayers - 1;
        double var = is_output ? 2.0 / (fan_in + fan_out) : 2.0 / fan_in;
        float std = scale * (float)sqrt(var);
        float *w = params + mlp->w_off[l];
        for (size_t k = 0; k < (size_t)fan_in * fan_out; k++) w[k] = std * rr_rng_normal(&rng);
        memset(params + mlp->b_off[l], 0, (size_t)fan_out * sizeof(float));
    }
}

/* out = in · W_l + b_l: broadcast b into out, then accumulate the product (beta = 1). */
static void layer_pre(const rr_mlp_t *mlp, int l, const float *in, int B, float *out)
{
    int din = mlp->dim[l], dout = mlp->dim[l + 1];
    const float *w = mlp->params + mlp->w_off[l]; /* din×dout */
    const float *b = mlp->params + mlp->b_off[l]; /* dout */
    for (int i = 0; i < B; i++) memcpy(out + (size_t)i * dout, b, (size_t)dout * sizeof(float));
    rr_gemm_rows(0, B, dout, din, in, din, w, dout, 1, out, dout);
}

void rr_mlp_forward(const rr_mlp_t *mlp, const float *x, int B, float *ws, float *prob)
{
    layer_pre(mlp, 0, x, B, rr_mlp_first(mlp, ws, B));
    rr_mlp_forward_first(mlp, B, ws, prob);
}

float *rr_mlp_first(const rr_mlp_t *mlp, float *ws, int B)
{
    return ws_act(mlp, ws, B, 1);
}

void rr_mlp_forward_first(const rr_mlp_t *mlp, int B, float *ws, float *prob)
{
    float *in = ws_act(mlp, ws, B, 1); /* B×dim[l]: layer l's input, ReLU applied in place first */
    for (int l = 1; l < mlp->nlayers; l++) {
        size_t n = (size_t)B * mlp->dim[l];
        for (size_t k = 0; k < n; k++) in[k] = in[k] > 0.0f ? in[k] : 0.0f; /* ReLU */
        float *out = ws_act(mlp, ws, B, l + 1);
        layer_pre(mlp, l, in, B, out);
        in = out;
    }
    if (prob) {
        const float *logit = ws_act(mlp, ws, B, mlp->nlayers);
        for (int i = 0; i < B; i++) prob[i] = rr_sigmoid(logit[i]);
    }
}

float rr_mlp_logit(const rr_mlp_t *mlp, const float *ws, int B, int i)
{
    return ws[act_offset(mlp, B, mlp->nlayers) + (size_t)i];
}

/* Layer l's dW = inᵀ · delta (in B×din, delta B×dout) and db = column sums of delta (plain
 * loop: fixed order), into grads' layout. */
static void param_grads(const rr_mlp_t *mlp, int l, const float *in, int B, const float *delta,
                        float *grads)
{
    int din = mlp->dim[l], dout = mlp->dim[l + 1];
    float *gw = grads + mlp->w_off[l]; /* din×dout */
    float *gb = grads + mlp->b_off[l]; /* dout */
    rr_sgemm(1, 0, din, dout, B, 1.0f, in, din, delta, dout, 0.0f, gw, dout);
    memset(gb, 0, (size_t)dout * sizeof(float));
    for (int i = 0; i < B; i++)
        for (int j = 0; j < dout; j++) gb[j] += delta[(size_t)i * dout + j];
}

/* From delta (B) = dLoss/dlogit down through every layer: the parameters' gradients into grads
 * (unless NULL) and dLoss/dx into dx (unless NULL). */
static void backward_layers(const rr_mlp_t *mlp, const float *x, int B, float *ws, float *delta,
                            float *grads, float *dx)
{
    /* delta (B×dim[l+1]) = dLoss/d(pre-activation of layer l); delta2 (B×dim[l]) one layer down */
    float *delta2 = ws + delta_offset(mlp, B, 1);
    for (int l = mlp->nlayers - 1; l >= 0; l--) {
        int din = mlp->dim[l], dout = mlp->dim[l + 1];
        const float *in = l == 0 ? x : ws_act(mlp, ws, B, l); /* B×din */
        const float *w = mlp->params + mlp->w_off[l];         /* din×dout */
        if (grads) param_grads(mlp, l, in, B, delta, grads);
        /* d(in) = delta · Wᵀ; below a hidden layer, only units that were active pass it on. */
        if (l > 0) {
            rr_gemm_rows(1, B, din, dout, delta, dout, w, dout, 0, delta2, din);
            /* A select, not a branch: about half the units are active, at random. */
            for (size_t k = 0; k < (size_t)B * din; k++)
                delta2[k] = in[k] > 0.0f ? delta2[k] : 0.0f;
            float *t = delta;
            delta = delta2;
            delta2 = t;
        } else if (dx) {
            rr_gemm_rows(1, B, din, dout, delta, dout, w, dout, 0, dx, din);
        }
    }
}

float rr_mlp_backward(const rr_mlp_t *mlp, const float *x, int B, float *ws, const float *labels,
                      const float *weights, float *grads, float *dx)
{
    float *delta = ws + delta_offset(mlp, B, 0);
    float loss = rr_bce_grad(ws_act(mlp, ws, B, mlp->nlayers), labels, weights, B, delta);
    backward_layers(mlp, x, B, ws, delta, grads, dx);
    return loss;
}

void rr_mlp_backward_logits(const rr_mlp_t *mlp, const float *x, int B, float *ws,
                            const float *dlogit, float *grads, float *dx)
{
    float *delta = ws + delta_offset(mlp, B, 0);
    memcpy(delta, dlogit, (size_t)B * sizeof(float));
    backward_layers(mlp, x, B, ws, delta, grads, dx);
}
