/* rr_gemm_rows.h — a matrix product whose every row is computed by the same instructions
 * whatever the rows around it. BLAS kernels pick their blocking and edge code by the matrix's
 * shape (OpenBLAS 0.3.21's Haswell and Zen kernels on this project's machines), so a row's
 * result there depends on the batch it is in; a score must not depend on which other rows
 * shared its pass (two refresh threads split a batch anywhere; the ranker's pool cache and a
 * restart score the same rows apart). For the small matrices of an MLP layer; retrieval's large
 * products stay on rr_sgemm. */
#ifndef RR_GEMM_ROWS_H
#define RR_GEMM_ROWS_H

/* C (m×n) = A · op(B), or C += A · op(B) when accumulate; A row-major m×k, op(B) k×n (B n×k
 * when trans_b). Each output is its products added in p order, each rounded alone. */
void rr_gemm_rows(int trans_b, int m, int n, int k, const float *a, int lda, const float *b,
                  int ldb, int accumulate, float *c, int ldc);

#endif
