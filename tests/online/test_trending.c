/* test_trending.c — the trending top-K sets against a naive reference: random hits over time,
 * then the set must hold exactly the best K by brute force, already in order (best first). */
#include <string.h>
#include "rr_test.h"
#include "rr_trending.h"

enum { NITEMS = 1000, CAP = 16 };

static uint32_t lcg(uint64_t *s, uint32_t n)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((*s >> 33) % n);
}

/* Best K of all items by score (ties: lower id), the reference order. */
static size_t naive_top(const rr_trending_t *tr, uint32_t *out, size_t k)
{
    uint8_t taken[NITEMS] = {0};
    size_t n = 0;
    for (; n < k; n++) {
        int best = -1;
        for (uint32_t i = 0; i < NITEMS; i++) {
            if (taken[i] || tr->score[i] == 0) continue;
            if (best < 0 || tr->score[i] > tr->score[best]) best = (int)i;
        }
        if (best < 0) break;
        taken[best] = 1;
        out[n] = (uint32_t)best;
    }
    return n;
}

static void test_sets_stay_ordered(void)
{
    rr_trending_t tr;
    CHECK_INT(rr_trending_init(&tr, NITEMS, 30.0), RR_OK);
    uint32_t set[CAP], nset = 0;
    uint64_t s = 7;
    int64_t ts = 1000;
    for (int e = 0; e < 20000; e++) {
        uint32_t item = lcg(&s, 8) == 0 ? lcg(&s, NITEMS) : lcg(&s, 40); /* a hot head */
        ts += lcg(&s, 50);
        rr_trending_hit(&tr, item, (float)(1 + lcg(&s, 4)), ts);
        rr_trending_set_offer(&tr, set, &nset, CAP, item);
        if (e % 997 != 0) continue;
        uint32_t want[RR_TRENDING_TOP], got[RR_TRENDING_TOP];
        size_t nw = naive_top(&tr, want, CAP);
        CHECK_INT(nset, nw);
        CHECK(memcmp(set, want, nw * sizeof(uint32_t)) == 0); /* the set itself is in order */
        CHECK_INT(rr_trending_top(&tr, got, NULL, CAP), nw);
        CHECK(memcmp(got, want, nw * sizeof(uint32_t)) == 0);
    }
    /* Removal keeps the global top in order. */
    uint32_t before[RR_TRENDING_TOP], after[RR_TRENDING_TOP];
    size_t n = rr_trending_top(&tr, before, NULL, RR_TRENDING_TOP);
    rr_trending_clear(&tr, before[1]);
    CHECK_INT(tr.ntop, n - 1);
    CHECK_INT(tr.top[0], before[0]);
    for (uint32_t i = 1; i < tr.ntop; i++) CHECK_INT(tr.top[i], before[i + 1]);
    CHECK_INT(rr_trending_top(&tr, after, NULL, RR_TRENDING_TOP), n - 1);
    rr_trending_free(&tr);
}

RR_TEST_MAIN(RR_TEST(test_sets_stay_ordered))
