/* test_hostile.c — the pipeline under hostile or unlucky input: duplicate event ids, one user
 * flooding, a flood of new user ids against the cap, users going idle past the TTL. */
#include <stdint.h>
#include "rr_pipeline.h"
#include "rr_test.h"

static rr_err_t send(rr_pipeline_t *pl, const char *event_id, const char *user, const char *item,
                     int64_t ts)
{
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.event_id, sizeof(ev.event_id), "%s", event_id);
    snprintf(ev.user_id, sizeof(ev.user_id), "%s", user);
    snprintf(ev.item_id, sizeof(ev.item_id), "%s", item);
    ev.type = RR_EV_VIEW;
    ev.ts_ms = ts;
    ev.flags = RR_EVF_TS;
    uint32_t uid;
    return rr_pipeline_apply(pl, &ev, &uid);
}

static void small_config(rr_config_t *cfg)
{
    rr_config_init(cfg);
    cfg->users_max = 64;
    cfg->items_max = 64;
    cfg->model_enabled = 0;
}

static void test_dedupe_window(void)
{
    rr_dedupe_t d;
    CHECK_INT(rr_dedupe_init(&d, 4), RR_OK);
    CHECK_INT(rr_dedupe_seen(&d, "a"), 0);
    CHECK_INT(rr_dedupe_seen(&d, "a"), 1);
    CHECK_INT(rr_dedupe_seen(&d, ""), 0); /* no id: never a duplicate */
    CHECK_INT(rr_dedupe_seen(&d, ""), 0);
    CHECK_INT(rr_dedupe_seen(&d, "b"), 0);
    CHECK_INT(rr_dedupe_seen(&d, "c"), 0); /* rotates: a, b now in the older generation */
    CHECK_INT(rr_dedupe_seen(&d, "a"), 1);
    CHECK_INT(rr_dedupe_seen(&d, "d"), 0);
    CHECK_INT(rr_dedupe_seen(&d, "e"), 0); /* rotates again: a and b are forgotten */
    CHECK_INT(rr_dedupe_seen(&d, "b"), 0);
    rr_dedupe_free(&d);
    CHECK_INT(rr_dedupe_init(&d, 0), RR_OK); /* off */
    CHECK_INT(rr_dedupe_seen(&d, "x"), 0);
    CHECK_INT(rr_dedupe_seen(&d, "x"), 0);
    rr_dedupe_free(&d);
}

static void test_duplicates_skipped(void)
{
    rr_config_t cfg;
    small_config(&cfg);
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    CHECK_INT(send(&pl, "e1", "u", "A", 1000000000000LL), RR_OK);
    CHECK_INT(send(&pl, "e1", "u", "A", 1000000000000LL), RR_E(DUPLICATE));
    CHECK_INT(send(&pl, "e2", "u", "B", 1000000000001LL), RR_OK);
    CHECK_INT(pl.events_total, 2);
    CHECK_INT(pl.duplicates, 1);
    uint32_t u = rr_intern_find(&pl.store.users, "u");
    CHECK_INT(pl.store.user[u].nevents, 2);
    rr_pipeline_free(&pl);
}

static void test_flood_capped(void)
{
    rr_config_t cfg;
    small_config(&cfg);
    cfg.users_max_events_per_s = 10;
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    int64_t t = 1000000000000LL;
    for (int i = 0; i < 100; i++) send(&pl, "", "bot", "A", t + i); /* 100 events in 0.1 s */
    send(&pl, "", "human", "A", t + 50);
    CHECK_INT(pl.flooded, 90);
    CHECK_INT(pl.events_total, 11);
    CHECK_INT(send(&pl, "", "bot", "B", t + 1000), RR_OK); /* the next second is fine */
    uint32_t bot = rr_intern_find(&pl.store.users, "bot");
    CHECK_INT(pl.store.user[bot].nevents, 11);
    rr_pipeline_free(&pl);
}

static int dropped;
static void count_drop(void *opaque, const char *user_id)
{
    (void)opaque;
    (void)user_id;
    dropped++;
}

/* 10k new ids against a cap of 64: the table never grows, the oldest-looking users go. */
static void test_id_flood_evicts(void)
{
    rr_config_t cfg;
    small_config(&cfg);
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    pl.on_drop = count_drop;
    dropped = 0;
    CHECK_INT(send(&pl, "", "loyal", "A", 1000000000000LL), RR_OK);
    char user[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(user, sizeof(user), "flood%d", i);
        CHECK_INT(send(&pl, "", user, "A", 1000000001000LL + i), RR_OK);
        if (i % 16 == 0) send(&pl, "", "loyal", "A", 1000000001000LL + i); /* stays recent */
    }
    CHECK(pl.store.users.count <= 64);
    CHECK(rr_intern_bound(&pl.store.users) <= 64);
    CHECK_INT(pl.evicted, 10000 + 1 - 64);
    CHECK_INT(dropped, (int)pl.evicted);
    CHECK(rr_intern_find(&pl.store.users, "loyal") != RR_INTERN_NONE);
    rr_pipeline_free(&pl);
}

static void test_ttl_expiry(void)
{
    rr_config_t cfg;
    small_config(&cfg);
    cfg.users_ttl_s = 60;
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    pl.on_drop = count_drop;
    dropped = 0;
    int64_t t = 1000000000000LL;
    send(&pl, "", "idle", "A", t);
    send(&pl, "", "busy", "A", t);
    for (int i = 1; i <= 100; i++) send(&pl, "", "busy", "B", t + i * 1000); /* 100 s later */
    CHECK(rr_intern_find(&pl.store.users, "idle") == RR_INTERN_NONE);
    CHECK(rr_intern_find(&pl.store.users, "busy") != RR_INTERN_NONE);
    CHECK_INT(pl.expired, 1);
    CHECK_INT(dropped, 1);
    send(&pl, "", "idle", "C", t + 101000); /* comes back: a new profile */
    uint32_t idle = rr_intern_find(&pl.store.users, "idle");
    CHECK_INT(pl.store.user[idle].nevents, 1);
    rr_pipeline_free(&pl);
}

RR_TEST_MAIN(RR_TEST(test_dedupe_window), RR_TEST(test_duplicates_skipped),
             RR_TEST(test_flood_capped), RR_TEST(test_id_flood_evicts), RR_TEST(test_ttl_expiry))
