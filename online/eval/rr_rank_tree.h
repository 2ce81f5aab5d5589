/* rr_rank_tree.h — a max segment tree (a tournament) over ids whose scores live in a borrowed
 * array: each inner node holds the position of the best leaf below it, best = the higher score,
 * then the lower id (the item first seen earlier). The k best ids not skipped come out
 * best-first by taking the winner out and replaying its path, O((k + skipped) log n), without
 * scanning the leaves. Positions are set directly (a fixed tree over item ids) or appended
 * (growing by doubling). Caller-allocated; the tree owns its arrays. */
#ifndef RR_RANK_TREE_H
#define RR_RANK_TREE_H

#include <stddef.h>
#include <stdint.h>
#include "rr_baseline.h"

#define RR_RANK_NONE UINT32_MAX

typedef struct rr_rank_tree_s {
    const double *score; /* borrowed: score[id] for every id placed in the tree */
    uint32_t *best;      /* [cap]: inner node x (1 = root) holds its best position, or NONE */
    uint32_t *id;        /* [cap]: the id at each position (leaf cap + p), or NONE */
    uint32_t cap;        /* a power of two, >= 2 */
    uint32_t n;          /* positions in use: 0 .. n-1 */
} rr_rank_tree_t;

/* An empty tree over score with room for cap positions before it grows. */
rr_err_t rr_rank_tree_init(rr_rank_tree_t *t, const double *score, size_t cap);
void rr_rank_tree_free(rr_rank_tree_t *t); /* a zeroed tree is a no-op */
/* Puts id at position pos < cap, without growing: for trees whose position is the id itself. */
void rr_rank_tree_set(rr_rank_tree_t *t, uint32_t pos, uint32_t id);
/* Appends id at position n (growing the tree if needed) and returns the position in *pos. */
rr_err_t rr_rank_tree_push(rr_rank_tree_t *t, uint32_t id, uint32_t *pos);
/* The score of the id at pos changed: repairs its path to the root. */
void rr_rank_tree_update(rr_rank_tree_t *t, uint32_t pos);
/* Every score changed (a rescale that may have flushed some to zero): rebuilds all nodes. */
void rr_rank_tree_rebuild(rr_rank_tree_t *t);
/* The k best ids that skip() does not pass over, best first, into out. The leaves it takes out
 * on the way go back before it returns; scratch holds them, at least 2 * cap entries.
 * skip may be NULL. Returns the count written. */
size_t rr_rank_tree_top(rr_rank_tree_t *t, uint32_t *scratch, uint32_t *out, size_t k,
                        rr_baseline_skip_fn skip, const void *opaque);

#endif
