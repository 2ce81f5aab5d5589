/* test_mlp_reference — rr_mlp forward and backward against the naive double-precision
 * reference in mlp_ref.h, over several layer configs and batch sizes (1 takes rr_gemm_rows'
 * single-row blocks; widths below 8 its scalar tail), and rows independent of their batch. */
#include <stdio.h>

#include "mlp_ref.h"
#include "rr_mlp.h"
#include "rr_rng.h"
#include "rr_test.h"

/* Max |a - b| over n, relative to max(1, max |b|): float vs double on O(1) values. */
static double max_rel_diff(const float *a, const double *b, size_t n, double *abs_out)
{
    double diff = 0.0, scale = 1.0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs((double)a[k] - b[k]);
        if (!(d <= diff)) diff = d; /* NaN propagates into diff */
        if (fabs(b[k]) > scale) scale = fabs(b[k]);
    }
    if (abs_out && (!(diff <= *abs_out))) *abs_out = diff;
    return diff / scale;
}

static double worst_abs;

static void check_config(const rr_mlp_config_t *cfg, int B, int use_weights)
{
    rr_mlp_t mlp;
    size_t np = rr_mlp_param_count(cfg), nws = rr_mlp_workspace_floats(cfg, B);
    int in = cfg->in_dim;
    float *params = malloc(np * sizeof(float)), *grads = malloc(np * sizeof(float));
    float *ws = malloc(nws * sizeof(float)), *x = malloc((size_t)B * in * sizeof(float));
    float *dx = malloc((size_t)B * in * sizeof(float)), prob[64], labels[64], weights[64];
    double *rgrads = malloc(np * sizeof(double)), *rdx = malloc((size_t)B * in * sizeof(double));
    double rprob[64];
    CHECK(np > 0 && nws > 0 && B <= 64);

    rr_mlp_init(&mlp, cfg, params);
    rr_rng_t rng;
    rr_rng_seed(&rng, 1000 + (uint64_t)B);
    /* Non-zero biases so the bias paths are exercised too. */
    for (int l = 0; l < mlp.nlayers; l++)
        for (int j = 0; j < mlp.dim[l + 1]; j++)
            params[mlp.b_off[l] + j] = 0.3f * rr_rng_normal(&rng);
    for (int k = 0; k < B * in; k++) x[k] = rr_rng_normal(&rng);
    for (int i = 0; i < B; i++) {
        labels[i] = (i % 3 == 0) ? 1.0f : (i % 3 == 1 ? 0.0f : 0.25f); /* soft labels too */
        weights[i] = 0.2f + 2.0f * rr_rng_uniform(&rng);
    }
    /* Garbage (NaN) in every output buffer: outputs must be written, never read. */
    memset(ws, 0xff, nws * sizeof(float));
    memset(grads, 0xff, np * sizeof(float));
    memset(dx, 0xff, (size_t)B * in * sizeof(float));

    const float *w = use_weights ? weights : NULL;
    rr_mlp_forward(&mlp, x, B, ws, prob);
    float loss = rr_mlp_backward(&mlp, x, B, ws, labels, w, grads, dx);
    double *p = ref_params(&mlp);
    double rloss = ref_loss_grad(&mlp, p, x, B, labels, w, rgrads, rdx, rprob);

    double dprob = max_rel_diff(prob, rprob, (size_t)B, &worst_abs);
    double dgrad = max_rel_diff(grads, rgrads, np, &worst_abs);
    double ddx = max_rel_diff(dx, rdx, (size_t)B * in, &worst_abs);
    double dloss = fabs(loss - rloss);
    printf("in=%d nhidden=%d B=%2d weights=%d: prob %.2e loss %.2e grads %.2e dx %.2e\n", in,
           cfg->nhidden, B, use_weights, dprob, dloss, dgrad, ddx);
    CHECK(dprob < 1e-5);
    CHECK(dloss < 1e-5 * (1.0 + rloss));
    CHECK(dgrad < 1e-5);
    CHECK(ddx < 1e-5);
    /* Without parameter gradients dx is bit for bit the same (the activations stay valid). */
    float *dx2 = malloc((size_t)B * in * sizeof(float));
    CHECK(rr_mlp_backward(&mlp, x, B, ws, labels, w, NULL, dx2) == loss);
    CHECK(memcmp(dx2, dx, (size_t)B * in * sizeof(float)) == 0);
    free(dx2);
    /* The logit accessor agrees with prob. */
    CHECK_NEAR(1.0 / (1.0 + exp(-rr_mlp_logit(&mlp, ws, B, B - 1))), prob[B - 1], 1e-6);

    free(p);
    free(params);
    free(grads);
    free(ws);
    free(x);
    free(dx);
    free(rgrads);
    free(rdx);
}

static void test_configs_and_batches(void)
{
    rr_mlp_config_t cfgs[6] = {
        rr_mlp_config_default(48),
        {.in_dim = 7, .nhidden = 2, .hidden = {16, 8}, .seed = 3},
        {.in_dim = 5, .nhidden = 0, .seed = 4},
        {.in_dim = 10, .nhidden = 3, .hidden = {12, 3, 6}, .init_scale = 1.5f, .seed = 5},
        /* width-1 layers: rr_gemm_rows' scalar tail, and rr_sgemm's one-row (sgemv) path for
         * the weights' gradients */
        {.in_dim = 1, .nhidden = 2, .hidden = {1, 3}, .seed = 6},
        /* dx of the first layer as a dot product per output (too large to lay out transposed) */
        {.in_dim = 300, .nhidden = 1, .hidden = {64}, .seed = 7},
    };
    int batches[3] = {1, 5, 17};
    for (int c = 0; c < 6; c++) {
        CHECK(cfgs[c].in_dim <= REF_MAXW);
        for (int b = 0; b < 3; b++)
            for (int wgt = 0; wgt < 2; wgt++) check_config(&cfgs[c], batches[b], wgt);
    }
    printf("max abs diff over all: %.3e\n", worst_abs);
}

static void test_sizes(void)
{
    rr_mlp_config_t cfg = rr_mlp_config_default(10);
    /* 10·64 + 64 + 64·32 + 32 + 32·1 + 1 */
    CHECK_INT(rr_mlp_param_count(&cfg), 640 + 64 + 2048 + 32 + 32 + 1);
    /* acts 64B + 32B, logits B, two deltas of 64B */
    CHECK_INT(rr_mlp_workspace_floats(&cfg, 5), 5 * (64 + 32 + 1 + 2 * 64));
    rr_mlp_config_t bad = cfg;
    bad.nhidden = RR_MLP_MAX_HIDDEN + 1;
    CHECK(!rr_mlp_config_valid(&bad));
    CHECK_INT(rr_mlp_param_count(&bad), 0);
    bad = cfg;
    bad.hidden[1] = 0;
    CHECK_INT(rr_mlp_workspace_floats(&bad, 4), 0);
    /* a forward row: 2·in·out multiply-adds + out biases per layer */
    float params[640 + 64 + 2048 + 32 + 32 + 1];
    rr_mlp_t mlp;
    rr_mlp_init(&mlp, &cfg, params);
    CHECK_NEAR(rr_mlp_flops_per_row(&mlp), 21.0 * 64 + 129.0 * 32 + 65.0 * 1, 0);
}

/* All weights zero: with zero weights the loss and every gradient are zero, not NaN. */
static void test_zero_weights(void)
{
    rr_mlp_config_t cfg = {.in_dim = 3, .nhidden = 1, .hidden = {4}, .seed = 9};
    rr_mlp_t mlp;
    float params[64], grads[64], ws[64], x[6] = {1, 2, 3, 4, 5, 6}, y[2] = {1, 0}, w[2] = {0, 0};
    CHECK(rr_mlp_param_count(&cfg) <= 64 && rr_mlp_workspace_floats(&cfg, 2) <= 64);
    rr_mlp_init(&mlp, &cfg, params);
    rr_mlp_forward(&mlp, x, 2, ws, NULL);
    CHECK_NEAR(rr_mlp_backward(&mlp, x, 2, ws, y, w, grads, NULL), 0.0, 0.0);
    for (size_t k = 0; k < mlp.nparams; k++) CHECK_NEAR(grads[k], 0.0, 0.0);
}

/* A huge logit must give a finite loss (the naive log(sigmoid) form would give inf). */
static void test_extreme_logits(void)
{
    rr_mlp_config_t cfg = {.in_dim = 1, .nhidden = 0, .seed = 1};
    rr_mlp_t mlp;
    float params[2] = {0}, grads[2], ws[8], x[2] = {200.0f, -200.0f}, y[2] = {0, 1}, prob[2];
    rr_mlp_attach(&mlp, &cfg, params);
    params[0] = 1.0f; /* logit = x */
    rr_mlp_forward(&mlp, x, 2, ws, prob);
    float loss = rr_mlp_backward(&mlp, x, 2, ws, y, NULL, grads, NULL);
    CHECK_NEAR(loss, 200.0, 1e-3); /* both rows are wrong by a margin of 200 */
    CHECK_NEAR(prob[0], 1.0, 0.0);
    CHECK_NEAR(prob[1], 0.0, 1e-30);
    CHECK(isfinite(grads[0]) && isfinite(grads[1]));
}

/* A row's probability and its dLoss/dx are the same bits alone, in a batch of 256 and at any
 * place in a batch of any size: a score must not depend on which rows shared its pass (the
 * ranker's two refresh threads split a batch anywhere; its pool cache and a restart score the
 * same rows apart). rr_gemm_rows gives it by construction; the OpenBLAS calls it replaced
 * (sgemv for one row, sgemm for more) fail this test with every kernel tried (Haswell, Zen,
 * SkylakeX), and inside the pipeline failed test_online_ranker's pool cache and
 * test_online_refresh_threads on a machine whose OpenBLAS picks the Haswell kernel. */
static void rows_independent_of_batch(int in, int h1, int h2)
{
    enum { B = 256, IN = 320 };
    CHECK(in <= IN);
    rr_mlp_config_t cfg = {.in_dim = in, .nhidden = 2, .hidden = {h1, h2}, .seed = 5};
    rr_mlp_t mlp;
    size_t np = rr_mlp_param_count(&cfg), nws = rr_mlp_workspace_floats(&cfg, B);
    float *params = malloc(np * sizeof(float)), *ws = malloc(nws * sizeof(float));
    float *x = malloc((size_t)B * IN * sizeof(float)), *dx = malloc((size_t)B * IN * sizeof(float));
    float prob[B], one[1], dx1[IN], y[B], w[B];
    rr_mlp_init(&mlp, &cfg, params);
    rr_rng_t rng;
    rr_rng_seed(&rng, 77);
    for (int k = 0; k < B * in; k++) x[k] = rr_rng_normal(&rng);
    for (int i = 0; i < B; i++) y[i] = (float)(i % 2), w[i] = 1.0f;
    rr_mlp_forward(&mlp, x, B, ws, prob);
    rr_mlp_backward(&mlp, x, B, ws, y, w, NULL, dx);
    int differ = 0;
    for (int i = 0; i < B; i++) {
        rr_mlp_forward(&mlp, x + (size_t)i * in, 1, ws, one);
        rr_mlp_backward(&mlp, x + (size_t)i * in, 1, ws, &y[i], &w[i], NULL, dx1);
        differ += memcmp(&one[0], &prob[i], sizeof(float)) != 0;
        /* The batch's loss is the mean over 256 rows: its dx is the single row's times 2^-8,
         * exactly (a power of two scales every product and sum without rounding). */
        for (int k = 0; k < in; k++) dx1[k] *= 1.0f / B;
        differ += memcmp(dx1, dx + (size_t)i * in, (size_t)in * sizeof(float)) != 0;
    }
    for (int start = 1; start < B; start += 37) /* batches of every size, from mid-way */
        for (int n = 2; start + n <= B; n = n * 2 + 1) {
            float part[B];
            rr_mlp_forward(&mlp, x + (size_t)start * in, n, ws, part);
            differ += memcmp(part, prob + start, (size_t)n * sizeof(float)) != 0;
        }
    CHECK_INT(differ, 0);
    free(params);
    free(ws);
    free(x);
    free(dx);
}

/* The ranker's shape, the embedding model's (a wider input, 64 and 32 hidden), and one whose
 * first layer is too large to lay out transposed. */
static void test_rows_independent_of_batch(void)
{
    rows_independent_of_batch(28, 32, 16);
    rows_independent_of_batch(150, 64, 32);
    rows_independent_of_batch(300, 64, 32); /* dx of a 300×64 layer: a dot product per output */
}

RR_TEST_MAIN(RR_TEST(test_configs_and_batches), RR_TEST(test_sizes), RR_TEST(test_zero_weights),
             RR_TEST(test_extreme_logits), RR_TEST(test_rows_independent_of_batch))
