/* rr_blas.c — the only file of model/ that includes cblas.h: thin row-major wrappers.
 * Only GEMM and GEMV go to OpenBLAS: its threads split them across outputs, not along the inner
 * dimension, so each output's summation order does not depend on the thread count. */
#include "rr_blas.h"

#include <cblas.h>
#include <string.h>

/* OpenBLAS 0.3.21 may compute 0·y when beta == 0, turning garbage NaN into NaN output. */
static void zero_rows(float *c, int m, int n, int ldc)
{
    for (int r = 0; r < m; r++) memset(c + (size_t)r * ldc, 0, (size_t)n * sizeof(float));
}

void rr_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0) return;
    if (beta == 0.0f) {
        zero_rows(c, m, n, ldc);
        if (k <= 0) return;
    }
    if (m == 1) {
        /* c (1×n) = a (1×k) · op(B): with op(B) = B (k×n), that is Bᵀ·a; with op(B) = Bᵀ,
         * B is n×k and it is B·a. The row of op(A) is strided by lda when A is transposed. */
        int inc_a = trans_a ? lda : 1;
        float beta_v = beta == 0.0f ? 1.0f : beta; /* c is already zero */
        if (trans_b)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, alpha, b, ldb, a, inc_a, beta_v, c, 1);
        else
            cblas_sgemv(CblasRowMajor, CblasTrans, k, n, alpha, b, ldb, a, inc_a, beta_v, c, 1);
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void rr_sgemv(int trans, int m, int n, float alpha, const float *a, int lda, const float *x,
              float beta, float *y)
{
    int ny = trans ? n : m;
    if (ny <= 0) return;
    if (beta == 0.0f) {
        zero_rows(y, 1, ny, ny);
        if ((trans ? m : n) <= 0) return;
    }
    cblas_sgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans, m, n, alpha, a, lda, x, 1,
                beta == 0.0f ? 1.0f : beta, y, 1);
}

void rr_blas_set_threads(int n)
{
    openblas_set_num_threads(n);
}
