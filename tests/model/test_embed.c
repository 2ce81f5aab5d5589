/* test_embed — hashed embedding tables: FNV-1a test vectors, bucket spread, N(0, scale²) init,
 * gather, and sparse updates that merge duplicate ids and leave other rows untouched. */
#include <stdio.h>

#include "rr_embed.h"
#include "rr_test.h"

static void test_hash_vectors(void)
{
    /* Published FNV-1a 64 test vectors: ids must map to the same rows on every machine. */
    CHECK(rr_hash64("", 0) == 0xcbf29ce484222325ULL);
    CHECK(rr_hash64("a", 1) == 0xaf63dc4c8601ec8cULL);
    CHECK(rr_hash64("foobar", 6) == 0x85944171f73967e8ULL);
    /* Continued over more bytes, it is the hash of the whole. */
    CHECK(rr_hash64_more(rr_hash64("foo", 3), "bar", 3) == 0x85944171f73967e8ULL);
    CHECK(rr_hash64_more(RR_HASH64_SEED, "a", 1) == 0xaf63dc4c8601ec8cULL);
}

/* 100k sequential ids over 97 buckets: every bucket within 15% of the mean (~1031). Sequential
 * ids are the adversarial case for FNV's low bits, which the mixing step must fix. */
static void test_bucket_spread(void)
{
    enum { NB = 97, NIDS = 100000 };
    int count[NB] = {0}, pow2[64] = {0};
    char id[32];
    for (int k = 0; k < NIDS; k++) {
        int len = snprintf(id, sizeof(id), "user-%d", k);
        uint64_t h = rr_hash64(id, (size_t)len);
        uint32_t b = rr_embed_bucket(h, NB);
        CHECK(b < NB);
        count[b]++;
        pow2[rr_embed_bucket(h, 64)]++;
    }
    int lo = NIDS, hi = 0;
    for (int b = 0; b < NB; b++) {
        lo = count[b] < lo ? count[b] : lo;
        hi = count[b] > hi ? count[b] : hi;
    }
    printf("97 buckets: min %d max %d (mean %d)\n", lo, hi, NIDS / NB);
    CHECK(lo > 0.85 * NIDS / NB && hi < 1.15 * NIDS / NB);
    for (int b = 0; b < 64; b++) CHECK(pow2[b] > 0.85 * NIDS / 64 && pow2[b] < 1.15 * NIDS / 64);
}

static void test_init_and_gather(void)
{
    enum { NROWS = 1000, DIM = 16 };
    float *data = malloc(rr_embed_floats(NROWS, DIM) * sizeof(float));
    rr_embed_t table;
    rr_rng_t rng;
    rr_rng_seed(&rng, 5);
    rr_embed_init(&table, data, NROWS, DIM, 0.1f, &rng);
    double s = 0.0, ss = 0.0;
    for (int k = 0; k < NROWS * DIM; k++) {
        s += data[k];
        ss += (double)data[k] * data[k];
    }
    double mean = s / (NROWS * DIM), sd = sqrt(ss / (NROWS * DIM) - mean * mean);
    printf("init: mean %.4f sd %.4f (want 0, 0.1)\n", mean, sd);
    CHECK_NEAR(mean, 0.0, 0.005);
    CHECK_NEAR(sd, 0.1, 0.005);

    uint32_t row = rr_embed_row_of(&table, "item-42", 7);
    CHECK(row == rr_embed_bucket(rr_hash64("item-42", 7), NROWS));
    uint32_t rows[2] = {row, 3};
    float out[2 * 20];
    rr_embed_gather(&table, rows, 2, out, 20); /* into a wider batch: ld 20 */
    CHECK(memcmp(out, rr_embed_row(&table, row), DIM * sizeof(float)) == 0);
    CHECK(memcmp(out + 20, data + 3 * DIM, DIM * sizeof(float)) == 0);
    free(data);
}

/* SGD lr 1 on rows {2, 5, 2}: row 2 moves by -(g0 + g2), row 5 by -g1, nothing else moves. */
static void test_update_merges_duplicates(void)
{
    enum { NROWS = 8, DIM = 3, LD = 4 };
    float data[NROWS * DIM], before[NROWS * DIM], scratch[3 * DIM];
    uint32_t rows_scratch[3], rows[3] = {2, 5, 2};
    for (int k = 0; k < NROWS * DIM; k++) data[k] = before[k] = (float)k;
    rr_embed_t table;
    rr_embed_attach(&table, data, NROWS, DIM);
    float g[3 * LD] = {1, 2, 3, 99, 10, 20, 30, 99, 100, 200, 300, 99}; /* column 3 is not ours */
    rr_optim_t opt = rr_optim_default(RR_OPTIM_SGD, 1.0f);
    CHECK_INT(rr_embed_update(&table, &opt, NULL, rows, 3, g, LD, scratch, rows_scratch), 2);
    for (int j = 0; j < DIM; j++) {
        CHECK_NEAR(data[2 * DIM + j], before[2 * DIM + j] - (g[j] + g[2 * LD + j]), 0.0);
        CHECK_NEAR(data[5 * DIM + j], before[5 * DIM + j] - g[LD + j], 0.0);
    }
    for (int r = 0; r < NROWS; r++)
        if (r != 2 && r != 5)
            CHECK(memcmp(data + r * DIM, before + r * DIM, sizeof(float) * DIM) == 0);
}

/* A mini-batch of 300 rows (the hashed merge) moves each row by the sum of its gradients, the
 * same as a naive per-row sum, and visits the rows in first-seen order. */
static void test_update_merges_large_batch(void)
{
    enum { NROWS = 97, DIM = 4, N = 300 };
    static float data[NROWS * DIM], want[NROWS * DIM], g[N * DIM], scratch[N * DIM];
    uint32_t rows[N], rows_scratch[N];
    for (int k = 0; k < NROWS * DIM; k++) data[k] = want[k] = (float)(k % 7);
    for (int k = 0; k < N; k++) {
        rows[k] = (uint32_t)((k * 37 + k / 5) % NROWS);
        for (int j = 0; j < DIM; j++) g[k * DIM + j] = (float)((k + j) % 5) * 0.25f;
    }
    for (int r = 0; r < NROWS; r++) /* naive: sum each row's gradients in order, then step */
        for (int j = 0; j < DIM; j++) {
            float sum = 0;
            int hit = 0;
            for (int k = 0; k < N; k++)
                if (rows[k] == (uint32_t)r) sum = hit++ ? sum + g[k * DIM + j] : g[k * DIM + j];
            want[r * DIM + j] -= sum;
        }
    rr_embed_t table;
    rr_embed_attach(&table, data, NROWS, DIM);
    rr_optim_t opt = rr_optim_default(RR_OPTIM_SGD, 1.0f);
    CHECK_INT(rr_embed_update(&table, &opt, NULL, rows, N, g, DIM, scratch, rows_scratch), NROWS);
    CHECK(memcmp(data, want, sizeof(data)) == 0);
    CHECK_INT(rows_scratch[0], rows[0]);
    CHECK_INT(rows_scratch[1], rows[1]);
}

RR_TEST_MAIN(RR_TEST(test_hash_vectors), RR_TEST(test_bucket_spread), RR_TEST(test_init_and_gather),
             RR_TEST(test_update_merges_duplicates), RR_TEST(test_update_merges_large_batch))
