/* test_optim — SGD, Adagrad and Adam against numbers worked out by hand from the formulas,
 * sparse row updates (only listed rows and their state move; lazy Adam == dense Adam per row;
 * row-wise Adagrad), and gradient clipping. */
#include "rr_optim.h"
#include "rr_test.h"

#define TOL 1e-6

/* p = [1, -2], constant g = [0.5, 0.25], lr 0.1: p -= 0.1·g each step. */
static void test_sgd(void)
{
    rr_optim_t opt = rr_optim_default(RR_OPTIM_SGD, 0.1f);
    float p[2] = {1.0f, -2.0f}, g[2] = {0.5f, 0.25f};
    CHECK_INT(rr_optim_state_floats(RR_OPTIM_SGD, 2), 0);
    rr_optim_step(&opt, p, g, NULL, 2);
    CHECK_NEAR(p[0], 0.95, TOL);
    CHECK_NEAR(p[1], -2.025, TOL);
    rr_optim_step(&opt, p, g, NULL, 2);
    CHECK_NEAR(p[0], 0.90, TOL);
    CHECK_NEAR(p[1], -2.05, TOL);
    CHECK_INT(opt.t, 2);
}

/* With L2 0.1: g' = g + 0.1·p.
 * step 1: 1 - 0.1·(0.5 + 0.1) = 0.94;       -2 - 0.1·(0.25 - 0.2) = -2.005
 * step 2: 0.94 - 0.1·(0.5 + 0.094) = 0.8806; -2.005 - 0.1·(0.25 - 0.2005) = -2.00995 */
static void test_sgd_l2(void)
{
    rr_optim_t opt = rr_optim_default(RR_OPTIM_SGD, 0.1f);
    opt.l2 = 0.1f;
    float p[2] = {1.0f, -2.0f}, g[2] = {0.5f, 0.25f};
    rr_optim_step(&opt, p, g, NULL, 2);
    CHECK_NEAR(p[0], 0.94, TOL);
    CHECK_NEAR(p[1], -2.005, TOL);
    rr_optim_step(&opt, p, g, NULL, 2);
    CHECK_NEAR(p[0], 0.8806, TOL);
    CHECK_NEAR(p[1], -2.00995, TOL);
}

/* lr 0.1, p = [1, -2].
 * step 1, g = [0.5, -1]: G = [0.25, 1];  p = [1 - 0.1·0.5/0.5, -2 + 0.1·1/1] = [0.9, -1.9]
 * step 2, g = [0.5, -1]: G = [0.5, 2];   p = [0.9 - 0.05/√0.5, -1.9 + 0.1/√2]
 *                                          = [0.829289322, -1.829289322]
 * step 3, g = [0, 3]:    G = [0.5, 11];  p = [0.829289322, -1.829289322 - 0.3/√11]
 *                                          = [0.829289322, -1.919742746] */
static void test_adagrad(void)
{
    rr_optim_t opt = rr_optim_default(RR_OPTIM_ADAGRAD, 0.1f);
    float p[2] = {1.0f, -2.0f}, g[2] = {0.5f, -1.0f}, g3[2] = {0.0f, 3.0f}, state[2] = {0};
    CHECK_INT(rr_optim_state_floats(RR_OPTIM_ADAGRAD, 2), 2);
    rr_optim_step(&opt, p, g, state, 2);
    CHECK_NEAR(p[0], 0.9, TOL);
    CHECK_NEAR(p[1], -1.9, TOL);
    rr_optim_step(&opt, p, g, state, 2);
    CHECK_NEAR(p[0], 0.829289322, TOL);
    CHECK_NEAR(p[1], -1.829289322, TOL);
    rr_optim_step(&opt, p, g3, state, 2);
    CHECK_NEAR(p[0], 0.829289322, TOL);
    CHECK_NEAR(p[1], -1.919742746, TOL);
    CHECK_NEAR(state[1], 11.0, TOL);
}

/* lr 0.01, beta1 0.9, beta2 0.999, p = [1, -2].
 * step 1, g = [0.5, -1]: m̂ = g, v̂ = g², so p -= 0.01·sign(g): [0.99, -1.99]
 * step 2, g = [-0.5, -1]:
 *   p0: m = 0.9·0.05 - 0.05 = -0.005, m̂ = -0.005/0.19 = -0.0263157895
 *       v = 0.999·0.00025 + 0.001·0.25 = 0.00049975, v̂ = 0.00049975/0.001999 = 0.25
 *       p0 = 0.99 + 0.01·0.0263157895/0.5 = 0.990526316
 *   p1: m = -0.09 - 0.1 = -0.19, m̂ = -1; v = 0.000999 + 0.001 = 0.001999, v̂ = 1
 *       p1 = -1.99 + 0.01 = -1.98 */
static void test_adam(void)
{
    rr_optim_t opt = rr_optim_default(RR_OPTIM_ADAM, 0.01f);
    float p[2] = {1.0f, -2.0f}, g1[2] = {0.5f, -1.0f}, g2[2] = {-0.5f, -1.0f}, state[4] = {0};
    CHECK_INT(rr_optim_state_floats(RR_OPTIM_ADAM, 2), 4);
    rr_optim_step(&opt, p, g1, state, 2);
    CHECK_NEAR(p[0], 0.99, TOL);
    CHECK_NEAR(p[1], -1.99, TOL);
    rr_optim_step(&opt, p, g2, state, 2);
    CHECK_NEAR(p[0], 0.990526316, TOL);
    CHECK_NEAR(p[1], -1.98, TOL);
    CHECK_NEAR(state[0], -0.005, TOL);    /* m */
    CHECK_NEAR(state[3], 0.001999, 1e-7); /* v; 1 - 0.999f is 0.00099998713 */
}

/* Rows 1 and 3 of a 5×2 table move; the others and their state stay bit-identical; a row's lazy
 * Adam steps equal dense Adam on that row (per-row bias correction). */
static void test_rows_adam(void)
{
    rr_optim_t opt = rr_optim_default(RR_OPTIM_ADAM, 0.01f);
    enum { NROWS = 5, DIM = 2 };
    size_t rs = rr_optim_row_state_floats(RR_OPTIM_ADAM, DIM);
    CHECK_INT(rs, 2 * DIM + 1);
    float table[NROWS * DIM], before[NROWS * DIM], state[NROWS * 5] = {0};
    for (int k = 0; k < NROWS * DIM; k++) table[k] = before[k] = (float)k;
    table[3 * DIM] = 1.0f;
    table[3 * DIM + 1] = -2.0f;
    uint32_t rows[2] = {3, 1};
    float g[4] = {0.5f, -1.0f, 1.0f, 1.0f};
    rr_optim_step_rows(&opt, table, g, state, rows, 2, DIM);
    uint32_t row3[1] = {3};
    float g2[2] = {-0.5f, -1.0f};
    rr_optim_step_rows(&opt, table, g2, state, row3, 1, DIM);

    CHECK_NEAR(table[3 * DIM], 0.990526316, TOL); /* same numbers as test_adam */
    CHECK_NEAR(table[3 * DIM + 1], -1.98, TOL);
    CHECK_NEAR(table[1 * DIM], 2.0 - 0.01, TOL);
    CHECK_NEAR(table[1 * DIM + 1], 3.0 - 0.01, TOL);
    CHECK_NEAR(state[3 * rs + 2 * DIM], 2.0, 0.0); /* row 3's step count */
    CHECK_NEAR(state[1 * rs + 2 * DIM], 1.0, 0.0);
    for (int r = 0; r < NROWS; r += 2) {
        CHECK(memcmp(table + r * DIM, before + r * DIM, DIM * sizeof(float)) == 0);
        for (size_t k = 0; k < rs; k++) CHECK_NEAR(state[r * rs + k], 0.0, 0.0);
    }
    CHECK_INT(opt.t, 0);
}

/* Row-wise Adagrad: one accumulator per row, G += mean(g²); row 0 and its state untouched.
 * lr 0.1, row 1 = [1, -2], g = [0.5, -1], mean(g²) = 0.625 per step.
 * step 1: G = 0.625, s = 0.1/√0.625 = 0.126491106; p = [0.936754447, -1.873508894]
 * step 2: G = 1.25,  s = 0.1/√1.25  = 0.089442719; p = [0.892033087, -1.784066175]
 * With L2 0.1 on row [1, 2]: g' = [0.6, -0.8], G = 0.5, s = 0.141421356;
 *         p = [1 - 0.084852814, 2 + 0.113137085] = [0.915147186, 2.113137085] */
static void test_rows_adagrad(void)
{
    rr_optim_t opt = rr_optim_default(RR_OPTIM_ADAGRAD, 0.1f);
    CHECK_INT(rr_optim_row_state_floats(RR_OPTIM_ADAGRAD, 2), 1);
    float table[4] = {5.0f, 6.0f, 1.0f, -2.0f}, state[2] = {0}, g[2] = {0.5f, -1.0f};
    uint32_t rows[1] = {1};
    rr_optim_step_rows(&opt, table, g, state, rows, 1, 2);
    CHECK_NEAR(table[2], 0.936754447, TOL);
    CHECK_NEAR(table[3], -1.873508894, TOL);
    CHECK_NEAR(state[1], 0.625, TOL);
    rr_optim_step_rows(&opt, table, g, state, rows, 1, 2);
    CHECK_NEAR(table[2], 0.892033087, TOL);
    CHECK_NEAR(table[3], -1.784066175, TOL);
    CHECK_NEAR(state[1], 1.25, TOL);
    CHECK_NEAR(table[0], 5.0, 0.0);
    CHECK_NEAR(table[1], 6.0, 0.0);
    CHECK_NEAR(state[0], 0.0, 0.0);

    opt.l2 = 0.1f;
    float row[2] = {1.0f, 2.0f}, acc = 0.0f;
    uint32_t row0[1] = {0};
    rr_optim_step_rows(&opt, row, g, &acc, row0, 1, 2);
    CHECK_NEAR(row[0], 0.915147186, TOL);
    CHECK_NEAR(row[1], 2.113137085, TOL);
    CHECK_NEAR(acc, 0.5, TOL);
}

static void test_clip(void)
{
    float g[2] = {3.0f, 4.0f};
    CHECK_NEAR(rr_clip_grad_norm(g, 2, 10.0f), 5.0, 1e-6);
    CHECK_NEAR(g[0], 3.0, 0.0);
    CHECK_NEAR(rr_clip_grad_norm(g, 2, 1.0f), 5.0, 1e-6);
    CHECK_NEAR(g[0], 0.6, 1e-6);
    CHECK_NEAR(g[1], 0.8, 1e-6);
    CHECK_NEAR(rr_clip_grad_norm(g, 2, 0.0f), 1.0, 1e-6); /* 0 disables clipping */
    CHECK_NEAR(g[1], 0.8, 1e-6);
}

RR_TEST_MAIN(RR_TEST(test_sgd), RR_TEST(test_sgd_l2), RR_TEST(test_adagrad), RR_TEST(test_adam),
             RR_TEST(test_rows_adam), RR_TEST(test_rows_adagrad), RR_TEST(test_clip))
