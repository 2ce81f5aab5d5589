/* test_handoff.c — a partition handed over between synced instances: the new owner replays
 * input whose shared part (item side, learning) the old owner's delta already brought it, with
 * rr_pipeline_t.users_only set. Its users end as the old owner's did, and the item side counts
 * each event once (without the flag, twice). */
#include <stdint.h>
#include <stdio.h>
#include "rr_sync.h"
#include "rr_test.h"

static const rr_sync_merge_t SUM = {1.0f, 1.0f};

enum { NEV = 600, NUSERS = 20, NITEMS = 40 };

static void event_at(rr_event_t *ev, int i)
{
    static const rr_event_type_t types[] = {RR_EV_VIEW, RR_EV_CLICK, RR_EV_ADD_TO_CART,
                                            RR_EV_PURCHASE, RR_EV_IMPRESSION};
    memset(ev, 0, sizeof(*ev));
    uint64_t h = (uint64_t)i * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    ev->type = types[h % 5];
    ev->ts_ms = 1700000000000LL + 1000LL * i;
    snprintf(ev->user_id, sizeof(ev->user_id), "u%d", (int)((h >> 8) % NUSERS));
    snprintf(ev->item_id, sizeof(ev->item_id), "i%d", (int)((h >> 20) % NITEMS));
    snprintf(ev->category, sizeof(ev->category), "c%d", (int)((h >> 20) % NITEMS) % 5);
}

static void init(rr_pipeline_t *pl)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_max = 128;
    cfg.items_max = 128;
    cfg.model_batch = 4;
    CHECK_INT(rr_pipeline_init(pl, &cfg), RR_OK);
}

static uint64_t interactions(const rr_pipeline_t *pl)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < rr_intern_bound(&pl->store.items); i++)
        n += pl->store.item[i].interactions;
    return n;
}

/* Each user's events and recent items (by key) on the old owner a and the new owner b. */
static void check_same_users(const rr_pipeline_t *a, const rr_pipeline_t *b)
{
    for (int u = 0; u < NUSERS; u++) {
        char key[16];
        snprintf(key, sizeof(key), "u%d", u);
        uint32_t x = rr_intern_find(&a->store.users, key), y = rr_intern_find(&b->store.users, key);
        CHECK((x == RR_INTERN_NONE) == (y == RR_INTERN_NONE));
        if (x == RR_INTERN_NONE || y == RR_INTERN_NONE) continue;
        CHECK_INT(a->store.user[x].nevents, b->store.user[y].nevents);
        uint32_t ra[64], rb[64];
        size_t na = rr_store_recent(&a->store, x, ra), nb = rr_store_recent(&b->store, y, rb);
        CHECK_INT(na, nb);
        for (size_t k = 0; k < na && k < nb; k++)
            CHECK_STR(rr_intern_key(&a->store.items, ra[k]), rr_intern_key(&b->store.items, rb[k]));
    }
}

static void run(int users_only)
{
    rr_pipeline_t a, b;
    init(&a);
    init(&b);
    char errstr[128];
    rr_sync_t *sa = rr_sync_new(&a, RR_SYNC_F32, errstr, sizeof(errstr));
    rr_sync_t *sb = rr_sync_new(&b, RR_SYNC_F32, errstr, sizeof(errstr));
    CHECK(sa && sb);
    rr_event_t ev;
    uint32_t uid;
    for (int i = 0; i < NEV; i++) {
        event_at(&ev, i);
        CHECK_INT(rr_pipeline_apply(&a, &ev, &uid), RR_OK);
    }
    const uint8_t *buf;
    size_t len;
    CHECK_INT(rr_sync_publish(sa, &SUM, &buf, &len), RR_OK);
    CHECK_INT(rr_sync_apply(sb, buf, len, &SUM), RR_OK);
    uint64_t steps = b.learner.steps, ranker = b.ranker.steps;
    CHECK_INT(interactions(&b), interactions(&a));
    b.users_only = users_only; /* b takes the partition over from a's start offset */
    rr_sync_mute(sb, 1);
    for (int i = 0; i < NEV; i++) {
        event_at(&ev, i);
        CHECK_INT(rr_pipeline_apply(&b, &ev, &uid), RR_OK);
    }
    check_same_users(&a, &b);
    if (users_only) {
        CHECK_INT(interactions(&b), interactions(&a));
        CHECK(b.cooc.pairs == a.cooc.pairs);
        CHECK(b.learner.steps == steps && b.ranker.steps == ranker); /* a learned it once */
        CHECK_INT(b.preq.targets, 0);
    } else {
        CHECK_INT(interactions(&b), 2 * interactions(&a)); /* what the flag prevents */
    }
    CHECK(interactions(&a) > NEV / 2);
    rr_sync_free(sa);
    rr_sync_free(sb);
    rr_pipeline_free(&a);
    rr_pipeline_free(&b);
}

static void test_users_only(void)
{
    run(1);
}

static void test_without_flag_counts_twice(void)
{
    run(0);
}

RR_TEST_MAIN(RR_TEST(test_users_only), RR_TEST(test_without_flag_counts_twice))
