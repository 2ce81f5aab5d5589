/* test_mlp_gradcheck — rr_mlp_backward's gradients against central finite differences of the
 * loss (computed in double by mlp_ref.h), for every parameter of every W and b and for dx. */
#include <stdio.h>

#include "mlp_ref.h"
#include "rr_mlp.h"
#include "rr_rng.h"
#include "rr_test.h"

#define FD_EPS 1e-6
#define RTOL   2e-3 /* float analytic vs double numeric */
#define ATOL   1e-6

/* |a - n| <= ATOL + RTOL · max(|a|, |n|); returns the worst relative error seen. */
static double compare(const char *what, int l, const float *an, const double *num, size_t n)
{
    double worst = 0.0, biggest = 0.0;
    int bad = 0;
    for (size_t k = 0; k < n; k++) {
        biggest = fmax(biggest, fabs(num[k]));
        double a = an[k], d = fabs(a - num[k]), m = fmax(fabs(a), fabs(num[k]));
        if (!(d <= ATOL + RTOL * m)) {
            if (bad++ < 5)
                fprintf(stderr, "%s[%d][%zu]: analytic %.9g numeric %.9g\n", what, l, k, a, num[k]);
        }
        double rel = d / fmax(m, 1e-12);
        if (m > 1e-5 && rel > worst) worst = rel;
    }
    CHECK_INT(bad, 0);
    /* A block of zeros (dead units) would pass vacuously: every block must carry gradient. */
    if (!(biggest > 1e-4)) fprintf(stderr, "%s[%d]: gradient is ~0 (%g)\n", what, l, biggest);
    CHECK(biggest > 1e-4);
    return worst;
}

static void gradcheck(const rr_mlp_config_t *cfg, int B)
{
    rr_mlp_t mlp;
    size_t np = rr_mlp_param_count(cfg);
    int in = cfg->in_dim;
    float *params = malloc(np * sizeof(float)), *grads = malloc(np * sizeof(float));
    float *ws = malloc(rr_mlp_workspace_floats(cfg, B) * sizeof(float));
    float *x = malloc((size_t)B * in * sizeof(float)), *dx = malloc((size_t)B * in * sizeof(float));
    double *num = malloc((np + (size_t)B * in) * sizeof(double));
    float labels[16], weights[16];
    rr_rng_t rng;
    rr_rng_seed(&rng, 77);

    rr_mlp_init(&mlp, cfg, params);
    for (size_t k = 0; k < np; k++) params[k] += 0.1f * rr_rng_normal(&rng); /* biases too */
    for (int k = 0; k < B * in; k++) x[k] = rr_rng_normal(&rng);
    for (int i = 0; i < B; i++) {
        labels[i] = (float)(i % 2);
        weights[i] = 0.5f + rr_rng_uniform(&rng);
    }
    rr_mlp_forward(&mlp, x, B, ws, NULL);
    rr_mlp_backward(&mlp, x, B, ws, labels, weights, grads, dx);

    /* d loss / d param: perturb the double copy of one parameter at a time. */
    double *p = ref_params(&mlp);
    for (size_t k = 0; k < np; k++) {
        double keep = p[k];
        p[k] = keep + FD_EPS;
        double up = ref_loss_grad(&mlp, p, x, B, labels, weights, NULL, NULL, NULL);
        p[k] = keep - FD_EPS;
        double down = ref_loss_grad(&mlp, p, x, B, labels, weights, NULL, NULL, NULL);
        p[k] = keep;
        num[k] = (up - down) / (2 * FD_EPS);
    }
    /* d loss / d x: x is float, so step it by 2^-12 and divide by the step actually taken. */
    double *numdx = num + np;
    for (int k = 0; k < B * in; k++) {
        float keep = x[k], h = 1.0f / 4096.0f, hi = keep + h, lo = keep - h;
        x[k] = hi;
        double up = ref_loss_grad(&mlp, p, x, B, labels, weights, NULL, NULL, NULL);
        x[k] = lo;
        double down = ref_loss_grad(&mlp, p, x, B, labels, weights, NULL, NULL, NULL);
        x[k] = keep;
        numdx[k] = (up - down) / ((double)hi - (double)lo);
    }

    for (int l = 0; l < mlp.nlayers; l++) {
        size_t nw = (size_t)mlp.dim[l] * mlp.dim[l + 1];
        double ew = compare("W", l, grads + mlp.w_off[l], num + mlp.w_off[l], nw);
        double eb = compare("b", l, grads + mlp.b_off[l], num + mlp.b_off[l], mlp.dim[l + 1]);
        printf("  layer %d (%dx%d): W max rel err %.2e, b max rel err %.2e\n", l, mlp.dim[l],
               mlp.dim[l + 1], ew, eb);
    }
    double edx = compare("dx", 0, dx, numdx, (size_t)B * in);
    printf("  dx (%dx%d): max rel err %.2e\n", B, in, edx);

    free(p);
    free(params);
    free(grads);
    free(ws);
    free(x);
    free(dx);
    free(num);
}

static void test_gradcheck_two_hidden(void)
{
    rr_mlp_config_t cfg = {.in_dim = 6, .nhidden = 2, .hidden = {7, 5}, .seed = 11};
    gradcheck(&cfg, 4);
}

static void test_gradcheck_three_hidden_batch1(void)
{
    rr_mlp_config_t cfg = {.in_dim = 5, .nhidden = 3, .hidden = {6, 4, 3}, .seed = 12};
    gradcheck(&cfg, 1);
}

static void test_gradcheck_logistic(void)
{
    rr_mlp_config_t cfg = {.in_dim = 9, .nhidden = 0, .seed = 13};
    gradcheck(&cfg, 6);
}

RR_TEST_MAIN(RR_TEST(test_gradcheck_two_hidden), RR_TEST(test_gradcheck_three_hidden_batch1),
             RR_TEST(test_gradcheck_logistic))
