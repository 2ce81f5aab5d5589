/* rr_sync_digest.c — a fingerprint of the shared state that two synced instances can compare:
 * every quantity by item key, never by local id (ids are interned in arrival order, which
 * differs between instances); see rr_sync.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rr_embed.h"
#include "rr_sync_internal.h"

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return rr_hash64_more(h, s ? s : "", (s ? strlen(s) : 0) + 1); /* the NUL separates fields */
}

typedef struct keyed_s {
    const char *key;
    uint32_t id, count;
} keyed_t;

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const keyed_t *)a)->key, ((const keyed_t *)b)->key);
}

static const char *name_of(const rr_intern_t *in, uint32_t id)
{
    return id == RR_INTERN_NONE ? "" : rr_intern_key(in, id);
}

/* One item's co-occurrence row, neighbours by key; nb has room for the row's capacity. */
static uint64_t hash_row(const rr_pipeline_t *pl, uint32_t iid, keyed_t *nb, uint64_t h,
                         uint64_t *total)
{
    const rr_cooc_row_t *row = rr_cooc_row(&pl->cooc, iid);
    size_t n = 0;
    for (uint32_t s = 0; row && s < row->cap; s++) {
        const rr_cooc_nb_t *e = &row->slots[s];
        if (!e->item || !e->count) continue;
        nb[n++] = (keyed_t){rr_intern_key(&pl->store.items, e->item - 1), e->item - 1, e->count};
        *total += e->count;
    }
    qsort(nb, n, sizeof(*nb), cmp_key);
    for (size_t k = 0; k < n; k++) {
        h = fnv_str(h, nb[k].key);
        h = rr_hash64_more(h, &nb[k].count, sizeof(nb[k].count));
    }
    return h;
}

static void hash_items(const rr_pipeline_t *pl, keyed_t *items, size_t n, keyed_t *nb,
                       rr_sync_digest_t *d)
{
    const rr_store_t *st = &pl->store;
    d->items = d->cooc = RR_HASH64_SEED;
    for (size_t i = 0; i < n; i++) {
        const rr_item_t *it = &st->item[items[i].id];
        d->items = fnv_str(d->items, items[i].key);
        d->items = rr_hash64_more(d->items, &it->interactions, sizeof(it->interactions));
        d->items = fnv_str(d->items, name_of(&st->categories, it->category));
        d->items = fnv_str(d->items, name_of(&st->brands, it->brand));
        d->items = rr_hash64_more(d->items, &it->price, sizeof(it->price));
        d->interactions += it->interactions;
        d->cooc = fnv_str(d->cooc, items[i].key);
        d->cooc = hash_row(pl, items[i].id, nb, d->cooc, &d->cooc_total);
    }
}

/* Every weight's bits: the dense regions in order, the ranker's feature statistics and step
 * count, then each item's row and its optimiser state by item key (a row not yet used as the
 * values it will get). */
static uint64_t hash_model(rr_sync_t *sy, const keyed_t *items, size_t n)
{
    uint64_t h = RR_HASH64_SEED;
    for (int r = 0; r < RR_SYNC_REGIONS; r++) {
        float *w, *base;
        int64_t *fix;
        size_t len;
        rr_sync_region(sy, r, &w, &base, &fix, &len);
        h = rr_hash64_more(h, &len, sizeof(len));
        if (len) h = rr_hash64_more(h, w, len * sizeof(float));
    }
    const rr_ranker_t *rk = &sy->pl->ranker;
    for (int k = 0; sy->nranker && k < rk->nfeat; k++)
        h = rr_hash64_more(h, &rk->norm[k], sizeof(rk->norm[k])); /* count, mean, m2: no padding */
    if (sy->nranker) h = rr_hash64_more(h, &rk->steps, sizeof(rk->steps));
    const rr_learner_t *lr = &sy->pl->learner;
    float tmp[RR_LEARNER_MAX_DIM];
    for (size_t i = 0; sy->dim && i < n; i++) {
        if (items[i].id >= lr->items_max) continue;
        h = fnv_str(h, items[i].key);
        h = rr_hash64_more(h, rr_learner_item_row_peek(lr, items[i].id, tmp),
                           (size_t)sy->dim * sizeof(float));
        h = rr_hash64_more(h, lr->state + sy->items_state_at + (size_t)items[i].id * sy->row_state,
                           sy->row_state * sizeof(float));
    }
    return h;
}

rr_err_t rr_sync_digest(rr_sync_t *sy, rr_sync_digest_t *d)
{
    const rr_pipeline_t *pl = sy->pl;
    memset(d, 0, sizeof(*d));
    size_t bound = rr_intern_bound(&pl->store.items), n = 0, widest = 1;
    for (uint32_t i = 0; i < bound; i++) {
        const rr_cooc_row_t *row = rr_cooc_row(&pl->cooc, i);
        if (row && row->cap > widest) widest = row->cap;
    }
    keyed_t *items = malloc((bound + 1) * sizeof(*items));
    keyed_t *nb = malloc(widest * sizeof(*nb));
    if (!items || !nb) {
        free(items);
        free(nb);
        return RR_E(NOMEM);
    }
    for (uint32_t i = 0; i < bound; i++) {
        const char *key = rr_intern_key(&pl->store.items, i);
        if (key) items[n++] = (keyed_t){key, i, 0};
    }
    qsort(items, n, sizeof(*items), cmp_key);
    d->nitems = n;
    hash_items(pl, items, n, nb, d);
    for (int r = 0; r < RR_SYNC_REGIONS; r++) {
        float *w, *base;
        int64_t *fix;
        size_t len;
        rr_sync_region(sy, r, &w, &base, &fix, &len);
        for (size_t k = 0; k < len; k++) {
            d->weights[r][0] += fabs((double)w[k]);
            d->weights[r][1] += (double)w[k] * (double)w[k];
        }
    }
    d->model = hash_model(sy, items, n);
    free(items);
    free(nb);
    return RR_OK;
}
