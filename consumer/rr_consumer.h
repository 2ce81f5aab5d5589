/* rr_consumer.h — a Kafka group consumer driven by a libuv loop.
 * librdkafka's consumer queue signals an fd (io-event) watched by uv_poll; each loop turn drains
 * at most `budget` messages and, if more are left, continues from a uv_idle handle (the io-event
 * only fires on empty -> non-empty). Rebalances and all callbacks run on the loop thread.
 * The consumer is loop-bound: close it with rr_consumer_close() and free it in the close cb. */
#ifndef RR_CONSUMER_H
#define RR_CONSUMER_H

#include <stdint.h>
#include <stddef.h>
#include <uv.h>
#include "rr_err.h"
#include "rr_msg.h"

typedef struct rr_consumer_s rr_consumer_t;

typedef struct rr_consumer_cbs_s {
    void *opaque;
    /* One message; the pointers are valid only during the call. Its offset is stored for the
     * next (auto) commit only after this returns, so only processed input is committed. */
    void (*on_message)(void *opaque, const rr_msg_t *msg);
    /* Per partition: assigned=1 after the assignment was applied (after start_offset), 0 for a
     * revoked one before it is given up, while the consumer still owns it (rr_consumer_commit
     * may be tried; the group may refuse it mid-rebalance). No message of a revoked partition
     * is delivered after this call. */
    void (*on_rebalance)(void *opaque, int assigned, const char *topic, int32_t partition);
    /* Once, after rr_consumer_close() finished leaving the group and closed its handles, from a
     * later loop turn (from inside rr_consumer_close() only if a never-started consumer's
     * uv_poll_init failed). rr_consumer_free() may be called from here. */
    void (*on_closed)(void *opaque);
    /* Optional: where to start a newly assigned partition (e.g. the offset a checkpoint covers);
     * a negative answer keeps the group's committed offset. */
    int64_t (*start_offset)(void *opaque, const char *topic, int32_t partition);
    /* Optional: once after each assignment (assigned=1, possibly of no partition: cooperative
     * rebalances end with one) or revocation was applied and reported partition by partition. */
    void (*on_rebalanced)(void *opaque, int assigned);
} rr_consumer_cbs_t;

typedef struct rr_consumer_opts_s {
    const char *const *kafka_conf; /* librdkafka key, value, key, value... (bootstrap, group.id) */
    size_t kafka_conf_len;         /* number of strings (2 per property) */
    const char *const *topics;
    size_t ntopics;
    int budget; /* max messages per loop turn; 0 = 500 */
    /* 0: join the group and subscribe to the topics. 1: read every partition of the topics
     * (found in the metadata at start), never joining the group nor committing: for input every
     * instance needs whole (a catalog); start_offset says where (else the earliest offset). */
    int assign_all;
} rr_consumer_opts_t;

/* kafka_conf is applied over these defaults: partition.assignment.strategy=cooperative-sticky
 * (a rebalance moves only the partitions that change owner), enable.partition.eof=false,
 * auto.offset.reset=earliest, fetch.wait.max.ms=10, enable.auto.offset.store=false,
 * enable.auto.commit=true, auto.commit.interval.ms=200 (the group's committed offsets follow
 * the consumer closely enough for a producer to pace by them: rtrec replay does),
 * log.queue=true (librdkafka logs reach rr_log on the loop thread). auto.offset.reset only
 * chooses where a partition with no committed offset starts: a position the broker no longer
 * has resumes at the log start and is counted (stats.skipped), never at the end.
 * NULL with a message in errstr on a bad property or a missing group.id. */
rr_consumer_t *rr_consumer_new(uv_loop_t *loop, const rr_consumer_opts_t *opts,
                               const rr_consumer_cbs_t *cbs, char *errstr, size_t errlen);
/* Subscribes (or assigns every partition, with assign_all: this waits up to 10 s for the
 * metadata) and starts watching the queue. RR_E(INVAL) if already started or no topics,
 * RR_E(KAFKA) if the subscription or assignment was refused or a topic has no partitions
 * (nothing started; free it directly). */
rr_err_t rr_consumer_start(rr_consumer_t *rc);
/* Leaves the group without blocking the loop; on_closed fires when done. Safe from any of the
 * callbacks and on a consumer never started; a second call is a no-op. Messages still queued
 * are dropped unstored, so the group delivers them again. */
void rr_consumer_close(rr_consumer_t *rc);
/* After on_closed (or if never started). Destroys the librdkafka handle, which may block
 * briefly. NULL is a no-op. */
void rr_consumer_free(rr_consumer_t *rc);

typedef struct rr_consumer_stats_s {
    uint64_t messages;
    uint64_t errors;     /* consumer errors reported by librdkafka (not message content) */
    uint64_t turns;      /* loop turns that drained at least one message */
    int assigned;        /* partitions currently assigned */
    uint64_t rebalances; /* assignments and revocations applied */
    /* Positions the broker no longer had (out of range: retention or the embedded broker's
     * size cap removed them first), and the messages skipped by resuming at the log start:
     * input lost before it was consumed. Each such reset logs one ERROR line with its count. */
    uint64_t resets;
    uint64_t skipped;
} rr_consumer_stats_t;
void rr_consumer_stats(const rr_consumer_t *rc, rr_consumer_stats_t *st);
/* 1 while the last drain stopped at its budget with input left: the engine is behind. */
int rr_consumer_backlogged(const rr_consumer_t *rc);

/* Commits offsets[t * nparts + p] as the next offset to consume of topics[t] partition p
 * (negative entries are skipped) in one asynchronous request: never blocks, and the outcome is
 * not reported. Only a running member with partitions commits (not inside the revocation of
 * partitions already lost to others): a commit while (re)joining fails
 * with "unknown member" and librdkafka answers that by rejoining, over and over. RR_E(INVAL)
 * then, or on bad arguments (nothing sent); RR_E(KAFKA) if librdkafka refused the request. */
rr_err_t rr_consumer_commit(rr_consumer_t *rc, const char *const *topics, size_t ntopics,
                            const int64_t *offsets, size_t nparts);

/* The number of partitions of topic, from the cluster's metadata: a blocking request of at most
 * timeout_ms, for start-up checks only (never on a running loop). RR_E(NOT_FOUND) if the
 * cluster does not know the topic, RR_E(KAFKA) if the metadata did not come. */
rr_err_t rr_consumer_partition_count(rr_consumer_t *rc, const char *topic, int timeout_ms,
                                     int *count);

typedef struct rr_consumer_lag_s {
    const char *topic; /* one of the subscribed topics: valid for the consumer's lifetime */
    int32_t partition;
    int64_t lag; /* high watermark - consumed position (the low watermark before any) */
} rr_consumer_lag_t;
/* Fills out[] with the lag of up to `cap` assigned partitions and returns how many it filled
 * (stats.assigned sizes the array). The high watermarks are the ones fetches brought back, so no
 * broker round trip: never blocks. A partition not yet fetched from is left out. */
size_t rr_consumer_lag(rr_consumer_t *rc, rr_consumer_lag_t *out, size_t cap);

#endif
