/* rr_dirty.h — a set of dense ids with FIFO order: "this user needs work". Adding an id already
 * in the set is a no-op, so a burst of events for one user costs one refresh or one publish
 * (latest wins: the worker reads the user's state when it pops the id, not when it was added).
 * Memory is fixed at init: cap ids, 4 bytes + 1 bit each. Caller-allocated struct. */
#ifndef RR_DIRTY_H
#define RR_DIRTY_H

#include <stddef.h>
#include <stdint.h>
#include "rr_err.h"

typedef struct rr_dirty_s {
    uint32_t *ring;
    uint8_t *bits;
    size_t cap;
    size_t head;
    size_t count;
} rr_dirty_t;

rr_err_t rr_dirty_init(rr_dirty_t *d, size_t cap);
void rr_dirty_free(rr_dirty_t *d);
/* 1 if newly added, 0 if already present, RR_ERR_INVAL if id >= cap. */
int rr_dirty_add(rr_dirty_t *d, uint32_t id);
/* 1 and *id set if the set was non-empty, else 0. */
int rr_dirty_pop(rr_dirty_t *d, uint32_t *id);
/* As rr_dirty_pop, but the id stays first in the set. */
int rr_dirty_peek(const rr_dirty_t *d, uint32_t *id);
int rr_dirty_has(const rr_dirty_t *d, uint32_t id);
static inline size_t rr_dirty_count(const rr_dirty_t *d)
{
    return d->count;
}

#endif
