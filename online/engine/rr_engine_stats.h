/* rr_engine_stats.h — freshness samples and the rtrec:stats fields. Engine-private. */
#ifndef RR_ENGINE_STATS_H
#define RR_ENGINE_STATS_H

#include <stddef.h>
#include <stdint.h>

#define RR_FRESH_SAMPLES 4096

/* The latest RR_FRESH_SAMPLES freshness values (µs), for p50/p99 over a recent window. */
typedef struct rr_fresh_s {
    uint32_t us[RR_FRESH_SAMPLES];
    size_t n, next;
} rr_fresh_t;

void rr_fresh_add(rr_fresh_t *fr, uint64_t us);
/* Percentile q in [0,1] in milliseconds; 0 when empty. */
double rr_fresh_quantile_ms(const rr_fresh_t *fr, double q);

#endif
