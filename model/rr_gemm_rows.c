/* rr_gemm_rows.c — rows of a product that do not depend on their neighbours (rr_gemm_rows.h).
 * Every output c[i][j] is c[i][j] + a[i][0]·b[0][j] + a[i][1]·b[1][j] + ... in that order, each
 * product and sum rounded alone (C11 mode contracts nothing into FMAs), whichever block below
 * computes it: a block of four rows only runs four rows' chains side by side. */
#include "rr_gemm_rows.h"

#include <stddef.h>
#include <string.h>

#define INLINE static inline __attribute__((always_inline))

/* Eight floats, loaded and stored with memcpy (no alignment assumed), never passed or returned
 * (the default build has no AVX registers): lane by lane the same IEEE product and sum as a
 * float. */
typedef float v8 __attribute__((vector_size(32)));

/* Rows [0, R) of c, outputs [j0, j0 + 8V) at a time: R·V vector accumulators, so R·V addition
 * chains overlap (one row's chain alone waits on the adder's latency at every p). Returns
 * where the blocks stopped. */
#define BLOCK(R, V)                                                                                \
    INLINE int block_##R##x##V(int j0, int n, int k, const float *a, int lda, const float *b,      \
                               int ldb, float *c, int ldc)                                         \
    {                                                                                              \
        for (; j0 + 8 * (V) <= n; j0 += 8 * (V)) {                                                 \
            v8 acc[R][V];                                                                          \
            for (int r = 0; r < (R); r++)                                                          \
                for (int v = 0; v < (V); v++)                                                      \
                    memcpy(&acc[r][v], c + (size_t)r * ldc + j0 + 8 * v, sizeof(v8));              \
            for (int p = 0; p < k; p++) {                                                          \
                const float *br = b + (size_t)p * ldb + j0;                                        \
                v8 bv[V];                                                                          \
                for (int v = 0; v < (V); v++) memcpy(&bv[v], br + 8 * v, sizeof(v8));              \
                for (int r = 0; r < (R); r++) {                                                    \
                    float av = a[(size_t)r * lda + p];                                             \
                    for (int v = 0; v < (V); v++) acc[r][v] += av * bv[v];                         \
                }                                                                                  \
            }                                                                                      \
            for (int r = 0; r < (R); r++)                                                          \
                for (int v = 0; v < (V); v++)                                                      \
                    memcpy(c + (size_t)r * ldc + j0 + 8 * v, &acc[r][v], sizeof(v8));              \
        }                                                                                          \
        return j0;                                                                                 \
    }
BLOCK(4, 2)
BLOCK(4, 1)
BLOCK(1, 2)
BLOCK(1, 1)

/* The last outputs of rows [0, R), fewer than eight: one float each, in the same order. */
INLINE void tail(int j0, int R, int n, int k, const float *a, int lda, const float *b, int ldb,
                 float *c, int ldc)
{
    for (int r = 0; r < R; r++)
        for (int j = j0; j < n; j++) {
            float s = c[(size_t)r * ldc + j];
            for (int p = 0; p < k; p++) s += a[(size_t)r * lda + p] * b[(size_t)p * ldb + j];
            c[(size_t)r * ldc + j] = s;
        }
}

/* Rows [0, R) of c: the widest blocks, then the narrower, then the tail. */
#define ROWS(R)                                                                                    \
    INLINE void rows_##R(int n, int k, const float *a, int lda, const float *b, int ldb, float *c, \
                         int ldc)                                                                  \
    {                                                                                              \
        int j0 = block_##R##x2(0, n, k, a, lda, b, ldb, c, ldc);                                   \
        j0 = block_##R##x1(j0, n, k, a, lda, b, ldb, c, ldc);                                      \
        tail(j0, R, n, k, a, lda, b, ldb, c, ldc);                                                 \
    }
ROWS(4)
ROWS(1)

/* The outputs of one row of c += a · Bᵀ (B n×k), when Bᵀ is too large to lay out: a dot
 * product each, in the same p order. */
INLINE void row_dots(int n, int k, const float *a, const float *b, int ldb, float *c)
{
    for (int j = 0; j < n; j++) {
        const float *br = b + (size_t)j * ldb;
        float s = c[j];
        for (int p = 0; p < k; p++) s += a[p] * br[p];
        c[j] = s;
    }
}

#define BT_MAX 16384 /* Bᵀ laid out on the stack up to this many floats (64 KiB) */

/* One build per vector width on x86-64, chosen once at load (an ifunc); within a build a row's
 * bits depend on the row alone. Not under ThreadSanitizer: the ifunc's resolver runs while the
 * dynamic linker relocates, before TSan's runtime is up, and its instrumented code crashes. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

VECTOR_CLONES void rr_gemm_rows(int trans_b, int m, int n, int k, const float *a, int lda,
                                const float *b, int ldb, int accumulate, float *c, int ldc)
{
    if (m <= 0 || n <= 0) return;
    if (!accumulate)
        for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, (size_t)n * sizeof(float));
    float bt[BT_MAX];
    if (trans_b && (size_t)n * (size_t)k <= BT_MAX) { /* op(B) laid out k×n: rows run along j */
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) bt[(size_t)p * n + j] = b[(size_t)j * ldb + p];
        b = bt;
        ldb = n;
        trans_b = 0;
    }
    int i = 0;
    if (!trans_b)
        for (; i + 4 <= m; i += 4)
            rows_4(n, k, a + (size_t)i * lda, lda, b, ldb, c + (size_t)i * ldc, ldc);
    for (; i < m; i++) {
        const float *ar = a + (size_t)i * lda;
        float *cr = c + (size_t)i * ldc;
        if (trans_b)
            row_dots(n, k, ar, b, ldb, cr);
        else
            rows_1(n, k, ar, lda, b, ldb, cr, ldc);
    }
}
