/* test_store.c — the users' seen filters: no false negatives, ever; false positives measured
 * on the items a user never touched, with the grown filter against 512 bits alone; the pool's
 * slots taken, exhausted, returned by forgetting and by a reset; a reused id starts clean. */
#include <stdint.h>
#include <stdio.h>
#include "rr_store.h"
#include "rr_test.h"

enum { NITEMS = 4000 };

static uint32_t user(rr_store_t *st, const char *id)
{
    uint32_t uid;
    int is_new;
    CHECK_INT(rr_store_user(st, id, &uid, &is_new), RR_OK);
    return uid;
}

/* Items i0 .. i0 + n - 1 viewed by uid, each created on first use; two at each time, so half the
 * recent items carry their tie bit (which the filters must never see). */
static void view(rr_store_t *st, uint32_t uid, int i0, int n)
{
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = RR_EV_VIEW;
    for (int i = i0; i < i0 + n; i++) {
        snprintf(ev.item_id, sizeof(ev.item_id), "i%d", i);
        ev.ts_ms = 1700000000000LL + i / 2;
        uint32_t iid;
        CHECK_INT(rr_store_item(st, &ev, &iid), RR_OK);
        rr_store_touch(st, uid, iid, &ev);
    }
}

/* No item of [i0, i0 + n) is missed; returns the share of the rest of the catalog reported seen
 * (items are interned in order, so item "ik" has id k). */
static double false_share(const rr_store_t *st, uint32_t uid, int i0, int n)
{
    for (int i = i0; i < i0 + n; i++) CHECK(rr_store_has_seen(st, uid, (uint32_t)i));
    int fp = 0, others = 0;
    for (int i = 0; i < NITEMS; i++) {
        if (i >= i0 && i < i0 + n) continue;
        fp += rr_store_has_seen(st, uid, (uint32_t)i);
        others++;
    }
    return (double)fp / others;
}

static void catalog(rr_store_t *st)
{
    uint32_t uid = user(st, "catalog");
    view(st, uid, 0, NITEMS); /* every item exists, ids in order */
    rr_store_forget(st, uid);
}

static void test_false_positives(void)
{
    rr_store_t plain, grown;
    CHECK_INT(rr_store_init(&plain, 8, NITEMS, 20, 10), RR_OK);
    CHECK_INT(rr_store_init(&grown, 8, NITEMS, 20, 10), RR_OK);
    CHECK_INT(rr_store_seen_pool(&grown, 4), RR_OK);
    catalog(&plain);
    catalog(&grown);
    uint32_t a = user(&plain, "a"), b = user(&grown, "a");
    view(&plain, a, 1000, 20);
    view(&grown, b, 1000, 20);
    CHECK(rr_store_seen_grown(&grown, b) == NULL); /* 20 items fit 512 bits */
    double p20 = false_share(&grown, b, 1000, 20);
    view(&plain, a, 1020, 180);
    view(&grown, b, 1020, 180);
    CHECK(rr_store_seen_grown(&grown, b) != NULL);
    double p_plain = false_share(&plain, a, 1000, 200), p_grown = false_share(&grown, b, 1000, 200);
    printf("false positives: 20 items %.3f; 200 items %.3f (512 bits alone %.3f)\n", p20, p_grown,
           p_plain);
    CHECK(p20 < 0.01);
    CHECK(p_plain > 0.2);  /* (1 - e^(-400/512))^2 = 0.29 */
    CHECK(p_grown < 0.06); /* 1.6% frozen + (1 - e^(-334/2048))^2 = 2.3% */
    rr_store_free(&plain);
    rr_store_free(&grown);
}

static void test_pool(void)
{
    rr_store_t st;
    CHECK_INT(rr_store_init(&st, 8, NITEMS, 20, 10), RR_OK);
    CHECK_INT(rr_store_seen_pool(&st, 1), RR_OK);
    catalog(&st);
    uint32_t a = user(&st, "a"), b = user(&st, "b");
    view(&st, a, 100, 60);
    view(&st, b, 200, 60);
    CHECK(rr_store_seen_grown(&st, a) != NULL);
    CHECK(rr_store_seen_grown(&st, b) == NULL); /* the pool is taken: b keeps its 512 bits */
    false_share(&st, b, 200, 60);
    rr_store_forget(&st, a);
    CHECK_INT(st.seen_nfree, 1);
    view(&st, b, 260, 1); /* b's next item finds the slot free */
    CHECK(rr_store_seen_grown(&st, b) != NULL);
    false_share(&st, b, 200, 61);
    uint32_t c = user(&st, "c"); /* a's id again, with nothing of a's */
    CHECK_INT(c, a);             /* the catalog's id went before, at the back of the free ids */
    CHECK(rr_store_seen_grown(&st, c) == NULL);
    CHECK(false_share(&st, c, 0, 0) == 0.0);
    /* A reset returns the slot and keeps what the rings hold: the 20 recent items. */
    rr_store_seen_reset(&st, b);
    CHECK(rr_store_seen_grown(&st, b) == NULL);
    CHECK_INT(st.seen_nfree, 1);
    false_share(&st, b, 241, 20);
    CHECK(rr_store_seen_grow(&st, c) != NULL && rr_store_seen_grow(&st, b) == NULL);
    rr_store_free(&st);
}

RR_TEST_MAIN(RR_TEST(test_false_positives), RR_TEST(test_pool))
