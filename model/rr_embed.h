/* rr_embed.h — embedding tables (users, items, categories, brands) addressed by hashed string
 * ids. A table is a view over caller memory: nrows×dim floats, row-major. Collisions are
 * accepted (the hashing trick): the table size bounds memory whatever the id space. */
#ifndef RR_EMBED_H
#define RR_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "rr_optim.h"
#include "rr_rng.h"

typedef struct rr_embed_s {
    float *data; /* nrows×dim, not owned */
    uint32_t nrows;
    int dim;
} rr_embed_t;

/* FNV-1a 64 of len bytes: stable across runs, machines and versions (ids map to the same rows
 * after a restart). FNV's low bits mix poorly, so bucket through rr_embed_bucket. */
uint64_t rr_hash64(const void *data, size_t len);
/* The same hash continued from h over len more bytes: rr_hash64(a ‖ b) ==
 * rr_hash64_more(rr_hash64(a), b), and rr_hash64(x) == rr_hash64_more(RR_HASH64_SEED, x). */
#define RR_HASH64_SEED 0xcbf29ce484222325ULL /* FNV-1a 64 offset basis */
uint64_t rr_hash64_more(uint64_t h, const void *data, size_t len);

/* Row of a hash in [0, nrows), nrows > 0: mixes all 64 bits first (splitmix64 finaliser). */
uint32_t rr_embed_bucket(uint64_t hash, uint32_t nrows);

/* Floats for a table of nrows×dim. */
size_t rr_embed_floats(uint32_t nrows, int dim);

/* Points table at data (rr_embed_floats floats) without touching it. */
void rr_embed_attach(rr_embed_t *table, float *data, uint32_t nrows, int dim);

/* Points table at data and fills every row with N(0, scale²) from rng, row by row. */
void rr_embed_init(rr_embed_t *table, float *data, uint32_t nrows, int dim, float scale,
                   rr_rng_t *rng);

/* Row row (< nrows): dim floats. */
static inline float *rr_embed_row(const rr_embed_t *table, uint32_t row)
{
    return table->data + (size_t)row * table->dim;
}

/* Row of a string id: rr_embed_bucket(rr_hash64(id, len), nrows). */
uint32_t rr_embed_row_of(const rr_embed_t *table, const char *id, size_t len);

/* out[k·ld_out .. +dim) = row rows[k], for k < n: builds the embedding part of an input batch. */
void rr_embed_gather(const rr_embed_t *table, const uint32_t *rows, int n, float *out, int ld_out);

/* Sparse update of rows rows[k] by grads[k·ld_grad .. +dim) (e.g. the MLP's dx columns of this
 * embedding), state sized nrows × rr_optim_row_state_floats(opt->kind, dim), zeroed at start.
 * Duplicate ids in rows are merged first (their gradients summed), so each row moves once.
 * scratch: n×dim floats; rows_scratch: n ids. Returns the number of distinct rows updated. */
int rr_embed_update(const rr_embed_t *table, const rr_optim_t *opt, float *state,
                    const uint32_t *rows, int n, const float *grads, int ld_grad, float *scratch,
                    uint32_t *rows_scratch);

#endif
