/* rr_learner_train.c — test-then-train on one event: negatives (impressions, then a unigram
 * table ∝ interactions^0.75 as in word2vec), one weighted-BCE step through the MLP and back
 * into the embedding rows of the batch; see rr_learner.h. */
#include <math.h>
#include <string.h>
#include "rr_learner.h"
#include "rr_learner_internal.h"

static size_t item_bound(const rr_learner_t *lr, const rr_store_t *st)
{
    size_t bound = rr_intern_bound(&st->items);
    return bound < lr->items_max ? bound : lr->items_max;
}

/* Fills the table so that item i takes a share ∝ interactions_i^0.75 of its entries.
 * O(items + table); run every sampler_every steps, so a few operations per event. */
static void sampler_build(rr_learner_t *lr, const rr_store_t *st)
{
    size_t bound = item_bound(lr, st);
    double total = 0.0;
    for (size_t i = 0; i < bound; i++)
        if (st->item[i].available) total += pow((double)st->item[i].interactions, 0.75);
    lr->nsampler = 0;
    if (!(total > 0)) return;
    uint32_t size = lr->cfg.sampler_size, j = 0;
    double cum = 0.0;
    for (size_t i = 0; i < bound && j < size; i++) {
        if (!st->item[i].available || st->item[i].interactions == 0) continue;
        cum += pow((double)st->item[i].interactions, 0.75) / total;
        double end = cum * size;
        while (j < size && (double)j < end) lr->sampler[j++] = (uint32_t)i;
    }
    lr->nsampler = j;
}

/* Rebuilt at steps 0, 1, 2, 4, ... while the catalog warms up, then every sampler_every. */
static void sampler_maybe_build(rr_learner_t *lr, const rr_store_t *st)
{
    uint64_t s = lr->steps, every = lr->cfg.sampler_every;
    if (s % every == 0 || (s < every && (s & (s - 1)) == 0)) sampler_build(lr, st);
}

static int in_batch(const rr_learner_t *lr, int n, uint32_t id)
{
    for (int k = 0; k < n; k++)
        if (lr->batch[k] == id) return 1;
    return 0;
}

/* batch[0] = pos, then up to `negatives` distinct negatives. Returns the batch size. */
static int pick_negatives(rr_learner_t *lr, const rr_store_t *st, uint32_t uid, uint32_t pos,
                          const uint32_t *impressions, size_t nimpressions)
{
    int n = 1, want = 1 + lr->cfg.negatives;
    size_t bound = item_bound(lr, st);
    lr->batch[0] = pos;
    for (size_t k = 0; k < nimpressions && n < want; k++) {
        uint32_t id = impressions[k];
        if (id < bound && !in_batch(lr, n, id)) lr->batch[n++] = id;
    }
    /* A few draws per slot from the table, then uniform ones: early tables hold only a few
     * items (maybe just the user's own), and a tiny catalog may not have enough at all. */
    for (int tries = 0; n < want && tries < 8 * want && bound > 1; tries++) {
        int table = lr->nsampler && tries < 4 * want;
        uint32_t id = table ? lr->sampler[rr_rng_below(&lr->rng, lr->nsampler)]
                            : rr_rng_below(&lr->rng, (uint32_t)bound);
        if (in_batch(lr, n, id) || rr_store_is_recent(st, uid, id)) continue;
        lr->batch[n++] = id;
    }
    return n;
}

/* dx (B×in_dim) -> rows. u appears in every batch row: du = Σ_b dx_u + dx_uv ⊙ v_b;
 * dv_b = dx_v + dx_uv ⊙ u; category/brand gradients are dx's columns for them. */
static void embed_step(rr_learner_t *lr, const rr_store_t *st, uint32_t uid, int B)
{
    int d = lr->cfg.dim, cd = lr->cfg.cat_dim, in = lr->in_dim;
    float *du = lr->gtmp;
    memset(du, 0, (size_t)d * sizeof(float));
    for (int b = 0; b < B; b++) {
        const float *x = lr->x + (size_t)b * in, *g = lr->dx + (size_t)b * in;
        float *gv = lr->gv + (size_t)b * d;
        for (int k = 0; k < d; k++) {
            du[k] += g[k] + g[2 * d + k] * x[d + k];
            gv[k] = g[d + k] + g[2 * d + k] * x[k];
        }
    }
    rr_optim_step_rows(&lr->opt_embed, lr->users.data, du, lr->st_users, &uid, 1, d);
    rr_embed_update(&lr->items, &lr->opt_embed, lr->st_items, lr->batch, B, lr->gv, d, lr->gtmp,
                    lr->rows_tmp);
    uint32_t brand_rows[1 + RR_LEARNER_MAX_NEG];
    for (int b = 0; b < B; b++)
        rr_learner_item_rows(lr, st, lr->batch[b], &lr->rows[b], &brand_rows[b]);
    rr_embed_update(&lr->cats, &lr->opt_embed, lr->st_cats, lr->rows, B, lr->dx + 3 * d, in,
                    lr->gtmp, lr->rows_tmp);
    rr_embed_update(&lr->brands, &lr->opt_embed, lr->st_brands, brand_rows, B, lr->dx + 3 * d + cd,
                    in, lr->gtmp, lr->rows_tmp);
}

float rr_learner_train(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                       uint32_t uid, uint32_t pos, rr_event_type_t type, int64_t ts_ms,
                       const uint32_t *impressions, size_t nimpressions, float *out_pos_prob)
{
    if (out_pos_prob) *out_pos_prob = 0.0f;
    lr->nbatch = 0;
    if (uid >= lr->users_max || pos >= item_bound(lr, st) || type <= RR_EV_NONE ||
        type >= RR_EV__COUNT || !(lr->cfg.weight[type] > 0))
        return -1.0f;
    sampler_maybe_build(lr, st);
    int B = pick_negatives(lr, st, uid, pos, impressions, nimpressions), in = lr->in_dim;
    lr->nbatch = B;
    float ufeat[RR_PORTRAIT_NUSER];
    rr_portrait_user_features(pt, st, uid, ts_ms, ufeat);
    for (int b = 0; b < B; b++) {
        rr_learner_build_row(lr, st, pt, uid, ufeat, lr->batch[b], lr->x + (size_t)b * in);
        lr->labels[b] = b == 0 ? 1.0f : 0.0f;
        lr->weights[b] = b == 0 ? lr->cfg.weight[type] : 1.0f;
    }
    /* Test: the positive's probability under the parameters before this event's step. */
    rr_mlp_forward(&lr->mlp, lr->x, B, lr->ws, lr->prob);
    if (out_pos_prob) *out_pos_prob = lr->prob[0];
    /* Train. */
    float loss =
        rr_mlp_backward(&lr->mlp, lr->x, B, lr->ws, lr->labels, lr->weights, lr->grads, lr->dx);
    size_t nmlp = lr->mlp.nparams;
    if (lr->cfg.clip > 0) {
        rr_clip_grad_norm(lr->grads, nmlp, lr->cfg.clip);
        rr_clip_grad_norm(lr->dx, (size_t)B * in, lr->cfg.clip);
    }
    rr_optim_step(&lr->opt_mlp, lr->params, lr->grads, lr->st_mlp, nmlp);
    embed_step(lr, st, uid, B);
    lr->steps++;
    return loss;
}
