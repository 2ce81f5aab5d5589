/* rr_pipeline.h — the engine's state machine without I/O: apply an event to the user and item
 * state, keep prequential metrics (test-then-train), recompute a user's list. `rtrec run`
 * wraps it with Kafka and Redis; `rtrec eval` drives it straight from files. One thread owns
 * it; with recs.refresh_threads = 2, rr_pipeline_refresh_batch lends a batch to a worker thread
 * that only reads the state while the call lasts. */
#ifndef RR_PIPELINE_H
#define RR_PIPELINE_H

#include "rr_cattop.h"
#include "rr_config.h"
#include "rr_cooc.h"
#include "rr_dedupe.h"
#include "rr_learner.h"
#include "rr_portrait.h"
#include "rr_rank.h"
#include "rr_ranker.h"
#include "rr_recommend.h"
#include "rr_segpop.h"
#include "rr_store.h"
#include "rr_textidx.h"
#include "rr_trending.h"

#define RR_PIPELINE_RANK_ROWS   64 /* ranker rows per SGD step (about four positives) */
#define RR_PIPELINE_THREADS_MAX 2  /* recs.refresh_threads: the owner and one worker */

struct rr_pipeline_s;
/* What one thread computing lists writes besides the lists: the recommender's candidate scratch
 * (context 0's is pl->rec, which training and POST /rank use too; context 1's a fork of it), the
 * learner's and ranker's scoring scratch, the retrieval results of the batch it refreshes, and
 * its own counters. The recommender's callbacks get their context as opaque. */
typedef struct rr_refresh_ctx_s {
    struct rr_pipeline_s *pl;
    rr_recommender_t *rec;
    rr_recommender_t fork; /* context 1's recommender */
    rr_learner_scratch_t learn;
    rr_ranker_scratch_t rank;
    uint32_t rcache_uid[RR_LEARNER_RETRIEVE_BATCH];
    int rcache_count[RR_LEARNER_RETRIEVE_BATCH];
    uint32_t *rcache_ids; /* [RR_LEARNER_RETRIEVE_BATCH × retrieve_k] */
    float *rcache_scores;
    int rcache_n, rcache_k;
    uint64_t users;   /* lists computed by this thread */
    uint64_t busy_ns; /* time spent computing them */
    uint64_t wait_ns; /* context 0: time waiting for the worker to finish its last chunk */
} rr_refresh_ctx_t;

typedef struct rr_preq_s {
    uint64_t targets; /* events of a known user on an item new to that user */
    uint64_t hits10;  /* ... whose item was in the user's current top-10 */
    double ndcg10;    /* summed 1/log2(rank+2) over hits */
    /* The MLP, scored on each training batch before its step (positive + negatives). */
    double logloss_sum;
    uint64_t logloss_n;
    double auc_wins; /* positive above a negative: 1, tie: 1/2 */
    uint64_t auc_pairs;
} rr_preq_t;

/* The item-side effects of one interaction, all of them shared state: what a synced peer
 * replays for the events it did not see (rr_pipeline_item_hit). Item ids are the pipeline's. */
typedef struct rr_item_hit_s {
    uint32_t iid;
    rr_event_type_t type; /* carried whole; the item side counts every type once */
    int64_t ts_ms;
    uint32_t seg[RR_SEGPOP_KINDS]; /* the user's demographic segments (rr_segpop_segments) */
    const uint32_t *recent;        /* the user's recent items before it, oldest first */
    size_t nrecent;
} rr_item_hit_t;

/* Observers of the shared state's changes (online/sync captures deltas through them); NULL:
 * none. on_item_hit: after a local event's item-side update. on_train: the learner's stage just
 * before its SGD step (the rows it is about to move). */
typedef struct rr_pipeline_hooks_s {
    void (*on_item_hit)(void *opaque, const rr_item_hit_t *hit);
    void (*on_train)(void *opaque, const rr_learner_stage_t *sg);
    void *opaque;
} rr_pipeline_hooks_t;

typedef struct rr_pipeline_s {
    rr_store_t store;
    rr_cooc_t cooc;
    rr_trending_t trending;
    rr_cattop_t cattop;
    rr_recommender_t rec;
    rr_portrait_table_t portrait;
    rr_segpop_t segpop;   /* item popularity per demographic segment (a ranker feature) */
    rr_text_table_t text; /* item tokens and users' search intent (store.text points here) */
    rr_learner_t learner;
    int model_on;
    /* The threads computing lists (rr_pipeline_refresh_batch): [0] the owner's, [1] the worker's.
     */
    rr_refresh_ctx_t ctx[RR_PIPELINE_THREADS_MAX];
    int refresh_threads;
    struct rr_refresh_worker_s *worker; /* NULL with one thread */
    /* The learned ranker (recs.ranker=1): trends at several half-lives, item clocks, the model. */
    int ranker_on;
    rr_trending_t trends[RR_NTRENDS];
    int64_t *item_first_ms, *item_last_ms; /* [items_max] */
    uint32_t *cat_leader;                  /* [items_max]: per category, rr_rank_src_t.cat_leader */
    rr_ranker_t ranker;
    uint64_t rank_rng;
    uint32_t rank_train_every; /* recs.ranker_train_every */
    uint64_t rank_train_all;   /* recs.ranker_train_all */
    uint64_t epoch;            /* events applied: the ranker's cached pool is valid within one */
    rr_preq_t preq;
    uint64_t events_total;
    uint64_t by_type[RR_EV__COUNT];
    uint64_t dropped_full; /* events refused because the item cap was reached */
    uint64_t duplicates;   /* events whose event_id was seen within dedupe.window */
    uint64_t flooded;      /* events over a user's rate cap: counted, not learned */
    uint64_t evicted;      /* users dropped to make room (least recently active of a sample) */
    uint64_t expired;      /* users dropped after users.ttl_s without events */
    uint32_t recent_window;
    rr_dedupe_t dedupe;
    int64_t ttl_ms;      /* 0 = users never expire */
    uint32_t max_per_s;  /* 0 = no rate cap */
    uint32_t sweep_hand; /* next user id the expiry sweep looks at */
    uint64_t evict_rng;  /* deterministic choice of eviction candidates */
    /* Optional: called with the user id string before a user is evicted or expired. */
    void (*on_drop)(void *opaque, const char *user_id);
    void *drop_opaque;
    rr_pipeline_hooks_t hooks;
    /* Set while applying input whose shared-state part a peer's delta already carried here (a
     * partition handed over: rr_engine_sync.c): the event changes its user only — no item-side
     * update, no training, no prequential count — as the peer did those once for everyone. */
    int users_only;
    char terms_text[RR_TEXT_TERMS * (RR_TEXT_TOKEN_MAX + 8)]; /* rr_pipeline_portrait_text */
} rr_pipeline_t;

rr_err_t rr_pipeline_init(rr_pipeline_t *pl, const rr_config_t *cfg);
void rr_pipeline_free(rr_pipeline_t *pl);

/* Applies one valid event (FORGET_USER excluded: see rr_pipeline_forget). *uid gets the user
 * whose list should be refreshed. RR_ERR_DUPLICATE (event_id seen lately) and RR_ERR_FLOOD
 * (user over users.max_events_per_s) are counted and change nothing; at users.max the least
 * recently active of 16 sampled users makes room. */
rr_err_t rr_pipeline_apply(rr_pipeline_t *pl, const rr_event_t *ev, uint32_t *uid);
/* Takes the SGD step on the events the learner has staged (it does so by itself every
 * model.batch events), updating the prequential metrics and propensities. */
void rr_pipeline_train_flush(rr_pipeline_t *pl);
/* Recomputes the lists of n distinct users, RR_LEARNER_RETRIEVE_BATCH at a time: one pass of the
 * top-N kernel over the catalog for all of them, and one MLP re-rank of all their candidates.
 * With recs.refresh_threads = 2 the owner and the worker take chunks of the batch until none is
 * left; returns once every list is written. The lists are the same with 1 or 2 threads: each
 * thread reads the same state (nothing changes it during the call) with its own scratch. */
void rr_pipeline_refresh_batch(rr_pipeline_t *pl, const uint32_t *uids, size_t n);
/* The refresh contexts and the worker (rr_pipeline_init calls it; rr_pipeline_free joins). */
rr_err_t rr_pipeline_refresh_init(rr_pipeline_t *pl, const rr_config_t *cfg);
void rr_pipeline_refresh_free(rr_pipeline_t *pl);
/* Recomputes the user's list into the store; returns its length. */
size_t rr_pipeline_refresh(rr_pipeline_t *pl, uint32_t uid);
/* A catalog update (the items topic): rr_store_item_update through the pipeline, which knows
 * the state has changed. */
rr_err_t rr_pipeline_item_update(rr_pipeline_t *pl, const rr_item_msg_t *msg, uint32_t *iid);
/* A User message (the users topic): the user's demographics, set whether or not the user has
 * had events (a new user is created, with no events, and may then be evicted or expire like
 * any other). *uid gets the user, whose list and portrait should be refreshed. */
rr_err_t rr_pipeline_user_update(rr_pipeline_t *pl, const rr_user_msg_t *msg, uint32_t *uid);
/* The item-side update of one interaction: co-occurrence with the user's recent items, trending
 * (at the hit's own time: a late hit is decayed, not counted as now), segment popularity, the
 * ranker's trends and item clocks, the category top, the item's interaction count; the event-time
 * clock (portrait.now_ms) moves up to the hit's time. Local events and synced peers' events both
 * go through it. RR_ERR_FULL from co-occurrence is the only error. */
rr_err_t rr_pipeline_item_hit(rr_pipeline_t *pl, const rr_item_hit_t *hit);
/* Drops a user entirely; returns 0 if unknown. */
int rr_pipeline_forget(rr_pipeline_t *pl, const char *user_id);
/* The model's prequential log loss and AUC so far; NAN before any training step. */
double rr_pipeline_logloss(const rr_pipeline_t *pl);
double rr_pipeline_auc(const rr_pipeline_t *pl);
/* Readable portrait fields of a user (Redis rtrec:portrait:{user}); see rr_portrait_fields. */
size_t rr_pipeline_portrait(rr_pipeline_t *pl, uint32_t uid, rr_portrait_text_t *text,
                            const char **fields, const char **values);
/* The user's search intent as portrait fields: search_terms ("running:0.91,shoes:0.91", the
 * active terms heaviest first) and last_search (the last query); values point into pl's own
 * buffer, valid until the next call. Returns the count (RR_PIPELINE_TEXT_NFIELDS, <= cap). */
#define RR_PIPELINE_TEXT_NFIELDS 2
size_t rr_pipeline_portrait_text(rr_pipeline_t *pl, uint32_t uid, const char **fields,
                                 const char **values, size_t cap);
/* Bytes reserved per user slot: store arrays, interning, portrait and the learner's embedding
 * row with its optimiser state. Fixed at init, so 1M users cost this × 1M once touched. The
 * grown seen filters' blocks are a pool apart: users.seen_pool × 256 bytes at most. */
size_t rr_pipeline_bytes_per_user(const rr_pipeline_t *pl);
/* Floating-point operations of both models so far (training, scoring, explaining; counted by
 * rows times rr_mlp_flops_per_row): the model's share of the work, for FLOPs per event. */
double rr_pipeline_model_flops(const rr_pipeline_t *pl);
/* Portrait weight of an event type: a purchase says more than a view. */
float rr_pipeline_event_weight(rr_event_type_t type);

#endif
