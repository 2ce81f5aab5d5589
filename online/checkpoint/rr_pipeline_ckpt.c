/* rr_pipeline_ckpt.c — checkpointing of the pipeline's shared state: config fingerprint,
 * counters, catalog and its intern tables, co-occurrence, trending, de-duplication, RNGs and
 * the model's shared parameters and optimiser state. Per-user state: rr_pipeline_ckpt_users.c. */
#include <stdlib.h>
#include "rr_pipeline_ckpt.h"
#include "rr_pipeline_ckpt_codec.h"
#include "rr_pipeline_ckpt_demo.h"
#include "rr_pipeline_ckpt_rank.h"
#include "rr_pipeline_ckpt_text.h"
#include "rr_pipeline_ckpt_users.h"

/* ---- META: the config fingerprint and the pipeline's counters ---------------------------- */

/* X(name, value): everything that sizes or shapes the state, so a checkpoint loads only into an
 * equal one. name is what a refused load reports; value is read in fingerprint(), where pl, st
 * (its store) and lr (its learner) are in scope and MODEL(x) is x with the model on, else 0
 * (RANKER(x) likewise with the learned ranker).
 * The order is the file's. */
#define RR_PCKPT_FINGERPRINT_MAP(X)                                                                \
    X("users.max", st->users_max)                                                                  \
    X("items.max", st->items_max)                                                                  \
    X("recs.recent", st->nrecent_max)                                                              \
    X("recs.n", st->list_max)                                                                      \
    X("model.enabled", (uint64_t)pl->model_on)                                                     \
    X("dedupe slots", pl->dedupe.cap)                                                              \
    X("dedupe.window/2", pl->dedupe.limit)                                                         \
    X("cooc.max_neighbors", pl->cooc.max_neighbors)                                                \
    X("trending half-life", f64_bits(pl->trending.half_life_ms))                                   \
    X("portrait half-life", f64_bits(pl->portrait.half_life_ms))                                   \
    X("event types", RR_EV__COUNT)                                                                 \
    X("RR_BOUGHT_MAX", RR_BOUGHT_MAX)                                                              \
    X("RR_SEEN_WORDS", RR_SEEN_WORDS)                                                              \
    X("RR_SHOWN_MAX", RR_SHOWN_MAX)                                                                \
    X("RR_PORTRAIT_TOPK", RR_PORTRAIT_TOPK)                                                        \
    X("RR_TRENDING_TOP", RR_TRENDING_TOP)                                                          \
    X("RR_CATTOP_K", RR_CATTOP_K)                                                                  \
    X("RR_ID_MAX", RR_ID_MAX)                                                                      \
    X("cattop categories", pl->cattop.cats_max)                                                    \
    X("model.dim", MODEL(lr->cfg.dim))                                                             \
    X("category rows", MODEL(lr->cfg.cat_rows))                                                    \
    X("brand rows", MODEL(lr->cfg.brand_rows))                                                     \
    X("category dim", MODEL(lr->cfg.cat_dim))                                                      \
    X("brand dim", MODEL(lr->cfg.brand_dim))                                                       \
    X("model.demo_rows", MODEL(lr->demo.nrows))                                                    \
    X("model.demo_dim", MODEL(lr->cfg.demo_dim))                                                   \
    X("model.text_rows", MODEL(lr->text.nrows))                                                    \
    X("model.text_dim", MODEL(lr->cfg.text_dim))                                                   \
    X("hidden layers", MODEL(lr->cfg.nhidden))                                                     \
    X("hidden[0]", MODEL(lr->cfg.hidden[0]))                                                       \
    X("hidden[1]", MODEL(lr->cfg.hidden[1]))                                                       \
    X("hidden[2]", MODEL(lr->cfg.hidden[2]))                                                       \
    X("hidden[3]", MODEL(lr->cfg.hidden[3]))                                                       \
    X("model.optimizer", MODEL(lr->cfg.optim))                                                     \
    X("model parameters", MODEL(lr->nparams))                                                      \
    X("optimiser state", MODEL(lr->nstate))                                                        \
    X("sampler size", MODEL(lr->cfg.sampler_size))                                                 \
    X("model.seed", MODEL(lr->cfg.seed))                                                           \
    X("recs.ranker", (uint64_t)pl->ranker_on)                                                      \
    X("ranker features", RANKER(pl->ranker.nfeat))                                                 \
    X("ranker parameters", RANKER(pl->ranker.nparams))                                             \
    X("ranker rows", RANKER(pl->ranker.max_rows))                                                  \
    X("ranker trends", RANKER(RR_NTRENDS))

#define FP_NAME(name, value) name,
static const char *const fp_names[] = {RR_PCKPT_FINGERPRINT_MAP(FP_NAME)};
#undef FP_NAME
enum { NFP = sizeof(fp_names) / sizeof(fp_names[0]) };

static uint64_t f64_bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    return u;
}

static void fingerprint(const rr_pipeline_t *pl, uint64_t fp[NFP])
{
    const rr_store_t *st = &pl->store;
    const rr_learner_t *lr = &pl->learner;
#define MODEL(x)              (pl->model_on ? (uint64_t)(x) : 0)
#define RANKER(x)             (pl->ranker_on ? (uint64_t)(x) : 0)
#define FP_VALUE(name, value) value,
    const uint64_t v[NFP] = {RR_PCKPT_FINGERPRINT_MAP(FP_VALUE)};
#undef FP_VALUE
#undef MODEL
#undef RANKER
    memcpy(fp, v, sizeof(v));
}

static void save_counters(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    const rr_preq_t *q = &pl->preq;
    rr_pckpt_u64(e, pl->events_total);
    for (int t = 0; t < RR_EV__COUNT; t++) rr_pckpt_u64(e, pl->by_type[t]);
    uint64_t c[] = {pl->dropped_full, pl->duplicates, pl->flooded,  pl->evicted, pl->expired,
                    q->targets,       q->hits10,      q->logloss_n, q->auc_pairs};
    for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) rr_pckpt_u64(e, c[k]);
    rr_pckpt_f64(e, q->ndcg10);
    rr_pckpt_f64(e, q->logloss_sum);
    rr_pckpt_f64(e, q->auc_wins);
    rr_pckpt_u32(e, pl->sweep_hand);
    rr_pckpt_u64(e, (uint64_t)pl->portrait.now_ms);
    rr_pckpt_u64(e, (uint64_t)pl->portrait.log_price.count);
    rr_pckpt_f64(e, pl->portrait.log_price.mean);
    rr_pckpt_f64(e, pl->portrait.log_price.m2);
}

static void load_counters(rr_pipeline_t *pl, rr_ckpt_cursor_t *c)
{
    rr_preq_t *q = &pl->preq;
    pl->events_total = rr_ckpt_read_u64(c);
    for (int t = 0; t < RR_EV__COUNT; t++) pl->by_type[t] = rr_ckpt_read_u64(c);
    uint64_t *dst[] = {&pl->dropped_full, &pl->duplicates, &pl->flooded,
                       &pl->evicted,      &pl->expired,    &q->targets,
                       &q->hits10,        &q->logloss_n,   &q->auc_pairs};
    for (size_t k = 0; k < sizeof(dst) / sizeof(dst[0]); k++) *dst[k] = rr_ckpt_read_u64(c);
    q->ndcg10 = rr_pckpt_read_f64(c);
    q->logloss_sum = rr_pckpt_read_f64(c);
    q->auc_wins = rr_pckpt_read_f64(c);
    pl->sweep_hand = rr_ckpt_read_u32(c);
    pl->portrait.now_ms = (int64_t)rr_ckpt_read_u64(c);
    pl->portrait.log_price.count = (int64_t)rr_ckpt_read_u64(c);
    pl->portrait.log_price.mean = rr_pckpt_read_f64(c);
    pl->portrait.log_price.m2 = rr_pckpt_read_f64(c);
}

static void save_meta(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    uint64_t fp[NFP];
    fingerprint(pl, fp);
    rr_pckpt_begin(e, RR_CKPT_META, 0);
    rr_pckpt_u32(e, NFP);
    for (int k = 0; k < NFP; k++) rr_pckpt_u64(e, fp[k]);
    save_counters(pl, e);
    rr_pckpt_end(e);
}

static rr_err_t load_meta(const rr_pckpt_dec_t *d)
{
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_CKPT_META, &c);
    if (err) return err;
    uint64_t fp[NFP];
    fingerprint(d->pl, fp);
    if (rr_ckpt_read_u32(&c) != NFP)
        return rr_pckpt_fail(d, RR_E(CONFIG), "META", "fingerprint of another layout");
    for (int k = 0; k < NFP; k++) {
        uint64_t v = rr_ckpt_read_u64(&c);
        if (v == fp[k] || c.err) continue;
        char why[160];
        snprintf(why, sizeof(why), "incompatible config: %s is %llu in the checkpoint, %llu here",
                 fp_names[k], (unsigned long long)v, (unsigned long long)fp[k]);
        return rr_pckpt_fail(d, RR_E(CONFIG), "META", why);
    }
    load_counters(d->pl, &c);
    return rr_pckpt_close(d, &c, "META");
}

/* ---- ITEM: items, categories and brands intern tables, item records ---------------------- */

static void save_intern_keys(rr_pckpt_enc_t *e, const rr_intern_t *in)
{
    rr_pckpt_intern_meta(e, in);
    for (size_t id = 0; id < in->next_id; id++) { /* "" = free */
        const char *key = rr_intern_key(in, (uint32_t)id);
        rr_pckpt_str(e, key ? key : "");
    }
}

static void load_intern_keys(rr_ckpt_cursor_t *c, rr_intern_t *in)
{
    rr_pckpt_read_intern_meta(c, in);
    char key[RR_ID_MAX];
    for (size_t id = 0; id < in->next_id && !c->err; id++) {
        rr_pckpt_read_str(c, key, sizeof(key));
        if (!c->err && key[0] && rr_intern_restore_key(in, (uint32_t)id, key))
            c->err = RR_E(DECODE);
    }
    if (!c->err && rr_pckpt_intern_rebuild(in)) c->err = RR_E(DECODE);
}

static void save_items(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    const rr_store_t *st = &pl->store;
    rr_pckpt_begin(e, RR_CKPT_ITEM, 0);
    save_intern_keys(e, &st->items);
    save_intern_keys(e, &st->categories);
    save_intern_keys(e, &st->brands);
    for (size_t i = 0; i < st->items.next_id; i++) {
        const rr_item_t *it = &st->item[i];
        rr_pckpt_u32(e, it->category);
        rr_pckpt_u32(e, it->brand);
        rr_pckpt_f32s(e, &it->price, 1);
        rr_pckpt_u32(e, it->interactions);
        rr_pckpt_u32(e, it->available);
        rr_pckpt_u32(e, it->release_s);
    }
    rr_pckpt_end(e);
}

/* An interned id held in a record: RR_INTERN_NONE or below the table's capacity. */
static uint32_t read_ref(rr_ckpt_cursor_t *c, size_t cap)
{
    uint32_t id = rr_ckpt_read_u32(c);
    if (id != RR_INTERN_NONE && id >= cap && !c->err) c->err = RR_E(DECODE);
    return id;
}

static rr_err_t load_items(const rr_pckpt_dec_t *d)
{
    rr_store_t *st = &d->pl->store;
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_CKPT_ITEM, &c);
    if (err) return err;
    load_intern_keys(&c, &st->items);
    load_intern_keys(&c, &st->categories);
    load_intern_keys(&c, &st->brands);
    for (size_t i = 0; i < st->items.next_id && !c.err; i++) {
        rr_item_t *it = &st->item[i];
        it->category = read_ref(&c, st->categories.cap);
        it->brand = read_ref(&c, st->brands.cap);
        rr_ckpt_read_f32s(&c, &it->price, 1);
        it->interactions = rr_ckpt_read_u32(&c);
        it->available = (uint8_t)rr_ckpt_read_u32(&c);
        it->release_s = rr_ckpt_read_u32(&c);
    }
    return rr_pckpt_close(d, &c, "ITEM");
}

/* ---- COOC: rows slot by slot, so probing and Misra-Gries rebuilds replay identically ----- */

static void save_cooc(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    const rr_cooc_t *co = &pl->cooc;
    size_t bound = pl->store.items.next_id;
    rr_pckpt_begin(e, RR_CKPT_COOC, 0);
    rr_pckpt_u64(e, co->pairs);
    rr_pckpt_u64(e, co->evicted);
    rr_pckpt_u64(e, bound);
    for (size_t i = 0; i < bound; i++) {
        const rr_cooc_row_t *row = &co->rows[i];
        rr_pckpt_u32(e, row->cap);
        rr_pckpt_u32(e, row->used);
        for (uint32_t s = 0; s < row->cap; s++) {
            if (!row->slots[s].item) continue;
            rr_pckpt_u32(e, s);
            rr_pckpt_u32(e, row->slots[s].item);
            rr_pckpt_u32(e, row->slots[s].count);
        }
    }
    rr_pckpt_end(e);
}

static void load_cooc_row(rr_ckpt_cursor_t *c, rr_cooc_row_t *row, size_t max_items)
{
    uint32_t cap = rr_ckpt_read_u32(c), used = rr_ckpt_read_u32(c);
    if (c->err || used > cap || (cap & (cap - 1)) || (used && !cap) || cap > (1u << 24)) {
        if (!c->err) c->err = RR_E(DECODE);
        return;
    }
    free(row->slots);
    row->slots = cap ? calloc(cap, sizeof(rr_cooc_nb_t)) : NULL;
    row->cap = row->slots ? cap : 0;
    row->used = 0;
    if (cap && !row->slots) {
        c->err = RR_E(NOMEM);
        return;
    }
    for (uint32_t k = 0; k < used && !c->err; k++) {
        uint32_t s = rr_ckpt_read_u32(c), item = rr_ckpt_read_u32(c), n = rr_ckpt_read_u32(c);
        if (c->err || s >= cap || row->slots[s].item || !item || item > max_items) {
            if (!c->err) c->err = RR_E(DECODE);
            return;
        }
        row->slots[s] = (rr_cooc_nb_t){item, n};
        row->used++;
    }
}

static rr_err_t load_cooc(const rr_pckpt_dec_t *d)
{
    rr_cooc_t *co = &d->pl->cooc;
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_CKPT_COOC, &c);
    if (err) return err;
    co->pairs = rr_ckpt_read_u64(&c);
    co->evicted = rr_ckpt_read_u64(&c);
    uint64_t bound = rr_ckpt_read_u64(&c);
    if (bound > d->pl->store.items.next_id && !c.err) c.err = RR_E(DECODE);
    for (size_t i = 0; i < bound && !c.err; i++) load_cooc_row(&c, &co->rows[i], co->max_items);
    if (c.err == RR_E(NOMEM)) return rr_pckpt_fail(d, c.err, "COOC", "out of memory");
    return rr_pckpt_close(d, &c, "COOC");
}

/* ---- TRND: trending scores and top set, per-category tops -------------------------------- */

static void save_trending(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    const rr_cattop_t *ct = &pl->cattop;
    size_t bound = pl->store.items.next_id, cats = pl->store.categories.next_id;
    if (cats > ct->cats_max) cats = ct->cats_max;
    rr_pckpt_begin(e, RR_CKPT_TRND, 0);
    rr_pckpt_save_trend(e, &pl->trending, bound);
    rr_pckpt_u64(e, cats);
    for (size_t cat = 0; cat < cats; cat++) {
        rr_pckpt_u32(e, ct->n[cat]);
        for (uint32_t k = 0; k < ct->n[cat]; k++) rr_pckpt_u32(e, ct->top[cat * RR_CATTOP_K + k]);
    }
    rr_pckpt_end(e);
}

static rr_err_t load_trending(const rr_pckpt_dec_t *d)
{
    rr_trending_t *tr = &d->pl->trending;
    rr_cattop_t *ct = &d->pl->cattop;
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_CKPT_TRND, &c);
    if (err) return err;
    rr_pckpt_load_trend(&c, tr);
    uint64_t cats = rr_ckpt_read_u64(&c);
    if (cats > ct->cats_max && !c.err) c.err = RR_E(DECODE);
    for (size_t cat = 0; cat < cats && !c.err; cat++) {
        ct->n[cat] = rr_ckpt_read_u32(&c);
        if (ct->n[cat] > RR_CATTOP_K && !c.err) c.err = RR_E(DECODE);
        rr_pckpt_read_ids(&c, &ct->top[cat * RR_CATTOP_K], c.err ? 0 : ct->n[cat], tr->max_items);
    }
    return rr_pckpt_close(d, &c, "TRND");
}

/* ---- DDUP: the two generations' hashes (membership is all that matters, not the slots) --- */

static void save_dedupe(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    const rr_dedupe_t *dd = &pl->dedupe;
    rr_pckpt_begin(e, RR_PCKPT_DDUP, 0);
    rr_pckpt_u32(e, (uint32_t)dd->cur);
    for (int g = 0; g < 2; g++) {
        rr_pckpt_u64(e, dd->cap ? dd->n[g] : 0);
        for (size_t s = 0; s < dd->cap; s++)
            if (dd->gen[g][s]) rr_pckpt_u64(e, dd->gen[g][s]);
    }
    rr_pckpt_end(e);
}

static void load_generation(rr_ckpt_cursor_t *c, rr_dedupe_t *dd, int g)
{
    uint64_t n = rr_ckpt_read_u64(c);
    if (n > dd->limit && !c->err) c->err = RR_E(DECODE);
    for (uint64_t k = 0; k < n && !c->err; k++) {
        uint64_t h = rr_ckpt_read_u64(c);
        size_t pos = h & (dd->cap - 1); /* rr_dedupe.c's linear probing */
        while (dd->gen[g][pos] && dd->gen[g][pos] != h) pos = (pos + 1) & (dd->cap - 1);
        if ((!h || dd->gen[g][pos]) && !c->err) c->err = RR_E(DECODE);
        dd->gen[g][pos] = h;
    }
    dd->n[g] = (size_t)n;
}

static rr_err_t load_dedupe(const rr_pckpt_dec_t *d)
{
    rr_dedupe_t *dd = &d->pl->dedupe;
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_PCKPT_DDUP, &c);
    if (err) return err;
    uint32_t cur = rr_ckpt_read_u32(&c);
    if (cur > 1 && !c.err) c.err = RR_E(DECODE);
    dd->cur = (int)cur;
    for (int g = 0; g < 2 && dd->cap; g++) load_generation(&c, dd, g);
    if (!dd->cap && (rr_ckpt_read_u64(&c) || rr_ckpt_read_u64(&c)) && !c.err) c.err = RR_E(DECODE);
    return rr_pckpt_close(d, &c, "DDUP");
}

/* ---- RNG: eviction LCG and the learner's negative sampler -------------------------------- */

static void save_rng(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    rr_pckpt_begin(e, RR_CKPT_RNG, 0);
    rr_pckpt_u64(e, pl->evict_rng);
    for (int k = 0; k < 4; k++) rr_pckpt_u64(e, pl->model_on ? pl->learner.rng.s[k] : 0);
    rr_pckpt_end(e);
}

static rr_err_t load_rng(const rr_pckpt_dec_t *d)
{
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_CKPT_RNG, &c);
    if (err) return err;
    d->pl->evict_rng = rr_ckpt_read_u64(&c);
    for (int k = 0; k < 4; k++) {
        uint64_t s = rr_ckpt_read_u64(&c);
        if (d->pl->model_on) d->pl->learner.rng.s[k] = s;
    }
    return rr_pckpt_close(d, &c, "RNG ");
}

/* ---- MODL / OPTS: MLP, item and hashed tables, sampler; their optimiser state ------------ */

static size_t item_bound(const rr_pipeline_t *pl)
{
    size_t bound = pl->store.items.next_id;
    return bound < pl->learner.items_max ? bound : pl->learner.items_max;
}

/* The sampler as (id, run length) pairs: runs of one id are long, so 1M entries stay small. */
static void save_sampler(const rr_learner_t *lr, rr_pckpt_enc_t *e)
{
    uint32_t runs = 0;
    for (uint32_t j = 0; j < lr->nsampler; j++) runs += !j || lr->sampler[j] != lr->sampler[j - 1];
    rr_pckpt_u32(e, lr->nsampler);
    rr_pckpt_u32(e, runs);
    for (uint32_t j = 0, len; j < lr->nsampler; j += len) {
        for (len = 1; j + len < lr->nsampler && lr->sampler[j + len] == lr->sampler[j];) len++;
        rr_pckpt_u32(e, lr->sampler[j]);
        rr_pckpt_u32(e, len);
    }
}

static void load_sampler(rr_ckpt_cursor_t *c, rr_learner_t *lr)
{
    uint32_t n = rr_ckpt_read_u32(c), runs = rr_ckpt_read_u32(c), j = 0;
    if (n > lr->cfg.sampler_size && !c->err) c->err = RR_E(DECODE);
    for (uint32_t k = 0; k < runs && !c->err; k++) {
        uint32_t id = rr_ckpt_read_u32(c), len = rr_ckpt_read_u32(c);
        if ((id >= lr->items_max || len > n - j) && !c->err) c->err = RR_E(DECODE);
        for (uint32_t m = 0; m < len && !c->err; m++) lr->sampler[j++] = id;
    }
    if (j != n && !c->err) c->err = RR_E(DECODE);
    lr->nsampler = c->err ? 0 : n;
}

/* The events staged for the next SGD step, rows as built: a restored engine takes the same steps
 * as one never stopped. */
static void save_stage(const rr_learner_t *lr, rr_pckpt_enc_t *e)
{
    const rr_learner_stage_t *sg = &lr->stage;
    size_t R = (size_t)sg->nrows;
    rr_pckpt_u32(e, (uint32_t)sg->nevents);
    rr_pckpt_u32(e, (uint32_t)sg->nrows);
    for (int k = 0; k < sg->nevents; k++) {
        rr_pckpt_u32(e, sg->uid[k]);
        rr_pckpt_u32(e, (uint32_t)sg->nuitems[k]);
        for (int j = 0; j < sg->nuitems[k]; j++)
            rr_pckpt_u32(e, sg->uitems[k * RR_LEARNER_USER_ITEMS + j]);
    }
    for (int k = 0; k <= sg->nevents; k++) rr_pckpt_u32(e, (uint32_t)sg->first[k]);
    for (size_t r = 0; r < R; r++) {
        rr_pckpt_u32(e, sg->item[r]);
        rr_pckpt_u32(e, sg->cat[r]);
        rr_pckpt_u32(e, sg->brand[r]);
        for (int k = 0; k < RR_LEARNER_DEMO_KINDS; k++)
            rr_pckpt_u32(e, sg->demo[r * RR_LEARNER_DEMO_KINDS + k]);
        rr_pckpt_u32(e, sg->ntok[r]);
        for (int j = 0; j < sg->ntok[r]; j++) rr_pckpt_u32(e, sg->tok[r * RR_TEXT_ITEM_TOKENS + j]);
    }
    rr_pckpt_f32s(e, sg->x, R * (size_t)lr->in_dim);
    rr_pckpt_f32s(e, sg->labels, R);
    rr_pckpt_f32s(e, sg->weights, R);
}

/* Row r's demographic and token rows, each within its table. */
static void load_stage_rows(rr_ckpt_cursor_t *c, rr_learner_t *lr, uint32_t r)
{
    rr_learner_stage_t *sg = &lr->stage;
    for (int k = 0; k < RR_LEARNER_DEMO_KINDS; k++) {
        uint32_t row = rr_ckpt_read_u32(c);
        if (lr->cfg.demo_dim && row >= lr->demo.nrows && !c->err) c->err = RR_E(DECODE);
        sg->demo[r * RR_LEARNER_DEMO_KINDS + k] = row;
    }
    uint32_t n = rr_ckpt_read_u32(c);
    if (n > (lr->cfg.text_dim ? RR_TEXT_ITEM_TOKENS : 0) && !c->err) c->err = RR_E(DECODE);
    if (c->err) return;
    sg->ntok[r] = (uint8_t)n;
    for (uint32_t j = 0; j < n; j++) {
        uint32_t row = rr_ckpt_read_u32(c);
        if (row >= lr->text.nrows && !c->err) c->err = RR_E(DECODE);
        sg->tok[r * RR_TEXT_ITEM_TOKENS + j] = row;
    }
}

static void load_stage(rr_ckpt_cursor_t *c, rr_learner_t *lr)
{
    rr_learner_stage_t *sg = &lr->stage;
    uint32_t E = rr_ckpt_read_u32(c), R = rr_ckpt_read_u32(c);
    if ((E > (uint32_t)sg->max_events || R > (uint32_t)sg->max_rows) && !c->err)
        c->err = RR_E(DECODE);
    if (c->err) return;
    for (uint32_t k = 0; k < E && !c->err; k++) {
        sg->uid[k] = rr_ckpt_read_u32(c);
        uint32_t n = rr_ckpt_read_u32(c);
        if (n > RR_LEARNER_USER_ITEMS && !c->err) c->err = RR_E(DECODE);
        sg->nuitems[k] = c->err ? 0 : (int)n;
        for (int j = 0; j < sg->nuitems[k]; j++) {
            uint32_t id = rr_ckpt_read_u32(c);
            if (id >= lr->items_max && !c->err) c->err = RR_E(DECODE);
            sg->uitems[k * RR_LEARNER_USER_ITEMS + j] = id;
        }
    }
    for (uint32_t k = 0, prev = 0; k <= E; k++) {
        uint32_t f = rr_ckpt_read_u32(c);
        if ((f < prev || f > R || (k == 0 && f) || (k == E && f != R)) && !c->err)
            c->err = RR_E(DECODE);
        sg->first[k] = (int)(prev = f);
    }
    for (uint32_t r = 0; r < R; r++) {
        sg->item[r] = rr_ckpt_read_u32(c);
        sg->cat[r] = rr_ckpt_read_u32(c);
        sg->brand[r] = rr_ckpt_read_u32(c);
        if ((sg->item[r] >= lr->items_max || sg->cat[r] >= lr->cats.nrows ||
             sg->brand[r] >= lr->brands.nrows) &&
            !c->err)
            c->err = RR_E(DECODE);
        load_stage_rows(c, lr, r);
    }
    for (uint32_t k = 0; k < E; k++) /* RR_INTERN_NONE: a user forgotten while staged */
        if (sg->uid[k] >= lr->users_max && sg->uid[k] != RR_INTERN_NONE && !c->err)
            c->err = RR_E(DECODE);
    rr_ckpt_read_f32s(c, sg->x, (size_t)R * (size_t)lr->in_dim);
    rr_ckpt_read_f32s(c, sg->labels, R);
    rr_ckpt_read_f32s(c, sg->weights, R);
    sg->nevents = c->err ? 0 : (int)E;
    sg->nrows = c->err ? 0 : (int)R;
}

static void save_model(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    const rr_learner_t *lr = &pl->learner;
    size_t bound = item_bound(pl);
    rr_pckpt_begin(e, RR_CKPT_MODL, 0);
    rr_pckpt_f32s(e, lr->params, lr->mlp.nparams);
    rr_pckpt_u64(e, bound);
    rr_pckpt_f32s(e, lr->items.data, bound * (size_t)lr->cfg.dim);
    for (size_t w = 0; w < (bound + 63) / 64; w++) rr_pckpt_u64(e, lr->item_ready[w]);
    rr_pckpt_f32s(e, lr->cats.data, (size_t)lr->cats.nrows * (size_t)lr->cats.dim);
    rr_pckpt_f32s(e, lr->brands.data, (size_t)lr->brands.nrows * (size_t)lr->brands.dim);
    rr_pckpt_f32s(e, lr->demo.data, (size_t)lr->demo.nrows * (size_t)lr->demo.dim);
    rr_pckpt_f32s(e, lr->text.data, (size_t)lr->text.nrows * (size_t)lr->text.dim);
    rr_pckpt_u64(e, lr->steps);
    rr_pckpt_u64(e, lr->flushes);
    save_sampler(lr, e);
    save_stage(lr, e);
    rr_pckpt_end(e);
}

static rr_err_t load_model(const rr_pckpt_dec_t *d)
{
    rr_learner_t *lr = &d->pl->learner;
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_CKPT_MODL, &c);
    if (err) return err;
    rr_ckpt_read_f32s(&c, lr->params, lr->mlp.nparams);
    uint64_t bound = rr_ckpt_read_u64(&c);
    if (bound != item_bound(d->pl) && !c.err) c.err = RR_E(DECODE);
    if (c.err) return rr_pckpt_close(d, &c, "MODL");
    rr_ckpt_read_f32s(&c, lr->items.data, (size_t)bound * (size_t)lr->cfg.dim);
    for (size_t w = 0; w < (bound + 63) / 64; w++) lr->item_ready[w] = rr_ckpt_read_u64(&c);
    rr_ckpt_read_f32s(&c, lr->cats.data, (size_t)lr->cats.nrows * (size_t)lr->cats.dim);
    rr_ckpt_read_f32s(&c, lr->brands.data, (size_t)lr->brands.nrows * (size_t)lr->brands.dim);
    rr_ckpt_read_f32s(&c, lr->demo.data, (size_t)lr->demo.nrows * (size_t)lr->demo.dim);
    rr_ckpt_read_f32s(&c, lr->text.data, (size_t)lr->text.nrows * (size_t)lr->text.dim);
    lr->steps = rr_ckpt_read_u64(&c);
    lr->flushes = rr_ckpt_read_u64(&c);
    load_sampler(&c, lr);
    load_stage(&c, lr);
    return rr_pckpt_close(d, &c, "MODL");
}

/* Floats of optimiser state of the hashed tables after brands (demo, text), in block order. */
static size_t hashed_tail_state(const rr_learner_t *lr)
{
    return (size_t)lr->demo.nrows * rr_optim_row_state_floats(lr->cfg.optim, lr->cfg.demo_dim) +
           (size_t)lr->text.nrows * rr_optim_row_state_floats(lr->cfg.optim, lr->cfg.text_dim);
}

/* Floats of optimiser state: the MLP's, and per row of the item, category and brand tables. */
static void state_sizes(const rr_learner_t *lr, size_t *mlp, size_t *item, size_t *cat,
                        size_t *brand)
{
    *mlp = rr_optim_state_floats(lr->cfg.optim, lr->mlp.nparams);
    *item = rr_optim_row_state_floats(lr->cfg.optim, lr->cfg.dim);
    *cat = rr_optim_row_state_floats(lr->cfg.optim, lr->cfg.cat_dim);
    *brand = rr_optim_row_state_floats(lr->cfg.optim, lr->cfg.brand_dim);
}

/* Hyper-parameters come from the config; only the step counts are state. */
static void save_opts(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    const rr_learner_t *lr = &pl->learner;
    size_t nmlp, sf, sc, sb, bound = item_bound(pl);
    state_sizes(lr, &nmlp, &sf, &sc, &sb);
    rr_pckpt_begin(e, RR_CKPT_OPTS, 0);
    rr_pckpt_u64(e, (uint64_t)lr->opt_mlp.t);
    rr_pckpt_u64(e, (uint64_t)lr->opt_embed.t);
    rr_pckpt_f32s(e, lr->st_mlp, nmlp);
    rr_pckpt_u64(e, bound);
    rr_pckpt_f32s(e, lr->st_items, bound * sf);
    rr_pckpt_f32s(e, lr->st_cats, (size_t)lr->cfg.cat_rows * sc);
    rr_pckpt_f32s(e, lr->st_brands, (size_t)lr->cfg.brand_rows * sb);
    rr_pckpt_f32s(e, lr->st_demo, hashed_tail_state(lr)); /* demo then text: one block */
    rr_pckpt_end(e);
}

static rr_err_t load_opts(const rr_pckpt_dec_t *d)
{
    rr_learner_t *lr = &d->pl->learner;
    size_t nmlp, sf, sc, sb;
    state_sizes(lr, &nmlp, &sf, &sc, &sb);
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_CKPT_OPTS, &c);
    if (err) return err;
    lr->opt_mlp.t = (int64_t)rr_ckpt_read_u64(&c);
    lr->opt_embed.t = (int64_t)rr_ckpt_read_u64(&c);
    rr_ckpt_read_f32s(&c, lr->st_mlp, nmlp);
    uint64_t bound = rr_ckpt_read_u64(&c);
    if (bound != item_bound(d->pl) && !c.err) c.err = RR_E(DECODE);
    if (c.err) return rr_pckpt_close(d, &c, "OPTS");
    rr_ckpt_read_f32s(&c, lr->st_items, (size_t)bound * sf);
    rr_ckpt_read_f32s(&c, lr->st_cats, (size_t)lr->cfg.cat_rows * sc);
    rr_ckpt_read_f32s(&c, lr->st_brands, (size_t)lr->cfg.brand_rows * sb);
    rr_ckpt_read_f32s(&c, lr->st_demo, hashed_tail_state(lr));
    return rr_pckpt_close(d, &c, "OPTS");
}

/* ---- API --------------------------------------------------------------------------------- */

rr_err_t rr_pipeline_save(const rr_pipeline_t *pl, rr_ckpt_writer_t *w)
{
    rr_pckpt_enc_t e = {w, RR_OK};
    save_meta(pl, &e);
    save_items(pl, &e);
    save_cooc(pl, &e);
    save_trending(pl, &e);
    save_dedupe(pl, &e);
    save_rng(pl, &e);
    if (pl->model_on) {
        save_model(pl, &e);
        save_opts(pl, &e);
    }
    if (pl->ranker_on) rr_pckpt_save_rank(pl, &e);
    if (!e.err) e.err = rr_pckpt_save_users(pl, &e);
    if (!e.err) e.err = rr_pckpt_save_demo(pl, &e);
    rr_pckpt_save_text(pl, &e);
    return e.err;
}

/* Items first: users' records, portraits and lists refer to item, category and brand ids. */
rr_err_t rr_pipeline_load(rr_pipeline_t *pl, const rr_ckpt_reader_t *r, char *errstr, size_t errlen)
{
    rr_pckpt_dec_t d = {pl, r, errstr, errlen};
    if (errstr && errlen) errstr[0] = '\0';
    rr_err_t err = load_meta(&d);
    if (!err) err = load_items(&d);
    if (!err) err = load_cooc(&d);
    if (!err) err = load_trending(&d);
    if (!err) err = load_dedupe(&d);
    if (!err) err = load_rng(&d);
    if (!err && pl->model_on) err = load_model(&d);
    if (!err && pl->model_on) err = load_opts(&d);
    if (!err && pl->ranker_on) err = rr_pckpt_load_rank(&d);
    if (!err) err = rr_pckpt_load_users(&d);
    if (!err) err = rr_pckpt_load_demo(&d);
    if (!err) err = rr_pckpt_load_text(&d);
    return err;
}
