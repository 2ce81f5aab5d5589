/* rr_learner.c — the online ranking model: memory layout, lazy rows, input rows, scoring and
 * retrieval; negative sampling and the training step are in rr_learner_train.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_learner.h"
#include "rr_learner_internal.h"
#include "rr_gemm_rows.h"

enum { TAG_ITEM = 2, TAG_CAT = 3, TAG_BRAND = 4 }; /* 1 was the per-user rows' */

rr_learner_config_t rr_learner_config_default(void)
{
    rr_learner_config_t cfg = {
        .dim = 32,
        .cat_rows = 4096,
        .brand_rows = 4096,
        .cat_dim = 8,
        .brand_dim = 8,
        .demo_rows = 256,
        .demo_dim = 4,
        .text_rows = 1u << 14,
        .text_dim = 8,
        .nhidden = 2,
        .hidden = {64, 32},
        .negatives = 4,
        .batch_events = 32,
        .score_batch = 64,
        .optim = RR_OPTIM_ADAGRAD,
        .lr_mlp = 0.05f,
        .lr_embed = 0.05f,
        .l2 = 0.0f,
        .clip = 5.0f,
        .embed_scale = 0.1f,
        .sampler_size = 1u << 20,
        .sampler_every = 10000,
        .seed = 1,
    };
    cfg.weight[RR_EV_VIEW] = 1.0f;
    cfg.weight[RR_EV_CLICK] = 2.0f;
    cfg.weight[RR_EV_ADD_TO_CART] = 3.0f;
    cfg.weight[RR_EV_FAVORITE] = 3.0f;
    cfg.weight[RR_EV_PURCHASE] = 5.0f;
    cfg.weight[RR_EV_RATE] = 2.0f;
    return cfg;
}

static rr_mlp_config_t mlp_config(const rr_learner_config_t *cfg, int in_dim)
{
    rr_mlp_config_t mc = rr_mlp_config_default(in_dim);
    mc.nhidden = cfg->nhidden;
    for (int l = 0; l < RR_MLP_MAX_HIDDEN; l++) mc.hidden[l] = cfg->hidden[l];
    mc.seed = cfg->seed;
    return mc;
}

static int config_check(const rr_learner_config_t *cfg, char *errstr, size_t errlen)
{
    const char *why = NULL;
    if (cfg->dim < 1 || cfg->dim > RR_LEARNER_MAX_DIM)
        why = "dim must be in 1..1024";
    else if (cfg->cat_dim < 1 || cfg->brand_dim < 1 || !cfg->cat_rows || !cfg->brand_rows)
        why = "category/brand tables need rows and width >= 1";
    else if (cfg->demo_dim < 0 || cfg->demo_dim > 64 || (cfg->demo_dim && !cfg->demo_rows))
        why = "demographic rows need rows >= 1 and a width in 0..64";
    else if (cfg->text_dim < 0 || cfg->text_dim > RR_LEARNER_MAX_TEXT_DIM ||
             (cfg->text_dim && !cfg->text_rows))
        why = "token rows need rows >= 1 and a width in 0..64";
    else if (cfg->negatives < 0 || cfg->negatives > RR_LEARNER_MAX_NEG)
        why = "negatives must be in 0..16";
    else if (cfg->batch_events < 1 || cfg->batch_events > RR_LEARNER_MAX_EVENTS)
        why = "batch_events must be in 1..256";
    else if (cfg->score_batch < 1 || cfg->score_batch > 4096)
        why = "score_batch must be in 1..4096";
    else if (!(cfg->lr_mlp > 0) || !(cfg->lr_embed > 0))
        why = "learning rates must be > 0";
    else if (!cfg->sampler_size || !cfg->sampler_every)
        why = "sampler_size and sampler_every must be > 0";
    if (why) snprintf(errstr, errlen, "learner: %s", why);
    return why == NULL;
}

enum { NTABLES = 5 };

/* Row counts of the tables, in block order (a table of width 0 has no rows). */
static void table_rows(const rr_learner_t *lr, size_t rows[NTABLES])
{
    rows[0] = lr->items_max;
    rows[1] = lr->cfg.cat_rows;
    rows[2] = lr->cfg.brand_rows;
    rows[3] = lr->cfg.demo_dim ? lr->cfg.demo_rows : 0;
    rows[4] = lr->cfg.text_dim ? lr->cfg.text_rows : 0;
}

static const int *table_dims(const rr_learner_t *lr, int dims[NTABLES])
{
    dims[0] = lr->cfg.dim;
    dims[1] = lr->cfg.cat_dim;
    dims[2] = lr->cfg.brand_dim;
    dims[3] = lr->cfg.demo_dim;
    dims[4] = lr->cfg.text_dim;
    return dims;
}

/* Carves the parameter and state blocks: mlp, items, cats, brands, demo, text. */
static rr_err_t alloc_blocks(rr_learner_t *lr, const rr_mlp_config_t *mc)
{
    size_t rows[NTABLES], nmlp = rr_mlp_param_count(mc);
    int dims[NTABLES];
    table_rows(lr, rows);
    table_dims(lr, dims);
    lr->nparams = nmlp;
    lr->nstate = rr_optim_state_floats(lr->cfg.optim, nmlp);
    for (int t = 0; t < NTABLES; t++) {
        lr->nparams += rows[t] * (size_t)dims[t];
        lr->nstate += rows[t] * rr_optim_row_state_floats(lr->cfg.optim, dims[t]);
    }
    lr->params = calloc(lr->nparams, sizeof(float));
    lr->state = calloc(lr->nstate ? lr->nstate : 1, sizeof(float));
    if (!lr->params || !lr->state) return RR_E(NOMEM);
    rr_embed_t *tabs[NTABLES] = {&lr->items, &lr->cats, &lr->brands, &lr->demo, &lr->text};
    float **sts[NTABLES] = {&lr->st_items, &lr->st_cats, &lr->st_brands, &lr->st_demo,
                            &lr->st_text};
    float *p = lr->params + nmlp, *s = lr->state + rr_optim_state_floats(lr->cfg.optim, nmlp);
    lr->st_mlp = lr->state;
    for (int t = 0; t < NTABLES; t++) {
        rr_embed_attach(tabs[t], p, (uint32_t)rows[t], dims[t]);
        *sts[t] = s;
        p += rows[t] * (size_t)dims[t];
        s += rows[t] * rr_optim_row_state_floats(lr->cfg.optim, dims[t]);
    }
    return RR_OK;
}

static rr_err_t alloc_scratch(rr_learner_t *lr)
{
    int B = lr->batch_max, in = lr->in_dim;
    /* Room for a batch of users against 4096-item blocks; one user gets bigger blocks. */
    lr->topn_floats = rr_topn_scratch_floats(RR_LEARNER_RETRIEVE_BATCH, lr->cfg.dim, 4096);
    lr->ubatch = calloc((size_t)RR_LEARNER_RETRIEVE_BATCH * lr->cfg.dim, sizeof(float));
    lr->grads = calloc(rr_mlp_param_count(&lr->mlp.cfg), sizeof(float));
    lr->ws = calloc(rr_mlp_workspace_floats(&lr->mlp.cfg, B), sizeof(float));
    lr->x = calloc((size_t)B * in, sizeof(float));
    lr->prob = calloc((size_t)B * 3, sizeof(float));
    lr->topn = calloc(lr->topn_floats, sizeof(float));
    lr->sampler = calloc(lr->cfg.sampler_size, sizeof(uint32_t));
    lr->name_rows = calloc(4 * RR_LEARNER_NAME_CACHE, sizeof(uint32_t));
    lr->fold = calloc(rr_learner_fold_floats(lr), sizeof(float));
    lr->item_ready = calloc(lr->items_max / 64 + 1, sizeof(uint64_t));
    if (!lr->grads || !lr->ws || !lr->x || !lr->prob || !lr->topn || !lr->ubatch || !lr->sampler ||
        !lr->name_rows || !lr->fold || !lr->item_ready)
        return RR_E(NOMEM);
    lr->labels = lr->prob + B;
    lr->weights = lr->prob + 2 * B;
    return RR_OK;
}

static int widest_table(const rr_learner_t *lr)
{
    int dims[NTABLES], wide = 1;
    table_dims(lr, dims);
    for (int t = 0; t < NTABLES; t++)
        if (dims[t] > wide) wide = dims[t];
    return wide;
}

/* The training stage: batch_events events of 1 + negatives rows each. */
static rr_err_t alloc_stage(rr_learner_t *lr)
{
    rr_learner_stage_t *sg = &lr->stage;
    size_t E = (size_t)lr->cfg.batch_events, R = E * (size_t)(1 + lr->cfg.negatives);
    size_t in = (size_t)lr->in_dim, wide = (size_t)widest_table(lr);
    size_t G = R + E * RR_LEARNER_USER_ITEMS, d = (size_t)lr->cfg.dim;
    size_t T = R * RR_TEXT_ITEM_TOKENS; /* token (and demographic) gradients per step */
    size_t tw = (size_t)lr->cfg.text_dim > (size_t)lr->cfg.demo_dim ? (size_t)lr->cfg.text_dim
                                                                    : (size_t)lr->cfg.demo_dim;
    size_t M = G > T ? G : T; /* rr_embed_update's scratch serves every table */
    sg->max_events = (int)E;
    sg->max_rows = (int)R;
    sg->max_grads = (int)G;
    sg->uid = calloc(E * (1 + RR_LEARNER_USER_ITEMS), sizeof(uint32_t));
    sg->first = calloc(2 * E + 1, sizeof(int));
    sg->item = calloc(R * 3 + G, sizeof(uint32_t));
    sg->x = calloc(R * in * 2 + R * 3, sizeof(float));
    sg->ws = calloc(rr_mlp_workspace_floats(&lr->mlp.cfg, (int)R), sizeof(float));
    sg->gv = calloc(G * d + E * d, sizeof(float));
    sg->tmp = calloc(M * wide, sizeof(float));
    sg->rows_tmp = calloc(M, sizeof(uint32_t));
    sg->demo = calloc(R * RR_LEARNER_DEMO_KINDS + 2 * T, sizeof(uint32_t));
    sg->ntok = calloc(R, 1);
    sg->gt = calloc(T * (tw ? tw : 1), sizeof(float));
    if (!sg->uid || !sg->first || !sg->item || !sg->x || !sg->ws || !sg->gv || !sg->tmp ||
        !sg->rows_tmp || !sg->demo || !sg->ntok || !sg->gt)
        return RR_E(NOMEM);
    sg->uitems = sg->uid + E;
    sg->nuitems = sg->first + E + 1;
    sg->cat = sg->item + R;
    sg->brand = sg->item + 2 * R;
    sg->gitem = sg->item + 3 * R;
    sg->tok = sg->demo + R * RR_LEARNER_DEMO_KINDS;
    sg->gtok = sg->tok + T;
    sg->dx = sg->x + R * in;
    sg->labels = sg->dx + R * in;
    sg->weights = sg->labels + R;
    sg->prob = sg->weights + R;
    sg->du = sg->gv + G * d;
    return RR_OK;
}

static void free_stage(rr_learner_stage_t *sg)
{
    void *p[] = {sg->uid, sg->first,    sg->item, sg->x,    sg->ws, sg->gv,
                 sg->tmp, sg->rows_tmp, sg->demo, sg->ntok, sg->gt};
    for (size_t k = 0; k < sizeof(p) / sizeof(p[0]); k++) free(p[k]);
}

rr_err_t rr_learner_init(rr_learner_t *lr, const rr_learner_config_t *cfg, size_t users_max,
                         size_t items_max, char *errstr, size_t errlen)
{
    memset(lr, 0, sizeof(*lr));
    if (!config_check(cfg, errstr, errlen)) return RR_E(CONFIG);
    lr->cfg = *cfg;
    lr->users_max = users_max;
    lr->items_max = items_max;
    lr->in_dim = 3 * cfg->dim + cfg->cat_dim + cfg->brand_dim +
                 RR_LEARNER_DEMO_KINDS * cfg->demo_dim + 5 * cfg->text_dim + RR_PORTRAIT_NUSER +
                 RR_PORTRAIT_NPAIR;
    lr->batch_max = cfg->score_batch > 1 + cfg->negatives ? cfg->score_batch : 1 + cfg->negatives;
    rr_mlp_config_t mc = mlp_config(cfg, lr->in_dim);
    if (!rr_mlp_config_valid(&mc)) {
        snprintf(errstr, errlen, "learner: invalid MLP shape");
        return RR_E(CONFIG);
    }
    rr_err_t err = alloc_blocks(lr, &mc);
    if (!err) {
        rr_mlp_init(&lr->mlp, &mc, lr->params);
        err = alloc_scratch(lr);
        if (!err) err = alloc_stage(lr);
    }
    if (err) {
        snprintf(errstr, errlen, "learner: out of memory");
        rr_learner_free(lr);
        return err;
    }
    rr_rng_seed(&lr->rng, cfg->seed ^ 0x6c6561726e6572ULL);
    rr_rng_t init_rng;
    rr_rng_seed(&init_rng, rr_mix64(cfg->seed + TAG_CAT));
    rr_embed_init(&lr->cats, lr->cats.data, cfg->cat_rows, cfg->cat_dim, cfg->embed_scale,
                  &init_rng);
    rr_embed_init(&lr->brands, lr->brands.data, cfg->brand_rows, cfg->brand_dim, cfg->embed_scale,
                  &init_rng);
    rr_embed_init(&lr->demo, lr->demo.data, lr->demo.nrows, cfg->demo_dim, cfg->embed_scale,
                  &init_rng);
    rr_embed_init(&lr->text, lr->text.data, lr->text.nrows, cfg->text_dim, cfg->embed_scale,
                  &init_rng);
    lr->opt_mlp = rr_optim_default(cfg->optim, cfg->lr_mlp);
    lr->opt_embed = rr_optim_default(cfg->optim, cfg->lr_embed);
    lr->opt_mlp.l2 = lr->opt_embed.l2 = cfg->l2;
    return RR_OK;
}

void rr_learner_set_text(rr_learner_t *lr, const rr_text_table_t *tt)
{
    lr->tt = tt;
}

void rr_learner_set_item_keys(rr_learner_t *lr, const rr_intern_t *in)
{
    lr->item_keys = in;
}

void rr_learner_free(rr_learner_t *lr)
{
    float *fl[] = {lr->params, lr->state, lr->grads,  lr->ws,  lr->x,
                   lr->prob,   lr->topn,  lr->ubatch, lr->fold};
    for (size_t k = 0; k < sizeof(fl) / sizeof(fl[0]); k++) free(fl[k]);
    free_stage(&lr->stage);
    free(lr->sampler);
    free(lr->name_rows);
    free(lr->item_ready);
    memset(lr, 0, sizeof(*lr));
}

/* A row's initial values depend only on (seed, table, id): lazy init in any order, on any
 * instance, gives the same numbers. */
static void row_init(const rr_learner_t *lr, float *row, int tag, uint32_t id)
{
    uint64_t who = ((uint64_t)tag << 32) | id;
    const char *key = tag == TAG_ITEM && lr->item_keys ? rr_intern_key(lr->item_keys, id) : NULL;
    if (key) who = rr_intern_hash(key) ^ ((uint64_t)tag << 56);
    rr_rng_t r;
    rr_rng_seed(&r, lr->cfg.seed ^ rr_mix64(who));
    for (int k = 0; k < lr->cfg.dim; k++) row[k] = lr->cfg.embed_scale * rr_rng_normal(&r);
}

/* The item's row for scoring, which writes nothing: one not yet initialised is computed into tmp
 * (dim floats), with the values rr_learner_item_row will store. */
static const float *item_row_read(const rr_learner_t *lr, uint32_t iid, float *tmp)
{
    if (lr->item_ready[iid / 64] & (1ULL << (iid % 64))) return rr_embed_row(&lr->items, iid);
    row_init(lr, tmp, TAG_ITEM, iid);
    return tmp;
}

const float *rr_learner_item_row_peek(const rr_learner_t *lr, uint32_t iid, float *tmp)
{
    return item_row_read(lr, iid, tmp);
}

float *rr_learner_item_row(rr_learner_t *lr, uint32_t iid)
{
    float *row = rr_embed_row(&lr->items, iid);
    uint64_t bit = 1ULL << (iid % 64);
    if (!(lr->item_ready[iid / 64] & bit)) {
        row_init(lr, row, TAG_ITEM, iid);
        lr->item_ready[iid / 64] |= bit;
    }
    return row;
}

/* u = the mean of the rows of the user's recent items: a user is what they did lately, so no row
 * is held (or learned) per user, and a user seen once is already placed in the item space. */
static int user_vec_read(const rr_learner_t *lr, const rr_store_t *st, uint32_t uid, float *u,
                         uint32_t *items)
{
    int d = lr->cfg.dim, n = 0;
    memset(u, 0, (size_t)d * sizeof(float));
    if (uid >= lr->users_max) return 0;
    uint32_t recent[RR_LEARNER_USER_ITEMS];
    float tmp[RR_LEARNER_MAX_DIM];
    size_t nrecent = rr_store_recent(st, uid, recent);
    for (size_t k = 0; k < nrecent && k < RR_LEARNER_USER_ITEMS; k++) {
        if (recent[k] >= lr->items_max) continue;
        const float *v = item_row_read(lr, recent[k], tmp);
        for (int j = 0; j < d; j++) u[j] += v[j];
        items[n++] = recent[k];
    }
    for (int j = 0; n > 1 && j < d; j++) u[j] /= (float)n;
    return n;
}

/* Training: the recent items' rows are initialised in place first (their gradients go there). */
int rr_learner_user_vec(rr_learner_t *lr, const rr_store_t *st, uint32_t uid, float *u,
                        uint32_t *items)
{
    int n = user_vec_read(lr, st, uid, u, items);
    for (int k = 0; k < n; k++) rr_learner_item_row(lr, items[k]);
    return n;
}

/* Hashed row of an interned name; unknown names share the row of "". Category and brand ids are
 * never removed (only users are), so an id's row can be cached: a direct-mapped cache of
 * (id + 1, row) saves hashing the name for each training and scoring row. */
static uint32_t hashed_row(const rr_embed_t *table, const rr_intern_t *names, uint32_t id,
                           uint32_t *cache)
{
    uint32_t *slot = cache + 2 * ((id + 1) & (RR_LEARNER_NAME_CACHE - 1));
    if (slot[0] == id + 1 && id != RR_INTERN_NONE) return slot[1];
    const char *key = id == RR_INTERN_NONE ? NULL : rr_intern_key(names, id);
    if (!key) key = "";
    uint32_t row = rr_embed_row_of(table, key, strlen(key));
    if (id != RR_INTERN_NONE) {
        slot[0] = id + 1;
        slot[1] = row;
    }
    return row;
}

/* The hashed rows of an item's category and brand, through the name cache (2 tables). */
static void item_rows_cached(const rr_learner_t *lr, const rr_store_t *st, uint32_t iid,
                             uint32_t *cache, uint32_t *cat_row, uint32_t *brand_row)
{
    uint32_t *cats = cache, *brands = cache + 2 * RR_LEARNER_NAME_CACHE;
    *cat_row = hashed_row(&lr->cats, &st->categories, st->item[iid].category, cats);
    *brand_row = hashed_row(&lr->brands, &st->brands, st->item[iid].brand, brands);
}

void rr_learner_item_rows(rr_learner_t *lr, const rr_store_t *st, uint32_t iid, uint32_t *cat_row,
                          uint32_t *brand_row)
{
    item_rows_cached(lr, st, iid, lr->name_rows, cat_row, brand_row);
}

int rr_learner_token_rows(const rr_learner_t *lr, uint32_t iid, uint32_t *rows)
{
    if (!lr->tt || !lr->cfg.text_dim || iid >= lr->tt->items_max) return 0;
    const uint32_t *tok = rr_text_item_tokens(lr->tt, iid);
    int n = 0;
    for (int j = 0; j < RR_TEXT_ITEM_TOKENS && tok[j]; j++)
        rows[n++] = rr_embed_bucket(tok[j], lr->text.nrows);
    return n;
}

int rr_learner_text_vec(const rr_learner_t *lr, uint32_t iid, float *out)
{
    uint32_t rows[RR_TEXT_ITEM_TOKENS];
    int td = lr->cfg.text_dim, n = rr_learner_token_rows(lr, iid, rows);
    memset(out, 0, (size_t)td * sizeof(float));
    for (int j = 0; j < n; j++) {
        const float *t = rr_embed_row(&lr->text, rows[j]);
        for (int k = 0; k < td; k++) out[k] += t[k];
    }
    for (int k = 0; n > 1 && k < td; k++) out[k] /= (float)n;
    return n;
}

/* The mean text vector of the items (those with text) into tu; returns how many had text. */
static int mean_text(const rr_learner_t *lr, const uint32_t *items, int n, float *tu)
{
    float t[RR_LEARNER_MAX_TEXT_DIM];
    int td = lr->cfg.text_dim, m = 0;
    memset(tu, 0, (size_t)td * sizeof(float));
    for (int i = 0; i < n; i++) {
        if (!rr_learner_text_vec(lr, items[i], t)) continue;
        for (int k = 0; k < td; k++) tu[k] += t[k];
        m++;
    }
    for (int k = 0; m > 1 && k < td; k++) tu[k] /= (float)m;
    return m;
}

/* The user's search intent as a text vector: the token rows of the active search terms (the
 * same rows as the items' title tokens), weighted by their decayed weights; 0 without one. */
static void search_text(const rr_learner_t *lr, uint32_t uid, int64_t now_ms, float *ts)
{
    uint32_t hash[RR_TEXT_TERMS];
    float w[RR_TEXT_TERMS], total = 0;
    int td = lr->cfg.text_dim;
    memset(ts, 0, (size_t)td * sizeof(float));
    if (!lr->tt || !td || uid >= lr->tt->users_max) return;
    size_t n = rr_text_intent(lr->tt, uid, now_ms, hash, w, NULL);
    for (size_t j = 0; j < n; j++) {
        const float *t = rr_embed_row(&lr->text, rr_embed_bucket(hash[j], lr->text.nrows));
        for (int k = 0; k < td; k++) ts[k] += w[j] * t[k];
        total += w[j];
    }
    for (int k = 0; total > 0 && k < td; k++) ts[k] /= total;
}

/* Row of (kind, value) in the demographic table: the value's hash (an occupation's or region's
 * text, an age band's or gender's number), so every instance maps it alike; 0 = unknown, which
 * has a row of its own per kind. */
static uint32_t demo_row(const rr_learner_t *lr, int kind, uint64_t value_hash)
{
    return rr_embed_bucket(value_hash ^ rr_mix64((uint64_t)kind + 1), lr->demo.nrows);
}

static uint64_t name_hash(const rr_portrait_table_t *pt, uint16_t id)
{
    const char *name = rr_portrait_name(pt, id);
    return name[0] ? rr_hash64(name, strlen(name)) : 0;
}

static void demo_rows(const rr_learner_t *lr, const rr_portrait_table_t *pt, uint32_t uid,
                      uint32_t rows[RR_LEARNER_DEMO_KINDS])
{
    uint64_t h[RR_LEARNER_DEMO_KINDS] = {0, 0, 0, 0};
    if (!lr->cfg.demo_dim) return;
    if (pt && uid < pt->users_max) {
        const rr_portrait_t *p = &pt->user[uid];
        h[0] = (uint64_t)rr_portrait_age_band_index(p->age);
        h[1] = p->gender;
        h[2] = name_hash(pt, p->occupation);
        h[3] = name_hash(pt, p->region);
    }
    for (int k = 0; k < RR_LEARNER_DEMO_KINDS; k++) rows[k] = demo_row(lr, k, h[k]);
}

/* The rest of a user's context once u and its items are in uc: the user features, the mean text
 * vector of the recent items and the demographic rows (hashed tables: read, never initialised). */
static void user_ctx_rest(const rr_learner_t *lr, const rr_store_t *st,
                          const rr_portrait_table_t *pt, uint32_t uid, int64_t now_ms,
                          rr_learner_user_t *uc)
{
    memset(uc->demo, 0, sizeof(uc->demo));
    rr_portrait_user_features(pt, st, uid, now_ms, uc->ufeat);
    mean_text(lr, uc->items, uc->nitems, uc->tu);
    search_text(lr, uid, now_ms, uc->ts);
    demo_rows(lr, pt, uid, uc->demo);
}

/* Training: the recent items' rows are initialised in place (their gradients go there). */
void rr_learner_user_ctx(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                         uint32_t uid, int64_t now_ms, rr_learner_user_t *uc)
{
    uc->nitems = rr_learner_user_vec(lr, st, uid, uc->u, uc->items);
    user_ctx_rest(lr, st, pt, uid, now_ms, uc);
}

/* Scoring: the same from rows read, never initialised (any thread; see rr_learner_scratch_t). */
static void user_ctx_read(const rr_learner_t *lr, const rr_store_t *st,
                          const rr_portrait_table_t *pt, uint32_t uid, int64_t now_ms,
                          rr_learner_user_t *uc)
{
    uc->nitems = user_vec_read(lr, st, uid, uc->u, uc->items);
    user_ctx_rest(lr, st, pt, uid, now_ms, uc);
}

int rr_learner_demo_col(const rr_learner_t *lr)
{
    return 3 * lr->cfg.dim + lr->cfg.cat_dim + lr->cfg.brand_dim;
}

int rr_learner_text_col(const rr_learner_t *lr)
{
    return rr_learner_demo_col(lr) + RR_LEARNER_DEMO_KINDS * lr->cfg.demo_dim;
}

/* x row (in_dim): [u ; v ; u⊙v ; cat ; brand ; demo (4 rows) ; t ; tu ; tu⊙t ; ts ; ts⊙t ;
 * user features ; pair features], from the user's context, the item's row v and its hashed rows. */
static void fill_row(const rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                     uint32_t uid, const rr_learner_user_t *uc, uint32_t iid, const float *v,
                     uint32_t crow, uint32_t brow, float *x)
{
    int d = lr->cfg.dim, cd = lr->cfg.cat_dim, bd = lr->cfg.brand_dim;
    int dd = lr->cfg.demo_dim, td = lr->cfg.text_dim;
    const float *u = uc->u;
    memcpy(x, u, (size_t)d * sizeof(float));
    memcpy(x + d, v, (size_t)d * sizeof(float));
    for (int k = 0; k < d; k++) x[2 * d + k] = u[k] * v[k];
    memcpy(x + 3 * d, rr_embed_row(&lr->cats, crow), (size_t)cd * sizeof(float));
    memcpy(x + 3 * d + cd, rr_embed_row(&lr->brands, brow), (size_t)bd * sizeof(float));
    float *dm = x + rr_learner_demo_col(lr), *t = x + rr_learner_text_col(lr);
    for (int k = 0; dd && k < RR_LEARNER_DEMO_KINDS; k++)
        memcpy(dm + k * dd, rr_embed_row(&lr->demo, uc->demo[k]), (size_t)dd * sizeof(float));
    if (td) {
        rr_learner_text_vec(lr, iid, t);
        memcpy(t + td, uc->tu, (size_t)td * sizeof(float));
        for (int k = 0; k < td; k++) t[2 * td + k] = uc->tu[k] * t[k];
        memcpy(t + 3 * td, uc->ts, (size_t)td * sizeof(float));
        for (int k = 0; k < td; k++) t[4 * td + k] = uc->ts[k] * t[k];
    }
    float *f = t + 5 * td;
    memcpy(f, uc->ufeat, RR_PORTRAIT_NUSER * sizeof(float));
    rr_portrait_pair_features(pt, st, uid, iid, f + RR_PORTRAIT_NUSER);
}

void rr_learner_build_row(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                          uint32_t uid, const rr_learner_user_t *uc, uint32_t iid, float *x)
{
    uint32_t crow, brow;
    const float *v = rr_learner_item_row(lr, iid);
    rr_learner_item_rows(lr, st, iid, &crow, &brow);
    fill_row(lr, st, pt, uid, uc, iid, v, crow, brow, x);
}

/* The learner's own scratch, as the _with functions take it. */
static rr_learner_scratch_t own_scratch(rr_learner_t *lr)
{
    rr_learner_scratch_t sc = {.x = lr->x,
                               .ws = lr->ws,
                               .prob = lr->prob,
                               .fold = lr->fold,
                               .topn = lr->topn,
                               .ubatch = lr->ubatch,
                               .topn_floats = lr->topn_floats,
                               .name_rows = lr->name_rows};
    return sc;
}

rr_err_t rr_learner_scratch_init(const rr_learner_t *lr, rr_learner_scratch_t *sc)
{
    int B = lr->batch_max;
    memset(sc, 0, sizeof(*sc));
    sc->owned = 1;
    sc->topn_floats = lr->topn_floats;
    sc->x = calloc((size_t)B * lr->in_dim, sizeof(float));
    sc->ws = calloc(rr_mlp_workspace_floats(&lr->mlp.cfg, B), sizeof(float));
    sc->prob = calloc((size_t)B, sizeof(float));
    sc->fold = calloc(rr_learner_fold_floats(lr), sizeof(float));
    sc->topn = calloc(sc->topn_floats, sizeof(float));
    sc->ubatch = calloc((size_t)RR_LEARNER_RETRIEVE_BATCH * lr->cfg.dim, sizeof(float));
    sc->name_rows = calloc(4 * RR_LEARNER_NAME_CACHE, sizeof(uint32_t));
    if (sc->x && sc->ws && sc->prob && sc->fold && sc->topn && sc->ubatch && sc->name_rows)
        return RR_OK;
    rr_learner_scratch_free(sc);
    return RR_E(NOMEM);
}

void rr_learner_scratch_free(rr_learner_scratch_t *sc)
{
    if (sc->owned) {
        float *fl[] = {sc->x, sc->ws, sc->prob, sc->fold, sc->topn, sc->ubatch};
        for (size_t k = 0; k < sizeof(fl) / sizeof(fl[0]); k++) free(fl[k]);
        free(sc->name_rows);
    }
    memset(sc, 0, sizeof(*sc));
}

void rr_learner_score(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                      uint32_t uid, int64_t now_ms, const uint32_t *items, size_t n,
                      float *out_probs)
{
    size_t first[2] = {0, n};
    rr_learner_score_batch(lr, st, pt, now_ms, &uid, 1, items, first, out_probs);
}

/* One forward over the B item rows built in sc->x against the user's fold in sc->fold; row b's
 * probability goes to out_probs[slot[b]]. Each row's result depends on that row alone
 * (rr_gemm_rows), so no batch is padded: an item's probability is the same whichever items
 * share its pass. */
static void score_rows(const rr_learner_t *lr, rr_learner_scratch_t *sc, int B, const size_t *slot,
                       float *out_probs)
{
    int K = rr_learner_fold_cols(lr), H = lr->mlp.dim[1];
    const float *base = sc->fold + (size_t)K * H;
    float *pre = rr_mlp_first(&lr->mlp, sc->ws, B);
    for (int b = 0; b < B; b++) memcpy(pre + (size_t)b * H, base, (size_t)H * sizeof(float));
    rr_gemm_rows(0, B, H, K, sc->x, K, sc->fold, H, 1, pre, H);
    rr_mlp_forward_first(&lr->mlp, B, sc->ws, sc->prob);
    sc->rows_scored += (uint64_t)B;
    for (int b = 0; b < B; b++) out_probs[slot[b]] = sc->prob[b];
}

/* An item's own row for scoring, from rows read, not initialised. */
static void score_row(const rr_learner_t *lr, rr_learner_scratch_t *sc, const rr_store_t *st,
                      const rr_portrait_table_t *pt, uint32_t uid, uint32_t iid, float *xi)
{
    float tmp[RR_LEARNER_MAX_DIM];
    uint32_t crow, brow;
    const float *v = item_row_read(lr, iid, tmp);
    item_rows_cached(lr, st, iid, sc->name_rows, &crow, &brow);
    rr_learner_fold_item(lr, st, pt, uid, iid, v, crow, brow, xi);
}

void rr_learner_score_batch(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                            int64_t now_ms, const uint32_t *uids, size_t nusers,
                            const uint32_t *items, const size_t *first, float *out_probs)
{
    rr_learner_scratch_t sc = own_scratch(lr);
    rr_learner_score_batch_with(lr, &sc, st, pt, now_ms, uids, nusers, items, first, out_probs);
}

/* Each user's items in passes of up to score_batch rows, against that user's fold. */
void rr_learner_score_batch_with(const rr_learner_t *lr, rr_learner_scratch_t *sc,
                                 const rr_store_t *st, const rr_portrait_table_t *pt,
                                 int64_t now_ms, const uint32_t *uids, size_t nusers,
                                 const uint32_t *items, const size_t *first, float *out_probs)
{
    rr_learner_user_t uc;
    size_t slot[4096]; /* out index of each batch row (score_batch <= 4096) */
    int K = rr_learner_fold_cols(lr), B = 0;
    for (size_t k = 0; k < nusers; k++) {
        uint32_t uid = uids[k];
        int known = uid < lr->users_max;
        if (known) {
            user_ctx_read(lr, st, pt, uid, now_ms, &uc);
            rr_learner_fold_user(lr, &uc, sc->fold);
        }
        for (size_t i = first[k]; i < first[k + 1]; i++) {
            out_probs[i] = 0.0f;
            if (!known || items[i] >= lr->items_max) continue;
            score_row(lr, sc, st, pt, uid, items[i], sc->x + (size_t)B * K);
            slot[B++] = i;
            if (B == lr->cfg.score_batch) {
                score_rows(lr, sc, B, slot, out_probs);
                B = 0;
            }
        }
        if (B > 0) score_rows(lr, sc, B, slot, out_probs); /* before the next user's fold */
        B = 0;
    }
}

int rr_learner_retrieve(rr_learner_t *lr, const rr_store_t *st, uint32_t uid, int K,
                        const rr_topn_filter_t *filter, uint32_t *out_ids, float *out_scores)
{
    rr_learner_scratch_t sc = own_scratch(lr);
    return rr_learner_retrieve_with(lr, &sc, st, uid, K, filter, out_ids, out_scores);
}

int rr_learner_retrieve_with(const rr_learner_t *lr, rr_learner_scratch_t *sc, const rr_store_t *st,
                             uint32_t uid, int K, const rr_topn_filter_t *filter, uint32_t *out_ids,
                             float *out_scores)
{
    size_t bound = rr_intern_bound(&st->items);
    if (bound > lr->items_max) bound = lr->items_max;
    if (uid >= lr->users_max || K < 1 || bound == 0) return 0;
    float u[RR_LEARNER_MAX_DIM];
    uint32_t used[RR_LEARNER_USER_ITEMS];
    user_vec_read(lr, st, uid, u, used);
    return rr_topn_one(u, lr->items.data, (uint32_t)bound, lr->cfg.dim, K, filter, sc->topn,
                       sc->topn_floats, out_ids, out_scores);
}

int rr_learner_retrieve_batch(rr_learner_t *lr, const rr_store_t *st, const uint32_t *uids, int U,
                              int K, const rr_topn_filter_t *filter, uint32_t *out_idx,
                              float *out_score, int *out_count)
{
    rr_learner_scratch_t sc = own_scratch(lr);
    return rr_learner_retrieve_batch_with(lr, &sc, st, uids, U, K, filter, out_idx, out_score,
                                          out_count);
}

int rr_learner_retrieve_batch_with(const rr_learner_t *lr, rr_learner_scratch_t *sc,
                                   const rr_store_t *st, const uint32_t *uids, int U, int K,
                                   const rr_topn_filter_t *filter, uint32_t *out_idx,
                                   float *out_score, int *out_count)
{
    size_t bound = rr_intern_bound(&st->items);
    if (bound > lr->items_max) bound = lr->items_max;
    if (U < 1 || U > RR_LEARNER_RETRIEVE_BATCH || K < 1 || bound == 0) return 0;
    int d = lr->cfg.dim;
    for (int u = 0; u < U; u++) {
        uint32_t used[RR_LEARNER_USER_ITEMS];
        if (uids[u] >= lr->users_max) return 0;
        user_vec_read(lr, st, uids[u], sc->ubatch + (size_t)u * d, used);
    }
    rr_topn_batch(sc->ubatch, U, lr->items.data, (uint32_t)bound, d, K, filter, sc->topn,
                  sc->topn_floats, out_idx, out_score, out_count);
    return U;
}

void rr_learner_dot(rr_learner_t *lr, const rr_store_t *st, uint32_t uid, const uint32_t *items,
                    size_t n, float *out)
{
    rr_learner_dot_with(lr, st, uid, items, n, out);
}

void rr_learner_dot_with(const rr_learner_t *lr, const rr_store_t *st, uint32_t uid,
                         const uint32_t *items, size_t n, float *out)
{
    float u[RR_LEARNER_MAX_DIM], tmp[RR_LEARNER_MAX_DIM];
    uint32_t used[RR_LEARNER_USER_ITEMS];
    int d = lr->cfg.dim;
    user_vec_read(lr, st, uid, u, used);
    for (size_t i = 0; i < n; i++) {
        out[i] = 0;
        if (items[i] >= lr->items_max) continue;
        const float *v = item_row_read(lr, items[i], tmp);
        float dot = 0; /* a local: out[i] could alias v, so it would be stored and reloaded */
        for (int j = 0; j < d; j++) dot += u[j] * v[j];
        out[i] = dot;
    }
}

void rr_learner_text_cos(const rr_learner_t *lr, const rr_store_t *st, uint32_t uid,
                         const uint32_t *items, size_t n, float *out)
{
    float tu[RR_LEARNER_MAX_TEXT_DIM], t[RR_LEARNER_MAX_TEXT_DIM];
    uint32_t recent[RR_LEARNER_USER_ITEMS];
    int td = lr->cfg.text_dim;
    memset(out, 0, n * sizeof(*out));
    if (!td || uid >= lr->users_max) return;
    size_t nrecent = rr_store_recent(st, uid, recent);
    if (nrecent > RR_LEARNER_USER_ITEMS) nrecent = RR_LEARNER_USER_ITEMS;
    if (!mean_text(lr, recent, (int)nrecent, tu)) return;
    double nu = 0;
    for (int k = 0; k < td; k++) nu += (double)tu[k] * tu[k];
    for (size_t i = 0; i < n && nu > 0; i++) {
        if (items[i] >= lr->items_max || !rr_learner_text_vec(lr, items[i], t)) continue;
        double dot = 0, nt = 0;
        for (int k = 0; k < td; k++) {
            dot += (double)tu[k] * t[k];
            nt += (double)t[k] * t[k];
        }
        out[i] = nt > 0 ? (float)(dot / sqrt(nu * nt)) : 0.0f;
    }
}
