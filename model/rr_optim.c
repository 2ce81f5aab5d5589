/* rr_optim.c — the update rules of rr_optim.h. Plain loops: deterministic, and n is small
 * (the MLP block, or one embedding row at a time). */
#include "rr_optim.h"

#include <math.h>

/* Past 2^24 a float counter stops incrementing; beta^t underflowed long before. */
#define ROW_STEP_MAX 16777216.0f

rr_optim_t rr_optim_default(rr_optim_kind_t kind, float lr)
{
    rr_optim_t opt = {
        .kind = kind, .lr = lr, .l2 = 0.0f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .t = 0};
    return opt;
}

size_t rr_optim_state_floats(rr_optim_kind_t kind, size_t n)
{
    switch (kind) {
    case RR_OPTIM_ADAGRAD: return n;
    case RR_OPTIM_ADAM: return 2 * n;
    default: return 0;
    }
}

size_t rr_optim_row_state_floats(rr_optim_kind_t kind, int dim)
{
    switch (kind) {
    case RR_OPTIM_ADAGRAD: return 1;
    case RR_OPTIM_ADAM: return 2 * (size_t)dim + 1;
    default: return 0;
    }
}

/* Row-wise Adagrad on one row: the mean squared gradient (with L2) feeds one accumulator. */
static void step_row_adagrad(const rr_optim_t *opt, float *p, const float *grads, float *acc,
                             int dim)
{
    float l2 = opt->l2, sum = 0.0f;
    for (int k = 0; k < dim; k++) {
        float g = grads[k] + l2 * p[k];
        sum += g * g;
    }
    *acc += sum / (float)dim;
    float scale = opt->lr / (sqrtf(*acc) + opt->eps);
    for (int k = 0; k < dim; k++) p[k] -= scale * (grads[k] + l2 * p[k]);
}

/* The update of n contiguous params; t is the 1-based step used for Adam's bias correction.
 * m and v are NULL unless the kind needs them (Adagrad's G is passed as m). */
static void step_block(const rr_optim_t *opt, float *p, const float *grads, float *m, float *v,
                       size_t n, double t)
{
    float lr = opt->lr, l2 = opt->l2, eps = opt->eps;
    if (opt->kind == RR_OPTIM_SGD) {
        for (size_t k = 0; k < n; k++) p[k] -= lr * (grads[k] + l2 * p[k]);
    } else if (opt->kind == RR_OPTIM_ADAGRAD) {
        for (size_t k = 0; k < n; k++) {
            float g = grads[k] + l2 * p[k];
            m[k] += g * g;
            p[k] -= lr * g / (sqrtf(m[k]) + eps);
        }
    } else {
        float b1 = opt->beta1, b2 = opt->beta2;
        /* Bias corrections 1 - beta^t in double: for small t they are tiny differences. */
        float c1 = (float)(1.0 - pow(b1, t)), c2 = (float)(1.0 - pow(b2, t));
        for (size_t k = 0; k < n; k++) {
            float g = grads[k] + l2 * p[k];
            m[k] = b1 * m[k] + (1.0f - b1) * g;
            v[k] = b2 * v[k] + (1.0f - b2) * g * g;
            p[k] -= lr * (m[k] / c1) / (sqrtf(v[k] / c2) + eps);
        }
    }
}

void rr_optim_step(rr_optim_t *opt, float *params, const float *grads, float *state, size_t n)
{
    opt->t++;
    float *v = opt->kind == RR_OPTIM_ADAM ? state + n : NULL;
    step_block(opt, params, grads, state, v, n, (double)opt->t);
}

void rr_optim_step_rows(const rr_optim_t *opt, float *table, const float *grads_rows, float *state,
                        const uint32_t *rows, int nrows, int dim)
{
    size_t rs = rr_optim_row_state_floats(opt->kind, dim);
    for (int k = 0; k < nrows; k++) {
        float *p = table + (size_t)rows[k] * dim;
        const float *g = grads_rows + (size_t)k * dim;
        float *m = rs ? state + (size_t)rows[k] * rs : NULL;
        if (opt->kind == RR_OPTIM_ADAGRAD) {
            step_row_adagrad(opt, p, g, m, dim);
            continue;
        }
        double t = 0.0;
        float *v = NULL;
        if (opt->kind == RR_OPTIM_ADAM) {
            v = m + dim;
            float *row_t = m + 2 * dim; /* layout m[dim], v[dim], t */
            if (*row_t < ROW_STEP_MAX) *row_t += 1.0f;
            t = *row_t;
        }
        step_block(opt, p, g, m, v, (size_t)dim, t);
    }
}

float rr_clip_grad_norm(float *grads, size_t n, float max_norm)
{
    /* Four fixed lanes: vectorisable, and the same order on every run and machine. */
    double lane[4] = {0, 0, 0, 0};
    size_t k = 0;
    for (; k + 4 <= n; k += 4)
        for (int j = 0; j < 4; j++) lane[j] += (double)grads[k + j] * grads[k + j];
    for (; k < n; k++) lane[0] += (double)grads[k] * grads[k];
    float norm = (float)sqrt((lane[0] + lane[1]) + (lane[2] + lane[3]));
    if (max_norm > 0.0f && norm > max_norm) {
        float s = max_norm / norm;
        for (k = 0; k < n; k++) grads[k] *= s;
    }
    return norm;
}
