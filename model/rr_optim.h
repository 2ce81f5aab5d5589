/* rr_optim.h — SGD, Adagrad and Adam over caller-owned float blocks: dense (the MLP's parameter
 * block) and sparse by rows (embedding tables, where only the rows seen in an event move).
 * Optimizer state lives in caller memory sized by the *_state_floats functions, zeroed at start. */
#ifndef RR_OPTIM_H
#define RR_OPTIM_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    RR_OPTIM_SGD,     /* p -= lr·g                         state: none */
    RR_OPTIM_ADAGRAD, /* G += g²; p -= lr·g / (√G + eps)   state: G */
    RR_OPTIM_ADAM,    /* bias-corrected Adam               state: m, v (+ step per row) */
} rr_optim_kind_t;

/* Hyper-parameters plus the dense step count; a plain struct, so it checkpoints by copy.
 * Use one rr_optim_t per dense parameter block (its step count t is that block's). */
typedef struct rr_optim_s {
    rr_optim_kind_t kind;
    float lr;
    float l2;    /* coupled L2: g += l2·p before the update (all kinds); 0 disables */
    float beta1; /* Adam */
    float beta2; /* Adam */
    float eps;   /* Adagrad, Adam */
    int64_t t;   /* dense steps taken so far (Adam's bias correction) */
} rr_optim_t;

/* Defaults: l2 0, beta1 0.9, beta2 0.999, eps 1e-8, t 0. */
rr_optim_t rr_optim_default(rr_optim_kind_t kind, float lr);

/* Floats of state for n dense parameters: SGD 0, Adagrad n, Adam 2n (m then v). */
size_t rr_optim_state_floats(rr_optim_kind_t kind, size_t n);

/* One dense step over params[0..n) with grads[0..n); increments opt->t. */
void rr_optim_step(rr_optim_t *opt, float *params, const float *grads, float *state, size_t n);

/* Floats of state per table row of width dim: SGD 0, Adagrad 1 (row-wise, below), Adam
 * 2·dim + 1 (m, v, and the row's own step count, stored as a float). */
size_t rr_optim_row_state_floats(rr_optim_kind_t kind, int dim);

/* Sparse step: for k in [0, nrows), row rows[k] of table (row-major, width dim) moves by
 * grads_rows[k·dim .. k·dim+dim) with its state at state + rows[k]·row_state_floats.
 * Untouched rows and their state stay bit-identical (lazy: no decay, no L2 on them).
 * Adagrad is row-wise, as FBGEMM/DLRM's embedding tables: one accumulator per row,
 * G += mean_k(g_k²); p -= lr·g / (√G + eps) — a float per row instead of one per element.
 * Adam counts steps per row (lazy Adam), so a row's first update is fully bias-corrected;
 * the count saturates at 2^24, long after the corrections have become exactly 1.
 * A row listed twice is updated twice: merge duplicate ids first for one step per row.
 * Does not touch opt->t. */
void rr_optim_step_rows(const rr_optim_t *opt, float *table, const float *grads_rows, float *state,
                        const uint32_t *rows, int nrows, int dim);

/* Scales grads[0..n) so that their L2 norm is at most max_norm (no-op if max_norm <= 0 or the
 * norm is already smaller). Returns the norm before clipping (NaN/inf if grads hold any). */
float rr_clip_grad_norm(float *grads, size_t n, float max_norm);

#endif
