/* rr_engine_sync.h — model sync in `rtrec run` (sync.enabled=1): the loop's side of online/sync.
 * Engine-private; included by rr_engine_internal.h once RR_ENGINE_MAXPARTS is defined. At each
 * sync instant (every sync.interval_ms of wall clock, before a checkpoint's fork, before a
 * revocation, at a graceful stop) the loop publishes what this instance learned since the last
 * one to topics.sync (key = sync.instance) and merges every peer delta read since; at start it
 * reads the topic to its end before the input flows. See DESIGN.md, Shared state synced. */
#ifndef RR_ENGINE_SYNC_H
#define RR_ENGINE_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "rr_consumer.h"
#include "rr_producer.h"
#include "rr_sync.h"

#define RR_ENGINE_SYNC_PARTS 256 /* sync-topic partitions tracked */

/* A peer's delta read from the sync topic, waiting for the next publication instant. */
typedef struct rr_engine_peer_delta_s {
    int32_t partition;
    int64_t offset;
    uint8_t *buf; /* the message value (envelope + delta), owned */
    size_t len;
} rr_engine_peer_delta_t;

typedef struct rr_engine_sync_s {
    rr_sync_t *sy;         /* NULL: sync off */
    rr_producer_t *prod;   /* the own deltas */
    rr_consumer_t *reader; /* every partition of topics.sync */
    uv_timer_t timer;      /* every sync.interval_ms */
    char writer[256];      /* sync.instance of the restored checkpoint's writer, "" if none */
    /* The writer's process and its publications when it took that checkpoint (0: unknown, a
     * checkpoint before SYNC/0 v3): its deltas up to there are in the state. */
    uint64_t writer_nonce, writer_seq;
    int writer_known;  /* SYNC/0 v3 gave them */
    int adopted;       /* the state is another instance's: a join (rr_engine_sync_start) */
    uint64_t seq;      /* own publications of this process (the envelope's seq) */
    uint64_t in_state; /* deltas read that the restored state already held: not merged */
    uint64_t earlier;  /* own earlier lives' deltas merged as a peer's (the state is another's) */
    uint8_t *base;     /* the restored SYNC/1 until rr_engine_sync_start imports it */
    size_t base_len;
    char instance[256]; /* the key of the own deltas */
    int reader_started, timer_open;
    rr_engine_peer_delta_t *pending;
    size_t npending, pending_cap;
    uint8_t *out; /* envelope + delta being sent */
    size_t out_cap;
    /* Next offset per sync partition whose delta is merged (or was the own): what the state
     * includes, and what a checkpoint records; -1 = none yet. */
    int64_t applied_off[RR_ENGINE_SYNC_PARTS];
    int64_t start_off[RR_ENGINE_SYNC_PARTS]; /* restored from a checkpoint, -1 = earliest */
    int64_t peer_event_ms;                   /* the newest applied delta's publisher clock */
    uint64_t nonce;                          /* this process's, in every own delta */
    int64_t first_own_off; /* offset of this process's first delta read back, -1 before */
    uint64_t twins;        /* own-key deltas of another live process */
    uint64_t own_read, rejected, send_failed, delivered, delivery_failed;
    uint64_t flush_deadline; /* at stop: the last delta's delivery */
    /* Input an earlier life's deltas carried (rr_engine_sync.c, note_covered): per events
     * partition, the next offset they cover (-1 none); windows opened at start (the restart's
     * replay) and how many are open; events applied without publishing them. */
    int64_t covered[RR_ENGINE_MAXPARTS];
    uint8_t window[RR_ENGINE_MAXPARTS];
    int windows, gating;
    uint64_t gate_deadline, replayed;
    /* Input another instance's deltas carried (note_peer_covered): per events partition, the
     * next offset they cover (-1 none). A partition handed over here replays input below it
     * for its users only (rr_pipeline_t.users_only): the item side and the learning came with
     * the deltas. handed: events so applied. */
    int64_t peer_covered[RR_ENGINE_MAXPARTS];
    uint64_t handed;
    /* Called once the gate opens: starts the group consumer (the engine's, given at init, so
     * sync does not call back into the engine's start-up). */
    rr_err_t (*start_input)(struct rr_engine_s *en);
} rr_engine_sync_t;

#endif
