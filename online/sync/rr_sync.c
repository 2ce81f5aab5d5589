/* rr_sync.c — capturing a pipeline's shared-state changes and encoding them as a delta; see
 * rr_sync.h (layout in rr_sync_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_sync_internal.h"

#define RUN_GAP 8 /* zeros inside a run cost less than starting a new run */

int rr_sync_grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 256;
    while (n < need) n *= 2;
    void *p = realloc(*arr, n * size);
    if (!p) return -1;
    *arr = p;
    *cap = n;
    return 0;
}

void rr_sync_region(rr_sync_t *sy, int region, float **w, float **base, int64_t **fix, size_t *n)
{
    rr_pipeline_t *pl = sy->pl;
    *w = *base = NULL;
    *fix = NULL;
    *n = 0;
    if (region == 0 && sy->nmlp)
        *w = pl->learner.params, *base = sy->base, *fix = sy->fix, *n = sy->nmlp;
    if (region == 1 && sy->nhashed)
        *w = pl->learner.params + sy->hashed_at, *base = sy->base + sy->hashed_at,
        *fix = sy->fix + sy->hashed_at, *n = sy->nhashed;
    if (region == 2 && sy->nranker)
        *w = pl->ranker.params, *base = sy->rbase, *fix = sy->rfix, *n = sy->nranker;
    if (region == 3 && sy->nranker)
        *w = pl->ranker.state, *base = sy->sbase, *fix = sy->sfix, *n = sy->nranker;
    if (region == 4 && sy->nmlp_state)
        *w = pl->learner.state, *base = sy->lbase, *fix = sy->lfix, *n = sy->nmlp_state;
    if (region == 5 && sy->nhashed_state)
        *w = pl->learner.state + sy->hashed_state_at, *base = sy->lbase + sy->hashed_state_at,
        *fix = sy->lfix + sy->hashed_state_at, *n = sy->nhashed_state;
}

void rr_sync_row_base(rr_sync_t *sy, uint32_t iid)
{
    uint64_t bit = 1ULL << (iid % 64);
    if (sy->base_ready[iid / 64] & bit) return;
    size_t at = sy->items_at + (size_t)iid * sy->dim;
    rr_sync_take(rr_learner_item_row(&sy->pl->learner, iid), sy->base + at, sy->fix + at,
                 (size_t)sy->dim);
    at = sy->items_state_at + (size_t)iid * sy->row_state;
    rr_sync_take(sy->pl->learner.state + at, sy->lbase + at, sy->lfix + at, sy->row_state);
    sy->base_ready[iid / 64] |= bit;
}

static void on_item_hit(void *opaque, const rr_item_hit_t *hit)
{
    rr_sync_t *sy = opaque;
    if (sy->muted) return;
    if (rr_sync_grow((void **)&sy->hits, &sy->hits_cap, sy->nhits + 1, sizeof(*sy->hits)) ||
        rr_sync_grow((void **)&sy->recent, &sy->recent_cap, sy->nrecent + hit->nrecent,
                     sizeof(*sy->recent)))
        return; /* out of memory: the peers miss this hit (the local state has it) */
    rr_sync_hit_t *h = &sy->hits[sy->nhits++];
    h->ts_ms = hit->ts_ms;
    h->iid = hit->iid;
    memcpy(h->seg, hit->seg, sizeof(h->seg));
    h->recent_at = (uint32_t)sy->nrecent;
    h->nrecent = (uint32_t)hit->nrecent;
    h->type = (uint8_t)hit->type;
    if (hit->nrecent) /* recent is NULL until the first hit with recent items */
        memcpy(sy->recent + sy->nrecent, hit->recent, hit->nrecent * sizeof(*sy->recent));
    sy->nrecent += hit->nrecent;
}

static void touch_row(rr_sync_t *sy, uint32_t iid)
{
    uint64_t bit = 1ULL << (iid % 64);
    if (iid >= sy->pl->learner.items_max || (sy->touched_bits[iid / 64] & bit)) return;
    rr_sync_row_base(sy, iid);
    sy->touched_bits[iid / 64] |= bit;
    sy->touched[sy->ntouched++] = iid;
}

/* Every item row the step will move: each row's item and the items averaged into u. */
static void on_train(void *opaque, const rr_learner_stage_t *sg)
{
    rr_sync_t *sy = opaque;
    sy->trained = 1;
    for (int r = 0; r < sg->nrows; r++) touch_row(sy, sg->item[r]);
    for (int e = 0; e < sg->nevents; e++)
        for (int j = 0; j < sg->nuitems[e]; j++)
            touch_row(sy, sg->uitems[e * RR_LEARNER_USER_ITEMS + j]);
}

static int alloc_all(rr_sync_t *sy, size_t items_max)
{
    rr_pipeline_t *pl = sy->pl;
    size_t words = items_max / 64 + 1, widest = 1;
    sy->touched = calloc(items_max + 1, sizeof(*sy->touched));
    sy->touched_bits = calloc(words, sizeof(uint64_t));
    sy->base_ready = calloc(words, sizeof(uint64_t));
    sy->listed = calloc(items_max + 1, sizeof(uint32_t));
    for (int k = 0; k < 3; k++) {
        sy->str_stamp[k] = calloc(items_max + 1, sizeof(uint32_t));
        sy->str_idx[k] = calloc(items_max + 1, sizeof(uint32_t));
        if (!sy->str_stamp[k] || !sy->str_idx[k]) return -1;
    }
    /* Item rows' bases are taken on first sight (rr_sync_row_base): calloc'ed pages of rows
     * never synced cost no memory. */
    if (pl->model_on) {
        sy->base = malloc(pl->learner.nparams * sizeof(float));
        sy->fix = calloc(pl->learner.nparams, sizeof(int64_t));
        sy->lbase = malloc((pl->learner.nstate ? pl->learner.nstate : 1) * sizeof(float));
        sy->lfix = calloc(pl->learner.nstate ? pl->learner.nstate : 1, sizeof(int64_t));
        if (!sy->base || !sy->fix || !sy->lbase || !sy->lfix) return -1;
    }
    if (sy->nranker) {
        sy->rbase = malloc(sy->nranker * sizeof(float));
        sy->sbase = malloc(sy->nranker * sizeof(float));
        sy->rfix = malloc(sy->nranker * sizeof(int64_t));
        sy->sfix = malloc(sy->nranker * sizeof(int64_t));
        if (!sy->rbase || !sy->sbase || !sy->rfix || !sy->sfix) return -1;
    }
    widest = sy->nmlp > widest ? sy->nmlp : widest;
    widest = sy->nhashed > widest ? sy->nhashed : widest;
    widest = sy->nranker > widest ? sy->nranker : widest;
    widest = (size_t)sy->dim > widest ? (size_t)sy->dim : widest;
    widest = sy->nmlp_state > widest ? sy->nmlp_state : widest;
    widest = sy->nhashed_state > widest ? sy->nhashed_state : widest;
    widest = sy->row_state > widest ? sy->row_state : widest;
    sy->scratch = malloc(widest * sizeof(float));
    sy->decoded = malloc(widest * sizeof(float));
    return sy->touched && sy->touched_bits && sy->base_ready && sy->listed && sy->scratch &&
                   sy->decoded
               ? 0
               : -1;
}

/* The dense regions' bases are the weights, the rows' are taken anew on first sight. */
static void take_all(rr_sync_t *sy)
{
    for (int r = 0; r < RR_SYNC_REGIONS; r++) {
        float *w, *base;
        int64_t *fix;
        size_t n;
        rr_sync_region(sy, r, &w, &base, &fix, &n);
        if (n) rr_sync_take(w, base, fix, n);
    }
    if (sy->base_ready)
        memset(sy->base_ready, 0, (sy->pl->store.items_max / 64 + 1) * sizeof(uint64_t));
    rr_sync_norm_take(sy);
    sy->synced = 0;
}

rr_sync_t *rr_sync_new(rr_pipeline_t *pl, rr_sync_quant_t q, char *errstr, size_t errlen)
{
    rr_sync_t *sy = calloc(1, sizeof(*sy));
    if (!sy) {
        snprintf(errstr, errlen, "sync: out of memory");
        return NULL;
    }
    sy->pl = pl;
    sy->quant = q;
    size_t items_max = pl->store.items_max;
    if (pl->model_on) {
        sy->dim = pl->learner.cfg.dim;
        sy->nmlp = pl->learner.mlp.nparams;
        sy->items_at = sy->nmlp;
        sy->hashed_at = sy->items_at + pl->learner.items_max * (size_t)sy->dim;
        sy->nhashed = pl->learner.nparams - sy->hashed_at;
        sy->nmlp_state = rr_optim_state_floats(pl->learner.cfg.optim, sy->nmlp);
        sy->hashed_state_at = (size_t)(pl->learner.st_cats - pl->learner.state);
        sy->nhashed_state = pl->learner.nstate - sy->hashed_state_at;
        sy->row_state = rr_optim_row_state_floats(pl->learner.cfg.optim, sy->dim);
        sy->items_state_at = (size_t)(pl->learner.st_items - pl->learner.state);
    }
    if (pl->ranker_on) sy->nranker = pl->ranker.nparams, sy->ranker_steps = pl->ranker.steps;
    if (alloc_all(sy, items_max)) {
        rr_sync_free(sy);
        snprintf(errstr, errlen, "sync: out of memory");
        return NULL;
    }
    take_all(sy);
    pl->hooks = (rr_pipeline_hooks_t){on_item_hit, on_train, sy};
    return sy;
}

void rr_sync_free(rr_sync_t *sy)
{
    if (!sy) return;
    if (sy->pl->hooks.opaque == sy) memset(&sy->pl->hooks, 0, sizeof(sy->pl->hooks));
    free(sy->hits);
    free(sy->recent);
    free(sy->touched);
    free(sy->touched_bits);
    free(sy->base_ready);
    free(sy->base);
    free(sy->rbase);
    free(sy->sbase);
    free(sy->lbase);
    free(sy->fix);
    free(sy->rfix);
    free(sy->sfix);
    free(sy->lfix);
    rr_sync_w_free(&sy->w);
    for (int k = 0; k < 3; k++) free(sy->str_stamp[k]), free(sy->str_idx[k]);
    free(sy->listed);
    free(sy->strs);
    free(sy->scratch);
    free(sy->decoded);
    free(sy->rstr);
    free(sy);
}

void rr_sync_mute(rr_sync_t *sy, int muted)
{
    sy->muted = muted;
}

void rr_sync_rebase(rr_sync_t *sy)
{
    take_all(sy); /* the next merge snaps again, from this base */
    for (size_t i = 0; i < sy->ntouched; i++) {
        uint32_t iid = sy->touched[i];
        sy->touched_bits[iid / 64] &= ~(1ULL << (iid % 64));
    }
    sy->ntouched = 0;
    sy->trained = 0;
    sy->ranker_steps = sy->nranker ? sy->pl->ranker.steps : 0;
}

const rr_sync_stats_t *rr_sync_stats(const rr_sync_t *sy)
{
    return &sy->stats;
}

int rr_sync_merge_rule(const char *name, int instances, rr_sync_merge_t *m)
{
    float mean = 1.0f / (float)(instances > 0 ? instances : 1);
    if (strcmp(name, "sum") == 0)
        *m = (rr_sync_merge_t){1.0f, 1.0f};
    else if (strcmp(name, "mean") == 0)
        *m = (rr_sync_merge_t){mean, mean};
    else if (strcmp(name, "dense_mean") == 0)
        *m = (rr_sync_merge_t){mean, 1.0f};
    else
        return -1;
    return 0;
}

int rr_sync_quant_parse(const char *name)
{
    if (strcmp(name, "f32") == 0) return RR_SYNC_F32;
    if (strcmp(name, "f16") == 0) return RR_SYNC_F16;
    if (strcmp(name, "int8") == 0) return RR_SYNC_INT8;
    return -1;
}

/* The delta's index of a string (kind, id), added on first use in this publication. */
static uint32_t str_of(rr_sync_t *sy, int kind, uint32_t id)
{
    if (sy->str_stamp[kind][id] == sy->stamp) return sy->str_idx[kind][id];
    if (rr_sync_grow((void **)&sy->strs, &sy->strs_cap, sy->nstrs + 1, sizeof(*sy->strs))) {
        sy->w.failed = 1;
        return 0;
    }
    sy->strs[sy->nstrs] = (rr_sync_str_t){(uint8_t)kind, id};
    sy->str_stamp[kind][id] = sy->stamp;
    sy->str_idx[kind][id] = (uint32_t)sy->nstrs;
    return (uint32_t)sy->nstrs++;
}

static const char *str_text(const rr_sync_t *sy, const rr_sync_str_t *s)
{
    const rr_store_t *st = &sy->pl->store;
    const rr_intern_t *in = s->kind == 0   ? &st->items
                            : s->kind == 1 ? &st->categories
                                           : &st->brands;
    const char *key = rr_intern_key(in, s->id);
    return key ? key : "";
}

/* Every string the delta names, in first-use order: hits (their items' categories and brands
 * too), their recent items, the touched rows. */
static void collect_strings(rr_sync_t *sy)
{
    const rr_store_t *st = &sy->pl->store;
    sy->nstrs = 0;
    for (size_t i = 0; i < sy->nhits; i++) {
        const rr_sync_hit_t *h = &sy->hits[i];
        str_of(sy, 0, h->iid);
        if (st->item[h->iid].category != RR_INTERN_NONE) str_of(sy, 1, st->item[h->iid].category);
        if (st->item[h->iid].brand != RR_INTERN_NONE) str_of(sy, 2, st->item[h->iid].brand);
        for (uint32_t k = 0; k < h->nrecent; k++) str_of(sy, 0, sy->recent[h->recent_at + k]);
    }
    for (size_t i = 0; i < sy->ntouched; i++) str_of(sy, 0, sy->touched[i]);
    rr_sync_w_var(&sy->w, sy->nstrs);
    for (size_t i = 0; i < sy->nstrs; i++) {
        const char *text = str_text(sy, &sy->strs[i]);
        size_t n = strlen(text);
        rr_sync_w_var(&sy->w, n);
        rr_sync_w_bytes(&sy->w, text, n);
    }
}

/* Each hit's item once, with its attributes as they are now. */
static void write_catalog(rr_sync_t *sy)
{
    const rr_store_t *st = &sy->pl->store;
    size_t n = 0;
    for (size_t i = 0; i < sy->nhits; i++) {
        uint32_t iid = sy->hits[i].iid;
        if (sy->listed[iid] != sy->stamp) n++;
        sy->listed[iid] = sy->stamp;
    }
    rr_sync_w_var(&sy->w, n);
    sy->stamp++; /* a second pass over the same marks; strings keep theirs */
    for (size_t i = 0; i < sy->nhits; i++) {
        uint32_t iid = sy->hits[i].iid;
        if (sy->listed[iid] == sy->stamp) continue;
        sy->listed[iid] = sy->stamp;
        const rr_item_t *it = &st->item[iid];
        rr_sync_w_var(&sy->w, sy->str_idx[0][iid]);
        rr_sync_w_var(&sy->w,
                      it->category == RR_INTERN_NONE ? 0 : sy->str_idx[1][it->category] + 1);
        rr_sync_w_var(&sy->w, it->brand == RR_INTERN_NONE ? 0 : sy->str_idx[2][it->brand] + 1);
        rr_sync_w_f32(&sy->w, it->price);
    }
    sy->stamp--;
}

static void write_hits(rr_sync_t *sy)
{
    rr_sync_w_var(&sy->w, sy->nhits);
    int64_t prev = 0;
    for (size_t i = 0; i < sy->nhits; i++) {
        const rr_sync_hit_t *h = &sy->hits[i];
        rr_sync_w_var(&sy->w, sy->str_idx[0][h->iid]);
        rr_sync_w_u8(&sy->w, h->type);
        rr_sync_w_svar(&sy->w, h->ts_ms - prev);
        prev = h->ts_ms;
        for (int k = 0; k < RR_SEGPOP_KINDS; k++) rr_sync_w_var(&sy->w, h->seg[k]);
        rr_sync_w_var(&sy->w, h->nrecent);
        for (uint32_t k = 0; k < h->nrecent; k++)
            rr_sync_w_var(&sy->w, sy->str_idx[0][sy->recent[h->recent_at + k]]);
    }
}

static void write_rows(rr_sync_t *sy, float s)
{
    size_t d = (size_t)sy->dim;
    rr_sync_w_var(&sy->w, sy->ntouched);
    for (size_t i = 0; i < sy->ntouched; i++) {
        uint32_t iid = sy->touched[i];
        float *w = rr_learner_item_row(&sy->pl->learner, iid);
        size_t at = sy->items_at + (size_t)iid * d;
        float *base = sy->base + at;
        for (size_t k = 0; k < d; k++) sy->scratch[k] = w[k] - base[k];
        rr_sync_w_var(&sy->w, sy->str_idx[0][iid]);
        rr_sync_w_vec(&sy->w, sy->quant, sy->scratch, d, sy->decoded);
        rr_sync_settle(sy, w, base, sy->fix + at, sy->scratch, sy->decoded, d, s);
        size_t rs = sy->row_state;
        at = sy->items_state_at + (size_t)iid * rs;
        float *ws = sy->pl->learner.state + at, *bs = sy->lbase + at;
        for (size_t k = 0; k < rs; k++) sy->scratch[k] = ws[k] - bs[k];
        rr_sync_w_vec(&sy->w, sy->quant, sy->scratch, rs, sy->decoded);
        rr_sync_settle(sy, ws, bs, sy->lfix + at, sy->scratch, sy->decoded, rs, 1.0f);
        sy->touched_bits[iid / 64] &= ~(1ULL << (iid % 64));
    }
}

/* The first k >= at with w[k] != base[k] (n if none); equal 64-byte blocks are skipped whole,
 * as most of the hashed rows are between two publications. */
static size_t next_change(const float *w, const float *base, size_t at, size_t n)
{
    for (;;) {
        while (at + 16 <= n && memcmp(w + at, base + at, 16 * sizeof(float)) == 0) at += 16;
        size_t stop = at + 16 < n ? at + 16 : n;
        for (; at < stop; at++)
            if (w[at] - base[at] != 0.0f) return at;
        if (at >= n) return n;
    }
}

/* The end of the run starting at `at`: past its last change followed by more than RUN_GAP
 * unchanged floats. */
static size_t run_end(const float *w, const float *base, size_t at, size_t n)
{
    size_t last = at;
    for (size_t k = at + 1; k < n && k - last <= RUN_GAP; k++)
        if (w[k] - base[k] != 0.0f) last = k;
    return last + 1;
}

/* A region's changed floats as runs: (skip from the previous run's end, length, values). */
static void write_region(rr_sync_t *sy, int region, int changed, float s)
{
    float *w, *base;
    int64_t *fix;
    size_t n, nruns = 0;
    rr_sync_region(sy, region, &w, &base, &fix, &n);
    if (!changed) n = 0;
    for (size_t at = next_change(w, base, 0, n); at < n;
         at = next_change(w, base, run_end(w, base, at, n), n))
        nruns++;
    rr_sync_w_var(&sy->w, nruns);
    size_t end = 0;
    for (size_t at = next_change(w, base, 0, n); at < n; at = next_change(w, base, end, n)) {
        size_t stop = run_end(w, base, at, n), len = stop - at;
        for (size_t k = 0; k < len; k++) sy->scratch[k] = w[at + k] - base[at + k];
        rr_sync_w_var(&sy->w, at - end);
        rr_sync_w_var(&sy->w, len);
        rr_sync_w_vec(&sy->w, sy->quant, sy->scratch, len, sy->decoded);
        rr_sync_settle(sy, w + at, base + at, fix + at, sy->scratch, sy->decoded, len, s);
        end = stop;
    }
}

/* The ranker's feature statistics and step count gained since the last publication (the peers
 * merge them as if they had trained on the rows too); the base takes them. */
static void write_ranker(rr_sync_t *sy, int moved)
{
    rr_ranker_t *rk = &sy->pl->ranker;
    int nfeat = sy->nranker ? rk->nfeat : 0;
    rr_sync_w_var(&sy->w, (uint64_t)nfeat);
    for (int k = 0; k < nfeat; k++) {
        rr_welford_t d;
        rr_welford_since(&rk->norm[k], &sy->nbase[k], &d);
        if (!moved) d.count = 0;
        rr_sync_w_var(&sy->w, (uint64_t)d.count);
        if (!d.count) continue;
        rr_sync_w_f64(&sy->w, d.mean);
        rr_sync_w_f64(&sy->w, d.m2);
        sy->nbase[k] = rk->norm[k];
        rr_sync_norm_add(sy, k, &d);
    }
    if (moved && sy->synced) rr_ranker_restored(rk);
    rr_sync_w_var(&sy->w, sy->nranker ? rk->steps - sy->ranker_steps : 0);
    sy->ranker_steps = sy->nranker ? rk->steps : 0;
}

static void write_header(rr_sync_t *sy)
{
    rr_sync_w_bytes(&sy->w, RR_SYNC_MAGIC, 4);
    rr_sync_w_u8(&sy->w, (uint8_t)sy->quant);
    rr_sync_w_var(&sy->w, (uint64_t)sy->dim);
    rr_sync_w_var(&sy->w, sy->nmlp);
    rr_sync_w_var(&sy->w, sy->nhashed);
    rr_sync_w_var(&sy->w, sy->nranker);
    rr_sync_w_var(&sy->w, sy->nmlp_state);
    rr_sync_w_var(&sy->w, sy->nhashed_state);
    rr_sync_w_var(&sy->w, sy->row_state);
}

rr_err_t rr_sync_publish(rr_sync_t *sy, const rr_sync_merge_t *m, const uint8_t **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (!sy->nhits && !sy->trained && (!sy->nranker || sy->pl->ranker.steps == sy->ranker_steps))
        return RR_OK;
    sy->w.len = 0;
    sy->w.failed = 0;
    sy->stamp += 2; /* write_catalog uses stamp + 1 */
    write_header(sy);
    collect_strings(sy);
    write_catalog(sy);
    write_hits(sy);
    write_rows(sy, m->rows);
    /* The MLP and hashed rows move only by training, the ranker by its own steps. */
    int ranker_moved = sy->nranker && sy->pl->ranker.steps != sy->ranker_steps;
    write_region(sy, 0, sy->trained, m->dense);
    write_region(sy, 1, sy->trained, m->rows);
    write_region(sy, 2, ranker_moved, m->dense);
    write_region(sy, 3, ranker_moved, 1.0f); /* squared gradients add, whatever the rule */
    write_region(sy, 4, sy->trained, 1.0f);
    write_region(sy, 5, sy->trained, 1.0f);
    write_ranker(sy, ranker_moved);
    sy->stats.hits_sent += sy->nhits;
    sy->stats.rows_sent += sy->ntouched;
    sy->nhits = sy->nrecent = sy->ntouched = 0;
    sy->trained = 0;
    if (m->dense != 1.0f || m->rows != 1.0f) sy->pl->epoch++; /* the own weights were scaled */
    if (sy->w.failed) return RR_E(NOMEM);
    sy->stats.published++;
    sy->stats.published_bytes += sy->w.len;
    *buf = sy->w.buf;
    *len = sy->w.len;
    return RR_OK;
}
