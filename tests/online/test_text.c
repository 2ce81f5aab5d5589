/* test_text.c — the tokenizer (ASCII, Latin accents, Chinese bigrams, mixed text, category paths,
 * empty and invalid UTF-8), the item token index and users' search intent, and the search source
 * through the pipeline: a titled item nobody has touched is listed first after a matching search,
 * with the query in its reason. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include "rr_config.h"
#include "part_move.h"
#include "rr_pipeline.h"
#include "rr_test.h"
#include "rr_text.h"
#include "rr_textidx.h"

#define MAXT 32

/* The tokens of s joined by '|' (display text). */
static const char *tokens(const char *s)
{
    static char out[1024];
    rr_text_token_t t[MAXT];
    size_t n = rr_text_tokenize(s, strlen(s), t, MAXT), at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(out + at, sizeof(out) - at, "%s%s", i ? "|" : "", t[i].text);
    return out;
}

static void test_ascii(void)
{
    CHECK_STR(tokens("Running Shoes, size 42!"), "running|shoes|size|42");
    CHECK_STR(tokens("  a I men's  "), "men"); /* one-byte words are dropped */
    CHECK_STR(tokens("shoes SHOES Shoes"), "shoes");
    CHECK_STR(tokens(""), "");
    CHECK_STR(tokens("...,,;"), "");
}

static void test_latin(void)
{
    CHECK_STR(tokens("Café CRÈME brûlée"), "café|crème|brûlée");
    CHECK_STR(tokens("ŁÓDŹ Straße"), "łódź|straße");
    CHECK_STR(tokens("naïve×2"), "naïve"); /* × is a separator, "2" a one-byte word */
}

static void test_chinese(void)
{
    /* A Caixin headline: each run of Han characters gives its bigrams. */
    CHECK_STR(tokens("许善达：我为何反对房产税"), "许善|善达|我为|为何|何反|反对|对房|房产|产税");
    CHECK_STR(tokens("跑步鞋"), "跑步|步鞋");
    CHECK_STR(tokens("鞋"), "鞋"); /* a lone character is its own token */
    CHECK_STR(tokens("ランニング 운동화"), "ラン|ンニ|ニン|ング|운동|동화");
}

static void test_mixed(void)
{
    CHECK_STR(tokens("iPhone15手机壳 Pro"), "iphone15|手机|机壳|pro");
    CHECK_STR(tokens("Nike耐克跑步鞋"), "nike|耐克|克跑|跑步|步鞋");
}

static void test_category_code(void)
{
    CHECK_STR(tokens("electronics.smartphone"), "electronics|smartphone");
    CHECK_STR(tokens("apparel.shoes.sneakers"), "apparel|shoes|sneakers");
}

static void test_invalid_utf8(void)
{
    CHECK_STR(tokens("ab\xff\xfe"
                     "cd"),
              "ab|cd"); /* stray bytes separate */
    CHECK_STR(tokens("\xc3\x28"
                     "xy"),
              "xy");                   /* a bad continuation */
    CHECK_STR(tokens("\xe2\x82"), ""); /* cut at the end */
    CHECK_STR(tokens("\xc0\xaf"
                     "ok"),
              "ok"); /* overlong '/' */
    CHECK_STR(tokens("\xed\xa0\x80"
                     "zz"),
              "zz");                                            /* a surrogate */
    CHECK_STR(tokens("\xe8\xb7\x91\xff\xe6\xad\xa5"), "跑|步"); /* a run broken in two */
    /* The cap holds; a long word is cut, its display text at a character boundary. */
    rr_text_token_t t[2];
    CHECK_INT(rr_text_tokenize("one two three", 13, t, 2), 2);
    const char *w = "ééééééééééééééééééé";
    CHECK_INT(rr_text_tokenize(w, strlen(w), t, 2), 1);
    CHECK_INT(strlen(t[0].text), 14);
}

static void test_hash_stable(void)
{
    rr_text_token_t t[4];
    CHECK_INT(rr_text_tokenize("Shoes", 5, t, 4), 1);
    CHECK_INT(t[0].hash, rr_text_hash("shoes", 5));
    /* The seed and the hash are part of the checkpoint format: a change renumbers tokens. */
    CHECK_INT(rr_text_hash("shoes", 5), 0xd24e5986u);
    CHECK(rr_text_hash("", 0) != 0);
}

static rr_item_msg_t item_msg(const char *id, const char *title, const char *tags, const char *cat)
{
    rr_item_msg_t m;
    memset(&m, 0, sizeof(m));
    m.available = 1;
    snprintf(m.item_id, sizeof(m.item_id), "%s", id);
    snprintf(m.title, sizeof(m.title), "%s", title);
    snprintf(m.tags, sizeof(m.tags), "%s", tags);
    snprintf(m.category, sizeof(m.category), "%s", cat);
    return m;
}

static void test_index_and_intent(void)
{
    rr_text_table_t tt;
    CHECK_INT(rr_text_init(&tt, 4, 8), RR_OK);
    rr_item_msg_t m0 = item_msg("0", "Trail running shoes", "outdoor", "apparel.shoes");
    rr_item_msg_t m1 = item_msg("1", "Leather office shoes", "", "");
    rr_item_msg_t m2 = item_msg("2", "跑步鞋 男款", "", "");
    rr_text_item_set(&tt, 0, &m0);
    rr_text_item_set(&tt, 1, &m1);
    rr_text_item_set(&tt, 2, &m2);
    /* trail, running, shoes, outdoor, apparel: "shoes" twice is one token */
    CHECK_INT(rr_text_item_tokens(&tt, 0)[4], rr_text_hash("apparel", 7));
    CHECK_INT(rr_text_item_tokens(&tt, 0)[5], 0);
    int64_t t0 = 1700000000000LL;
    rr_text_search(&tt, 1, "running shoes", t0);
    uint32_t hash[RR_TEXT_TERMS], ids[64];
    float w[RR_TEXT_TERMS], sc[64];
    CHECK_INT(rr_text_intent(&tt, 1, t0, hash, w, NULL), 2);
    CHECK_NEAR(rr_text_match(&tt, 0, hash, w, 2), 1.0, 1e-6);
    CHECK_NEAR(rr_text_match(&tt, 1, hash, w, 2), 0.5, 1e-6);
    CHECK_NEAR(rr_text_match(&tt, 2, hash, w, 2), 0.0, 1e-6);
    size_t n = rr_text_lookup(&tt, hash, w, 2, ids, sc, 64);
    CHECK_INT(n, 2);
    /* A second search half an hour later: the old terms have halved, the new one weighs 1. */
    rr_text_search(&tt, 1, "shoes 跑步", t0 + 1800000);
    CHECK_INT(rr_text_intent(&tt, 1, t0 + 1800000, hash, w, NULL), 3);
    CHECK_NEAR(w[0], 1.5, 1e-5); /* shoes: 0.5 + 1 */
    CHECK_NEAR(w[1], 1.0, 1e-5); /* 跑步 */
    CHECK_NEAR(w[2], 0.5, 1e-5); /* running */
    char buf[128];
    rr_text_terms_text(&tt, 1, t0 + 1800000, buf, sizeof(buf));
    CHECK_STR(buf, "shoes:1.50,跑步:1.00,running:0.50");
    CHECK_STR(rr_text_last_query(&tt, 1), "shoes 跑步");
    /* Two hours on the terms are under RR_TEXT_ACTIVE_W: no intent left. */
    CHECK_INT(rr_text_intent(&tt, 1, t0 + 1800000 + 4 * 3600000LL, hash, w, NULL), 0);
    rr_text_user_forget(&tt, 1);
    CHECK_INT(rr_text_intent(&tt, 1, t0, hash, w, NULL), 0);
    CHECK_STR(rr_text_last_query(&tt, 1), "");
    CHECK(rr_text_user_find(&tt, 1) == NULL);
    rr_text_free(&tt);
}

static void test_query_kept_whole_chars(void)
{
    rr_text_table_t tt;
    CHECK_INT(rr_text_init(&tt, 2, 2), RR_OK);
    rr_text_search(&tt, 0, "跑步鞋跑步鞋跑步鞋跑步鞋跑步鞋跑步鞋跑步鞋", 1); /* 63 bytes */
    CHECK_INT(strlen(rr_text_last_query(&tt, 0)), 45); /* 15 characters: the 16th would cut one */
    rr_text_free(&tt);
}

/* More searchers than intent slots: the newest always get one, the stalest make room. */
static void test_intent_slots_evict_stalest(void)
{
    rr_text_table_t tt;
    CHECK_INT(rr_text_init(&tt, 200000, 8), RR_OK);
    CHECK_INT(tt.nslots, RR_TEXT_USERS_MAX);
    uint32_t n = RR_TEXT_USERS_MAX + RR_TEXT_USERS_MAX / 2;
    for (uint32_t uid = 0; uid < n; uid++) rr_text_search(&tt, uid, "shoes", 1000 + uid);
    size_t found_old = 0, found_new = 0;
    for (uint32_t uid = 0; uid < 1000; uid++) found_old += rr_text_user_find(&tt, uid) != NULL;
    for (uint32_t uid = n - 1000; uid < n; uid++) found_new += rr_text_user_find(&tt, uid) != NULL;
    CHECK_INT(found_new, 1000);
    CHECK(found_old < 100);
    CHECK(rr_text_user_claim(&tt, 200000) == NULL); /* past users.max */
    rr_text_free(&tt);
}

/* Item iid's match with a query (tokenized as POST /rank does, rr_recommend_score's intent), or
 * with query NULL or "" with user uid's current search intent. */
static float text_score(const rr_pipeline_t *pl, uint32_t uid, uint32_t iid, const char *query)
{
    uint32_t hash[RR_TEXT_TERMS];
    float w[RR_TEXT_TERMS];
    size_t n = query && query[0]
                   ? rr_text_query_terms(query, hash, w)
                   : rr_text_intent(&pl->text, uid, pl->store.user[uid].last_ts_ms, hash, w, NULL);
    return rr_text_match(&pl->text, iid, hash, w, n);
}

static void apply_ev(rr_pipeline_t *pl, const char *user, const char *item, rr_event_type_t type,
                     const char *query, int64_t ts)
{
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.user_id, sizeof(ev.user_id), "%s", user);
    snprintf(ev.item_id, sizeof(ev.item_id), "%s", item);
    snprintf(ev.query, sizeof(ev.query), "%s", query);
    ev.type = type;
    ev.ts_ms = ts;
    ev.flags = RR_EVF_TS;
    uint32_t uid;
    CHECK_INT(rr_pipeline_apply(pl, &ev, &uid), RR_OK);
    rr_pipeline_refresh(pl, uid);
}

/* The pipeline of the scenarios below: 64 users and items, the learned ranker on or off. */
static void small_pipeline(rr_pipeline_t *pl, int ranker)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 64;
    cfg.items_max = 64;
    cfg.recs_ranker = ranker;
    CHECK_INT(rr_pipeline_init(pl, &cfg), RR_OK);
}

/* Some traffic on A..D, then a new titled item E nobody has touched; bob searches for it. */
static void search_scenario(int ranker)
{
    rr_pipeline_t pl;
    small_pipeline(&pl, ranker);
    int64_t ts = 1700000000000LL;
    const char *items[] = {"A", "B", "C", "D"};
    for (int u = 0; u < 8; u++) {
        char user[8];
        snprintf(user, sizeof(user), "u%d", u);
        for (int i = 0; i < 4; i++)
            apply_ev(&pl, user, items[(u + i) % 4], RR_EV_VIEW, "", ts += 1000);
    }
    rr_item_msg_t e = item_msg("E", "Nike 跑步鞋 running shoes", "sport", "apparel.shoes");
    uint32_t iid;
    CHECK_INT(rr_pipeline_item_update(&pl, &e, &iid), RR_OK);
    rr_item_msg_t f = item_msg("F", "Leather office shoes", "", "apparel.shoes");
    CHECK_INT(rr_pipeline_item_update(&pl, &f, &iid), RR_OK);
    apply_ev(&pl, "bob", "A", RR_EV_VIEW, "", ts += 1000);
    uint32_t bob = rr_intern_find(&pl.store.users, "bob");
    const rr_list_entry_t *list = rr_store_list(&pl.store, bob);
    for (int k = 0; k < pl.store.user[bob].nlist; k++) CHECK(list[k].reason != RR_REASON_SEARCH);
    apply_ev(&pl, "bob", "", RR_EV_SEARCH, "跑步鞋", ts += 1000);
    CHECK(pl.store.user[bob].nlist >= 2);
    CHECK_STR(rr_intern_key(&pl.store.items, list[0].item), "E");
    CHECK_INT(list[0].reason, RR_REASON_SEARCH);
    CHECK(list[0].score > list[1].score);
    char why[256];
    rr_recommend_reason_user(&pl.store, bob, &list[0], why, sizeof(why));
    CHECK_STR(why, "matches your search \"跑步鞋\"");
    rr_recommend_reason(&pl.store, &list[0], why, sizeof(why));
    CHECK_STR(why, "matches your search");
    /* Then "office shoes": the intent is 跑步, 步鞋, office, shoes (about 1 each); E carries
     * three of them, F two: E, then F, both for the search. */
    apply_ev(&pl, "bob", "", RR_EV_SEARCH, "office shoes", ts += 1000);
    CHECK_STR(rr_intern_key(&pl.store.items, list[0].item), "E");
    CHECK_STR(rr_intern_key(&pl.store.items, list[1].item), "F");
    CHECK_INT(list[1].reason, RR_REASON_SEARCH);
    CHECK_NEAR(list[0].score - list[1].score, 0.25, 1e-3);
    const char *fields[4], *values[4];
    CHECK_INT(rr_pipeline_portrait_text(&pl, bob, fields, values, 4), 2);
    CHECK_STR(fields[0], "search_terms");
    CHECK_STR(values[0], "office:1.00,shoes:1.00,跑步:1.00,步鞋:1.00");
    CHECK_STR(values[1], "office shoes");
    /* The ranking API's score: a query's share, or bob's intent without one. */
    uint32_t e_id = rr_intern_find(&pl.store.items, "E"),
             f_id = rr_intern_find(&pl.store.items, "F");
    CHECK_NEAR(text_score(&pl, bob, e_id, "Running SHOES"), 1.0, 1e-6);
    CHECK_NEAR(text_score(&pl, bob, f_id, "running shoes"), 0.5, 1e-6);
    CHECK_NEAR(text_score(&pl, bob, f_id, "hat"), 0.0, 1e-6);
    CHECK_NEAR(text_score(&pl, bob, f_id, NULL), 0.5, 1e-3);
    CHECK_NEAR(text_score(&pl, bob, e_id, ""), 0.75, 1e-3);
    /* Once bob has viewed E it is seen: it leaves the list. */
    apply_ev(&pl, "bob", "E", RR_EV_VIEW, "", ts += 1000);
    for (int k = 0; k < pl.store.user[bob].nlist; k++)
        CHECK(strcmp(rr_intern_key(&pl.store.items, list[k].item), "E") != 0);
    /* Forgetting bob erases his terms. */
    CHECK_INT(rr_pipeline_forget(&pl, "bob"), 1);
    CHECK(rr_text_user_find(&pl.text, bob) == NULL);
    rr_pipeline_free(&pl);
}

static void test_search_source_blend(void)
{
    search_scenario(0);
}

static void test_search_source_ranker(void)
{
    search_scenario(1);
}

/* Titled items A..D with traffic, then G, nobody's yet, titled like A: a user who views A gets G
 * in the last place of the list, "new, like item A"; once G has an interaction it competes as
 * any other item. F, titled like A too but listed before the first event (part of the catalog
 * the stream began with, not a new arrival), never takes the place. */
static void text_scenario(int ranker)
{
    rr_pipeline_t pl;
    small_pipeline(&pl, ranker);
    const char *ids[] = {"A", "B", "C", "D", "F"};
    const char *titles[] = {"Trail running shoes blue", "Winter wool hat", "Garden hose 20m",
                            "Leather office bag", "Trail running shoes green"};
    uint32_t iid;
    for (int i = 0; i < 5; i++) {
        rr_item_msg_t m = item_msg(ids[i], titles[i], "", "");
        CHECK_INT(rr_pipeline_item_update(&pl, &m, &iid), RR_OK);
    }
    int64_t ts = 1700000000000LL;
    for (int u = 0; u < 8; u++) {
        char user[8];
        snprintf(user, sizeof(user), "u%d", u);
        for (int i = 0; i < 4; i++)
            apply_ev(&pl, user, ids[(u + i) % 4], RR_EV_VIEW, "", ts += 1000);
    }
    rr_item_msg_t g = item_msg("G", "Trail running shoes red", "", "");
    CHECK_INT(rr_pipeline_item_update(&pl, &g, &iid), RR_OK);
    rr_item_msg_t h = item_msg("H", "Blue wine", "", ""); /* one shared token: not enough */
    CHECK_INT(rr_pipeline_item_update(&pl, &h, &iid), RR_OK);
    apply_ev(&pl, "carl", "A", RR_EV_VIEW, "", ts += 1000);
    uint32_t carl = rr_intern_find(&pl.store.users, "carl");
    const rr_list_entry_t *list = rr_store_list(&pl.store, carl);
    size_t n = pl.store.user[carl].nlist;
    CHECK(n >= 2);
    CHECK_STR(rr_intern_key(&pl.store.items, list[n - 1].item), "G");
    CHECK_INT(list[n - 1].reason, RR_REASON_TEXT);
    CHECK(list[n - 1].score < list[n - 2].score);
    char why[128];
    rr_recommend_reason_user(&pl.store, carl, &list[n - 1], why, sizeof(why));
    CHECK_STR(why, "new, like item A");
    for (size_t k = 0; k < n; k++) {
        CHECK(strcmp(rr_intern_key(&pl.store.items, list[k].item), "H"));
        CHECK(strcmp(rr_intern_key(&pl.store.items, list[k].item), "F"));
    }
    apply_ev(&pl, "u0", "G", RR_EV_VIEW, "", ts += 1000);
    apply_ev(&pl, "carl", "B", RR_EV_VIEW, "", ts += 1000);
    n = pl.store.user[carl].nlist;
    for (size_t k = 0; k < n; k++) CHECK(list[k].reason != RR_REASON_TEXT);
    rr_pipeline_free(&pl);
}

/* An item announced with a release time (Item.available_from_ms: a launch, a news article's
 * publish time) stays out of a user's list until the user's own event time reaches it. */
static void test_release_time(void)
{
    rr_pipeline_t pl;
    small_pipeline(&pl, 1);
    int64_t ts = 1700000000000LL;
    uint32_t iid;
    rr_item_msg_t a = item_msg("A", "Trail running shoes blue", "", "");
    CHECK_INT(rr_pipeline_item_update(&pl, &a, &iid), RR_OK);
    rr_item_msg_t g = item_msg("G", "Trail running shoes red", "", "");
    g.available_from_ms = ts + 10500; /* between carl's second and third event */
    CHECK_INT(rr_pipeline_item_update(&pl, &g, &iid), RR_OK);
    CHECK_INT(pl.store.item[iid].release_s, (uint32_t)((ts + 10500 + 999) / 1000));
    apply_ev(&pl, "u0", "A", RR_EV_VIEW, "", ts);
    apply_ev(&pl, "carl", "A", RR_EV_VIEW, "", ts += 1000);
    uint32_t carl = rr_intern_find(&pl.store.users, "carl");
    const rr_list_entry_t *list = rr_store_list(&pl.store, carl);
    for (size_t k = 0; k < pl.store.user[carl].nlist; k++) CHECK(list[k].item != iid);
    apply_ev(&pl, "carl", "A", RR_EV_CLICK, "", ts += 9000); /* still before the release */
    for (size_t k = 0; k < pl.store.user[carl].nlist; k++) CHECK(list[k].item != iid);
    apply_ev(&pl, "carl", "A", RR_EV_CLICK, "", ts += 1000); /* after it */
    size_t n = pl.store.user[carl].nlist;
    CHECK(n >= 1 && list[n - 1].item == iid && list[n - 1].reason == RR_REASON_TEXT);
    rr_pipeline_free(&pl);
}

static void test_new_item_by_text_blend(void)
{
    text_scenario(0);
}

static void test_new_item_by_text_ranker(void)
{
    text_scenario(1);
}

/* A partition snapshot carries its users' search terms (UTXT/<p + 1>) to the instance that
 * takes the partition over; users of other partitions stay behind. */
static void test_partition_snapshot(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 16;
    cfg.items_max = 16;
    rr_pipeline_t a, b;
    CHECK_INT(rr_pipeline_init(&a, &cfg), RR_OK);
    CHECK_INT(rr_pipeline_init(&b, &cfg), RR_OK);
    apply_ev(&a, "x", "A", RR_EV_VIEW, "", 1700000000000LL);
    apply_ev(&a, "carol", "", RR_EV_SEARCH, "Red Dress 连衣裙", 1700000001000LL);
    apply_ev(&a, "dave", "", RR_EV_SEARCH, "hat", 1700000002000LL);
    uint32_t carol = rr_intern_find(&a.store.users, "carol");
    uint32_t dave = rr_intern_find(&a.store.users, "dave");
    a.store.user[carol].partition = 2;
    a.store.user[dave].partition = 1;
    size_t n = part_move(&a, &b, 2);
    CHECK_INT(n, 1);
    uint32_t bc = rr_intern_find(&b.store.users, "carol");
    CHECK(bc != RR_INTERN_NONE && rr_intern_find(&b.store.users, "dave") == RR_INTERN_NONE);
    const rr_text_user_t *ua = rr_text_user_find(&a.text, carol),
                         *ub = rr_text_user_find(&b.text, bc);
    CHECK(ua && ub && memcmp(ua->hash, ub->hash, sizeof(ua->hash)) == 0);
    CHECK(ua && ub && memcmp(ua->term, ub->term, sizeof(ua->term)) == 0 && ua->ts_ms == ub->ts_ms);
    CHECK_STR(rr_text_last_query(&b.text, bc), "Red Dress 连衣裙");
    rr_pipeline_free(&a);
    rr_pipeline_free(&b);
}

RR_TEST_MAIN(RR_TEST(test_ascii), RR_TEST(test_latin), RR_TEST(test_chinese), RR_TEST(test_mixed),
             RR_TEST(test_category_code), RR_TEST(test_invalid_utf8), RR_TEST(test_hash_stable),
             RR_TEST(test_index_and_intent), RR_TEST(test_query_kept_whole_chars),
             RR_TEST(test_intent_slots_evict_stalest), RR_TEST(test_search_source_blend),
             RR_TEST(test_search_source_ranker), RR_TEST(test_new_item_by_text_blend),
             RR_TEST(test_new_item_by_text_ranker), RR_TEST(test_release_time),
             RR_TEST(test_partition_snapshot))
