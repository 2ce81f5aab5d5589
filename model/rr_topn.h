/* rr_topn.h — top-K retrieval by dot product: scores = users · itemsᵀ, computed block by block
 * of items into a small caller scratch, keeping each user's best K in a min-heap that lives in
 * the caller's output arrays. Results are sorted by score descending, ties to the lower index. */
#ifndef RR_TOPN_H
#define RR_TOPN_H

#include <stddef.h>
#include <stdint.h>

/* Nonzero means: never return this item to this user (e.g. already bought). */
typedef int (*rr_topn_skip_fn)(void *ctx, int user, uint32_t item);

typedef struct rr_topn_filter_s {
    /* Items excluded for every user: bit (item % 64) of word item / 64; NULL for none. */
    const uint64_t *exclude;
    /* Per-user exclusion, NULL for none. Asked only about items that would otherwise enter the
     * user's current top K, so it runs far fewer than U·N times; it must be a pure function. */
    rr_topn_skip_fn skip;
    void *ctx;
} rr_topn_filter_t;

/* Scratch floats for U users with item blocks of block items (U·block). 4096 is a good block:
 * a 64-dim block of items stays in L2 cache. */
size_t rr_topn_scratch_floats(int U, uint32_t block);

/* users: U×d, items: N×d, both row-major. For each user u, writes its best K (1 <= K) items to
 * out_idx[u·K ..] / out_score[u·K ..] and how many it found (< K if fewer items pass the
 * filter) to out_count[u]. filter may be NULL. NaN scores are never returned.
 * scratch: scratch_floats >= U floats (the item block is scratch_floats / U). */
void rr_topn_batch(const float *users, int U, const float *items, uint32_t N, int d, int K,
                   const rr_topn_filter_t *filter, float *scratch, size_t scratch_floats,
                   uint32_t *out_idx, float *out_score, int *out_count);

/* One user (sgemv per block; the skip callback sees user 0). Returns the count found. */
int rr_topn_one(const float *user, const float *items, uint32_t N, int d, int K,
                const rr_topn_filter_t *filter, float *scratch, size_t scratch_floats,
                uint32_t *out_idx, float *out_score);

#endif
