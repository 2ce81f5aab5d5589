/* test_norm — Welford running mean/variance against the textbook example and a two-pass
 * computation on badly conditioned data (large offset, small spread). */
#include "rr_norm.h"
#include "rr_rng.h"
#include "rr_test.h"

static void test_textbook(void)
{
    /* 2 4 4 4 5 5 7 9: mean 5, population variance 4. */
    float xs[8] = {2, 4, 4, 4, 5, 5, 7, 9};
    rr_welford_t w[1];
    rr_welford_reset(w, 1);
    float out;
    rr_welford_normalize(w, &xs[0], &out, 1, 1e-6f);
    CHECK_NEAR(out, 2.0, 0.0); /* no observation yet: passed through */
    for (int k = 0; k < 8; k++) rr_welford_update(w, &xs[k], 1);
    float nan = NAN;
    rr_welford_update(w, &nan, 1); /* ignored */
    CHECK_INT(w->count, 8);
    CHECK_NEAR(w->mean, 5.0, 1e-12);
    CHECK_NEAR(rr_welford_var(w), 4.0, 1e-12);
    float x = 7.0f;
    rr_welford_normalize(w, &x, &x, 1, 0.0f);
    CHECK_NEAR(x, 1.0, 1e-6);
}

/* 1e6 + N(0, 1) in float: a naive sum-of-squares variance loses everything; Welford must not. */
static void test_large_offset(void)
{
    enum { N = 10000 };
    rr_welford_t w[2];
    rr_welford_reset(w, 2);
    rr_rng_t rng;
    rr_rng_seed(&rng, 3);
    static float xs[N][2];
    double s[2] = {0, 0};
    for (int k = 0; k < N; k++) {
        xs[k][0] = 1e6f + rr_rng_normal(&rng) * 4.0f;
        xs[k][1] = rr_rng_uniform(&rng);
        rr_welford_update(w, xs[k], 2);
        s[0] += xs[k][0];
        s[1] += xs[k][1];
    }
    for (int f = 0; f < 2; f++) {
        double mean = s[f] / N, m2 = 0.0;
        for (int k = 0; k < N; k++) m2 += (xs[k][f] - mean) * (xs[k][f] - mean);
        CHECK_NEAR(w[f].mean, mean, 1e-9 * fabs(mean) + 1e-12);
        CHECK_NEAR(rr_welford_var(&w[f]), m2 / N, 1e-9 * (m2 / N));
    }
}

/* Two instances each fed part of a stream, merged, equal one fed all of it; and what was added
 * since a snapshot, merged back onto the snapshot, gives the whole again. */
static void test_merge_since(void)
{
    enum { N = 3000 };
    rr_rng_t rng;
    rr_rng_seed(&rng, 9);
    rr_welford_t all[1], a[1], b[1], snap[1], part[1], back[1];
    rr_welford_reset(all, 1);
    rr_welford_reset(a, 1);
    rr_welford_reset(b, 1);
    rr_welford_merge(a, b); /* an empty b changes nothing */
    CHECK_INT(a->count, 0);
    for (int k = 0; k < N; k++) {
        float x = 50.0f + 3.0f * rr_rng_normal(&rng) + (k % 7 == 0 ? 40.0f : 0.0f);
        rr_welford_update(all, &x, 1);
        rr_welford_update(k % 3 ? a : b, &x, 1);
        if (k == N / 2) *snap = *all;
    }
    rr_welford_merge(a, b);
    CHECK_INT(a->count, N);
    CHECK_NEAR(a->mean, all->mean, 1e-9 * all->mean);
    CHECK_NEAR(a->m2, all->m2, 1e-9 * all->m2);
    rr_welford_since(all, snap, part);
    CHECK_INT(part->count, N - N / 2 - 1);
    *back = *snap;
    rr_welford_merge(back, part);
    CHECK_INT(back->count, N);
    CHECK_NEAR(back->mean, all->mean, 1e-9 * all->mean);
    CHECK_NEAR(back->m2, all->m2, 1e-9 * all->m2);
    rr_welford_since(all, all, part);
    CHECK_INT(part->count, 0);
}

RR_TEST_MAIN(RR_TEST(test_textbook), RR_TEST(test_large_offset), RR_TEST(test_merge_since))
