/* sync_pair.h — what the online/sync tests share: a deterministic event stream and two
 * pipelines of one group (a and b, users split as the engine's consumer group would) synced
 * through rr_sync's bytes. */
#ifndef SYNC_PAIR_H
#define SYNC_PAIR_H
#include <stddef.h>
#include <stdint.h>
#include "rr_config.h"
#include "rr_pipeline.h"
#include "rr_sync.h"

extern const rr_sync_merge_t SUM;

enum { NEV = 1500, NUSERS = 40, NITEMS = 60 };

uint64_t lcg(uint64_t *s);
/* Event i of a deterministic stream: a skewed catalog with categories, brands and prices. */
void gen_event(rr_event_t *ev, uint64_t *s, int64_t *ts);
/* Small tables, mini-batches of 4, 8 candidates per source. */
void test_config(rr_config_t *cfg);
/* n events of the stream that seed and ts0 start, applied to pl (each checked). */
void feed(rr_pipeline_t *pl, uint64_t seed, int64_t ts0, int n);

typedef struct pair_s {
    rr_pipeline_t pl[2];
    rr_sync_t *sy[2];
    rr_sync_merge_t m;
    uint64_t digest; /* FNV-1a over every published byte */
    size_t bytes;
} pair_t;

void pair_init(pair_t *p, rr_sync_quant_t q);
void pair_free(pair_t *p);
/* Each publishes, then each applies the other's. */
void pair_sync(pair_t *p);
/* The stream, each event to the instance of its user's partition (4 partitions, p mod 2),
 * synced after every sync_every events. */
void pair_run(pair_t *p, int sync_every);

#endif
