/* rr_dedupe.h — "have I seen this event_id lately?": two generations of exact 64-bit hash sets,
 * each holding window/2 ids; when the current one fills, the older is cleared and reused. So an
 * id is remembered for at least window/2 and at most window later events, in fixed memory
 * (16 bytes per remembered id), with no allocation after init. Caller-allocated. */
#ifndef RR_DEDUPE_H
#define RR_DEDUPE_H

#include <stddef.h>
#include <stdint.h>
#include "rr_err.h"

typedef struct rr_dedupe_s {
    uint64_t *gen[2]; /* open addressing, 0 = empty */
    size_t cap;       /* slots per generation (power of two) */
    size_t n[2];      /* ids in each generation */
    size_t limit;     /* ids per generation before rotating */
    int cur;
} rr_dedupe_t;

/* window 0 turns de-duplication off (rr_dedupe_seen always answers 0). */
rr_err_t rr_dedupe_init(rr_dedupe_t *d, size_t window);
void rr_dedupe_free(rr_dedupe_t *d);
/* 1 if event_id was seen within the window (a duplicate), else remembers it and returns 0.
 * Empty ids are never duplicates. */
int rr_dedupe_seen(rr_dedupe_t *d, const char *event_id);

#endif
