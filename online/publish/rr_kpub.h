/* rr_kpub.h — the Kafka publisher: an idempotent producer on the engine's loop writing each
 * user's current list (protobuf Recommendations, key = user) to the recs topic, dead letters to
 * the DLQ topic and FORGET_USER tombstones. Same pull model as rr_redis.h: the engine marks a
 * user, the publisher asks for the current list when it produces; a full queue or a failed
 * delivery leaves the user marked, so the latest list wins and memory stays bounded.
 * Loop-bound: rr_kpub_close() flushes without blocking the loop, then on_closed fires. */
#ifndef RR_KPUB_H
#define RR_KPUB_H

#include <stdint.h>
#include <uv.h>
#include "rr_codec.h"
#include "rr_msg.h"

typedef struct rr_kpub_s rr_kpub_t;

typedef struct rr_kpub_cbs_s {
    void *opaque;
    /* As rr_redis_cbs_t.fill_recs; 0 = the user is gone (nothing is produced). */
    int (*fill_recs)(void *opaque, uint32_t uid, rr_recs_t *recs, rr_rec_t *store, size_t cap);
    void (*on_closed)(void *opaque);
} rr_kpub_cbs_t;

typedef struct rr_kpub_opts_s {
    const char *const *kafka_conf; /* key, value, ... (bootstrap.servers etc.) */
    size_t kafka_conf_len;
    const char *recs_topic;
    const char *dlq_topic;
    uint32_t max_users;
} rr_kpub_opts_t;

rr_kpub_t *rr_kpub_new(uv_loop_t *loop, const rr_kpub_opts_t *opts, const rr_kpub_cbs_t *cbs,
                       char *errstr, size_t errlen);
void rr_kpub_mark(rr_kpub_t *kp, uint32_t uid);
/* Original bytes and key unchanged; headers rtrec.reason (error name), rtrec.error (text),
 * rtrec.source (topic/partition@offset). */
rr_err_t rr_kpub_dead_letter(rr_kpub_t *kp, const rr_msg_t *orig, rr_err_t reason);
/* Null value, key = user: compacted topics then forget the user. */
rr_err_t rr_kpub_tombstone(rr_kpub_t *kp, const char *user_id);
void rr_kpub_close(rr_kpub_t *kp);
void rr_kpub_free(rr_kpub_t *kp);

typedef struct rr_kpub_stats_s {
    uint64_t produced;  /* lists handed to librdkafka */
    uint64_t delivered; /* lists acknowledged by the broker */
    uint64_t errors;    /* failed deliveries and queue-full retries */
    uint64_t dead_letters;
    size_t dirty;
} rr_kpub_stats_t;
void rr_kpub_stats(const rr_kpub_t *kp, rr_kpub_stats_t *st);

#endif
