/* rr_engine.h — `rtrec run`: the pipeline wired to Kafka (group consumer, recs/DLQ producer,
 * embedded broker when no bootstrap is configured) and Redis, all on one libuv loop.
 * Lifecycle: new -> start -> (loop runs) -> stop (graceful, asynchronous: the loop returns once
 * in-flight publishes are done) -> free. */
#ifndef RR_ENGINE_H
#define RR_ENGINE_H

#include <uv.h>
#include "rr_config.h"

typedef struct rr_engine_s rr_engine_t;

/* Checks cfg against the configuration table, creates checkpoint.dir if missing (mkdir -p) and
 * sizes the state; NULL with errstr naming the key at fault on failure. */
rr_engine_t *rr_engine_new(uv_loop_t *loop, const rr_config_t *cfg, char *errstr, size_t errlen);
/* Starts the embedded broker if needed (prints "bootstrap.servers=..." on stdout first), the
 * consumer, the publishers and the timers. */
rr_err_t rr_engine_start(rr_engine_t *en, char *errstr, size_t errlen);
/* Leaves the group, publishes every pending list, closes everything; the loop then ends. */
void rr_engine_stop(rr_engine_t *en);
void rr_engine_free(rr_engine_t *en); /* after the loop ended; NULL is a no-op */

#endif
