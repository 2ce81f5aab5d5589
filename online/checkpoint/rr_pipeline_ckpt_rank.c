/* rr_pipeline_ckpt_rank.c — the learned ranker's state in and out of a checkpoint; see
 * rr_pipeline_ckpt_rank.h. */
#include "rr_pipeline_ckpt_rank.h"

void rr_pckpt_save_trend(rr_pckpt_enc_t *e, const rr_trending_t *tr, size_t bound)
{
    rr_pckpt_u64(e, (uint64_t)tr->t0_ms);
    rr_pckpt_f64(e, tr->scale);
    rr_pckpt_u64(e, (uint64_t)tr->t_last);
    rr_pckpt_u32(e, tr->ntop);
    for (uint32_t k = 0; k < tr->ntop; k++) rr_pckpt_u32(e, tr->top[k]);
    rr_pckpt_u64(e, bound);
    rr_pckpt_f32s(e, tr->score, bound);
}

void rr_pckpt_read_ids(rr_ckpt_cursor_t *c, uint32_t *set, uint32_t n, size_t max)
{
    for (uint32_t k = 0; k < n && !c->err; k++) {
        set[k] = rr_ckpt_read_u32(c);
        if (set[k] >= max && !c->err) c->err = RR_E(DECODE);
    }
}

void rr_pckpt_load_trend(rr_ckpt_cursor_t *c, rr_trending_t *tr)
{
    tr->t0_ms = (int64_t)rr_ckpt_read_u64(c);
    tr->scale = rr_pckpt_read_f64(c);
    tr->t_last = (int64_t)rr_ckpt_read_u64(c);
    tr->ntop = rr_ckpt_read_u32(c);
    if (tr->ntop > RR_TRENDING_TOP && !c->err) c->err = RR_E(DECODE);
    rr_pckpt_read_ids(c, tr->top, c->err ? 0 : tr->ntop, tr->max_items);
    uint64_t bound = rr_ckpt_read_u64(c);
    if (bound > tr->max_items && !c->err) c->err = RR_E(DECODE);
    rr_ckpt_read_f32s(c, tr->score, c->err ? 0 : (size_t)bound);
}

static void save_ranker(const rr_ranker_t *rk, rr_pckpt_enc_t *e)
{
    rr_pckpt_u64(e, rk->steps);
    rr_pckpt_u64(e, (uint64_t)rk->opt.t);
    rr_pckpt_f32s(e, rk->params, rk->nparams);
    rr_pckpt_f32s(e, rk->state, rk->nparams);
    for (int k = 0; k < rk->nfeat; k++) {
        rr_pckpt_u64(e, (uint64_t)rk->norm[k].count);
        rr_pckpt_f64(e, rk->norm[k].mean);
        rr_pckpt_f64(e, rk->norm[k].m2);
    }
    rr_pckpt_u32(e, (uint32_t)rk->nrows);
    rr_pckpt_f32s(e, rk->x, (size_t)rk->nrows * (size_t)rk->nfeat);
    rr_pckpt_f32s(e, rk->labels, (size_t)rk->nrows);
    rr_pckpt_f32s(e, rk->weights, (size_t)rk->nrows);
}

static void load_ranker(rr_ranker_t *rk, rr_ckpt_cursor_t *c)
{
    rk->steps = rr_ckpt_read_u64(c);
    rk->opt.t = (int64_t)rr_ckpt_read_u64(c);
    rr_ckpt_read_f32s(c, rk->params, rk->nparams);
    rr_ckpt_read_f32s(c, rk->state, rk->nparams);
    for (int k = 0; k < rk->nfeat; k++) {
        rk->norm[k].count = (int64_t)rr_ckpt_read_u64(c);
        rk->norm[k].mean = rr_pckpt_read_f64(c);
        rk->norm[k].m2 = rr_pckpt_read_f64(c);
    }
    uint32_t nrows = rr_ckpt_read_u32(c);
    if (nrows > (uint32_t)rk->max_rows && !c->err) c->err = RR_E(DECODE);
    if (c->err) return;
    rk->nrows = (int)nrows;
    rr_ckpt_read_f32s(c, rk->x, (size_t)nrows * (size_t)rk->nfeat);
    rr_ckpt_read_f32s(c, rk->labels, nrows);
    rr_ckpt_read_f32s(c, rk->weights, nrows);
    rr_ranker_restored(rk);
}

void rr_pckpt_save_rank(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    size_t bound = pl->store.items.next_id;
    rr_pckpt_begin(e, RR_PCKPT_RANK, 0);
    for (int h = 0; h < RR_NTRENDS; h++) rr_pckpt_save_trend(e, &pl->trends[h], bound);
    rr_pckpt_u64(e, bound);
    for (size_t i = 0; i < bound; i++) rr_pckpt_u64(e, (uint64_t)pl->item_first_ms[i]);
    for (size_t i = 0; i < bound; i++) rr_pckpt_u64(e, (uint64_t)pl->item_last_ms[i]);
    size_t cats = pl->store.categories.next_id;
    if (cats > pl->store.items_max) cats = pl->store.items_max;
    rr_pckpt_u64(e, cats);
    for (size_t c = 0; c < cats; c++) rr_pckpt_u32(e, pl->cat_leader[c]);
    save_ranker(&pl->ranker, e);
    rr_pckpt_u64(e, pl->rank_rng);
    rr_pckpt_end(e);
}

rr_err_t rr_pckpt_load_rank(const rr_pckpt_dec_t *d)
{
    rr_pipeline_t *pl = d->pl;
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_PCKPT_RANK, &c);
    if (err) return err;
    for (int h = 0; h < RR_NTRENDS && !c.err; h++) rr_pckpt_load_trend(&c, &pl->trends[h]);
    uint64_t bound = rr_ckpt_read_u64(&c);
    if (bound > pl->store.items_max && !c.err) c.err = RR_E(DECODE);
    for (size_t i = 0; i < bound && !c.err; i++)
        pl->item_first_ms[i] = (int64_t)rr_ckpt_read_u64(&c);
    for (size_t i = 0; i < bound && !c.err; i++)
        pl->item_last_ms[i] = (int64_t)rr_ckpt_read_u64(&c);
    uint64_t cats = rr_ckpt_read_u64(&c);
    if (cats > pl->store.items_max && !c.err) c.err = RR_E(DECODE);
    for (size_t k = 0; k < cats && !c.err; k++) {
        uint32_t lead = rr_ckpt_read_u32(&c);
        if (lead != RR_INTERN_NONE && lead >= bound && !c.err) c.err = RR_E(DECODE);
        pl->cat_leader[k] = lead;
    }
    if (!c.err) load_ranker(&pl->ranker, &c);
    pl->rank_rng = rr_ckpt_read_u64(&c);
    return rr_pckpt_close(d, &c, "RANK");
}
