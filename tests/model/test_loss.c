/* test_loss — the losses over logits against naive double-precision references: the loss
 * itself, its gradient by central differences, the groups' boundaries, extreme logits; and the
 * MLP's backward from given logit gradients against its own BCE backward. */
#include <stdlib.h>
#include "rr_loss.h"
#include "rr_mlp.h"
#include "rr_rng.h"
#include "rr_test.h"

enum { N = 13 };

/* Four groups of uneven size (one a positive alone) after two rows that belong to none. */
static const float labels[N] = {0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0};

static double ref_softmax(const double *z, int n)
{
    double loss = 0;
    int ngroups = 0;
    for (int s = 0; s < n; s++) {
        if (!(labels[s] > 0.5f)) continue;
        int e = s + 1;
        while (e < n && !(labels[e] > 0.5f)) e++;
        double sum = 0;
        for (int i = s; i < e; i++) sum += exp(z[i]);
        loss += -(z[s] - log(sum));
        ngroups++;
    }
    return loss / ngroups;
}

static double ref_bce(const double *z, const float *w, int n)
{
    double loss = 0, wsum = 0;
    for (int i = 0; i < n; i++) {
        double p = 1 / (1 + exp(-z[i]));
        loss += w[i] * -(labels[i] * log(p) + (1 - labels[i]) * log(1 - p));
        wsum += w[i];
    }
    return loss / wsum;
}

static void random_logits(float *z, double *zd, uint64_t seed)
{
    rr_rng_t rng;
    rr_rng_seed(&rng, seed);
    for (int i = 0; i < N; i++) zd[i] = z[i] = rr_rng_normal(&rng) * 2.0f;
}

/* Each dz_i against (L(z + h e_i) - L(z - h e_i)) / 2h of the reference. */
static void check_gradient(const float *dz, double *zd, double (*loss)(const double *, int),
                           double tol)
{
    const double h = 1e-5;
    for (int i = 0; i < N; i++) {
        double z0 = zd[i];
        zd[i] = z0 + h;
        double up = loss(zd, N);
        zd[i] = z0 - h;
        double down = loss(zd, N);
        zd[i] = z0;
        CHECK_NEAR(dz[i], (up - down) / (2 * h), tol);
    }
}

static void test_softmax_groups(void)
{
    float z[N], dz[N];
    double zd[N];
    for (uint64_t seed = 1; seed <= 5; seed++) {
        random_logits(z, zd, seed);
        float loss = rr_softmax_groups(z, labels, N, dz);
        CHECK_NEAR(loss, ref_softmax(zd, N), 1e-5);
        check_gradient(dz, zd, ref_softmax, 1e-5);
        CHECK(dz[0] == 0 && dz[1] == 0); /* before the first positive: no group */
        double sum = 0;                  /* a shift of a group's logits changes nothing */
        for (int i = 2; i < 5; i++) sum += dz[i];
        CHECK_NEAR(sum, 0, 1e-7);
    }
}

static const float weights[N] = {1, 2, 1, 0.5f, 0.5f, 3, 1, 1, 0, 1, 1, 2, 1};

static double ref_bce_w(const double *z, int n)
{
    return ref_bce(z, weights, n);
}

static void test_bce(void)
{
    float z[N], dz[N];
    double zd[N];
    for (uint64_t seed = 1; seed <= 5; seed++) {
        random_logits(z, zd, seed);
        float loss = rr_bce_grad(z, labels, weights, N, dz);
        CHECK_NEAR(loss, ref_bce_w(zd, N), 1e-5);
        check_gradient(dz, zd, ref_bce_w, 1e-5);
    }
    float zero[N] = {0};
    CHECK(rr_bce_grad(z, labels, zero, N, dz) == 0.0f && dz[3] == 0.0f);
}

/* Logits far beyond exp's range stay finite: a saturated ranker must still step. */
static void test_extremes(void)
{
    float z[N], dz[N];
    for (int i = 0; i < N; i++) z[i] = (i % 2 ? 1 : -1) * 1e4f;
    float s = rr_softmax_groups(z, labels, N, dz), b = rr_bce_grad(z, labels, NULL, N, dz + 0);
    CHECK(isfinite(s) && isfinite(b));
    rr_softmax_groups(z, labels, N, dz);
    for (int i = 0; i < N; i++) CHECK(isfinite(dz[i]) && fabsf(dz[i]) <= 1.0f);
    CHECK_NEAR(dz[5], 0, 1e-6);     /* alone in its group: nothing to learn */
    CHECK_NEAR(dz[6], -0.25, 1e-6); /* -1e4 against 1e4 is certain: all its group's (1/4) loss */
    CHECK_NEAR(dz[7] + dz[9], 0.25, 1e-6);
}

/* rr_mlp_backward_logits from the BCE's dz gives rr_mlp_backward's gradients, bit for bit. */
static void test_backward_logits(void)
{
    rr_mlp_config_t cfg = rr_mlp_config_default(5);
    size_t np = rr_mlp_param_count(&cfg);
    float *params = malloc(np * sizeof(float)), *g1 = malloc(np * sizeof(float)),
          *g2 = malloc(np * sizeof(float));
    float *ws = malloc(rr_mlp_workspace_floats(&cfg, N) * sizeof(float));
    float x[N * 5], dx1[N * 5], dx2[N * 5], dz[N], prob[N];
    rr_mlp_t mlp;
    rr_mlp_init(&mlp, &cfg, params);
    rr_rng_t rng;
    rr_rng_seed(&rng, 9);
    for (int i = 0; i < N * 5; i++) x[i] = rr_rng_normal(&rng);
    rr_mlp_forward(&mlp, x, N, ws, prob);
    rr_mlp_backward(&mlp, x, N, ws, labels, weights, g1, dx1);
    float z[N];
    for (int i = 0; i < N; i++) z[i] = rr_mlp_logit(&mlp, ws, N, i);
    rr_bce_grad(z, labels, weights, N, dz);
    rr_mlp_backward_logits(&mlp, x, N, ws, dz, g2, dx2);
    CHECK(memcmp(g1, g2, np * sizeof(float)) == 0);
    CHECK(memcmp(dx1, dx2, sizeof(dx1)) == 0);
    free(params);
    free(g1);
    free(g2);
    free(ws);
}

RR_TEST_MAIN(RR_TEST(test_softmax_groups), RR_TEST(test_bce), RR_TEST(test_extremes),
             RR_TEST(test_backward_logits))
