/* rr_loss.h — losses over a batch of logits and their gradients dLoss/dlogit, for a model whose
 * backward pass starts from the logits (rr_mlp_backward_logits). */
#ifndef RR_LOSS_H
#define RR_LOSS_H

/* 1 / (1 + e^-z), without overflow for any z: a logit's probability. */
float rr_sigmoid(float z);

/* Weighted-mean binary cross-entropy: Loss = sum_i w_i · BCE(z_i, y_i) / sum_i w_i, so the step
 * does not depend on n or on the weights' scale. y_i in [0, 1]; w NULL means all 1; weights
 * >= 0, and if they sum to 0 the loss and dz are 0. Returns the loss. */
float rr_bce_grad(const float *z, const float *y, const float *w, int n, float *dz);

/* Softmax cross-entropy over groups: a row with y_i = 1 starts a group, the rows up to the next
 * such row are its negatives, and each group's loss is -log softmax(z)[its positive]. Loss =
 * the mean over groups (rows before the first positive belong to none: dz = 0). A ranker that
 * orders a pool learns best from how the positive stood against the pool, not from each row
 * alone. Returns the loss. */
float rr_softmax_groups(const float *z, const float *y, int n, float *dz);

#endif
