/* rr_segpop.h — how popular each item is within each demographic segment (age band, gender,
 * occupation), against its popularity overall: the evidence that lets a user with a handful of
 * events be served what people like them pick. Counts are hashed into one fixed table per kind
 * (collisions only add noise), so memory does not grow with the catalog. Caller-allocated. */
#ifndef RR_SEGPOP_H
#define RR_SEGPOP_H

#include <stddef.h>
#include <stdint.h>
#include "rr_portrait.h"

#define RR_SEGPOP_KINDS 3          /* age band, gender, occupation */
#define RR_SEGPOP_SEGS  64         /* segments per kind (occupations: name id mod 64) */
#define RR_SEGPOP_SLOTS (1u << 16) /* hashed (segment, item) counters per kind, + 1 for items */

typedef struct rr_segpop_s {
    uint32_t *count; /* [(KINDS + 1) × SLOTS]; last: all users */
    uint32_t seg_total[RR_SEGPOP_KINDS][RR_SEGPOP_SEGS]; /* events counted per segment */
    uint64_t total;                                      /* events counted */
} rr_segpop_t;

rr_err_t rr_segpop_init(rr_segpop_t *sp);
void rr_segpop_free(rr_segpop_t *sp);
/* The user's segment of each kind (0 = unknown) from the portrait's demographics. */
void rr_segpop_segments(const rr_portrait_t *p, uint32_t seg[RR_SEGPOP_KINDS]);
/* Counts one interaction of a user of segments seg with item. */
void rr_segpop_add(rr_segpop_t *sp, const uint32_t seg[RR_SEGPOP_KINDS], uint32_t item);
/* Mean over the user's known kinds of log(P(item | segment) / P(item)), smoothed and clamped
 * to ±3; 0 for a user without demographics. */
float rr_segpop_lift(const rr_segpop_t *sp, const uint32_t seg[RR_SEGPOP_KINDS], uint32_t item);

#endif
