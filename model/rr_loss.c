/* rr_loss.c — losses and their gradients over logits; see rr_loss.h. */
#include <math.h>
#include <string.h>
#include "rr_loss.h"

/* exp is only ever taken of a non-positive number. */
float rr_sigmoid(float z)
{
    if (z >= 0.0f) return 1.0f / (1.0f + expf(-z));
    float e = expf(z);
    return e / (1.0f + e);
}

/* BCE(z, y) = max(z, 0) - z·y + log1p(exp(-|z|)), which never overflows; d/dz = sigmoid(z) - y. */
float rr_bce_grad(const float *z, const float *y, const float *w, int n, float *dz)
{
    double wsum = 0.0, loss = 0.0;
    for (int i = 0; i < n; i++) wsum += w ? w[i] : 1.0f;
    if (!(wsum > 0.0)) {
        memset(dz, 0, (size_t)n * sizeof(float));
        return 0.0f;
    }
    for (int i = 0; i < n; i++) {
        float zi = z[i], wi = w ? w[i] : 1.0f;
        loss += wi * ((double)fmaxf(zi, 0.0f) - (double)zi * y[i] + log1p(exp(-fabs((double)zi))));
        dz[i] = (float)(wi * (rr_sigmoid(zi) - y[i]) / wsum);
    }
    return (float)(loss / wsum);
}

/* One group's softmax against its first row, scaled by 1/ngroups; returns its loss. The max is
 * subtracted first so exp never overflows. */
static double group(const float *z, int n, double scale, float *dz)
{
    float m = z[0];
    for (int i = 1; i < n; i++) m = z[i] > m ? z[i] : m;
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += exp((double)z[i] - m);
    for (int i = 0; i < n; i++) dz[i] = (float)(scale * (exp((double)z[i] - m) / sum - (i == 0)));
    return log(sum) - ((double)z[0] - m);
}

float rr_softmax_groups(const float *z, const float *y, int n, float *dz)
{
    int ngroups = 0, first = n;
    for (int i = n - 1; i >= 0; i--)
        if (y[i] > 0.5f) ngroups++, first = i;
    memset(dz, 0, (size_t)first * sizeof(float));
    if (ngroups == 0) return 0.0f;
    double loss = 0.0;
    for (int s = first; s < n;) {
        int e = s + 1;
        while (e < n && !(y[e] > 0.5f)) e++;
        loss += group(z + s, e - s, 1.0 / ngroups, dz + s);
        s = e;
    }
    return (float)(loss / ngroups);
}
