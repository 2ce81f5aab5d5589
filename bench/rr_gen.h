/* rr_gen.h — a deterministic synthetic e-commerce clickstream: users with category tastes,
 * items with Zipf popularity inside categories, sessions that funnel view -> cart -> purchase.
 * Used by the quickstart sample, the integration tests and the load benchmarks. */
#ifndef RR_GEN_H
#define RR_GEN_H

#include <stdint.h>
#include "rr_event.h"

typedef struct rr_gen_opts_s {
    uint32_t users, items, categories;
    uint64_t events;
    uint64_t seed;
    int64_t start_ts_ms;
    double zipf_s; /* popularity skew inside a category, e.g. 1.1 */
} rr_gen_opts_t;

typedef struct rr_gen_s rr_gen_t;

rr_gen_t *rr_gen_new(const rr_gen_opts_t *opts);
/* Next event; 0 when opts->events have been produced. */
int rr_gen_next(rr_gen_t *g, rr_event_t *ev);
void rr_gen_free(rr_gen_t *g);

#endif
