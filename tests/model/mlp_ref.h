/* mlp_ref.h — a naive double-precision MLP (plain loops, one sample at a time) that the model
 * tests compare rr_mlp against. Same parameter layout as rr_mlp_t, read from a double copy. */
#ifndef MLP_REF_H
#define MLP_REF_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rr_mlp.h"

#define REF_MAXW 512 /* widest layer a reference config may have (their inputs included) */

/* Forward of one sample: act[l] (l = 0..L) gets the layer inputs/outputs; returns the logit. */
static double ref_forward_one(const rr_mlp_t *mlp, const double *p, const float *x,
                              double act[][REF_MAXW])
{
    int L = mlp->nlayers;
    for (int k = 0; k < mlp->dim[0]; k++) act[0][k] = x[k];
    for (int l = 0; l < L; l++) {
        const double *w = p + mlp->w_off[l], *b = p + mlp->b_off[l];
        int din = mlp->dim[l], dout = mlp->dim[l + 1];
        for (int j = 0; j < dout; j++) {
            double s = b[j];
            for (int k = 0; k < din; k++) s += act[l][k] * w[k * dout + j];
            act[l + 1][j] = (l < L - 1 && s < 0.0) ? 0.0 : s;
        }
    }
    return act[L][0];
}

static double ref_sigmoid(double z)
{
    return 1.0 / (1.0 + exp(-z));
}

/* Weighted-mean BCE over the batch; grads (double, layout of params) and dx (B×in) are
 * overwritten when non-NULL. */
static double ref_loss_grad(const rr_mlp_t *mlp, const double *p, const float *x, int B,
                            const float *labels, const float *weights, double *grads, double *dx,
                            double *prob)
{
    int L = mlp->nlayers, in = mlp->dim[0];
    double act[RR_MLP_MAX_LAYERS + 1][REF_MAXW], delta[RR_MLP_MAX_LAYERS + 1][REF_MAXW];
    double wsum = 0.0, loss = 0.0;
    for (int i = 0; i < B; i++) wsum += weights ? weights[i] : 1.0;
    if (grads) memset(grads, 0, mlp->nparams * sizeof(double));
    for (int i = 0; i < B; i++) {
        double z = ref_forward_one(mlp, p, x + (size_t)i * in, act);
        double y = labels[i], w = weights ? weights[i] : 1.0, s = ref_sigmoid(z);
        if (prob) prob[i] = s;
        /* log s = -log1p(e^-z), log(1 - s) = -log1p(e^z): finite for any |z| < 700. */
        loss += w * (y * log1p(exp(-z)) + (1.0 - y) * log1p(exp(z)));
        delta[L][0] = w * (s - y) / wsum;
        for (int l = L - 1; l >= 0; l--) {
            const double *wl = p + mlp->w_off[l];
            int din = mlp->dim[l], dout = mlp->dim[l + 1];
            for (int k = 0; k < din; k++) {
                double s2 = 0.0;
                for (int j = 0; j < dout; j++) {
                    if (grads) grads[mlp->w_off[l] + k * dout + j] += act[l][k] * delta[l + 1][j];
                    s2 += delta[l + 1][j] * wl[k * dout + j];
                }
                delta[l][k] = (l > 0 && act[l][k] <= 0.0) ? 0.0 : s2;
            }
            if (grads)
                for (int j = 0; j < dout; j++) grads[mlp->b_off[l] + j] += delta[l + 1][j];
        }
        if (dx)
            for (int k = 0; k < in; k++) dx[(size_t)i * in + k] = delta[0][k];
    }
    return loss / wsum;
}

static double *ref_params(const rr_mlp_t *mlp)
{
    double *p = malloc(mlp->nparams * sizeof(double));
    for (size_t k = 0; k < mlp->nparams; k++) p[k] = mlp->params[k];
    return p;
}

#endif
