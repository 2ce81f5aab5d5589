/* rr_engine_internal.h — the engine's state, shared by rr_engine.c (wiring and lifecycle) and
 * rr_engine_metrics.c (the /metrics page). Not a public header. */
#ifndef RR_ENGINE_INTERNAL_H
#define RR_ENGINE_INTERNAL_H

#include <uv.h>
#include "rr_broker.h"
#include "rr_config.h"
#include "rr_consumer.h"
#include "rr_dirty.h"
#include "rr_engine.h"
#include "rr_engine_stats.h"
#include "rr_ckpt.h"
#include "rr_hist.h"
#include "rr_kpub.h"
#include "rr_metrics.h"
#include "rr_pipeline.h"
#include "rr_redis.h"

#define RR_ENGINE_NREASONS 32   /* > the number of codes in rr_err.h */
#define RR_ENGINE_NTOPICS  3    /* events, items, users: the input topics, in that order */
#define RR_ENGINE_MAXPARTS 1024 /* input partitions tracked per topic */

#include "rr_engine_sync.h" /* sized by RR_ENGINE_MAXPARTS */

typedef struct rr_engine_dash_s rr_engine_dash_t; /* rr_engine_dash.c */
/* An events partition as this instance sees it (rr_engine_parts.c). */
enum {
    RR_PART_NONE,   /* none of its users held */
    RR_PART_OWNED,  /* assigned: its users are here and its input flows */
    RR_PART_PARKED, /* users held at next_off, not assigned: revoked, or restored at start */
};

struct rr_engine_s {
    uv_loop_t *loop;
    rr_config_t cfg;
    rr_broker_t *broker;
    char bootstrap[512];
    char session_ms[16], heartbeat_ms[16]; /* group settings handed to librdkafka */
    rr_pipeline_t pl;
    rr_consumer_t *consumer; /* the group: events and users partitions */
    rr_consumer_t *catalog;  /* every partition of the items topic */
    rr_kpub_t *kpub;
    rr_redis_t *redis;
    rr_metrics_t *metrics;
    rr_engine_dash_t *dash;          /* the dashboard's samples, with metrics */
    rr_dirty_t refresh;              /* users whose list must be recomputed (rr_engine_refresh.c) */
    uv_idle_t refresh_turn;          /* runs the refresh policy each loop turn while marks wait */
    uint64_t *marked_ms;             /* per user slot: when its pending mark was set (loop ms) */
    uint64_t refresh_deferred_turns; /* loop turns that consumed first, lists fresh enough */
    uv_timer_t coalesce, stats_timer;
    rr_fresh_t fresh;                 /* recent window, for rtrec:stats */
    rr_hist_t fresh_engine;           /* dequeued -> Redis acknowledged the list */
    rr_hist_t fresh_e2e;              /* Kafka message timestamp -> Redis acknowledged the list */
    rr_portrait_text_t portrait_text; /* values behind fill_portrait's pointers */
    uint64_t dlq_total;
    uint64_t dlq_by_reason[RR_ENGINE_NREASONS]; /* by -rr_err_t */
    uint64_t refreshes;
    uint64_t stats_events, stats_ms; /* for events_per_s */
    uint64_t stats_merges;           /* for sync_merges_per_s */
    uint64_t drain_deadline;
    int stopping, open_parts, consumer_started, catalog_started;
    /* Checkpoints (rr_engine_ckpt.c). Offsets are "next to consume", -1 = unknown. */
    int64_t next_off[RR_ENGINE_NTOPICS][RR_ENGINE_MAXPARTS];
    int64_t start_off[RR_ENGINE_NTOPICS][RR_ENGINE_MAXPARTS]; /* restored from a checkpoint */
    int64_t child_off[RR_ENGINE_NTOPICS][RR_ENGINE_MAXPARTS]; /* what the running child covers */
    uv_timer_t ckpt_timer;
    uint64_t ckpt_seq, ckpt_due_ms, ckpts_written;
    int ckpt_child;           /* pid of the forked writer, 0 = none */
    int restored;             /* state came from a checkpoint */
    double ckpt_pause_max_ms; /* longest loop pause a checkpoint caused (the fork) */
    int ckpt_ok;              /* restore succeeded or found nothing: a final checkpoint is safe */
    /* Partitions (rr_engine_parts.c), by events partition. */
    uint8_t part_state[RR_ENGINE_MAXPARTS];
    uint8_t part_republish[RR_ENGINE_MAXPARTS]; /* parked at start: publish its users when owned */
    uint64_t restores, restored_users, restore_failures;
    double restore_ms_last, restore_ms_total;
    rr_engine_sync_t sync; /* model sync (rr_engine_sync.c) */
};

/* Refresh scheduling (rr_engine_refresh.c): the mark set, its timer and their policy. */
rr_err_t rr_engine_refresh_init(rr_engine_t *en);
void rr_engine_refresh_free(rr_engine_t *en);
/* The user's list must be recomputed (once, however many events wait). */
void rr_engine_refresh_mark(rr_engine_t *en, uint32_t uid);
/* How long the oldest pending mark has waited (ms), 0 if none. */
uint64_t rr_engine_refresh_oldest_ms(const rr_engine_t *en);
/* At stop: every pending list, now. */
void rr_engine_refresh_all(rr_engine_t *en);
/* Closes the timer and the idle handle; done runs once for each. */
void rr_engine_refresh_close(rr_engine_t *en, uv_close_cb done);
/* Input topic index (0 events, 1 items, 2 users) or -1. */
int rr_engine_topic_index(const rr_engine_t *en, const char *topic);
/* Loads the newest valid checkpoint of checkpoint.dir (if any) into the pipeline. */
rr_err_t rr_engine_ckpt_restore(rr_engine_t *en, char *errstr, size_t errlen);
/* After a restore: every user's list is published again. A crash loses the writes that were
 * in flight or waiting, and a user without later events would otherwise keep a stale list. */
void rr_engine_ckpt_republish(rr_engine_t *en);
/* Periodic checkpoints by a forked copy-on-write writer, every checkpoint.interval_s. */
void rr_engine_ckpt_start(rr_engine_t *en);
/* Waits for a running writer. A revoked partition's snapshot is written only after it: the
 * writer's copy of that partition, its temp files and its pruning would race the revoke's. */
void rr_engine_ckpt_wait(rr_engine_t *en);
/* At stop, after the consumer closed: waits for a running writer, writes a final checkpoint
 * in-process and closes the timer. */
void rr_engine_ckpt_stop(rr_engine_t *en);
/* Consumer hook: the offset a restored checkpoint covers for this partition, or -1. */
int64_t rr_engine_start_offset(void *opaque, const char *topic, int32_t partition);

/* Partitions move with their users (rr_engine_parts.c). On assignment: the offset to consume
 * p from (the held users' offset, or the restored snapshot's; -1 = the group's committed one). */
int64_t rr_engine_part_acquire(rr_engine_t *en, int32_t p);
/* On revocation, while still owned: p's users go to the state store; p is parked until
 * rr_engine_parts_settle drops it (an eager rebalance may hand it straight back). */
void rr_engine_part_release(rr_engine_t *en, int32_t p);
/* After each assignment: users of partitions not (re)assigned are dropped. */
void rr_engine_parts_settle(rr_engine_t *en);
/* After a restore at start: partitions with users or offsets are parked, to be republished
 * once assigned. */
void rr_engine_parts_park_restored(rr_engine_t *en);
/* Writes p's users as the snapshot covering off (no-op without checkpoint.dir or for off < 0);
 * *stale = 1 and nothing written when a snapshot covering more exists. Safe in the forked
 * writer (no logging). */
rr_err_t rr_engine_part_write(const rr_engine_t *en, int32_t p, int64_t off, int *stale,
                              char *errstr, size_t errlen);
/* Every owned partition at off[0][p] (the forked writer's offsets). */
rr_err_t rr_engine_parts_write_owned(const rr_engine_t *en, int64_t off[][RR_ENGINE_MAXPARTS],
                                     char *errstr, size_t errlen);

/* Serves /metrics, /healthz, the dashboard and /users/{id} on http.bind:metrics.port (port 0 =
 * off), reading the guard's token from RTREC_HTTP_TOKEN. */
rr_err_t rr_engine_metrics_start(rr_engine_t *en, char *errstr, size_t errlen);
/* At stop: closes the HTTP server (on_server_closed(en)) and the dashboard's timer
 * (on_timer_closed(handle), handle->data == en). No-op when the port is off. */
void rr_engine_metrics_stop(rr_engine_t *en, void (*on_server_closed)(void *),
                            uv_close_cb on_timer_closed);
/* Input messages the broker removed before either reader consumed them (both consumers). */
uint64_t rr_engine_input_skipped(const rr_engine_t *en);
/* "mlp@<training steps>", or "sources" with the model off: what the published lists carry. */
void rr_engine_model_version(const rr_engine_t *en, char *buf, size_t cap);
/* Model sync (rr_engine_sync.c). init before the restore (offsets unknown); start after it,
 * before the consumers (no-op unless sync.enabled=1 and sync.interval_ms > 0); stop_reading
 * with the other readers; stop once the input consumer closed: a last publication and merge,
 * then the producer drains (the timer's close ends it). */
void rr_engine_sync_init(rr_engine_t *en, rr_err_t (*start_input)(rr_engine_t *en));
rr_err_t rr_engine_sync_start(rr_engine_t *en, const char **kv, size_t nkv, char *errstr,
                              size_t errlen);
void rr_engine_sync_stop_reading(rr_engine_t *en);
/* 1 while the start waits for the sync reader to reach the topic's end; the group consumer is
 * started (init's start_input) only then. */
int rr_engine_sync_gating(const rr_engine_t *en);
/* A publication and merge now (no-op with sync off): before a checkpoint, so a checkpoint
 * holds nothing unpublished, and before a revocation, so a partition's next owner knows what
 * was published of it. */
void rr_engine_sync_now(rr_engine_t *en);
/* Around each event of the events topic: input some other delta covers is applied without
 * being published again. settle after each assignment: windows of partitions not owned close. */
void rr_engine_sync_before_event(rr_engine_t *en, int32_t partition, int64_t offset);
void rr_engine_sync_after_event(rr_engine_t *en, int32_t partition, int64_t offset);
void rr_engine_sync_settle(rr_engine_t *en);
void rr_engine_sync_stop(rr_engine_t *en);
void rr_engine_sync_free(rr_engine_t *en);
/* SYNC/0 of a checkpoint: the sync-topic offsets the state includes (nothing with sync off);
 * load sets where the reader resumes (no section: the earliest offsets). */
rr_err_t rr_engine_sync_save(const rr_engine_t *en, rr_ckpt_writer_t *w);
rr_err_t rr_engine_sync_load(rr_engine_t *en, const rr_ckpt_reader_t *r);
/* /metrics' rtrec_sync_* families, rtrec:stats' sync_* fields, GET /sync. */
void rr_engine_sync_metrics(const rr_engine_t *en, rr_metrics_buf_t *out);
rr_err_t rr_engine_sync_route(rr_engine_t *en);
/* What rtrec:stats shows of sync (rr_engine_stats.c formats it); 0 with sync off. */
typedef struct rr_engine_sync_view_s {
    uint64_t bytes_sent, bytes_applied, applied, lag_messages;
    double lag_s; /* rtrec_sync_lag_seconds */
} rr_engine_sync_view_t;
int rr_engine_sync_view(const rr_engine_t *en, rr_engine_sync_view_t *v);

/* Writes rtrec:stats and rtrec:trending (the stats timer, stats.interval_ms). */
void rr_engine_put_stats(rr_engine_t *en);

#endif
