/* rr_blas.h — the two linear-algebra kernels model/ uses, row-major. rr_blas.c is the only
 * file that includes cblas.h (ggml's rule: BLAS is confined to one backend file). */
#ifndef RR_BLAS_H
#define RR_BLAS_H

/* C (m×n) = alpha · op(A) · op(B) + beta · C, row-major; op(X) = Xᵀ when trans_x != 0.
 * op(A) is m×k, op(B) is k×n. beta == 0 never reads C (garbage or NaN in C is fine).
 * m == 1 is routed to sgemv, which is faster for one row on OpenBLAS. */
void rr_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
              const float *b, int ldb, float beta, float *c, int ldc);

/* y = alpha · op(A) · x + beta · y, A row-major m×n; y has m entries (n if trans).
 * beta == 0 never reads y. */
void rr_sgemv(int trans, int m, int n, float alpha, const float *a, int lda, const float *x,
              float beta, float *y);

/* Threads BLAS may use. The engine's matrices are small: handing them to a second thread costs
 * more than it saves (and spins a core), so processes call this with 1 at start. */
void rr_blas_set_threads(int n);

#endif
