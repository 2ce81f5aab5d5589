/* test_pipeline_ckpt.c — pipeline checkpoints: stopping at any point of a stream, saving,
 * restoring into a fresh pipeline and finishing the stream ends bit-identical to a run that
 * never stopped; incompatible configs and corrupt checkpoints are refused. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include "rr_pipeline_ckpt.h"
#include "rr_pipeline_ckpt_codec.h"
#include "rr_test.h"

/* ---- A deterministic stream: views to purchases, impressions, searches, duplicate event ids,
 * bursts (flood), idle gaps (expiry), more users than users.max (eviction), catalog updates and
 * one FORGET_USER, users who browse the whole catalog (grown seen filters), User messages
 * (demographics) before and after users' first events.
 * ---------------------------------------------------------------------------- */

enum { NEV = 2400, NUSERS = 70, NITEMS = 160 };
enum { OP_EVENT, OP_FORGET, OP_ITEM, OP_USER };

typedef struct op_s {
    int kind;
    int partition; /* -1 for some users: the unknown partition */
    rr_event_t ev;
    rr_item_msg_t item;
    rr_user_msg_t user;
} op_t;

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static void gen_event(op_t *op, uint64_t *s, int64_t *ts, int *last, int i)
{
    rr_event_t *ev = &op->ev;
    static const rr_event_type_t types[] = {
        RR_EV_VIEW,       RR_EV_VIEW,     RR_EV_VIEW,        RR_EV_CLICK,    RR_EV_IMPRESSION,
        RR_EV_IMPRESSION, RR_EV_FAVORITE, RR_EV_ADD_TO_CART, RR_EV_PURCHASE, RR_EV_SEARCH};
    uint64_t r = lcg(s);
    *ts += r % 7 == 0 ? 0 : (int64_t)(lcg(s) % 90000);      /* some bursts within one second */
    if (r % 300 == 0) *ts += 5LL * 3600 * 1000;             /* idle gaps: users expire */
    int user = r % 7 == 0 ? *last : (int)(lcg(s) % NUSERS); /* bursts of one user: floods */
    int item = (int)(lcg(s) % (lcg(s) % 4 ? 40 : NITEMS));
    if (i >= NEV / 2 - 600 && i < NEV / 2) { /* two users browse twice the catalog */
        user = i % 2;
        item = (int)(lcg(s) % (2 * NITEMS));
    }
    ev->type = types[lcg(s) % (sizeof(types) / sizeof(types[0]))];
    ev->ts_ms = *ts;
    snprintf(ev->user_id, sizeof(ev->user_id), "u%d", user);
    if (ev->type != RR_EV_SEARCH) snprintf(ev->item_id, sizeof(ev->item_id), "i%d", item);
    if (ev->type == RR_EV_SEARCH) /* search terms: item titles carry these words */
        snprintf(ev->query, sizeof(ev->query), "w%d 跑步鞋", item % 13);
    snprintf(ev->category, sizeof(ev->category), "c%d", item % 11);
    if (item % 3) snprintf(ev->brand, sizeof(ev->brand), "b%d", item % 7);
    if (item % 5) ev->flags |= RR_EVF_PRICE, ev->price = 5.0f + (float)(item * 37 % 200);
    /* One in 25 repeats a recent event id: a duplicate delivery. */
    int id = lcg(s) % 25 == 0 && i > 10 ? i - 1 - (int)(lcg(s) % 10) : i;
    snprintf(ev->event_id, sizeof(ev->event_id), "e%d", id);
    *last = user;
    op->partition = user % 5 == 0 ? -1 : user % 3;
}

static op_t *gen_stream(void)
{
    op_t *ops = calloc(NEV, sizeof(*ops));
    uint64_t s = 42;
    int64_t ts = 1700000000000LL;
    int last = 0;
    for (int i = 0; i < NEV; i++) {
        ops[i].kind = OP_EVENT;
        gen_event(&ops[i], &s, &ts, &last, i);
        if (i == NEV / 2 || i == NEV / 3 || i == NEV - 1) { /* the last user asks to go */
            ops[i].kind = OP_FORGET;
            memcpy(ops[i].ev.user_id, ops[i - 1].ev.user_id, sizeof(ops[i].ev.user_id));
        } else if (i % 400 == 399) { /* an item leaves the catalog */
            ops[i].kind = OP_ITEM;
            snprintf(ops[i].item.item_id, sizeof(ops[i].item.item_id), "i%d", i % 40);
            ops[i].item.available = 0;
        } else if (i % 37 == 5) { /* users up to NUSERS + 9: some never have an event */
            static const char *const jobs[] = {"", "writer", "engineer", "student"};
            op_t *op = &ops[i];
            op->kind = OP_USER;
            int user = (int)(lcg(&s) % (NUSERS + 10));
            snprintf(op->user.user_id, sizeof(op->user.user_id), "u%d", user);
            op->user.age = 15 + (int32_t)(lcg(&s) % 50);
            snprintf(op->user.gender, sizeof(op->user.gender), "%s", user % 2 ? "F" : "M");
            snprintf(op->user.occupation, sizeof(op->user.occupation), "%s", jobs[user % 4]);
            snprintf(op->user.region, sizeof(op->user.region), "r%d", user % 6);
            op->partition = user % 5 == 0 ? -1 : user % 3;
        } else if (i % 50 == 7) { /* an item gets a title: text tokens and the index */
            ops[i].kind = OP_ITEM;
            snprintf(ops[i].item.item_id, sizeof(ops[i].item.item_id), "i%d", i % 40);
            snprintf(ops[i].item.title, sizeof(ops[i].item.title), "w%d 跑步鞋 t%d", i % 13, i);
            ops[i].item.available = 1;
        }
    }
    return ops;
}

static rr_config_t test_config(int dim)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 32;
    cfg.items_max = 400;
    cfg.users_ttl_s = 4 * 3600;
    cfg.users_max_events_per_s = 2;
    cfg.dedupe_window = 64;
    cfg.cooc_max_neighbors = 8;
    cfg.users_seen_pool = 3; /* fewer than the blocks the filters would take: one goes without */
    cfg.recs_n = 10;
    cfg.model_enabled = 1;
    cfg.model_dim = dim;
    return cfg;
}

/* As the engine does: apply, stamp the partition, refresh the user's list. */
static void run(rr_pipeline_t *pl, const op_t *ops, int from, int to)
{
    for (int i = from; i < to; i++) {
        const op_t *op = &ops[i];
        uint32_t uid;
        if (op->kind == OP_FORGET) {
            rr_pipeline_forget(pl, op->ev.user_id);
        } else if (op->kind == OP_ITEM) {
            rr_pipeline_item_update(pl, &op->item, &uid);
        } else if (op->kind == OP_USER) {
            if (rr_pipeline_user_update(pl, &op->user, &uid) == RR_OK)
                pl->store.user[uid].partition = op->partition;
        } else if (rr_pipeline_apply(pl, &op->ev, &uid) == RR_OK) {
            pl->store.user[uid].partition = op->partition;
            rr_store_set_trigger(&pl->store.user[uid], op->ev.ts_ms);
            rr_pipeline_refresh(pl, uid);
        }
    }
}

/* ---- Bit-exact comparison ------------------------------------------------------------------ */

#define SAME(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

static void check_intern(const rr_intern_t *a, const rr_intern_t *b)
{
    CHECK_INT(a->next_id, b->next_id);
    CHECK_INT(a->count, b->count);
    CHECK_INT(a->free_count, b->free_count);
    if (a->next_id != b->next_id || a->free_count != b->free_count) return;
    uint32_t x = rr_intern_free_first(a), y = rr_intern_free_first(b);
    for (size_t k = 0; k < a->free_count; k++) {
        CHECK_INT(x, y);
        x = rr_intern_free_next(a, x);
        y = rr_intern_free_next(b, y);
    }
    CHECK(x == RR_INTERN_NONE && y == RR_INTERN_NONE);
    for (uint32_t id = 0; id < a->next_id; id++) {
        const char *ka = rr_intern_key(a, id), *kb = rr_intern_key(b, id);
        CHECK_STR(ka ? ka : "", kb ? kb : "");
        if (ka) CHECK_INT(rr_intern_find(b, ka), id);
    }
}

static void check_lists(const rr_store_t *a, const rr_store_t *b, size_t n)
{
    for (size_t k = 0; k < n * a->list_max; k++) {
        const rr_list_entry_t *x = &a->lists[k], *y = &b->lists[k];
        CHECK(x->item == y->item && rr_list_because(x) == rr_list_because(y) &&
              x->reason == y->reason && rr_list_centi(x) == rr_list_centi(y));
        SAME(&x->score, &y->score, sizeof(float));
    }
}

static void check_store(const rr_store_t *a, const rr_store_t *b)
{
    check_intern(&a->users, &b->users);
    check_intern(&a->items, &b->items);
    check_intern(&a->categories, &b->categories);
    check_intern(&a->brands, &b->brands);
    size_t nu = a->users.next_id, ni = a->items.next_id;
    SAME(a->user, b->user, nu * sizeof(rr_user_t));
    SAME(a->recent, b->recent, nu * a->nrecent_max * sizeof(uint32_t));
    SAME(a->bought, b->bought, nu * RR_BOUGHT_MAX * sizeof(uint32_t));
    SAME(a->seen, b->seen, nu * RR_SEEN_WORDS * sizeof(uint64_t));
    /* Grown seen filters by content: a restore hands out the pool's slots in its own order. */
    CHECK_INT(a->seen_nfree, b->seen_nfree);
    for (size_t u = 0; u < nu; u++) {
        const uint64_t *x[RR_SEEN_MAX_BLOCKS], *y[RR_SEEN_MAX_BLOCKS];
        size_t n = rr_store_seen_blocks(a, (uint32_t)u, x);
        CHECK_INT(rr_store_seen_blocks(b, (uint32_t)u, y), n);
        for (size_t k = 0; k < n; k++) SAME(x[k], y[k], RR_SEEN_BIG_WORDS * sizeof(uint64_t));
    }
    check_lists(a, b, nu);
    for (size_t i = 0; i < ni; i++) {
        const rr_item_t *x = &a->item[i], *y = &b->item[i];
        CHECK(x->category == y->category && x->brand == y->brand && x->available == y->available);
        CHECK(x->interactions == y->interactions && memcmp(&x->price, &y->price, 4) == 0);
    }
}

static void check_cooc(const rr_pipeline_t *a, const rr_pipeline_t *b)
{
    CHECK_INT(a->cooc.pairs, b->cooc.pairs);
    CHECK_INT(a->cooc.evicted, b->cooc.evicted);
    for (uint32_t i = 0; i < a->store.items.next_id; i++) {
        const rr_cooc_row_t *x = rr_cooc_row(&a->cooc, i), *y = rr_cooc_row(&b->cooc, i);
        CHECK(x->cap == y->cap && x->used == y->used);
        if (x->cap == y->cap && x->cap) SAME(x->slots, y->slots, x->cap * sizeof(rr_cooc_nb_t));
        for (uint32_t s = 0; s < x->cap; s++) /* and as a set, through the public lookup */
            if (x->slots[s].item)
                CHECK_INT(rr_cooc_get(&b->cooc, i, x->slots[s].item - 1), x->slots[s].count);
    }
}

static void check_trending(const rr_pipeline_t *a, const rr_pipeline_t *b)
{
    const rr_trending_t *x = &a->trending, *y = &b->trending;
    SAME(x->score, y->score, x->max_items * sizeof(float));
    CHECK(x->t0_ms == y->t0_ms && x->t_last == y->t_last && x->ntop == y->ntop);
    SAME(&x->scale, &y->scale, sizeof(double));
    SAME(x->top, y->top, sizeof(x->top));
    SAME(a->cattop.n, b->cattop.n, a->cattop.cats_max * sizeof(uint32_t));
    SAME(a->cattop.top, b->cattop.top, a->cattop.cats_max * RR_CATTOP_K * sizeof(uint32_t));
}

static int cmp_u64(const void *p, const void *q)
{
    uint64_t x = *(const uint64_t *)p, y = *(const uint64_t *)q;
    return x < y ? -1 : x > y;
}

/* Generations compared as sets: only membership is state. */
static void check_dedupe(const rr_dedupe_t *a, const rr_dedupe_t *b)
{
    CHECK(a->cur == b->cur && a->n[0] == b->n[0] && a->n[1] == b->n[1]);
    uint64_t *x = malloc(a->cap * 8), *y = malloc(a->cap * 8);
    for (int g = 0; g < 2; g++) {
        memcpy(x, a->gen[g], a->cap * 8);
        memcpy(y, b->gen[g], a->cap * 8);
        qsort(x, a->cap, 8, cmp_u64);
        qsort(y, a->cap, 8, cmp_u64);
        SAME(x, y, a->cap * 8);
    }
    free(x);
    free(y);
}

static void check_learner(const rr_learner_t *a, const rr_learner_t *b)
{
    CHECK(a->nparams == b->nparams && a->nstate == b->nstate);
    SAME(a->params, b->params, a->nparams * sizeof(float));
    SAME(a->state, b->state, a->nstate * sizeof(float));
    SAME(a->item_ready, b->item_ready, (a->items_max / 64 + 1) * 8);
    CHECK_INT(a->nsampler, b->nsampler);
    SAME(a->sampler, b->sampler, a->nsampler * sizeof(uint32_t));
    CHECK_INT(a->steps, b->steps);
    CHECK_INT(a->flushes, b->flushes);
    CHECK_INT(a->stage.nevents, b->stage.nevents);
    SAME(&a->rng, &b->rng, sizeof(a->rng));
    CHECK(a->opt_mlp.t == b->opt_mlp.t && a->opt_embed.t == b->opt_embed.t);
}

static void check_same(const rr_pipeline_t *a, const rr_pipeline_t *b)
{
    check_store(&a->store, &b->store);
    check_cooc(a, b);
    check_trending(a, b);
    check_dedupe(&a->dedupe, &b->dedupe);
    check_learner(&a->learner, &b->learner);
    SAME(a->portrait.user, b->portrait.user, a->store.users.next_id * sizeof(rr_portrait_t));
    check_intern(&a->portrait.names, &b->portrait.names);
    CHECK(a->segpop.total == b->segpop.total);
    SAME(a->segpop.seg_total, b->segpop.seg_total, sizeof(a->segpop.seg_total));
    SAME(a->segpop.count, b->segpop.count,
         (size_t)(RR_SEGPOP_KINDS + 1) * RR_SEGPOP_SLOTS * sizeof(uint32_t));
    CHECK_INT(a->portrait.now_ms, b->portrait.now_ms);
    SAME(&a->portrait.log_price, &b->portrait.log_price, sizeof(rr_welford_t));
    SAME(&a->preq, &b->preq, sizeof(rr_preq_t));
    SAME(a->text.item_tok, b->text.item_tok, a->text.items_max * RR_TEXT_ITEM_TOKENS * 4);
    SAME(a->text.listed_ms, b->text.listed_ms, a->text.items_max * sizeof(int64_t));
    SAME(a->text.bucket, b->text.bucket, a->text.nbuckets * RR_TEXT_BUCKET * 4);
    SAME(a->text.head, b->text.head, a->text.nbuckets);
    SAME(a->text.user, b->text.user, a->text.nslots * sizeof(rr_text_user_t));
    SAME(a->by_type, b->by_type, sizeof(a->by_type));
    CHECK(a->events_total == b->events_total && a->dropped_full == b->dropped_full);
    CHECK(a->duplicates == b->duplicates && a->flooded == b->flooded);
    CHECK(a->evicted == b->evicted && a->expired == b->expired);
    CHECK(a->sweep_hand == b->sweep_hand && a->evict_rng == b->evict_rng);
}

/* ---- Checkpoint files ---------------------------------------------------------------------- */

static char *make_dir(char *buf)
{
    strcpy(buf, "/tmp/rr_pckpt_test.XXXXXX");
    return mkdtemp(buf);
}

/* Saves pl as dir/ckpt-<seq>.rrc into path; returns the file size (0 on failure). */
static long save_ckpt(const rr_pipeline_t *pl, const char *dir, uint64_t seq, char *path)
{
    char errstr[256] = "";
    rr_ckpt_writer_t *w = rr_ckpt_begin(dir, seq, errstr, sizeof(errstr));
    CHECK(w != NULL);
    if (!w) return 0;
    rr_err_t err = rr_pipeline_save(pl, w);
    CHECK_INT(err, RR_OK);
    if (err) {
        rr_ckpt_abort(w);
        return 0;
    }
    CHECK_INT(rr_ckpt_commit(w), RR_OK);
    snprintf(path, 512, "%s/ckpt-%llu.rrc", dir, (unsigned long long)seq);
    FILE *fp = fopen(path, "rb");
    long size = -1;
    if (fp && fseek(fp, 0, SEEK_END) == 0) size = ftell(fp);
    if (fp) fclose(fp);
    return size > 0 ? size : 0;
}

/* Opens path and loads it into a fresh pipeline of cfg; the load's result, errstr filled. */
static rr_err_t load_ckpt(rr_pipeline_t *pl, const rr_config_t *cfg, const char *path, char *errstr,
                          size_t errlen)
{
    CHECK_INT(rr_pipeline_init(pl, cfg), RR_OK);
    rr_ckpt_reader_t *r = rr_ckpt_open(path, errstr, errlen);
    CHECK(r != NULL);
    if (!r) return RR_E(IO);
    rr_err_t err = rr_pipeline_load(pl, r, errstr, errlen);
    rr_ckpt_close(r);
    return err;
}

/* ---- Cases --------------------------------------------------------------------------------- */

/* The first point of the stream at which at least two user ids await reuse, so the free
 * ring's order matters to the ids handed out next. */
static int split_with_free_ids(const op_t *ops, const rr_config_t *cfg)
{
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, cfg), RR_OK);
    int i = 0;
    while (i < NEV && pl.store.users.free_count < 2) run(&pl, ops, i, i + 1), i++;
    CHECK(pl.store.users.free_count >= 2);
    rr_pipeline_free(&pl);
    return i;
}

/* Stop at k, checkpoint, restore, finish: the same state as never stopping, for several k. */
static size_t grown_filters(const rr_store_t *st, size_t *most_blocks)
{
    size_t n = 0;
    *most_blocks = 0;
    for (uint32_t u = 0; u < st->users.next_id; u++) {
        const uint64_t *blocks[RR_SEEN_MAX_BLOCKS];
        size_t k = rr_store_seen_blocks(st, u, blocks);
        n += k > 0;
        *most_blocks = k > *most_blocks ? k : *most_blocks;
    }
    return n;
}

static void resume_case(const char *optimizer)
{
    op_t *ops = gen_stream();
    rr_config_t cfg = test_config(8);
    snprintf(cfg.model_optimizer, sizeof(cfg.model_optimizer), "%s", optimizer);
    rr_pipeline_t a, b;
    CHECK_INT(rr_pipeline_init(&a, &cfg), RR_OK);
    run(&a, ops, 0, NEV);
    CHECK(a.evicted > 0 && a.expired > 0 && a.duplicates > 0 && a.flooded > 0);
    CHECK(a.cooc.evicted > 0 && a.store.users.free_count > 0);
    uint32_t hash[RR_TEXT_TERMS];
    float tw[RR_TEXT_TERMS];
    size_t with_terms = 0;
    for (uint32_t u = 0; u < a.store.users.next_id; u++)
        with_terms += rr_text_intent(&a.text, u, INT64_MIN, hash, tw, NULL) > 0;
    size_t titled = 0;
    for (uint32_t i = 0; i < a.store.items.next_id; i++)
        titled += rr_text_item_tokens(&a.text, i)[0] != 0;
    CHECK(with_terms > 0 && titled > 0);
    /* The stream trains the demographic and token rows, so the comparison covers them. */
    CHECK_INT(rr_pipeline_init(&b, &cfg), RR_OK);
    const rr_learner_t *la = &a.learner, *lb = &b.learner;
    CHECK(memcmp(la->demo.data, lb->demo.data, la->demo.nrows * la->demo.dim * 4) != 0);
    CHECK(memcmp(la->text.data, lb->text.data, la->text.nrows * la->text.dim * 4) != 0);
    rr_pipeline_free(&b);
    char dir[64], path[512], errstr[256];
    CHECK(make_dir(dir) != NULL);
    const int splits[] = {
        0, NEV / 4, split_with_free_ids(ops, &cfg), NEV / 2, NEV / 2 + 1, 3 * NEV / 4, NEV};
    int pool_out = 0, chained = 0;
    for (size_t s = 0; s < sizeof(splits) / sizeof(splits[0]); s++) {
        CHECK_INT(rr_pipeline_init(&b, &cfg), RR_OK);
        run(&b, ops, 0, splits[s]);
        size_t most_blocks;
        size_t grown = grown_filters(&b.store, &most_blocks);
        pool_out |= splits[s] == NEV / 2 && grown && b.store.seen_nfree == 0;
        chained |= most_blocks >= 2;
        long size = save_ckpt(&b, dir, s + 1, path);
        rr_pipeline_free(&b);
        CHECK_INT(load_ckpt(&b, &cfg, path, errstr, sizeof(errstr)), RR_OK);
        if (errstr[0]) fprintf(stderr, "load: %s\n", errstr);
        run(&b, ops, splits[s], NEV);
        check_same(&a, &b);
        printf("%s split %d: checkpoint %ld bytes\n", optimizer, splits[s], size);
        rr_pipeline_free(&b);
    }
    CHECK(pool_out); /* a checkpoint held grown seen filters, with the pool taken */
    CHECK(chained);  /* and a filter of more than one block */
    rr_pipeline_free(&a);
    rr_test_remove_dir(dir);
    free(ops);
}

static void test_resume_bit_identical(void)
{
    resume_case("adagrad");
    resume_case("adam"); /* per-row step counts in the state, the dense one in opt_mlp.t */
}

/* Each partition's users are in their own section; the unknown partition is USRS/0. */
static void test_sections_by_partition(void)
{
    op_t *ops = gen_stream();
    rr_config_t cfg = test_config(8);
    rr_pipeline_t a;
    CHECK_INT(rr_pipeline_init(&a, &cfg), RR_OK);
    run(&a, ops, 0, NEV / 2);
    char dir[64], path[512], errstr[256];
    CHECK(make_dir(dir) != NULL);
    save_ckpt(&a, dir, 1, path);
    rr_ckpt_reader_t *r = rr_ckpt_open(path, errstr, sizeof(errstr));
    CHECK(r != NULL);
    const void *data;
    size_t len, users = 0;
    for (uint32_t sub = 0; r && sub < 4; sub++) {
        if (rr_ckpt_find(r, RR_CKPT_USRS, sub, &data, &len) != RR_OK) continue;
        rr_ckpt_cursor_t c;
        rr_ckpt_cursor_init(&c, data, len);
        CHECK_INT(rr_ckpt_read_u32(&c), RR_PCKPT_VERSION);
        users += rr_ckpt_read_u64(&c);
    }
    CHECK_INT(users, a.store.users.count);
    CHECK(r && rr_ckpt_find(r, RR_CKPT_USRS, 0, &data, &len) == RR_OK);
    rr_ckpt_close(r);
    rr_pipeline_free(&a);
    rr_test_remove_dir(dir);
    free(ops);
}

/* A checkpoint of another model shape or without the model is refused with a clear reason. */
static void test_incompatible_config(void)
{
    op_t *ops = gen_stream();
    rr_config_t cfg = test_config(8), other = test_config(16), off = test_config(8);
    off.model_enabled = 0;
    rr_pipeline_t a, b;
    CHECK_INT(rr_pipeline_init(&a, &cfg), RR_OK);
    run(&a, ops, 0, 300);
    char dir[64], path[512], errstr[256] = "";
    CHECK(make_dir(dir) != NULL);
    save_ckpt(&a, dir, 1, path);
    CHECK_INT(load_ckpt(&b, &other, path, errstr, sizeof(errstr)), RR_E(CONFIG));
    CHECK(strstr(errstr, "model.dim is 8 in the checkpoint, 16 here") != NULL);
    rr_pipeline_free(&b);
    CHECK_INT(load_ckpt(&b, &off, path, errstr, sizeof(errstr)), RR_E(CONFIG));
    CHECK(strstr(errstr, "model.enabled") != NULL);
    rr_pipeline_free(&b);
    rr_pipeline_free(&a);
    rr_test_remove_dir(dir);
    free(ops);
}

/* A flipped byte fails the container's checksum; valid sections with bad content (a user entry
 * of garbage, a missing section) fail the load cleanly. */
static void test_corrupt(void)
{
    op_t *ops = gen_stream();
    rr_config_t cfg = test_config(8);
    rr_pipeline_t a, b;
    CHECK_INT(rr_pipeline_init(&a, &cfg), RR_OK);
    run(&a, ops, 0, 300);
    char dir[64], path[512], errstr[256] = "";
    CHECK(make_dir(dir) != NULL);
    long size = save_ckpt(&a, dir, 1, path);
    FILE *fp = fopen(path, "r+b");
    CHECK(fp != NULL && fseek(fp, size / 2, SEEK_SET) == 0);
    int ch = fp ? fgetc(fp) : 0;
    if (fp && fseek(fp, size / 2, SEEK_SET) == 0) fputc(ch ^ 0x10, fp);
    if (fp) fclose(fp);
    CHECK(rr_ckpt_open(path, errstr, sizeof(errstr)) == NULL);

    rr_ckpt_writer_t *w = rr_ckpt_begin(dir, 2, errstr, sizeof(errstr));
    uint8_t junk[64];
    memset(junk, 0xa5, sizeof(junk));
    rr_ckpt_put_le32(junk, 1); /* right version, garbage count and entries */
    CHECK_INT(rr_pipeline_save(&a, w), RR_OK);
    CHECK_INT(rr_ckpt_put(w, RR_CKPT_USRS, 9, junk, sizeof(junk)), RR_OK);
    CHECK_INT(rr_ckpt_commit(w), RR_OK);
    snprintf(path, sizeof(path), "%s/ckpt-2.rrc", dir);
    CHECK_INT(load_ckpt(&b, &cfg, path, errstr, sizeof(errstr)), RR_E(DECODE));
    CHECK(strstr(errstr, "USRS/9") != NULL);
    rr_pipeline_free(&b);

    w = rr_ckpt_begin(dir, 3, errstr, sizeof(errstr));
    CHECK_INT(rr_ckpt_put(w, RR_CKPT_RNG, 0, junk, 8), RR_OK);
    CHECK_INT(rr_ckpt_commit(w), RR_OK);
    snprintf(path, sizeof(path), "%s/ckpt-3.rrc", dir);
    CHECK_INT(load_ckpt(&b, &cfg, path, errstr, sizeof(errstr)), RR_E(DECODE));
    CHECK(strstr(errstr, "META: section missing") != NULL);
    rr_pipeline_free(&b);
    rr_pipeline_free(&a);
    rr_test_remove_dir(dir);
    free(ops);
}

/* Rewrites the sections of r into dir/ckpt-<seq>.rrc, section i replaced by (data, len). */
static void rewrite(const rr_ckpt_reader_t *r, const char *dir, uint64_t seq, size_t i,
                    const void *data, size_t len)
{
    char errstr[256];
    rr_ckpt_writer_t *w = rr_ckpt_begin(dir, seq, errstr, sizeof(errstr));
    for (size_t j = 0; j < rr_ckpt_info(r)->count; j++) {
        const rr_ckpt_section_t *s = rr_ckpt_section(r, j);
        CHECK_INT(
            rr_ckpt_put(w, s->tag, s->sub, j == i ? data : s->data, j == i ? len : (size_t)s->len),
            RR_OK);
    }
    CHECK_INT(rr_ckpt_commit(w), RR_OK);
}

/* Flipped payload bits under valid checksums (a bug, not a disk fault, since the container
 * checks those): the load fails cleanly or succeeds, and the pipeline then keeps running,
 * without a memory error. Headers of each section are hit most: that is where counts live. */
static void test_bad_payloads(void)
{
    op_t *ops = gen_stream();
    rr_config_t cfg = test_config(8);
    rr_pipeline_t a, b;
    CHECK_INT(rr_pipeline_init(&a, &cfg), RR_OK);
    run(&a, ops, 0, 600);
    char dir[64], path[512], errstr[256];
    CHECK(make_dir(dir) != NULL);
    save_ckpt(&a, dir, 1, path);
    rr_ckpt_reader_t *r = rr_ckpt_open(path, errstr, sizeof(errstr));
    uint64_t seed = 7, seq = 2;
    int failed = 0, loaded = 0;
    for (size_t i = 0; r && i < rr_ckpt_info(r)->count; i++) {
        const rr_ckpt_section_t *s = rr_ckpt_section(r, i);
        uint8_t *copy = malloc(s->len ? s->len : 1);
        for (int t = 0; t < 12 && s->len; t++, seq++) {
            memcpy(copy, s->data, s->len);
            size_t pos = lcg(&seed) % (t < 8 && s->len > 96 ? 96 : s->len);
            copy[pos] ^= (uint8_t)(1u << lcg(&seed) % 8);
            rewrite(r, dir, seq, i, copy, s->len);
            snprintf(path, sizeof(path), "%s/ckpt-%llu.rrc", dir, (unsigned long long)seq);
            rr_err_t err = load_ckpt(&b, &cfg, path, errstr, sizeof(errstr));
            CHECK(err == RR_OK || err == RR_E(DECODE) || err == RR_E(CONFIG));
            if (err == RR_OK) run(&b, ops, 600, 800);
            failed += err != RR_OK, loaded += err == RR_OK;
            rr_pipeline_free(&b);
            unlink(path);
        }
        free(copy);
    }
    printf("bad payloads: %d refused, %d loaded and ran\n", failed, loaded);
    CHECK(failed > 0 && loaded > 0);
    rr_ckpt_close(r);
    rr_pipeline_free(&a);
    rr_test_remove_dir(dir);
    free(ops);
}

RR_TEST_MAIN(RR_TEST(test_resume_bit_identical), RR_TEST(test_sections_by_partition),
             RR_TEST(test_incompatible_config), RR_TEST(test_corrupt), RR_TEST(test_bad_payloads))
