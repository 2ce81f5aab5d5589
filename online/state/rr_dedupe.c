/* rr_dedupe.c — two-generation event id sets; see rr_dedupe.h. */
#include <stdlib.h>
#include <string.h>
#include "rr_dedupe.h"
#include "rr_intern.h"

rr_err_t rr_dedupe_init(rr_dedupe_t *d, size_t window)
{
    memset(d, 0, sizeof(*d));
    if (window == 0) return RR_OK;
    d->limit = window / 2 ? window / 2 : 1;
    d->cap = 16;
    while (d->cap < d->limit * 2) d->cap <<= 1; /* load <= 1/2 keeps probes short */
    d->gen[0] = calloc(d->cap, sizeof(uint64_t));
    d->gen[1] = calloc(d->cap, sizeof(uint64_t));
    if (!d->gen[0] || !d->gen[1]) {
        rr_dedupe_free(d);
        return RR_E(NOMEM);
    }
    return RR_OK;
}

void rr_dedupe_free(rr_dedupe_t *d)
{
    free(d->gen[0]);
    free(d->gen[1]);
    memset(d, 0, sizeof(*d));
}

/* Slot of h in set, or the empty slot where it would go. */
static size_t find(const uint64_t *set, size_t cap, uint64_t h)
{
    size_t pos = h & (cap - 1);
    while (set[pos] && set[pos] != h) pos = (pos + 1) & (cap - 1);
    return pos;
}

int rr_dedupe_seen(rr_dedupe_t *d, const char *event_id)
{
    if (!d->cap || !event_id[0]) return 0;
    uint64_t h = rr_intern_hash(event_id) | 1; /* never 0, the empty mark */
    uint64_t *cur = d->gen[d->cur], *old = d->gen[!d->cur];
    if (cur[find(cur, d->cap, h)] == h || old[find(old, d->cap, h)] == h) return 1;
    if (d->n[d->cur] == d->limit) { /* rotate: the older generation is forgotten */
        d->cur = !d->cur;
        memset(d->gen[d->cur], 0, d->cap * sizeof(uint64_t));
        d->n[d->cur] = 0;
        cur = d->gen[d->cur];
    }
    cur[find(cur, d->cap, h)] = h;
    d->n[d->cur]++;
    return 0;
}
