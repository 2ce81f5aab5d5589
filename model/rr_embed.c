/* rr_embed.c — hashed embedding tables: FNV-1a ids, mixed buckets, gather and sparse update. */
#include "rr_embed.h"

#include <string.h>

uint64_t rr_hash64_more(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t k = 0; k < len; k++) {
        h ^= p[k];
        h *= 0x100000001b3ULL; /* FNV-1a 64 prime */
    }
    return h;
}

uint64_t rr_hash64(const void *data, size_t len)
{
    return rr_hash64_more(RR_HASH64_SEED, data, len);
}

uint32_t rr_embed_bucket(uint64_t hash, uint32_t nrows)
{
    return (uint32_t)(rr_mix64(hash) % nrows);
}

size_t rr_embed_floats(uint32_t nrows, int dim)
{
    return (size_t)nrows * (size_t)dim;
}

void rr_embed_attach(rr_embed_t *table, float *data, uint32_t nrows, int dim)
{
    table->data = data;
    table->nrows = nrows;
    table->dim = dim;
}

void rr_embed_init(rr_embed_t *table, float *data, uint32_t nrows, int dim, float scale,
                   rr_rng_t *rng)
{
    rr_embed_attach(table, data, nrows, dim);
    size_t n = rr_embed_floats(nrows, dim);
    for (size_t k = 0; k < n; k++) data[k] = scale * rr_rng_normal(rng);
}

uint32_t rr_embed_row_of(const rr_embed_t *table, const char *id, size_t len)
{
    return rr_embed_bucket(rr_hash64(id, len), table->nrows);
}

void rr_embed_gather(const rr_embed_t *table, const uint32_t *rows, int n, float *out, int ld_out)
{
    for (int k = 0; k < n; k++)
        memcpy(out + (size_t)k * ld_out, rr_embed_row(table, rows[k]),
               (size_t)table->dim * sizeof(float));
}

/* Slot of id in a 2^bits open-addressing table of (id + 1) keys, claiming an empty one. */
static int merge_slot(uint32_t *keys, int mask, uint32_t id, int *is_new)
{
    int h = (int)((id * 2654435761u) >> 7) & mask;
    while (keys[h] && keys[h] != id + 1) h = (h + 1) & mask;
    *is_new = keys[h] == 0;
    keys[h] = id + 1;
    return h;
}

int rr_embed_update(const rr_embed_t *table, const rr_optim_t *opt, float *state,
                    const uint32_t *rows, int n, const float *grads, int ld_grad, float *scratch,
                    uint32_t *rows_scratch)
{
    /* Merge duplicates in first-seen order: a linear scan for a few rows, a small hash table
     * (ids → merged index) for a mini-batch of hundreds. */
    enum { HASH_BITS = 11, HASH_MAX_ROWS = 1 << (HASH_BITS - 1) };
    uint32_t keys[1 << HASH_BITS];
    int16_t at[1 << HASH_BITS];
    int dim = table->dim, nu = 0, hashed = n > 16 && n <= HASH_MAX_ROWS;
    if (hashed) memset(keys, 0, sizeof(keys));
    for (int k = 0; k < n; k++) {
        int u = 0, is_new;
        if (hashed) {
            int h = merge_slot(keys, (1 << HASH_BITS) - 1, rows[k], &is_new);
            if (is_new) at[h] = (int16_t)nu;
            u = at[h];
        } else {
            while (u < nu && rows_scratch[u] != rows[k]) u++;
        }
        float *g = scratch + (size_t)u * dim;
        const float *src = grads + (size_t)k * ld_grad;
        if (u == nu) {
            rows_scratch[nu++] = rows[k];
            memcpy(g, src, (size_t)dim * sizeof(float));
        } else {
            for (int j = 0; j < dim; j++) g[j] += src[j];
        }
    }
    rr_optim_step_rows(opt, table->data, scratch, state, rows_scratch, nu, dim);
    return nu;
}
