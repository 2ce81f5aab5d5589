/* test_ranker.c — the learned ranker: the model learns which feature separates positives from
 * their pool and is deterministic; the pipeline trains it on the pool it ranks, with the same
 * features whether the pool was just ranked or is gathered anew; after warm-up it orders the
 * lists, each entry with the reason whose features raised its score; a user's events of one
 * time share a position, through a partition's hand-over too; a category's leader by the long
 * trend is kept as hits arrive. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "part_move.h"
#include "rr_config.h"
#include "rr_pipeline.h"
#include "rr_test.h"

#define NF 6

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static float noise(uint64_t *s)
{
    return (float)(lcg(s) % 2001) / 1000.0f - 1.0f; /* -1 .. 1 */
}

/* A group: row 0 positive, 7 negatives; feature 2 carries the signal, the rest is noise on very
 * different scales (the standardisation must cope). */
static void group(uint64_t *s, float *x, float *labels, float *weights)
{
    for (int r = 0; r < 8; r++) {
        for (int f = 0; f < NF; f++) x[r * NF + f] = noise(s) * (f == 4 ? 1000.0f : 1.0f);
        x[r * NF + 2] += r == 0 ? 1.5f : 0.0f;
        labels[r] = r == 0;
        weights[r] = r == 0 ? 0.5f : 0.5f / 7;
    }
}

static void train(rr_ranker_t *rk, int groups, uint64_t seed)
{
    float x[8 * NF], labels[8], weights[8];
    for (int g = 0; g < groups; g++) {
        group(&seed, x, labels, weights);
        rr_ranker_stage(rk, x, labels, weights, 8);
    }
    rr_ranker_flush(rk);
}

static void test_ranker_learns(void)
{
    rr_ranker_t rk;
    CHECK_INT(rr_ranker_init(&rk, NF, 64, 0.1f, 7), RR_OK);
    train(&rk, 3000, 1);
    /* Fresh groups: the positive must outscore most of its negatives. */
    uint64_t s = 99;
    float x[8 * NF], labels[8], weights[8], p[8];
    int wins = 0, pairs = 0;
    for (int g = 0; g < 200; g++) {
        group(&s, x, labels, weights);
        rr_ranker_score(&rk, x, 8, p);
        for (int r = 1; r < 8; r++, pairs++) wins += p[0] > p[r];
    }
    CHECK((double)wins / pairs > 0.85);
    CHECK(rk.steps > 0);
    rr_ranker_free(&rk);
}

/* Gradient × input names the feature that carries the signal for rows the model scores high. */
static void test_ranker_contributions(void)
{
    rr_ranker_t rk;
    CHECK_INT(rr_ranker_init(&rk, NF, 64, 0.1f, 7), RR_OK);
    train(&rk, 3000, 1);
    uint64_t s = 5;
    float x[8 * NF], labels[8], weights[8], c[8 * NF];
    int named = 0;
    for (int g = 0; g < 50; g++) {
        group(&s, x, labels, weights);
        rr_ranker_contributions(&rk, x, 8, c);
        int best = 0;
        for (int f = 1; f < NF; f++)
            if (c[f] > c[best]) best = f; /* row 0: the positive */
        named += best == 2;
    }
    CHECK(named >= 45);
    rr_ranker_free(&rk);
}

static void test_ranker_deterministic(void)
{
    rr_ranker_t a, b;
    CHECK_INT(rr_ranker_init(&a, NF, 64, 0.1f, 7), RR_OK);
    CHECK_INT(rr_ranker_init(&b, NF, 64, 0.1f, 7), RR_OK);
    train(&a, 500, 3);
    train(&b, 500, 3);
    CHECK(memcmp(a.params, b.params, a.nparams * sizeof(float)) == 0);
    CHECK(memcmp(a.state, b.state, a.nparams * sizeof(float)) == 0);
    rr_ranker_free(&a);
    rr_ranker_free(&b);
}

static void event(rr_pipeline_t *pl, const char *user, const char *item, const char *cat,
                  rr_event_type_t type, float value, int64_t ts)
{
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.user_id, sizeof(ev.user_id), "%s", user);
    snprintf(ev.item_id, sizeof(ev.item_id), "%s", item);
    snprintf(ev.category, sizeof(ev.category), "%s", cat);
    ev.type = type;
    ev.value = value;
    ev.ts_ms = ts;
    ev.flags = RR_EVF_TS;
    uint32_t uid;
    CHECK_INT(rr_pipeline_apply(pl, &ev, &uid), RR_OK);
    rr_pipeline_refresh(pl, uid);
}

/* A RATE event of value stars. */
static void rate(rr_pipeline_t *pl, const char *user, const char *item, float stars, int64_t ts)
{
    event(pl, user, item, "", RR_EV_RATE, stars, ts);
}

static void view(rr_pipeline_t *pl, const char *user, const char *item, const char *cat, int64_t ts)
{
    event(pl, user, item, cat, RR_EV_VIEW, 0, ts);
}

/* Users walk through clusters of items: each user's next item is usually a neighbour of the
 * last one in the same cluster, so co-occurrence and category carry the signal. */
static void play(rr_pipeline_t *pl, int events, uint64_t seed)
{
    int64_t ts = 1700000000000LL;
    char user[16], item[16], cat[16];
    int last[40] = {0};
    for (int e = 0; e < events; e++) {
        int u = (int)(lcg(&seed) % 40), c = u % 5;
        int i = lcg(&seed) % 4 ? (last[u] + 1) % 12 : (int)(lcg(&seed) % 12);
        last[u] = i;
        snprintf(user, sizeof(user), "u%d", u);
        snprintf(item, sizeof(item), "c%d-i%d", c, i);
        snprintf(cat, sizeof(cat), "cat%d", c);
        view(pl, user, item, cat, ts += 60000);
    }
}

static rr_config_t small_config(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 64;
    cfg.items_max = 128;
    cfg.model_dim = 8;
    return cfg;
}

/* Training rows from the pool just ranked equal the rows from a pool gathered anew: a cache of
 * the last pool never changes what the model learns (restarts stay bit-identical). The
 * positive's TEXT_COS is the learner's text cosine (its items' text: the events' categories),
 * its MLP the learner's logit. */
static void test_pool_cache_is_exact(void)
{
    rr_config_t cfg = small_config();
    cfg.recs_ranker_mlp = 1;
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    CHECK(pl.ranker_on);
    play(&pl, 1500, 5);
    int compared = 0, with_text = 0;
    for (int u = 0; u < 40; u++) {
        char name[16];
        snprintf(name, sizeof(name), "u%d", u);
        uint32_t uid = rr_intern_find(&pl.store.users, name);
        if (uid == RR_INTERN_NONE) continue;
        float xa[RR_RANK_MAX_ROWS * RR_F__COUNT], xb[RR_RANK_MAX_ROWS * RR_F__COUNT];
        float la[RR_RANK_MAX_ROWS], lb[RR_RANK_MAX_ROWS], wa[RR_RANK_MAX_ROWS],
            wb[RR_RANK_MAX_ROWS];
        rr_pipeline_refresh(&pl, uid);
        const rr_list_entry_t *list = rr_store_list(&pl.store, uid);
        if (pl.store.user[uid].nlist < 2) continue;
        uint32_t pos = list[1].item; /* in the pool by construction */
        uint64_t ra = 11, rb = 11;
        int na = rr_rank_train_rows(&pl.rec, &pl.store, &pl.cooc, &pl.trending, &pl.cattop, uid,
                                    pos, &ra, xa, la, wa);
        pl.epoch++; /* the same state, but the cached pool no longer counts */
        int nb = rr_rank_train_rows(&pl.rec, &pl.store, &pl.cooc, &pl.trending, &pl.cattop, uid,
                                    pos, &rb, xb, lb, wb);
        CHECK(na > 1);
        CHECK_INT(na, nb);
        float tc;
        rr_learner_text_cos(&pl.learner, &pl.store, uid, &pos, 1, &tc);
        CHECK_NEAR(xa[RR_F_TEXT_COS], tc, 1e-6);
        with_text += tc != 0;
        float p;
        rr_learner_score(&pl.learner, &pl.store, &pl.portrait, uid, pl.portrait.now_ms, &pos, 1,
                         &p);
        CHECK_NEAR(xa[RR_F_MLP], logf(p / (1 - p)), 1e-4);
        if (na == nb && na > 0)
            CHECK(memcmp(xa, xb, (size_t)na * RR_F__COUNT * sizeof(float)) == 0);
        compared++;
    }
    CHECK(compared > 10);
    CHECK(with_text > 0);
    rr_pipeline_free(&pl);
}

/* Past warm-up the ranker orders every list: scores are its probabilities, best first, and each
 * entry says why it is there. */
static void test_ranker_orders_lists(void)
{
    rr_config_t cfg = small_config();
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    play(&pl, 3000, 9);
    CHECK(pl.ranker.steps >= RR_RANK_WARMUP);
    CHECK(rr_rank_active(&pl.rec));
    uint32_t uid = rr_intern_find(&pl.store.users, "u3");
    CHECK(uid != RR_INTERN_NONE);
    rr_pipeline_refresh(&pl, uid);
    const rr_list_entry_t *list = rr_store_list(&pl.store, uid);
    uint32_t n = pl.store.user[uid].nlist;
    CHECK(n > 0);
    for (uint32_t i = 0; i < n; i++) {
        CHECK(list[i].score > 0 && list[i].score < 1);
        CHECK(i == 0 || list[i].score <= list[i - 1].score);
        CHECK(list[i].reason != RR_REASON_NONE);
        char why[128];
        rr_recommend_reason(&pl.store, &list[i], why, sizeof(why));
        CHECK(why[0] != '\0');
    }
    rr_pipeline_free(&pl);
}

/* rr_recommend_score (POST /rank) on the items of a user's own list gives the list's scores and
 * reasons, whichever model orders the list: the ranker past warm-up, or the blend re-ranked by
 * the MLP. An unknown user gets the non-personal trending share. */
static void check_score_matches_lists(int ranker)
{
    rr_config_t cfg = small_config();
    cfg.recs_ranker = ranker;
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    play(&pl, 3000, 9);
    CHECK_INT(rr_rank_active(&pl.rec), ranker);
    int compared = 0, same_reason = 0;
    for (int u = 0; u < 40; u++) {
        char name[16];
        snprintf(name, sizeof(name), "u%d", u);
        uint32_t uid = rr_intern_find(&pl.store.users, name);
        if (uid == RR_INTERN_NONE) continue;
        rr_pipeline_refresh(&pl, uid);
        const rr_list_entry_t *list = rr_store_list(&pl.store, uid);
        size_t n = pl.store.user[uid].nlist;
        uint32_t items[64];
        rr_list_entry_t out[64];
        for (size_t i = 0; i < n; i++) items[i] = list[i].item;
        rr_recommend_score(&pl.rec, &pl.store, &pl.cooc, &pl.trending, &pl.cattop, uid, items, n,
                           "running shoes", out);
        for (size_t i = 0; i < n; i++) {
            CHECK_INT(out[i].item, list[i].item);
            CHECK(fabsf(out[i].score - list[i].score) <= 1e-5f * (1 + fabsf(list[i].score)));
            same_reason += out[i].reason == list[i].reason &&
                           rr_list_because(&out[i]) == rr_list_because(&list[i]);
            compared++;
        }
    }
    CHECK(compared > 100);
    CHECK_INT(same_reason, compared);
    uint32_t top[4];
    float share[4];
    size_t ntop = rr_trending_top(&pl.trending, top, share, 4);
    CHECK(ntop == 4);
    rr_list_entry_t anon[4];
    rr_recommend_score(&pl.rec, &pl.store, &pl.cooc, &pl.trending, &pl.cattop, RR_INTERN_NONE, top,
                       ntop, NULL, anon);
    for (size_t i = 0; i < ntop; i++) {
        CHECK(anon[i].reason == RR_REASON_TRENDING);
        CHECK(i == 0 || anon[i].score <= anon[i - 1].score);
    }
    rr_pipeline_free(&pl);
}

static void test_score_matches_lists(void)
{
    check_score_matches_lists(1);
    check_score_matches_lists(0);
}

/* Feature f of candidate x for user key, from its training row. */
static float feature(rr_pipeline_t *pl, const char *key, const char *item, rr_feature_t f)
{
    uint32_t uid = rr_intern_find(&pl->store.users, key);
    uint32_t x = rr_intern_find(&pl->store.items, item);
    CHECK(uid != RR_INTERN_NONE && x != RR_INTERN_NONE);
    float rows[RR_RANK_MAX_ROWS * RR_F__COUNT], labels[RR_RANK_MAX_ROWS], w[RR_RANK_MAX_ROWS];
    uint64_t rng = 3;
    int n = rr_rank_train_rows(&pl->rec, &pl->store, &pl->cooc, &pl->trending, &pl->cattop, uid, x,
                               &rng, rows, labels, w);
    CHECK(n >= 2);
    return n >= 2 ? rows[f] : -1;
}

/* The position weight of the newest recent item x co-occurs with. */
static float nb_recency(rr_pipeline_t *pl, const char *key, const char *item)
{
    return feature(pl, key, item, RR_F_NB_RECENCY);
}

/* Every user of src moves to dst as partition 2 does in a rebalance; returns how many. */
static int hand_over(rr_pipeline_t *src, rr_pipeline_t *dst)
{
    for (uint32_t uid = 0; uid < rr_intern_bound(&src->store.users); uid++)
        src->store.user[uid].partition = 2;
    return part_move(src, dst, 2);
}

/* The tie bits of user key's recent items, oldest first, as a string of 0 and 1. */
static void tie_bits(const rr_pipeline_t *pl, const char *key, char *out)
{
    uint32_t uid = rr_intern_find(&pl->store.users, key), items[64];
    uint8_t tied[64];
    size_t n =
        uid == RR_INTERN_NONE ? 0 : rr_store_recent_flags(&pl->store, uid, items, tied, NULL);
    for (size_t k = 0; k < n; k++) out[k] = (char)('0' + tied[k]);
    out[n] = 0;
}

/* Events of one time have no order the engine can know, so the ranker gives them the newest's
 * position: u sees a, then b and c at one time; w the same three a minute apart. x co-occurs
 * with b alone (v saw b, then x and y), so its NB_RECENCY is b's position weight: 3/3 for u,
 * 2/3 for w. Only item events tie: s is shown x at c's time, which ties c to nothing. The tie
 * bits survive a partition's hand-over to a pipeline numbering the items differently. */
static void test_tied_events_share_a_position(void)
{
    rr_config_t cfg = small_config();
    rr_pipeline_t pl, dst;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    CHECK_INT(rr_pipeline_init(&dst, &cfg), RR_OK);
    const int64_t t = 1700000000000LL;
    view(&pl, "v", "b", "k", t);
    view(&pl, "v", "x", "k", t + 60000);
    view(&pl, "v", "y", "k", t + 120000);
    view(&pl, "u", "a", "k", t + 180000);
    view(&pl, "u", "b", "k", t + 240000);
    view(&pl, "u", "c", "k", t + 240000);
    view(&pl, "w", "a", "k", t + 300000);
    view(&pl, "w", "b", "k", t + 360000);
    view(&pl, "w", "c", "k", t + 420000);
    view(&pl, "s", "a", "k", t + 480000);
    view(&pl, "s", "b", "k", t + 540000);
    event(&pl, "s", "x", "k", RR_EV_IMPRESSION, 0, t + 600000);
    view(&pl, "s", "c", "k", t + 600000);
    char bits[65];
    tie_bits(&pl, "u", bits);
    CHECK_STR(bits, "001");
    tie_bits(&pl, "w", bits);
    CHECK_STR(bits, "000");
    tie_bits(&pl, "s", bits);
    CHECK_STR(bits, "000");
    CHECK(rr_store_is_recent(&pl.store, rr_intern_find(&pl.store.users, "u"),
                             rr_intern_find(&pl.store.items, "c")));
    CHECK_NEAR(nb_recency(&pl, "u", "x"), 1.0, 1e-6);
    CHECK_NEAR(nb_recency(&pl, "w", "x"), 2.0 / 3.0, 1e-6);

    view(&dst, "q", "c", "k", t); /* dst numbers c first */
    CHECK_INT(hand_over(&pl, &dst), 4);
    tie_bits(&dst, "u", bits);
    CHECK_STR(bits, "001");
    uint32_t du = rr_intern_find(&dst.store.users, "u"), items[64];
    CHECK_INT(rr_store_recent(&dst.store, du, items), 3);
    CHECK_STR(rr_intern_key(&dst.store.items, items[2]), "c");
    CHECK(rr_intern_find(&dst.store.items, "c") != rr_intern_find(&pl.store.items, "c"));
    rr_pipeline_free(&pl);
    rr_pipeline_free(&dst);
}

/* The ratings of user key's recent items, oldest first, as digits. */
static void rating_digits(const rr_pipeline_t *pl, const char *key, char *out)
{
    uint32_t uid = rr_intern_find(&pl->store.users, key), items[64];
    uint8_t rating[64];
    size_t n =
        uid == RR_INTERN_NONE ? 0 : rr_store_recent_flags(&pl->store, uid, items, NULL, rating);
    for (size_t k = 0; k < n; k++) out[k] = (char)('0' + rating[k]);
    out[n] = 0;
}

/* A recent item's rating weighs its cosine by how far it sits from the user's mean rating: u
 * rates a 5 and then b 1 (mean 3), so x, seen with a alone (by v), gets a's share of COS times
 * 5 - 3, and y, seen with b alone, b's times 1 - 3. A user who only views has none. The ring keeps
 * each rating (half stars round: 4.5 → 5, 0.5 → 1), through a partition's hand-over too. */
static void test_ratings_weigh_the_cosine(void)
{
    rr_config_t cfg = small_config();
    rr_pipeline_t pl, dst;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    CHECK_INT(rr_pipeline_init(&dst, &cfg), RR_OK);
    const int64_t t = 1700000000000LL;
    rate(&pl, "v", "a", 4.5f, t);
    rate(&pl, "v", "x", 0.5f, t + 60000);
    rate(&pl, "z", "b", 3, t + 120000);
    rate(&pl, "z", "y", 3, t + 180000);
    rate(&pl, "u", "a", 5, t + 240000);
    rate(&pl, "u", "b", 1, t + 300000);
    view(&pl, "w", "a", "k", t + 360000);
    view(&pl, "w", "b", "k", t + 420000);
    char digits[65];
    rating_digits(&pl, "v", digits);
    CHECK_STR(digits, "51");
    rating_digits(&pl, "u", digits);
    CHECK_STR(digits, "51");
    rating_digits(&pl, "w", digits);
    CHECK_STR(digits, "00");
    float cos_x = feature(&pl, "u", "x", RR_F_COS), cos_y = feature(&pl, "u", "y", RR_F_COS);
    CHECK(cos_x > 0);
    CHECK_NEAR(cos_y, 2 * cos_x, 1e-5); /* the same counts and norms, b's weight twice a's */
    CHECK_NEAR(feature(&pl, "u", "x", RR_F_COS_RATED), (5 - 3) * cos_x, 1e-5);
    CHECK_NEAR(feature(&pl, "u", "y", RR_F_COS_RATED), (1 - 3) * cos_y, 1e-5);
    CHECK(feature(&pl, "w", "x", RR_F_COS) > 0);
    CHECK_NEAR(feature(&pl, "w", "x", RR_F_COS_RATED), 0, 0);

    view(&dst, "q", "b", "k", t);       /* dst numbers b first */
    CHECK_INT(hand_over(&pl, &dst), 4); /* v, z, u, w */
    rating_digits(&dst, "u", digits);
    CHECK_STR(digits, "51");
    rr_pipeline_free(&pl);
    rr_pipeline_free(&dst);
}

/* A category's leader by the 30-day trend is the item the latest hit lifted above it; the
 * others trail it by the log of their share (CAT_TOP_30D), and the category features are logs of
 * share x trend, the floor for an item outside the user's categories. */
static void test_category_leader(void)
{
    rr_config_t cfg = small_config();
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    const int64_t t = 1700000000000LL;
    view(&pl, "p", "a", "k", t);
    view(&pl, "q", "a", "k", t + 1000);
    view(&pl, "r", "b", "k", t + 2000);
    view(&pl, "s", "c", "k", t + 3000);
    view(&pl, "s", "z", "m", t + 4000);
    uint32_t k = rr_intern_find(&pl.store.categories, "k");
    uint32_t a = rr_intern_find(&pl.store.items, "a"), c = rr_intern_find(&pl.store.items, "c");
    CHECK_INT(pl.cat_leader[k], a);
    view(&pl, "u", "c", "k", t + 5000); /* c ties a's count, later: the larger 30-day trend */
    CHECK_INT(pl.cat_leader[k], c);
    /* Seconds apart, a 30-day half-life leaves counts within 1e-5 of themselves. */
    CHECK_NEAR(feature(&pl, "u", "b", RR_F_CAT_TOP_30D), logf(0.5f), 1e-4);
    float a_lead = feature(&pl, "u", "a", RR_F_CAT_TOP_30D);
    CHECK(a_lead < 0 && a_lead > -1e-4f);
    CHECK_NEAR(feature(&pl, "u", "b", RR_F_CAT_TREND_30D), logf(0.5f), 1e-4); /* share 1 */
    CHECK_NEAR(feature(&pl, "u", "z", RR_F_CAT_TOP_30D), 0, 0);               /* z leads m */
    CHECK_NEAR(feature(&pl, "u", "z", RR_F_CAT_TREND_1D), -10, 0); /* not the user's category */
    rr_pipeline_free(&pl);
}

RR_TEST_MAIN(RR_TEST(test_ranker_learns), RR_TEST(test_ranker_contributions),
             RR_TEST(test_ranker_deterministic), RR_TEST(test_pool_cache_is_exact),
             RR_TEST(test_ranker_orders_lists), RR_TEST(test_score_matches_lists),
             RR_TEST(test_tied_events_share_a_position), RR_TEST(test_ratings_weigh_the_cosine),
             RR_TEST(test_category_leader))
