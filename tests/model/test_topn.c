/* test_topn — top-K against brute force (score everything in double, sort), for both kernels
 * (blocked sgemm + threshold scan; fused AVX-512 where the CPU has it), with shared and per-user
 * exclusions, many ties (small-integer vectors give exact, repeated scores) broken by the lower
 * index, the single-user sgemv path, NaN and infinite scores, and float data. */
#include <stdio.h>

#include "rr_rng.h"
#include "rr_test.h"
#include "rr_topn.h"

typedef struct {
    double score;
    uint32_t idx;
} cand_t;

static int cand_cmp(const void *pa, const void *pb)
{
    const cand_t *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return a->idx < b->idx ? -1 : (a->idx > b->idx);
}

static long skip_calls;

/* Per-user exclusion: (item + user) % 5 == 0, like "already bought". */
static int skip_mod5(void *ctx, int user, uint32_t item)
{
    (void)ctx;
    skip_calls++;
    return (item + (uint32_t)user) % 5 == 0;
}

static int is_excluded(const uint64_t *bitmap, int use_skip, int user, uint32_t item)
{
    if (bitmap && ((bitmap[item / 64] >> (item % 64)) & 1)) return 1;
    return use_skip && (item + (uint32_t)user) % 5 == 0;
}

/* Brute-force best K of one user, sorted; returns the count. */
static int brute(const float *user, const float *items, uint32_t N, int d, int K,
                 const uint64_t *bitmap, int use_skip, int u, cand_t *all)
{
    int n = 0;
    for (uint32_t j = 0; j < N; j++) {
        double s = 0.0;
        for (int k = 0; k < d; k++) s += (double)user[k] * items[(size_t)j * d + k];
        if (isnan(s) || is_excluded(bitmap, use_skip, u, j)) continue;
        all[n].score = s;
        all[n++].idx = j;
    }
    qsort(all, (size_t)n, sizeof(cand_t), cand_cmp);
    return n < K ? n : K;
}

static void fill_ints(float *v, size_t n, rr_rng_t *rng)
{
    for (size_t k = 0; k < n; k++) v[k] = (float)((int)rr_rng_below(rng, 7) - 3);
}

static const rr_topn_kernel_t kernels[] = {RR_TOPN_GEMM, RR_TOPN_FUSED};
static const char *kernel_names[] = {"gemm", "fused"};

/* Kernel kernel against brute force on the given data, every combination of filter kinds;
 * returns the mismatches. */
static int check_kernel(rr_topn_kernel_t kernel, const float *users, int U, const float *items,
                        uint32_t N, int K, int d, size_t scratch_floats, const uint64_t *bitmap)
{
    float *scratch = malloc(scratch_floats * sizeof(float));
    uint32_t *idx = malloc((size_t)U * K * sizeof(uint32_t));
    float *score = malloc((size_t)U * K * sizeof(float));
    int *count = malloc((size_t)U * sizeof(int));
    cand_t *all = malloc(N * sizeof(cand_t));
    int bad = 0;
    for (int mode = 0; mode < 4; mode++) {
        const uint64_t *bm = (mode & 1) ? bitmap : NULL;
        int use_skip = (mode & 2) != 0;
        rr_topn_filter_t filter = {bm, use_skip ? skip_mod5 : NULL, NULL};
        skip_calls = 0;
        rr_topn_batch_kernel(kernel, users, U, items, N, d, K, mode ? &filter : NULL, scratch,
                             scratch_floats, idx, score, count);
        int bad_mode = 0;
        for (int u = 0; u < U; u++) {
            int want = brute(users + (size_t)u * d, items, N, d, K, bm, use_skip, u, all);
            if (count[u] != want) bad_mode++;
            for (int r = 0; r < want && r < count[u]; r++)
                if (idx[(size_t)u * K + r] != all[r].idx ||
                    score[(size_t)u * K + r] != all[r].score)
                    bad_mode++;
        }
        if (bad_mode)
            fprintf(stderr, "%s U=%d N=%u K=%d mode=%d: %d mismatches\n",
                    kernel_names[kernel == RR_TOPN_FUSED], U, N, K, mode, bad_mode);
        bad += bad_mode;
        if (use_skip && (size_t)K * 4 < N)
            CHECK(skip_calls < (long)U * (long)N); /* asked only about would-be entries */
    }
    free(scratch);
    free(idx);
    free(score);
    free(count);
    free(all);
    return bad;
}

/* Exact comparison on integer data for every kernel this CPU runs; the fused kernel gets the
 * scratch it needs. */
static void check_case(int U, uint32_t N, int K, int d, size_t scratch_floats, uint64_t seed)
{
    rr_rng_t rng;
    rr_rng_seed(&rng, seed);
    float *users = malloc((size_t)U * d * sizeof(float));
    float *items = malloc((size_t)N * d * sizeof(float));
    uint64_t *bitmap = calloc((N + 63) / 64, sizeof(uint64_t));
    fill_ints(users, (size_t)U * d, &rng);
    fill_ints(items, (size_t)N * d, &rng);
    for (uint32_t j = 3; j < N; j += 7) bitmap[j / 64] |= 1ULL << (j % 64);
    for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++) {
        if (!rr_topn_kernel_available(kernels[k])) continue;
        size_t sf = scratch_floats, need = rr_topn_scratch_floats(U, d, 1);
        if (kernels[k] == RR_TOPN_FUSED && sf < need) sf = need;
        CHECK_INT(check_kernel(kernels[k], users, U, items, N, K, d, sf, bitmap), 0);
    }

    /* Single-user path on user U-1 (the callback sees user 0). */
    float *scratch = malloc(scratch_floats * sizeof(float));
    uint32_t *idx = malloc((size_t)K * sizeof(uint32_t));
    float *score = malloc((size_t)K * sizeof(float));
    cand_t *all = malloc(N * sizeof(cand_t));
    for (int mode = 0; mode < 4; mode++) {
        const uint64_t *bm = (mode & 1) ? bitmap : NULL;
        int use_skip = (mode & 2) != 0;
        rr_topn_filter_t filter = {bm, use_skip ? skip_mod5 : NULL, NULL};
        int want = brute(users + (size_t)(U - 1) * d, items, N, d, K, bm, use_skip, 0, all);
        int got = rr_topn_one(users + (size_t)(U - 1) * d, items, N, d, K, mode ? &filter : NULL,
                              scratch, scratch_floats, idx, score);
        CHECK_INT(got, want);
        for (int r = 0; r < want && r < got; r++) {
            CHECK_INT(idx[r], all[r].idx);
            CHECK_NEAR(score[r], all[r].score, 0.0);
        }
    }
    printf("U=%-3d N=%-5u K=%-3d d=%-2d scratch=%zu: ok\n", U, N, K, d, scratch_floats);
    free(users);
    free(items);
    free(bitmap);
    free(scratch);
    free(idx);
    free(score);
    free(all);
}

static void test_against_brute_force(void)
{
    printf("fused kernel: %s\n", rr_topn_kernel_available(RR_TOPN_FUSED) ? "tested" : "n/a");
    check_case(1, 1, 1, 8, 16, 1);
    check_case(3, 7, 10, 8, 3 * 4, 2); /* K > N: returns all 7 (or what passes the filter) */
    check_case(5, 1000, 10, 8, 5 * 64, 3);
    check_case(40, 5003, 50, 16, 40 * 512, 4); /* last block is partial */
    check_case(17, 2000, 500, 8, 17 * 4096, 5);
    check_case(2, 300, 1, 4, 2 * 7, 6); /* odd block size; tiny d gives massive ties */
    /* The fused kernel's shapes: 1..4 vectors of 16 users (24, 12, 8, 6 items per group, the
     * rest one by one), a second chunk past 64 users, odd d. */
    check_case(16, 1001, 20, 32, 16 * 256, 7);
    check_case(33, 997, 20, 5, 33 * 256, 8);
    check_case(64, 1013, 20, 32, 64 * 256, 9);
    check_case(100, 777, 7, 3, 100 * 256, 10);
}

/* Two items with identical vectors: the lower index must come first, whatever the blocking and
 * the kernel. */
static void test_ties_lower_index_first(void)
{
    float user[2] = {1, 1}, items[5 * 2] = {0, 0, 2, 2, 1, 3, 2, 2, 4, 0};
    uint32_t idx[3];
    float score[3];
    int count;
    float scratch[128];
    for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++) {
        for (size_t sf = 1; sf <= 128; sf = sf < 5 ? sf + 1 : 2 * sf) {
            rr_topn_batch_kernel(kernels[k], user, 1, items, 5, 2, 3, NULL, scratch, sf, idx, score,
                                 &count);
            CHECK_INT(count, 3);
            CHECK_INT(idx[0], 1); /* scores 4, 4, 4, 4: items 1, 2, 3, 4 tie */
            CHECK_INT(idx[1], 2);
            CHECK_INT(idx[2], 3);
        }
    }
}

/* An item with a NaN component is never returned. */
static void test_nan_scores_skipped(void)
{
    float user[2] = {1, 1}, items[3 * 2] = {1, 1, NAN, 5, 0, 1};
    uint32_t idx[3];
    float score[3], scratch[128];
    int got = rr_topn_one(user, items, 3, 2, 3, NULL, scratch, 3, idx, score);
    CHECK_INT(got, 2);
    CHECK_INT(idx[0], 0);
    CHECK_INT(idx[1], 2);
    for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++) {
        rr_topn_batch_kernel(kernels[k], user, 1, items, 3, 2, 3, NULL, scratch, 128, idx, score,
                             &got);
        CHECK_INT(got, 2);
        CHECK_INT(idx[0], 0);
        CHECK_INT(idx[1], 2);
    }
}

/* Infinite components: +inf and -inf scores are ordinary (an empty heap takes -inf too), inf -
 * inf is NaN and never returned; against brute force, which sees the same infinities. */
static void test_infinite_scores(void)
{
    enum { U = 20, N = 300, D = 4, K = 12 };
    rr_rng_t rng;
    rr_rng_seed(&rng, 77);
    float users[U * D], items[N * D];
    fill_ints(users, U * D, &rng);
    fill_ints(items, N * D, &rng);
    for (int u = 0; u < U; u++) users[u * D] = 1.0f + (float)(u % 3); /* never 0: no 0·inf */
    for (int j = 0; j < N; j += 9) items[j * D] = (j / 9) % 3 ? -INFINITY : INFINITY;
    items[5 * D + 1] = INFINITY; /* item 5: +inf · (-3..3): ±inf, NaN for 0 */
    for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++)
        if (rr_topn_kernel_available(kernels[k]))
            CHECK_INT(check_kernel(kernels[k], users, U, items, N, K, D, 4096, NULL), 0);
    /* Fewer finite-or-+inf items than K: the -inf ones fill the rest. */
    for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++)
        if (rr_topn_kernel_available(kernels[k]))
            CHECK_INT(check_kernel(kernels[k], users, U, items, 40, 39, D, 4096, NULL), 0);
}

/* Random floats: every returned score is the item's true score, sorted, and the K-th is as good
 * as brute force's K-th (up to float rounding of the dot products), for every kernel. */
static void check_float_data(rr_topn_kernel_t kernel)
{
    enum { U = 8, N = 3000, D = 32, K = 20 };
    rr_rng_t rng;
    rr_rng_seed(&rng, 99);
    float *users = malloc(U * D * sizeof(float)), *items = malloc((size_t)N * D * sizeof(float));
    size_t sf = rr_topn_scratch_floats(U, D, 256);
    float *scratch = malloc(sf * sizeof(float)), score[U * K];
    uint32_t idx[U * K];
    int count[U];
    cand_t *all = malloc(N * sizeof(cand_t));
    for (int k = 0; k < U * D; k++) users[k] = rr_rng_normal(&rng);
    for (int k = 0; k < N * D; k++) items[k] = rr_rng_normal(&rng);
    rr_topn_batch_kernel(kernel, users, U, items, N, D, K, NULL, scratch, sf, idx, score, count);
    double worst = 0.0;
    for (int u = 0; u < U; u++) {
        CHECK_INT(count[u], K);
        brute(users + u * D, items, N, D, K, NULL, 0, u, all);
        for (int r = 0; r < K; r++) {
            double truth = 0.0;
            for (int k = 0; k < D; k++)
                truth += (double)users[u * D + k] * items[idx[u * K + r] * D + k];
            worst = fmax(worst, fabs(truth - score[u * K + r]));
            if (r > 0) CHECK(score[u * K + r] <= score[u * K + r - 1]);
        }
        CHECK(score[u * K + K - 1] >= all[K - 1].score - 1e-4);
    }
    printf("float data, %s: max |score - exact| %.2e\n", kernel_names[kernel == RR_TOPN_FUSED],
           worst);
    CHECK(worst < 1e-4);
    free(users);
    free(items);
    free(scratch);
    free(all);
}

static void test_float_data(void)
{
    for (size_t k = 0; k < sizeof(kernels) / sizeof(kernels[0]); k++)
        if (rr_topn_kernel_available(kernels[k])) check_float_data(kernels[k]);
}

RR_TEST_MAIN(RR_TEST(test_against_brute_force), RR_TEST(test_ties_lower_index_first),
             RR_TEST(test_nan_scores_skipped), RR_TEST(test_infinite_scores),
             RR_TEST(test_float_data))
