/* rr_dirty.c — FIFO id set; see rr_dirty.h. */
#include <stdlib.h>
#include "rr_dirty.h"

rr_err_t rr_dirty_init(rr_dirty_t *d, size_t cap)
{
    d->ring = malloc((cap ? cap : 1) * sizeof(*d->ring));
    d->bits = calloc(cap / 8 + 1, 1);
    d->cap = cap;
    d->head = 0;
    d->count = 0;
    if (!d->ring || !d->bits) {
        rr_dirty_free(d);
        return RR_E(NOMEM);
    }
    return RR_OK;
}

void rr_dirty_free(rr_dirty_t *d)
{
    free(d->ring);
    free(d->bits);
    d->ring = NULL;
    d->bits = NULL;
    d->cap = d->count = d->head = 0;
}

int rr_dirty_has(const rr_dirty_t *d, uint32_t id)
{
    return id < d->cap && (d->bits[id >> 3] >> (id & 7)) & 1;
}

int rr_dirty_add(rr_dirty_t *d, uint32_t id)
{
    if (id >= d->cap) return RR_E(INVAL);
    if (rr_dirty_has(d, id)) return 0;
    d->bits[id >> 3] |= (uint8_t)(1u << (id & 7));
    /* count < cap always holds here: every queued id has its bit set, ids are < cap. */
    d->ring[(d->head + d->count) % d->cap] = id;
    d->count++;
    return 1;
}

int rr_dirty_peek(const rr_dirty_t *d, uint32_t *id)
{
    if (d->count == 0) return 0;
    *id = d->ring[d->head];
    return 1;
}

int rr_dirty_pop(rr_dirty_t *d, uint32_t *id)
{
    if (d->count == 0) return 0;
    *id = d->ring[d->head];
    d->head = (d->head + 1) % d->cap;
    d->count--;
    d->bits[*id >> 3] &= (uint8_t) ~(1u << (*id & 7));
    return 1;
}
