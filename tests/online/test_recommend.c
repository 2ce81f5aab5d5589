/* test_recommend.c — the co-occurrence recommender and the state under it: interning, the
 * dirty set, co-occurrence counts against a naive count, trending order, and a scenario whose
 * list is worked out by hand. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "rr_config.h"
#include "rr_dirty.h"
#include "rr_pipeline.h"
#include "rr_test.h"

static void test_intern(void)
{
    rr_intern_t in;
    CHECK_INT(rr_intern_init(&in, 4), RR_OK);
    uint32_t id;
    int is_new;
    const char *keys[] = {"a", "b", "c", "d"};
    for (uint32_t i = 0; i < 4; i++) {
        CHECK_INT(rr_intern_add(&in, keys[i], &id, &is_new), RR_OK);
        CHECK_INT(id, i);
        CHECK_INT(is_new, 1);
    }
    CHECK_INT(rr_intern_add(&in, "e", &id, &is_new), RR_E(FULL));
    CHECK_INT(rr_intern_add(&in, "c", &id, &is_new), RR_OK);
    CHECK_INT(id, 2);
    CHECK_INT(is_new, 0);
    rr_intern_remove(&in, 1);
    CHECK_INT(rr_intern_find(&in, "b"), RR_INTERN_NONE);
    CHECK(rr_intern_key(&in, 1) == NULL);
    CHECK_INT(rr_intern_add(&in, "e", &id, &is_new), RR_OK);
    CHECK_INT(id, 1); /* the freed id is reused */
    CHECK_STR(rr_intern_key(&in, 1), "e");
    CHECK_INT(rr_intern_find(&in, "d"), 3);
    rr_intern_free(&in);
}

static void test_dirty(void)
{
    rr_dirty_t d;
    CHECK_INT(rr_dirty_init(&d, 10), RR_OK);
    CHECK_INT(rr_dirty_add(&d, 3), 1);
    CHECK_INT(rr_dirty_add(&d, 7), 1);
    CHECK_INT(rr_dirty_add(&d, 3), 0); /* a burst costs one entry */
    CHECK_INT(rr_dirty_add(&d, 10), RR_E(INVAL));
    CHECK_INT(rr_dirty_count(&d), 2);
    uint32_t id;
    CHECK(rr_dirty_pop(&d, &id) && id == 3);
    CHECK(rr_dirty_pop(&d, &id) && id == 7);
    CHECK(!rr_dirty_pop(&d, &id));
    for (uint32_t i = 0; i < 10; i++) CHECK_INT(rr_dirty_add(&d, 9 - i), 1);
    CHECK_INT(rr_dirty_count(&d), 10);
    CHECK(rr_dirty_pop(&d, &id) && id == 9);
    rr_dirty_free(&d);
}

/* A weighted pair's count, as rr_cooc.h states it: 8·(p/n)² rounded, at least 1. */
static uint32_t naive_weight(uint32_t p, uint32_t n)
{
    long w = lround(8.0 * ((double)p / n) * ((double)p / n));
    return w < 1 ? 1 : (uint32_t)w;
}

/* Naive item-kNN: every event against the distinct earlier items of the same user in the
 * window, as the item-kNN baseline defines it (DESIGN.md, "Measuring quality"); weighted, each
 * pair by the earlier item's position among them (the newest of its repeats). */
static void cooc_vs_naive(int weighted)
{
    enum { NI = 30, NU = 5, NEV = 400, WIN = 6 };
    static uint32_t naive[NI][NI];
    memset(naive, 0, sizeof(naive));
    uint32_t hist[NU][NEV], nh[NU] = {0};
    rr_cooc_t co;
    CHECK_INT(rr_cooc_init(&co, NI, 1000), RR_OK);
    rr_cooc_weigh(&co, weighted);
    uint64_t s = 12345;
    for (int e = 0; e < NEV; e++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t u = (uint32_t)(s >> 33) % NU, item = (uint32_t)(s >> 40) % NI;
        uint32_t start = nh[u] > WIN - 1 ? nh[u] - (WIN - 1) : 0;
        for (uint32_t j = start; j < nh[u]; j++) {
            uint32_t other = hist[u][j];
            int dup = 0;
            for (uint32_t k = j + 1; k < nh[u]; k++) dup |= hist[u][k] == other;
            uint32_t w = weighted ? naive_weight(j - start + 1, nh[u] - start) : 1;
            if (other != item && !dup) {
                naive[item][other] += w;
                naive[other][item] += w;
            }
        }
        CHECK_INT(rr_cooc_add(&co, item, &hist[u][start], nh[u] - start), RR_OK);
        hist[u][nh[u]++] = item;
    }
    int mismatches = 0;
    for (uint32_t a = 0; a < NI; a++)
        for (uint32_t b = 0; b < NI; b++) mismatches += rr_cooc_get(&co, a, b) != naive[a][b];
    CHECK_INT(mismatches, 0);
    CHECK_INT(co.evicted, 0);
    rr_cooc_free(&co);
}

static void test_cooc_vs_naive(void)
{
    cooc_vs_naive(0);
    cooc_vs_naive(1);
    /* The weights themselves: next to each other 8, ten back of twenty 2, twenty back 1. */
    rr_cooc_t co;
    CHECK_INT(rr_cooc_init(&co, 40, 1000), RR_OK);
    rr_cooc_weigh(&co, 1);
    uint32_t prev[20];
    for (uint32_t i = 0; i < 20; i++) prev[i] = 1 + i;
    CHECK_INT(rr_cooc_add(&co, 0, prev, 20), RR_OK);
    CHECK_INT(rr_cooc_get(&co, 0, 20), 8);
    CHECK_INT(rr_cooc_get(&co, 20, 0), 8);
    CHECK_INT(rr_cooc_get(&co, 0, 11), 2);
    CHECK_INT(rr_cooc_get(&co, 0, 1), 1);
    rr_cooc_free(&co);
}

static void test_cooc_bounded(void)
{
    rr_cooc_t co;
    CHECK_INT(rr_cooc_init(&co, 1000, 8), RR_OK);
    uint32_t hub = 0;
    const rr_cooc_nb_t *full = NULL;
    for (uint32_t i = 1; i < 1000; i++) {
        uint32_t strong = 1 + i % 3; /* items 1..3 co-occur with the hub again and again */
        CHECK_INT(rr_cooc_add(&co, hub, &strong, 1), RR_OK);
        CHECK_INT(rr_cooc_add(&co, hub, &i, 1), RR_OK);
        if (i == 20) full = co.rows[hub].slots;
    }
    CHECK(co.rows[hub].used <= 8);
    CHECK(co.evicted > 0);
    /* Grown to 16 slots by i = 20; every decrement after that reused the same table. */
    CHECK_INT(co.rows[hub].cap, 16);
    CHECK_INT(co.spare_cap, 16);
    CHECK(co.rows[hub].slots == full);
    for (uint32_t k = 1; k <= 3; k++) CHECK(rr_cooc_get(&co, hub, k) > 100);
    rr_cooc_free(&co);
}

static void test_trending(void)
{
    rr_trending_t tr;
    CHECK_INT(rr_trending_init(&tr, 300, 10.0), RR_OK);
    /* item 5: 3 hits long ago; item 9: 2 hits now. With a 10 s half-life, 9 must lead. */
    for (int i = 0; i < 3; i++) rr_trending_hit(&tr, 5, 1.0f, 1000);
    for (int i = 0; i < 2; i++) rr_trending_hit(&tr, 9, 1.0f, 61000);
    uint32_t ids[4];
    float scores[4];
    CHECK_INT(rr_trending_top(&tr, ids, scores, 4), 2);
    CHECK_INT(ids[0], 9);
    CHECK_NEAR(scores[0], 2.0, 1e-4);
    CHECK_NEAR(scores[1], 3.0 / 64.0, 1e-4); /* six half-lives later */
    for (uint32_t i = 0; i < 300; i++) rr_trending_hit(&tr, i, (float)i, 62000);
    CHECK_INT(rr_trending_top(&tr, ids, NULL, 3), 3);
    CHECK_INT(ids[0], 299);
    CHECK_INT(ids[2], 297);
    rr_trending_free(&tr);
}

static void view(rr_pipeline_t *pl, const char *user, const char *item, rr_event_type_t type,
                 int64_t ts)
{
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.user_id, sizeof(ev.user_id), "%s", user);
    snprintf(ev.item_id, sizeof(ev.item_id), "%s", item);
    ev.type = type;
    ev.ts_ms = ts;
    ev.flags = RR_EVF_TS;
    uint32_t uid;
    CHECK_INT(rr_pipeline_apply(pl, &ev, &uid), RR_OK);
    rr_pipeline_refresh(pl, uid);
}

/* The events of tests/integration/scenario.py: u1..u4 view A, B, C; u5 views D, E; alice views
 * A and buys B. */
static void play_alice(rr_pipeline_t *pl)
{
    int64_t ts = 1700000000000LL;
    const char *users[] = {"u1", "u2", "u3", "u4"}, *items[] = {"A", "B", "C"};
    for (int u = 0; u < 4; u++)
        for (int i = 0; i < 3; i++) view(pl, users[u], items[i], RR_EV_VIEW, ts += 1000);
    view(pl, "u5", "D", RR_EV_VIEW, ts += 1000);
    view(pl, "u5", "E", RR_EV_VIEW, ts += 1000);
    view(pl, "alice", "A", RR_EV_VIEW, ts += 1000);
    view(pl, "alice", "B", RR_EV_PURCHASE, ts += 1000);
}

/* The integration scenario (tests/integration/scenario.py), in-process. */
static void test_scenario(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 64;
    cfg.items_max = 64;
    cfg.model_enabled = 0; /* the sources alone; test_scenario_model adds the MLP */
    cfg.recs_ranker = 0;   /* the hand-weighted blend, whose scores this test checks */
    cfg.cooc_weighted = 0; /* each pair counts 1, as the arithmetic below */
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    play_alice(&pl);

    uint32_t alice = rr_intern_find(&pl.store.users, "alice");
    const rr_list_entry_t *list = rr_store_list(&pl.store, alice);
    CHECK_INT(pl.store.user[alice].nlist, 3);
    CHECK_STR(rr_intern_key(&pl.store.items, list[0].item), "C");
    /* B (newest) weighs 1, A 0.5: 4 + 0.5 * 4; the strongest pair normalises the score. */
    /* + the trending prior: C's 4 views against B's 4 views and a purchase, each interaction
     * counting once (a purchase weighed 8 here, 4/12, before) */
    CHECK_NEAR(list[0].score, 1.0 + 0.001 * 4.0 / 5.0, 1e-5);
    CHECK_INT(list[0].reason, RR_REASON_COOC);
    char why[256];
    rr_recommend_reason(&pl.store, &list[0], why, sizeof(why));
    CHECK(strncmp(why, "similar to item ", 16) == 0);
    CHECK_INT(list[1].reason, RR_REASON_TRENDING);
    CHECK(list[1].score < list[0].score && list[2].score <= list[1].score);
    CHECK_STR(rr_intern_key(&pl.store.items, list[1].item), "E"); /* the later view decays less */
    CHECK_STR(rr_intern_key(&pl.store.items, list[2].item), "D");
    /* alice's B was a new item and not on her list (trending fill had C, D, E first). */
    CHECK_INT(pl.preq.targets, 1 + 4 * 2 + 1);
    rr_pipeline_free(&pl);
}

/* With the MLP re-ranking (w_model = 1): its probability is below 1, so C (co-occurrence 1 +
 * category) still leads, the trending fill is ordered by the model, and the model's pick says so.
 */
static void test_scenario_model(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 64;
    cfg.items_max = 64;
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    CHECK(pl.model_on);
    play_alice(&pl);
    uint32_t alice = rr_intern_find(&pl.store.users, "alice");
    const rr_list_entry_t *list = rr_store_list(&pl.store, alice);
    CHECK_INT(pl.store.user[alice].nlist, 3);
    CHECK_STR(rr_intern_key(&pl.store.items, list[0].item), "C");
    CHECK_INT(list[0].reason, RR_REASON_COOC);
    for (int i = 1; i < 3; i++) {
        CHECK(list[i].reason == RR_REASON_MODEL || list[i].reason == RR_REASON_TRENDING);
        CHECK(list[i].score <= list[i - 1].score);
    }
    CHECK(pl.learner.steps == 16);  /* every item event is staged... */
    CHECK(pl.learner.flushes == 0); /* ...for one step at model.batch = 32 events */
    rr_pipeline_train_flush(&pl);
    CHECK(pl.learner.flushes == 1 && pl.learner.stage.nevents == 0);
    double ll = rr_pipeline_logloss(&pl), auc = rr_pipeline_auc(&pl);
    CHECK(ll > 0 && ll < 5);
    CHECK(auc >= 0 && auc <= 1);
    rr_pipeline_free(&pl);
}

/* Impressions the user ignored are the first negatives of the next positive, used once. */
static void test_impressions_negatives(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 16;
    cfg.items_max = 64;
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    int64_t ts = 1700000000000LL;
    const char *catalog[] = {"c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"};
    for (int i = 0; i < 8; i++) view(&pl, "other", catalog[i], RR_EV_VIEW, ts += 1000);
    view(&pl, "u", "A", RR_EV_VIEW, ts += 1000);
    view(&pl, "u", "X", RR_EV_IMPRESSION, ts += 1000);
    view(&pl, "u", "Y", RR_EV_IMPRESSION, ts += 1000);
    view(&pl, "u", "Z", RR_EV_IMPRESSION, ts += 1000);
    view(&pl, "u", "Z", RR_EV_CLICK, ts += 1000); /* Z was clicked: not a negative */
    uint32_t x = rr_intern_find(&pl.store.items, "X"), y = rr_intern_find(&pl.store.items, "Y");
    uint32_t z = rr_intern_find(&pl.store.items, "Z");
    CHECK_INT(pl.learner.nbatch, 1 + cfg.model_negatives);
    CHECK_INT(pl.learner.batch[0], z);
    CHECK_INT(pl.learner.batch[1], x);
    CHECK_INT(pl.learner.batch[2], y);
    uint32_t u = rr_intern_find(&pl.store.users, "u");
    CHECK_INT(pl.store.user[u].nshown, 0); /* used once */
    rr_pipeline_free(&pl);
}

/* Two pipelines fed the same random views of 100 users on 200 items. */
static void play_random(rr_pipeline_t *one, rr_pipeline_t *many)
{
    char user[16], item[16];
    uint64_t x = 7;
    for (int e = 0; e < 3000; e++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        snprintf(user, sizeof(user), "u%u", (unsigned)(x >> 40) % 100);
        snprintf(item, sizeof(item), "i%u", (unsigned)(x >> 20) % 200);
        rr_event_t ev;
        memset(&ev, 0, sizeof(ev));
        snprintf(ev.user_id, sizeof(ev.user_id), "%s", user);
        snprintf(ev.item_id, sizeof(ev.item_id), "%s", item);
        ev.type = RR_EV_VIEW;
        ev.ts_ms = 1700000000000LL + e * 1000;
        uint32_t a, b;
        CHECK_INT(rr_pipeline_apply(one, &ev, &a), RR_OK);
        CHECK_INT(rr_pipeline_apply(many, &ev, &b), RR_OK);
    }
}

/* Batched refresh (one retrieval kernel call per item block for many users, one re-rank call
 * for all their candidates) gives each user the list refreshing them one by one gives: the same
 * items in the same order with the same reasons; scores may differ in the last bits (the batch
 * retrieves with another kernel than one user's sgemv). With the model off, no re-ranking. */
static void check_refresh_batch(int model)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 128;
    cfg.items_max = 256;
    cfg.model_enabled = model;
    rr_pipeline_t one, many;
    CHECK_INT(rr_pipeline_init(&one, &cfg), RR_OK);
    CHECK_INT(rr_pipeline_init(&many, &cfg), RR_OK);
    play_random(&one, &many);
    uint32_t uids[100];
    size_t n = 0;
    for (uint32_t uid = 0; uid < rr_intern_bound(&many.store.users); uid++) uids[n++] = uid;
    for (size_t i = 0; i < n; i++) rr_pipeline_refresh(&one, uids[i]);
    rr_pipeline_refresh_batch(&many, uids, n); /* 64 users, then the rest */
    int differ = 0;
    for (size_t i = 0; i < n; i++) {
        const rr_list_entry_t *a = rr_store_list(&one.store, uids[i]);
        const rr_list_entry_t *b = rr_store_list(&many.store, uids[i]);
        CHECK_INT(one.store.user[uids[i]].nlist, many.store.user[uids[i]].nlist);
        CHECK(one.store.user[uids[i]].nlist > 0);
        for (int k = 0; k < one.store.user[uids[i]].nlist; k++)
            differ += a[k].item != b[k].item || a[k].reason != b[k].reason ||
                      fabsf(a[k].score - b[k].score) > 1e-5f * (1 + fabsf(a[k].score));
    }
    CHECK_INT(differ, 0);
    CHECK(n > 50);
    rr_pipeline_free(&one);
    rr_pipeline_free(&many);
}

static void test_refresh_batch_matches_single(void)
{
    check_refresh_batch(1);
    check_refresh_batch(0);
}

/* The MLP re-rank of many users at once gives each (user, item) the probability scoring the
 * user alone gives, whatever the rows' split into forwards (users of 0..199 candidates, rows
 * of several users in one forward, an unknown user: 0). */
static void test_score_batch_matches_single(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 128;
    cfg.items_max = 256;
    rr_pipeline_t one, many;
    CHECK_INT(rr_pipeline_init(&one, &cfg), RR_OK);
    CHECK_INT(rr_pipeline_init(&many, &cfg), RR_OK);
    play_random(&one, &many);
    enum { NU = 7 };
    uint32_t uids[NU] = {0, 1, 2, 3, 500 /* >= users.max */, 5, 6}, items[NU * 200];
    size_t counts[NU] = {40, 0, 1, 199, 10, 63, 65}, first[NU + 1] = {0};
    for (int u = 0; u < NU; u++) {
        for (size_t i = 0; i < counts[u]; i++) items[first[u] + i] = (uint32_t)(i * 7 + u) % 200;
        first[u + 1] = first[u] + counts[u];
    }
    float want[NU * 200], got[NU * 200];
    for (int u = 0; u < NU; u++)
        rr_learner_score(&one.learner, &one.store, &one.portrait, uids[u], one.portrait.now_ms,
                         items + first[u], counts[u], want + first[u]);
    rr_learner_score_batch(&many.learner, &many.store, &many.portrait, many.portrait.now_ms, uids,
                           NU, items, first, got);
    int differ = 0;
    for (size_t i = 0; i < first[NU]; i++) differ += fabsf(want[i] - got[i]) > 1e-6f;
    CHECK_INT(differ, 0);
    for (size_t i = first[4]; i < first[5]; i++) CHECK(got[i] == 0.0f);
    CHECK(got[first[3]] > 0.0f && got[first[3]] < 1.0f);
    rr_pipeline_free(&one);
    rr_pipeline_free(&many);
}

static void test_category_cap(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 16;
    cfg.items_max = 64;
    cfg.recs_category_cap = 1;
    cfg.model_enabled = 0;
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    rr_event_t ev;
    uint32_t uid;
    const char *items[] = {"x1", "x2", "x3", "y1"};
    const char *cats[] = {"X", "X", "X", "Y"};
    for (int u = 0; u < 2; u++) {
        for (int i = 0; i < 4; i++) {
            memset(&ev, 0, sizeof(ev));
            snprintf(ev.user_id, sizeof(ev.user_id), "%s", u ? "v" : "w");
            snprintf(ev.item_id, sizeof(ev.item_id), "%s", items[i]);
            snprintf(ev.category, sizeof(ev.category), "%s", cats[i]);
            ev.type = RR_EV_VIEW;
            ev.ts_ms = 1700000000000LL + u * 10 + i;
            CHECK_INT(rr_pipeline_apply(&pl, &ev, &uid), RR_OK);
        }
    }
    view(&pl, "z", "x1", RR_EV_VIEW, 1700000001000LL);
    uint32_t z = rr_intern_find(&pl.store.users, "z");
    const rr_list_entry_t *list = rr_store_list(&pl.store, z);
    CHECK_INT(pl.store.user[z].nlist, 2); /* one X item, one Y item */
    CHECK(pl.store.item[list[0].item].category != pl.store.item[list[1].item].category);
    rr_pipeline_free(&pl);
}

static void test_config(void)
{
    rr_config_t cfg;
    char err[256];
    rr_config_init(&cfg);
    CHECK_STR(cfg.topic_events, "rtrec.events");
    CHECK_INT(cfg.recs_n, 10);
    CHECK_INT(rr_config_set_kv(&cfg, "recs.n = 20", err, sizeof(err)), RR_OK);
    CHECK_INT(cfg.recs_n, 20);
    CHECK_INT(rr_config_set_kv(&cfg, "recs.n=1000", err, sizeof(err)), RR_E(CONFIG));
    CHECK(strstr(err, "recs.n") != NULL);
    CHECK_INT(rr_config_set_kv(&cfg, "recs.n=2.5", err, sizeof(err)), RR_E(CONFIG));
    CHECK_INT(rr_config_set_kv(&cfg, "nope=1", err, sizeof(err)), RR_E(CONFIG));
    /* found by fuzz_config: huge and NaN numbers are refused before any integer cast */
    CHECK_INT(rr_config_set_kv(&cfg, "recs.n=+402e33", err, sizeof(err)), RR_E(CONFIG));
    CHECK_INT(rr_config_set_kv(&cfg, "recs.recency_decay=nan", err, sizeof(err)), RR_E(CONFIG));
    CHECK_INT(cfg.recs_n, 20);
    CHECK_INT(rr_config_set_kv(&cfg, "kafka.linger.ms=3", err, sizeof(err)), RR_OK);
    CHECK_INT(rr_config_set_kv(&cfg, "kafka.bootstrap.servers=h:1", err, sizeof(err)), RR_OK);
    const char *kv[16];
    size_t n = rr_config_kafka(&cfg, kv, 16);
    CHECK_INT(n, 6);
    CHECK_STR(kv[0], "bootstrap.servers");
    CHECK_STR(kv[1], "h:1");
    CHECK_STR(kv[4], "linger.ms");
    CHECK_STR(kv[5], "3");
}

/* A list entry is 12 bytes, and its packed strength prints exactly as "%.2f" of the float did:
 * over a dense sweep of [0, 1.27], exact ties (ties to even), and the neighbours of each
 * hundredth boundary. Ids round-trip; RR_INTERN_NONE stays none. */
static void test_list_entry(void)
{
    CHECK_INT(sizeof(rr_list_entry_t), 12);
    rr_list_entry_t e = rr_list_entry(RR_LIST_ID_NONE - 1, 0.5f, RR_REASON_CATEGORY);
    CHECK_INT(e.item, RR_LIST_ID_NONE - 1);
    CHECK_INT(e.reason, RR_REASON_CATEGORY);
    CHECK_INT(rr_list_because(&e), RR_INTERN_NONE);
    rr_list_set_because(&e, 12345);
    CHECK_INT(rr_list_because(&e), 12345);
    char want[32], got[32];
    int bad = 0;
    for (uint32_t k = 0; k <= 1270000; k++) {
        float f[3] = {(float)k / 1000000.0f, 0, 0};
        f[1] = nextafterf(f[0], 2.0f);
        f[2] = k % 10000 == 5000 ? (float)(k / 10000) / 100.0f + 0.005f : 0.125f;
        for (int j = 0; j < 3; j++) {
            rr_list_set_strength(&e, f[j]);
            rr_list_strength_text(&e, got, sizeof(got));
            snprintf(want, sizeof(want), "%.2f", f[j]);
            bad += strcmp(got, want) != 0;
        }
    }
    CHECK_INT(bad, 0);
    rr_list_set_strength(&e, 0.125f); /* an exact tie: to even, like printf */
    rr_list_strength_text(&e, got, sizeof(got));
    CHECK_STR(got, "0.12");
    CHECK_INT(e.score == 0.5f, 1);
    CHECK_INT(rr_list_because(&e), 12345);
}

RR_TEST_MAIN(RR_TEST(test_intern), RR_TEST(test_dirty), RR_TEST(test_list_entry),
             RR_TEST(test_cooc_vs_naive), RR_TEST(test_cooc_bounded), RR_TEST(test_trending),
             RR_TEST(test_scenario), RR_TEST(test_scenario_model),
             RR_TEST(test_impressions_negatives), RR_TEST(test_refresh_batch_matches_single),
             RR_TEST(test_score_batch_matches_single), RR_TEST(test_category_cap),
             RR_TEST(test_config))
