/* rr_mlp.h — the scoring MLP: in -> hidden ReLU layers -> 1 logit -> sigmoid, trained with
 * weighted binary cross-entropy on a mini-batch (a positive and its negatives together).
 * The caller owns all memory: one block of parameters, one of gradients (same layout), one
 * workspace per batch size; the mlp struct only points into the parameter block. */
#ifndef RR_MLP_H
#define RR_MLP_H

#include <stddef.h>
#include <stdint.h>

#define RR_MLP_MAX_HIDDEN 4
#define RR_MLP_MAX_LAYERS (RR_MLP_MAX_HIDDEN + 1)
#define RR_MLP_MAX_DIM    4096

typedef struct rr_mlp_config_s {
    int in_dim;                    /* 1..RR_MLP_MAX_DIM */
    int nhidden;                   /* 0..RR_MLP_MAX_HIDDEN; 0 is logistic regression */
    int hidden[RR_MLP_MAX_HIDDEN]; /* widths, each 1..RR_MLP_MAX_DIM */
    float init_scale;              /* multiplies the init std; 0 means 1 */
    uint64_t seed;                 /* the init RNG seed */
} rr_mlp_config_t;

/* Layer l maps dim[l] -> dim[l+1]: act_{l+1} = act_l · W_l + b_l, W_l row-major dim[l]×dim[l+1].
 * Parameter block layout: W_0, b_0, W_1, b_1, ..., W_{L-1}, b_{L-1} (offsets below). */
typedef struct rr_mlp_s {
    rr_mlp_config_t cfg;
    int nlayers;                     /* L = nhidden + 1 */
    int dim[RR_MLP_MAX_LAYERS + 1];  /* dim[0] = in_dim, dim[L] = 1 */
    size_t w_off[RR_MLP_MAX_LAYERS]; /* W_l at params + w_off[l] (and grads + w_off[l]) */
    size_t b_off[RR_MLP_MAX_LAYERS]; /* b_l at params + b_off[l] */
    size_t nparams;
    float *params; /* not owned */
} rr_mlp_t;

/* in_dim -> 64 -> 32 -> 1, seed 1. */
rr_mlp_config_t rr_mlp_config_default(int in_dim);
/* 1 if every dimension is in range, else 0 (then the sizes below are 0). */
int rr_mlp_config_valid(const rr_mlp_config_t *cfg);
/* Floats in the parameter block (and in the gradient block). */
size_t rr_mlp_param_count(const rr_mlp_config_t *cfg);
/* Floating-point operations of one row's forward pass (a multiply-add counts 2, biases 1); a
 * training row costs about 3 times as much (the forward, then dX and dW of the same sizes). */
double rr_mlp_flops_per_row(const rr_mlp_t *mlp);
/* Floats of workspace for forward + backward on a batch of up to B rows. */
size_t rr_mlp_workspace_floats(const rr_mlp_config_t *cfg, int B);

/* Points mlp at params (rr_mlp_param_count floats, caller-owned) and initialises them from
 * cfg->seed: hidden W ~ N(0, 2/fan_in) (He, for ReLU), output W ~ N(0, 2/(fan_in+fan_out))
 * (Xavier, for the sigmoid), biases 0; all scaled by init_scale. cfg must be valid. */
void rr_mlp_init(rr_mlp_t *mlp, const rr_mlp_config_t *cfg, float *params);
/* Points mlp at params without touching them (e.g. params restored from a checkpoint). */
void rr_mlp_attach(rr_mlp_t *mlp, const rr_mlp_config_t *cfg, float *params);

/* x: B×in_dim row-major, 1 <= B. Writes the activations into ws (for backward) and, unless
 * prob is NULL, prob[i] = sigmoid(logit_i). Does not allocate. */
void rr_mlp_forward(const rr_mlp_t *mlp, const float *x, int B, float *ws, float *prob);

/* The same forward pass for a caller that computes the first layer's pre-activations
 * x · W_0 + b_0 its own way (rows sharing part of their input compute that part once): it
 * writes them (B×dim[1]) where rr_mlp_first points, then rr_mlp_forward_first applies the ReLU
 * and the other layers, leaving ws and prob as rr_mlp_forward does. */
float *rr_mlp_first(const rr_mlp_t *mlp, float *ws, int B);
void rr_mlp_forward_first(const rr_mlp_t *mlp, int B, float *ws, float *prob);

/* Logit of row i after rr_mlp_forward on the same ws and B. */
float rr_mlp_logit(const rr_mlp_t *mlp, const float *ws, int B, int i);

/* Backward pass after rr_mlp_forward(mlp, x, B, ws, ...) with the same x, B and ws.
 * Loss = sum_i w_i · BCE(logit_i, y_i) / sum_i w_i: the weighted mean, so the step size does not
 * depend on B or on the event weights' scale. labels y_i in [0, 1]; weights NULL means all 1;
 * weights must be >= 0 and if they sum to 0 the loss and gradients are 0.
 * grads (rr_mlp_param_count floats, layout of params) is OVERWRITTEN, not accumulated; NULL
 * skips the parameter gradients (a caller that wants dx alone: dx is the same either way).
 * dx (B×in_dim), unless NULL, receives dLoss/dx, e.g. to update the input embeddings.
 * Uses the scratch part of ws; the activations stay valid. Returns the loss. */
float rr_mlp_backward(const rr_mlp_t *mlp, const float *x, int B, float *ws, const float *labels,
                      const float *weights, float *grads, float *dx);
/* The same backward pass from the caller's dLoss/dlogit (B floats) instead of the BCE's: for a
 * loss the MLP does not know, e.g. a softmax over groups of rows. */
void rr_mlp_backward_logits(const rr_mlp_t *mlp, const float *x, int B, float *ws,
                            const float *dlogit, float *grads, float *dx);

#endif
