/* train_toy.h — a fixed-seed synthetic online-learning task shared by the golden-loss and the
 * determinism tests: items with a hidden quality, a logistic teacher on dense features, an MLP
 * over [item embedding ; features] trained with Adam, the embedding table with sparse Adagrad. */
#ifndef TRAIN_TOY_H
#define TRAIN_TOY_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rr_embed.h"
#include "rr_mlp.h"
#include "rr_optim.h"
#include "rr_rng.h"

enum { TOY_ITEMS = 50, TOY_EMB = 4, TOY_FEAT = 6, TOY_IN = TOY_EMB + TOY_FEAT, TOY_B = 5 };
enum { TOY_EVAL = 256, TOY_STEPS = 200, TOY_EVERY = 20 };

typedef struct {
    rr_mlp_t mlp;
    rr_optim_t opt, opt_emb;
    rr_embed_t table;
    float *params, *grads, *opt_state, *ws, *emb, *emb_state;
    rr_rng_t data_rng;
    float teacher[TOY_FEAT], quality[TOY_ITEMS];
    /* The held-out set, drawn once from its own stream. */
    uint32_t eval_item[TOY_EVAL];
    float eval_feat[TOY_EVAL][TOY_FEAT], eval_label[TOY_EVAL];
} toy_t;

/* One example: item, features and a Bernoulli label from the teacher. */
static void toy_example(toy_t *toy, rr_rng_t *rng, uint32_t *item, float *feat, float *label)
{
    *item = rr_rng_below(rng, TOY_ITEMS);
    double z = 1.5 * toy->quality[*item];
    for (int k = 0; k < TOY_FEAT; k++) {
        feat[k] = rr_rng_normal(rng);
        z += toy->teacher[k] * feat[k];
    }
    *label = rr_rng_uniform(rng) < 1.0 / (1.0 + exp(-z)) ? 1.0f : 0.0f;
}

static void toy_init(toy_t *toy, uint64_t seed)
{
    memset(toy, 0, sizeof(*toy));
    rr_mlp_config_t cfg = {.in_dim = TOY_IN, .nhidden = 2, .hidden = {16, 8}, .seed = seed};
    size_t np = rr_mlp_param_count(&cfg);
    toy->params = malloc(np * sizeof(float));
    toy->grads = malloc(np * sizeof(float));
    toy->opt_state = calloc(rr_optim_state_floats(RR_OPTIM_ADAM, np), sizeof(float));
    toy->ws = malloc(rr_mlp_workspace_floats(&cfg, TOY_EVAL) * sizeof(float));
    toy->emb = malloc(rr_embed_floats(TOY_ITEMS, TOY_EMB) * sizeof(float));
    toy->emb_state =
        calloc(TOY_ITEMS * rr_optim_row_state_floats(RR_OPTIM_ADAGRAD, TOY_EMB), sizeof(float));
    rr_mlp_init(&toy->mlp, &cfg, toy->params);
    toy->opt = rr_optim_default(RR_OPTIM_ADAM, 0.01f);
    toy->opt_emb = rr_optim_default(RR_OPTIM_ADAGRAD, 0.1f);

    rr_rng_t rng;
    rr_rng_seed(&rng, seed ^ 0x5eedULL);
    rr_embed_init(&toy->table, toy->emb, TOY_ITEMS, TOY_EMB, 0.1f, &rng);
    for (int k = 0; k < TOY_FEAT; k++) toy->teacher[k] = rr_rng_normal(&rng);
    for (int j = 0; j < TOY_ITEMS; j++) toy->quality[j] = rr_rng_normal(&rng);
    for (int i = 0; i < TOY_EVAL; i++)
        toy_example(toy, &rng, &toy->eval_item[i], toy->eval_feat[i], &toy->eval_label[i]);
    rr_rng_seed(&toy->data_rng, seed + 1);
}

static void toy_free(toy_t *toy)
{
    free(toy->params);
    free(toy->grads);
    free(toy->opt_state);
    free(toy->ws);
    free(toy->emb);
    free(toy->emb_state);
}

/* x (n×TOY_IN) = [embedding of item ; features] */
static void toy_inputs(const toy_t *toy, const uint32_t *items, float (*feat)[TOY_FEAT], int n,
                       float *x)
{
    rr_embed_gather(&toy->table, items, n, x, TOY_IN);
    for (int i = 0; i < n; i++) memcpy(x + i * TOY_IN + TOY_EMB, feat[i], sizeof(feat[i]));
}

/* Mean BCE over the held-out set, in double from the logits (stable form). */
static double toy_eval(toy_t *toy)
{
    static float x[TOY_EVAL * TOY_IN];
    toy_inputs(toy, toy->eval_item, toy->eval_feat, TOY_EVAL, x);
    rr_mlp_forward(&toy->mlp, x, TOY_EVAL, toy->ws, NULL);
    double loss = 0.0;
    for (int i = 0; i < TOY_EVAL; i++) {
        double z = rr_mlp_logit(&toy->mlp, toy->ws, TOY_EVAL, i), y = toy->eval_label[i];
        loss += fmax(z, 0.0) - z * y + log1p(exp(-fabs(z)));
    }
    return loss / TOY_EVAL;
}

/* One online step on a fresh batch; returns the training loss. */
static float toy_step(toy_t *toy)
{
    uint32_t items[TOY_B], rows_scratch[TOY_B];
    float feat[TOY_B][TOY_FEAT], labels[TOY_B], weights[TOY_B];
    float x[TOY_B * TOY_IN], dx[TOY_B * TOY_IN], scratch[TOY_B * TOY_EMB];
    for (int i = 0; i < TOY_B; i++) {
        toy_example(toy, &toy->data_rng, &items[i], feat[i], &labels[i]);
        weights[i] = labels[i] > 0.5f ? 2.0f : 1.0f; /* like event-type weights */
    }
    toy_inputs(toy, items, feat, TOY_B, x);
    rr_mlp_forward(&toy->mlp, x, TOY_B, toy->ws, NULL);
    float loss = rr_mlp_backward(&toy->mlp, x, TOY_B, toy->ws, labels, weights, toy->grads, dx);
    rr_clip_grad_norm(toy->grads, toy->mlp.nparams, 5.0f);
    rr_optim_step(&toy->opt, toy->params, toy->grads, toy->opt_state, toy->mlp.nparams);
    /* The first TOY_EMB columns of dx are the gradient wrt the item embeddings. */
    rr_embed_update(&toy->table, &toy->opt_emb, toy->emb_state, items, TOY_B, dx, TOY_IN, scratch,
                    rows_scratch);
    return loss;
}

#endif
