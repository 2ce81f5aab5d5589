/* test_store.c — the users' seen filters: no false negatives, ever; false positives measured
 * on the items a user never touched, with the grown blocks against 512 bits alone; a chain of
 * blocks for a long history, capped; the pool's slots taken, exhausted, returned by forgetting
 * and by a reset; a reused id starts clean. */
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

static size_t blocks(const rr_store_t *st, uint32_t uid)
{
    const uint64_t *b[RR_SEEN_MAX_BLOCKS];
    return rr_store_seen_blocks(st, uid, b);
}

static void catalog(rr_store_t *st)
{
    uint32_t uid = user(st, "catalog");
    view(st, uid, 0, NITEMS); /* every item exists, ids in order */
    rr_store_forget(st, uid);
}

/* A store of 8 users over the whole catalog, with a pool of n blocks. */
static void store_with_pool(rr_store_t *st, size_t n)
{
    CHECK_INT(rr_store_init(st, 8, NITEMS, 20, 10), RR_OK);
    CHECK_INT(rr_store_seen_pool(st, n), RR_OK);
    catalog(st);
}

static void test_false_positives(void)
{
    rr_store_t plain, grown;
    CHECK_INT(rr_store_init(&plain, 8, NITEMS, 20, 10), RR_OK);
    store_with_pool(&grown, 4);
    catalog(&plain);
    uint32_t a = user(&plain, "a"), b = user(&grown, "a");
    view(&plain, a, 1000, 20);
    view(&grown, b, 1000, 20);
    CHECK_INT(blocks(&grown, b), 0); /* 20 items fit 512 bits */
    double p20 = false_share(&grown, b, 1000, 20);
    view(&plain, a, 1020, 180);
    view(&grown, b, 1020, 180);
    CHECK_INT(blocks(&grown, b), 2); /* ~26 items in the 512 bits, ~126 a block */
    double p_plain = false_share(&plain, a, 1000, 200), p_grown = false_share(&grown, b, 1000, 200);
    printf("false positives: 20 items %.4f; 200 items %.4f (512 bits alone %.3f)\n", p20, p_grown,
           p_plain);
    CHECK(p20 < 0.005);    /* (1 - e^(-80/512))^4 = 0.05% */
    CHECK(p_plain > 0.2);  /* (1 - e^(-800/512))^4 = 39% */
    CHECK(p_grown < 0.01); /* 0.12% + 0.23% frozen, 48 items in the newest block */
    rr_store_free(&plain);
    rr_store_free(&grown);
}

static void test_pool(void)
{
    rr_store_t st;
    store_with_pool(&st, 1);
    uint32_t a = user(&st, "a"), b = user(&st, "b");
    view(&st, a, 100, 60);
    view(&st, b, 200, 60);
    CHECK_INT(blocks(&st, a), 1);
    CHECK_INT(blocks(&st, b), 0); /* the pool is taken: b keeps its 512 bits */
    false_share(&st, b, 200, 60);
    rr_store_forget(&st, a);
    CHECK_INT(st.seen_nfree, 1);
    view(&st, b, 260, 1); /* b's next item finds the slot free */
    CHECK_INT(blocks(&st, b), 1);
    false_share(&st, b, 200, 61);
    uint32_t c = user(&st, "c"); /* a's id again, with nothing of a's */
    CHECK_INT(c, a);             /* the catalog's id went before, at the back of the free ids */
    CHECK_INT(blocks(&st, c), 0);
    CHECK(false_share(&st, c, 0, 0) == 0.0);
    /* A reset returns the slot and keeps what the rings hold: the 20 recent items. */
    rr_store_seen_reset(&st, b);
    CHECK_INT(blocks(&st, b), 0);
    CHECK_INT(st.seen_nfree, 1);
    false_share(&st, b, 241, 20);
    CHECK(rr_store_seen_grow(&st, c) != NULL && rr_store_seen_grow(&st, b) == NULL);
    rr_store_free(&st);
}

/* A long history takes a block every ~126 items, each still answering for its items; at
 * RR_SEEN_MAX_BLOCKS the newest keeps filling; forgetting returns every block. */
static void test_chain(void)
{
    rr_store_t st;
    store_with_pool(&st, 40);
    uint32_t a = user(&st, "a"), b = user(&st, "b");
    view(&st, a, 100, 600);
    size_t n = blocks(&st, a);
    double p600 = false_share(&st, a, 100, 600);
    printf("600 items: %zu blocks, false positives %.4f\n", n, p600);
    CHECK(n >= 4 && n <= 5); /* (600 - 26) / 126 */
    CHECK(p600 < 0.02);      /* 0.12% + 4 × 0.23% + the newest's */
    const uint64_t *chain[RR_SEEN_MAX_BLOCKS];
    CHECK_INT(rr_store_seen_blocks(&st, a, chain), n);
    CHECK(chain[n - 1] != chain[0]); /* oldest first: the newest is last */
    view(&st, b, 0, 3000);           /* past the cap: 16 blocks, then the last fills */
    CHECK_INT(blocks(&st, b), RR_SEEN_MAX_BLOCKS);
    CHECK(rr_store_seen_grow(&st, b) == NULL);
    false_share(&st, b, 0, 3000);
    rr_store_forget(&st, a);
    rr_store_forget(&st, b);
    CHECK_INT(st.seen_nfree, 40);
    rr_store_free(&st);
}

RR_TEST_MAIN(RR_TEST(test_false_positives), RR_TEST(test_pool), RR_TEST(test_chain))
