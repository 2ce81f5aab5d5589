/* test_refresh_threads.c — recs.refresh_threads = 2 gives the lists of 1 thread, bit for bit:
 * two pipelines apply the same generated stream and refresh the same users in the same batches,
 * one on the owner's thread alone, one split with the worker; every list (items, scores,
 * reasons, their details) and the models must be equal, and the worker must have taken part.
 * Two threads sharing a scratch would corrupt lists here. Run under ASan and, with
 * `ops/build tsan`, ThreadSanitizer. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "rr_blas.h"
#include "rr_config.h"
#include "rr_pipeline.h"
#include "rr_test.h"

#define USERS  300
#define ITEMS  400
#define EVENTS 6000
#define EVERY  48 /* events between refreshes of the users they touched */

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* Users walk through clusters of items (a neighbour of their last item, sometimes a jump), with
 * clicks, carts and purchases among the views, and impressions of items they do not take. */
static void next_event(uint64_t *s, int *last, int64_t ts, rr_event_t *ev)
{
    static const rr_event_type_t types[8] = {RR_EV_VIEW,     RR_EV_VIEW,      RR_EV_VIEW,
                                             RR_EV_CLICK,    RR_EV_CLICK,     RR_EV_ADD_TO_CART,
                                             RR_EV_PURCHASE, RR_EV_IMPRESSION};
    int u = (int)(lcg(s) % USERS);
    int i = lcg(s) % 4 ? (last[u] + 1 + (int)(lcg(s) % 3)) % ITEMS : (int)(lcg(s) % ITEMS);
    last[u] = i;
    memset(ev, 0, sizeof(*ev));
    snprintf(ev->user_id, sizeof(ev->user_id), "u%d", u);
    snprintf(ev->item_id, sizeof(ev->item_id), "i%d", i);
    snprintf(ev->category, sizeof(ev->category), "c%d", i / 20);
    snprintf(ev->event_id, sizeof(ev->event_id), "e%lld", (long long)ts);
    ev->type = types[lcg(s) % 8];
    ev->ts_ms = ts;
    ev->flags = RR_EVF_TS;
}

typedef struct pair_s {
    rr_pipeline_t one, two;
} pair_t;

static void refresh_both(pair_t *p, const uint32_t *uids, size_t n)
{
    rr_pipeline_refresh_batch(&p->one, uids, n);
    rr_pipeline_refresh_batch(&p->two, uids, n);
}

/* Every user's list in both pipelines; returns the entries compared. */
static size_t compare_lists(const pair_t *p)
{
    size_t compared = 0;
    for (uint32_t uid = 0; uid < USERS + 1; uid++) {
        const rr_user_t *a = &p->one.store.user[uid], *b = &p->two.store.user[uid];
        CHECK_INT(a->nlist, b->nlist);
        if (a->nlist != b->nlist) continue;
        const rr_list_entry_t *la = rr_store_list(&p->one.store, uid);
        const rr_list_entry_t *lb = rr_store_list(&p->two.store, uid);
        for (uint32_t i = 0; i < a->nlist; i++) {
            CHECK_INT(la[i].item, lb[i].item);
            CHECK(memcmp(&la[i].score, &lb[i].score, sizeof(float)) == 0);
            CHECK_INT(la[i].reason, lb[i].reason);
            CHECK(memcmp(&la[i], &lb[i], sizeof(la[i])) == 0); /* because / strength too */
        }
        compared += a->nlist;
    }
    return compared;
}

/* Plays the stream into both, refreshing each window's users in one batch, then refreshes
 * everyone at once and compares. */
static void check_same_lists(rr_config_t cfg, const char *what)
{
    pair_t p;
    rr_blas_set_threads(1); /* as rtrec does: the per-event matrices are small (NOTES.md) */
    cfg.recs_refresh_threads = 1;
    CHECK_INT(rr_pipeline_init(&p.one, &cfg), RR_OK);
    cfg.recs_refresh_threads = 2;
    CHECK_INT(rr_pipeline_init(&p.two, &cfg), RR_OK);
    CHECK(p.one.worker == NULL && p.two.worker != NULL);
    uint64_t s = 42;
    int last[USERS] = {0};
    uint32_t batch[EVERY];
    size_t n = 0;
    int64_t ts = 1700000000000LL;
    for (int e = 0; e < EVENTS; e++) {
        rr_event_t ev;
        uint32_t ua, ub;
        next_event(&s, last, ts += 30000, &ev);
        rr_err_t ea = rr_pipeline_apply(&p.one, &ev, &ua), eb = rr_pipeline_apply(&p.two, &ev, &ub);
        CHECK_INT(ea, eb);
        CHECK_INT(ua, ub);
        int dup = 0;
        for (size_t k = 0; k < n; k++) dup |= batch[k] == ua;
        if (ea == RR_OK && !dup) batch[n++] = ua;
        if (n == EVERY || e == EVENTS - 1) {
            refresh_both(&p, batch, n);
            n = 0;
        }
    }
    uint32_t all[USERS];
    size_t nall = 0;
    for (uint32_t uid = 0; uid < rr_intern_bound(&p.one.store.users); uid++) all[nall++] = uid;
    refresh_both(&p, all, nall);
    size_t compared = compare_lists(&p);
    fprintf(stderr, "%s: %zu entries of %zu users equal; worker computed %llu of %llu lists\n",
            what, compared, nall, (unsigned long long)p.two.ctx[1].users,
            (unsigned long long)(p.two.ctx[0].users + p.two.ctx[1].users));
    CHECK(compared > 1000);
    CHECK(p.two.ctx[1].users > 0);
    CHECK_INT(p.one.ctx[0].users, p.two.ctx[0].users + p.two.ctx[1].users);
    /* The model's work is counted on both threads: the ranker's rows are the same however the
     * lists were split (the learner's forwards are padded to score_batch rows, so its count
     * depends on how rows shared them). */
    CHECK((rr_pipeline_model_flops(&p.one) > 0) == (p.one.model_on || p.one.ranker_on));
    CHECK_INT(p.one.ctx[0].rank.rows_scored,
              p.two.ctx[0].rank.rows_scored + p.two.ctx[1].rank.rows_scored);
    CHECK_INT(p.one.ctx[0].rank.rows_explained,
              p.two.ctx[0].rank.rows_explained + p.two.ctx[1].rank.rows_explained);
    /* Refreshing wrote nothing else: the models trained the same. */
    if (cfg.model_enabled) {
        const rr_learner_t *a = &p.one.learner, *b = &p.two.learner;
        CHECK(memcmp(a->params, b->params, a->nparams * sizeof(float)) == 0);
        CHECK(memcmp(a->item_ready, b->item_ready, (a->items_max / 64 + 1) * 8) == 0);
    }
    if (cfg.recs_ranker) {
        CHECK(p.one.ranker.steps > 0);
        CHECK(memcmp(p.one.ranker.params, p.two.ranker.params,
                     p.one.ranker.nparams * sizeof(float)) == 0);
    }
    rr_pipeline_free(&p.one);
    rr_pipeline_free(&p.two);
}

static rr_config_t config(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 512;
    cfg.items_max = 512;
    return cfg;
}

/* The defaults: the learned ranker orders lists once warm (from the first few hundred events). */
static void test_ranker_lists(void)
{
    check_same_lists(config(), "ranker");
}

/* No ranker: the blend, re-ranked by the embedding MLP in batches across users. */
static void test_blend_lists(void)
{
    rr_config_t cfg = config();
    cfg.recs_ranker = 0;
    check_same_lists(cfg, "blend + MLP");
}

/* Embedding retrieval on: each thread retrieves for its own chunk. */
static void test_retrieval_lists(void)
{
    rr_config_t cfg = config();
    cfg.recs_retrieve_k = 20;
    check_same_lists(cfg, "ranker + retrieval");
}

/* Neither model: co-occurrence, category and trending alone. */
static void test_no_model_lists(void)
{
    rr_config_t cfg = config();
    cfg.model_enabled = 0;
    cfg.recs_ranker = 0;
    check_same_lists(cfg, "no model");
}

RR_TEST_MAIN(RR_TEST(test_ranker_lists), RR_TEST(test_blend_lists), RR_TEST(test_retrieval_lists),
             RR_TEST(test_no_model_lists))
