/* rr_learner_train.c — test-then-train in mini-batches of events: negatives (impressions, then a
 * unigram table ∝ interactions^0.75 as in word2vec) and input rows when an event is staged; one
 * weighted-BCE step through the MLP over every staged row, and back into the embedding rows;
 * see rr_learner.h. */
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

/* Rows (and their cost) grow with the stage; see rr_learner.h for the step's semantics. */
int rr_learner_stage(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                     uint32_t uid, uint32_t pos, rr_event_type_t type, int64_t ts_ms,
                     const uint32_t *impressions, size_t nimpressions)
{
    rr_learner_stage_t *sg = &lr->stage;
    lr->nbatch = 0;
    if (uid >= lr->users_max || pos >= item_bound(lr, st) || type <= RR_EV_NONE ||
        type >= RR_EV__COUNT || !(lr->cfg.weight[type] > 0) || rr_learner_stage_full(lr))
        return -1;
    sampler_maybe_build(lr, st);
    int B = pick_negatives(lr, st, uid, pos, impressions, nimpressions), in = lr->in_dim;
    lr->nbatch = B;
    int e = sg->nevents, r0 = sg->nrows;
    rr_learner_user_t uc;
    rr_learner_user_ctx(lr, st, pt, uid, ts_ms, &uc);
    sg->nuitems[e] = uc.nitems;
    memcpy(sg->uitems + e * RR_LEARNER_USER_ITEMS, uc.items, (size_t)uc.nitems * sizeof(uint32_t));
    /* Weights sum to 1 per event, so its loss is the weighted mean over its rows. */
    float wpos = lr->cfg.weight[type], wsum = wpos + (float)(B - 1);
    for (int b = 0; b < B; b++) {
        int r = r0 + b;
        rr_learner_build_row(lr, st, pt, uid, &uc, lr->batch[b], sg->x + (size_t)r * in);
        rr_learner_item_rows(lr, st, lr->batch[b], &sg->cat[r], &sg->brand[r]);
        memcpy(sg->demo + (size_t)r * RR_LEARNER_DEMO_KINDS, uc.demo, sizeof(uc.demo));
        sg->ntok[r] = (uint8_t)rr_learner_token_rows(lr, lr->batch[b],
                                                     sg->tok + (size_t)r * RR_TEXT_ITEM_TOKENS);
        sg->item[r] = lr->batch[b];
        sg->labels[r] = b == 0 ? 1.0f : 0.0f;
        sg->weights[r] = (b == 0 ? wpos : 1.0f) / wsum;
    }
    sg->uid[e] = uid;
    sg->first[e] = r0;
    sg->nevents = e + 1;
    sg->nrows = r0 + B;
    sg->first[e + 1] = sg->nrows;
    lr->steps++;
    return e;
}

static void scale(float *v, size_t n, float s)
{
    for (size_t k = 0; k < n; k++) v[k] *= s;
}

/* dx holds dLoss/dx of the mean over E events: back to each event's own gradient, clipped per
 * event as a one-event step would be. */
static void event_gradients(rr_learner_t *lr)
{
    rr_learner_stage_t *sg = &lr->stage;
    size_t in = (size_t)lr->in_dim;
    for (int e = 0; e < sg->nevents; e++) {
        float *g = sg->dx + (size_t)sg->first[e] * in;
        size_t n = (size_t)(sg->first[e + 1] - sg->first[e]) * in;
        if (sg->nevents > 1) scale(g, n, (float)sg->nevents);
        if (lr->cfg.clip > 0) rr_clip_grad_norm(g, n, lr->cfg.clip);
    }
}

/* Event e's user vector u is the mean of its n recent items' rows: each gets du_e / n. */
static int spread_user_gradients(rr_learner_stage_t *sg, int d, int at)
{
    for (int e = 0; e < sg->nevents; e++) {
        int n = sg->nuitems[e];
        const float *du = sg->du + (size_t)e * d;
        float share = n ? 1.0f / (float)n : 0.0f;
        for (int j = 0; j < n; j++, at++) {
            float *g = sg->gv + (size_t)at * d;
            sg->gitem[at] = sg->uitems[e * RR_LEARNER_USER_ITEMS + j];
            for (int k = 0; k < d; k++) g[k] = du[k] * share;
        }
    }
    return at;
}

/* The demographic rows get their dx columns: every row of an event names the same four, and
 * one update over all of them moves each row once by its summed gradient. */
static void demo_step(rr_learner_t *lr)
{
    rr_learner_stage_t *sg = &lr->stage;
    int dd = lr->cfg.demo_dim, in = lr->in_dim, n = sg->nrows * RR_LEARNER_DEMO_KINDS;
    if (!dd) return;
    for (int r = 0; r < sg->nrows; r++) {
        const float *g = sg->dx + (size_t)r * in + rr_learner_demo_col(lr);
        memcpy(sg->gt + (size_t)r * RR_LEARNER_DEMO_KINDS * dd, g,
               (size_t)(RR_LEARNER_DEMO_KINDS * dd) * sizeof(float));
    }
    rr_embed_update(&lr->demo, &lr->opt_embed, lr->st_demo, sg->demo, n, sg->gt, dd, sg->tmp,
                    sg->rows_tmp);
}

/* Row r = [... ; t ; tu ; tu⊙t ; ts ; ts⊙t ; ...]: dt = dx_t + dx_tut ⊙ tu + dx_tst ⊙ ts, and t is
 * the mean of the item's n token rows, so each gets dt / n. tu and ts are inputs only
 * (rr_learner_internal.h). */
static void text_step(rr_learner_t *lr)
{
    rr_learner_stage_t *sg = &lr->stage;
    int td = lr->cfg.text_dim, in = lr->in_dim, col = rr_learner_text_col(lr), ng = 0;
    if (!td) return;
    for (int r = 0; r < sg->nrows; r++) {
        int n = sg->ntok[r];
        const float *x = sg->x + (size_t)r * in + col, *g = sg->dx + (size_t)r * in + col;
        for (int j = 0; j < n; j++, ng++) {
            float *gt = sg->gt + (size_t)ng * td;
            sg->gtok[ng] = sg->tok[(size_t)r * RR_TEXT_ITEM_TOKENS + j];
            for (int k = 0; k < td; k++)
                gt[k] =
                    (g[k] + g[2 * td + k] * x[td + k] + g[4 * td + k] * x[3 * td + k]) / (float)n;
        }
    }
    if (ng)
        rr_embed_update(&lr->text, &lr->opt_embed, lr->st_text, sg->gtok, ng, sg->gt, td, sg->tmp,
                        sg->rows_tmp);
}

/* dx -> rows. Row r = [u ; v ; u⊙v ; ...] of event e: du_e = Σ_r dx_u + dx_uv ⊙ v_r, which
 * flows on to the items averaged into u, and dv_r = dx_v + dx_uv ⊙ u; category/brand gradients
 * are dx's columns for them. An item met more than once (a popular negative, a recent item of
 * several users) moves once by its summed gradient (rr_embed_update merges). */
static void embed_step(rr_learner_t *lr)
{
    rr_learner_stage_t *sg = &lr->stage;
    int d = lr->cfg.dim, cd = lr->cfg.cat_dim, in = lr->in_dim;
    memset(sg->du, 0, (size_t)sg->nevents * (size_t)d * sizeof(float));
    for (int e = 0; e < sg->nevents; e++) {
        float *du = sg->du + (size_t)e * d;
        for (int r = sg->first[e]; r < sg->first[e + 1]; r++) {
            const float *x = sg->x + (size_t)r * in, *g = sg->dx + (size_t)r * in;
            float *gv = sg->gv + (size_t)r * d;
            sg->gitem[r] = sg->item[r];
            for (int k = 0; k < d; k++) {
                du[k] += g[k] + g[2 * d + k] * x[d + k];
                gv[k] = g[d + k] + g[2 * d + k] * x[k];
            }
        }
    }
    int ngrads = spread_user_gradients(sg, d, sg->nrows);
    const rr_optim_t *opt = &lr->opt_embed;
    rr_embed_update(&lr->items, opt, lr->st_items, sg->gitem, ngrads, sg->gv, d, sg->tmp,
                    sg->rows_tmp);
    rr_embed_update(&lr->cats, opt, lr->st_cats, sg->cat, sg->nrows, sg->dx + 3 * d, in, sg->tmp,
                    sg->rows_tmp);
    rr_embed_update(&lr->brands, opt, lr->st_brands, sg->brand, sg->nrows, sg->dx + 3 * d + cd, in,
                    sg->tmp, sg->rows_tmp);
    demo_step(lr);
    text_step(lr);
}

float rr_learner_flush(rr_learner_t *lr)
{
    rr_learner_stage_t *sg = &lr->stage;
    if (sg->nevents == 0) return -1.0f;
    int R = sg->nrows;
    /* Test: every row's probability under the parameters before this step. */
    rr_mlp_forward(&lr->mlp, sg->x, R, sg->ws, sg->prob);
    /* Train. The weights sum to nevents, so the loss is the mean of the events' losses. */
    float loss =
        rr_mlp_backward(&lr->mlp, sg->x, R, sg->ws, sg->labels, sg->weights, lr->grads, sg->dx);
    size_t nmlp = lr->mlp.nparams;
    if (lr->cfg.clip > 0) rr_clip_grad_norm(lr->grads, nmlp, lr->cfg.clip);
    rr_optim_step(&lr->opt_mlp, lr->params, lr->grads, lr->st_mlp, nmlp);
    event_gradients(lr);
    embed_step(lr);
    sg->nevents = sg->nrows = 0;
    lr->flushes++;
    lr->rows_trained += (uint64_t)R;
    return loss;
}

void rr_learner_forget_user(rr_learner_t *lr, uint32_t uid)
{
    for (int e = 0; e < lr->stage.nevents; e++)
        if (lr->stage.uid[e] == uid) lr->stage.uid[e] = RR_INTERN_NONE;
}

float rr_learner_train(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                       uint32_t uid, uint32_t pos, rr_event_type_t type, int64_t ts_ms,
                       const uint32_t *impressions, size_t nimpressions, float *out_pos_prob)
{
    if (out_pos_prob) *out_pos_prob = 0.0f;
    if (rr_learner_stage_full(lr)) rr_learner_flush(lr);
    int e = rr_learner_stage(lr, st, pt, uid, pos, type, ts_ms, impressions, nimpressions);
    if (e < 0) return -1.0f;
    int nb = lr->nbatch;
    int first = lr->stage.first[e];
    float loss = rr_learner_flush(lr);
    lr->nbatch = nb;
    if (out_pos_prob) *out_pos_prob = lr->stage.prob[first];
    return loss;
}
