/* rr_rank_tree.c — the tournament tree of rr_rank_tree.h. */
#include <stdlib.h>
#include <string.h>
#include "rr_rank_tree.h"

/* Does the id at position a rank before the id at position b: higher score, then lower id. */
static int pos_better(const rr_rank_tree_t *t, uint32_t a, uint32_t b)
{
    if (a == RR_RANK_NONE) return 0;
    if (b == RR_RANK_NONE) return 1;
    uint32_t x = t->id[a], y = t->id[b];
    return t->score[x] != t->score[y] ? t->score[x] > t->score[y] : x < y;
}

/* The best position under node (a leaf's own position, if it holds an id). */
static uint32_t node_best(const rr_rank_tree_t *t, uint32_t node)
{
    if (node < t->cap) return t->best[node];
    uint32_t pos = node - t->cap;
    return t->id[pos] == RR_RANK_NONE ? RR_RANK_NONE : pos;
}

static void node_repair(rr_rank_tree_t *t, uint32_t node)
{
    uint32_t l = node_best(t, 2 * node), r = node_best(t, 2 * node + 1);
    t->best[node] = pos_better(t, r, l) ? r : l;
}

static rr_err_t tree_alloc(rr_rank_tree_t *t, uint32_t cap)
{
    uint32_t *best = malloc((size_t)cap * sizeof(*best)), *id = malloc((size_t)cap * sizeof(*id));
    if (!best || !id) {
        free(best);
        free(id);
        return RR_E(NOMEM);
    }
    memset(best, 0xff, (size_t)cap * sizeof(*best)); /* RR_RANK_NONE */
    memset(id, 0xff, (size_t)cap * sizeof(*id));
    if (t->id) memcpy(id, t->id, t->n * sizeof(*id));
    free(t->best);
    free(t->id);
    t->best = best;
    t->id = id;
    t->cap = cap;
    return RR_OK;
}

rr_err_t rr_rank_tree_init(rr_rank_tree_t *t, const double *score, size_t cap)
{
    memset(t, 0, sizeof(*t));
    t->score = score;
    uint32_t pow2 = 2;
    while (pow2 < cap) pow2 *= 2;
    return tree_alloc(t, pow2);
}

void rr_rank_tree_free(rr_rank_tree_t *t)
{
    free(t->best);
    free(t->id);
    memset(t, 0, sizeof(*t));
}

void rr_rank_tree_rebuild(rr_rank_tree_t *t)
{
    for (uint32_t node = t->cap - 1; node >= 1; node--) node_repair(t, node);
}

void rr_rank_tree_update(rr_rank_tree_t *t, uint32_t pos)
{
    for (uint32_t node = (t->cap + pos) / 2; node >= 1; node /= 2) node_repair(t, node);
}

void rr_rank_tree_set(rr_rank_tree_t *t, uint32_t pos, uint32_t id)
{
    if (pos >= t->cap) return;
    t->id[pos] = id;
    if (t->n <= pos) t->n = pos + 1;
    rr_rank_tree_update(t, pos);
}

rr_err_t rr_rank_tree_push(rr_rank_tree_t *t, uint32_t id, uint32_t *pos)
{
    if (t->n == t->cap) {
        rr_err_t err = tree_alloc(t, t->cap * 2); /* the leaves keep their positions */
        if (err) return err;
        rr_rank_tree_rebuild(t);
    }
    *pos = t->n;
    rr_rank_tree_set(t, t->n, id);
    return RR_OK;
}

size_t rr_rank_tree_top(rr_rank_tree_t *t, uint32_t *scratch, uint32_t *out, size_t k,
                        rr_baseline_skip_fn skip, const void *opaque)
{
    size_t nout = 0, ntaken = 0;
    uint32_t pos;
    while (nout < k && (pos = t->best[1]) != RR_RANK_NONE) {
        uint32_t id = t->id[pos];
        if (!skip || !skip(opaque, id)) out[nout++] = id;
        scratch[2 * ntaken] = pos;
        scratch[2 * ntaken++ + 1] = id;
        t->id[pos] = RR_RANK_NONE; /* out of the tournament: the runner-up rises */
        rr_rank_tree_update(t, pos);
    }
    for (size_t i = 0; i < ntaken; i++) rr_rank_tree_set(t, scratch[2 * i], scratch[2 * i + 1]);
    return nout;
}
