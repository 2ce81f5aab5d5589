/* rr_eval.h — `rtrec eval`: the online pipeline replayed in-process on recorded files under the
 * prequential protocol of DESIGN.md, next to the popularity and item-kNN baselines and the strong
 * streaming anchors of rr_anchors.h, all scored on the same targets in the same run. The
 * harness, not the pipeline, decides what a target is. */
#ifndef RR_EVAL_H
#define RR_EVAL_H

#include <stdint.h>
#include <stdio.h>
#include "rr_anchors.h"
#include "rr_codec.h"
#include "rr_config.h"

/* Methods: rtrec, the two baselines, then anchor a at RR_EVAL_ANCHOR0 + a. */
enum {
    RR_EVAL_RTREC,
    RR_EVAL_POP,
    RR_EVAL_KNN,
    RR_EVAL_ANCHOR0,
    RR_EVAL__METHODS = RR_EVAL_ANCHOR0 + RR_ANCHOR__COUNT
};

#define RR_EVAL_K      10 /* HR@K / NDCG@K */
#define RR_EVAL_WINDOW 20 /* item-kNN window (README) */
#define RR_EVAL_SEED   1  /* ISGD's initial factors */
#define RR_EVAL_COLD   3  /* cold-start slice: targets after a user's 1st to 3rd event */

/* Side files (rr_side.h) applied to rtrec's pipeline before the events, items then users, as
 * `rtrec replay` produces them to the items and users topics first. NULL: none. The baselines
 * and anchors see only the events. strip: the events reach rtrec's pipeline without their
 * category, brand and price (a stream such as rees46 carries its side information inside the
 * events; the baselines and anchors still see them whole, so both runs score them alike). */
typedef struct rr_eval_side_s {
    const char *items, *users;
    int strip;
} rr_eval_side_t;

/* Scale-out simulated: events go to `instances` pipelines by their user's partition (the
 * producer's partitioner over broker.partitions, partition p to instance p mod instances, or
 * assign[p] when assign is not NULL: a group's actual hand-out), and every sync_ms of event
 * time (or, with sync_events > 0, after every sync_events events of the stream instead: what a
 * paced replay into engines syncing by wall clock gives) each instance publishes its delta
 * (instance order), then each merges the others' (instance order), through online/sync with
 * sync.merge and sync.quant. sync_ms 0 (and sync_events 0): never. {1, 0} is the plain run. */
typedef struct rr_eval_sync_s {
    int instances;
    int64_t sync_ms;
    int64_t sync_events;
    const uint8_t *assign; /* [broker.partitions] instance of each partition; NULL: p mod N */
} rr_eval_sync_t;

/* Which list rtrec is scored with. FRESH (the default protocol): recomputed right before each
 * target, from every earlier event. HELD: what `rtrec run` holds when its refresh keeps up: each
 * instance recomputes a user's list right after applying that user's event, and a target is
 * scored against the list the user holds then. */
typedef enum { RR_EVAL_LISTS_FRESH, RR_EVAL_LISTS_HELD } rr_eval_lists_t;

typedef struct rr_eval_result_s {
    uint64_t events;  /* events replayed */
    uint64_t skipped; /* records the reader rejected (malformed, or rtrec has no type for) */
    uint64_t dropped; /* events the pipeline refused (user/item caps) */
    uint64_t users, items, targets;
    uint64_t hits[RR_EVAL__METHODS];
    double ndcg_sum[RR_EVAL__METHODS];
    /* The cold-start slice: targets of users with 1..RR_EVAL_COLD events before them. */
    uint64_t cold_targets;
    uint64_t cold_hits[RR_EVAL__METHODS];
    double cold_ndcg_sum[RR_EVAL__METHODS];
    uint64_t side_items, side_users; /* side-file records applied */
    uint64_t categories, brands;     /* distinct ones rtrec's pipeline saw (0 with strip) */
    uint8_t ran[RR_EVAL__METHODS];   /* scored: cat_trend needs events that carry categories */
    double rtrec_s;                  /* time in rr_pipeline_apply + rr_pipeline_refresh only */
    double anchors_s;                /* time in the anchors' lists and updates */
    double wall_s;                   /* the whole run: reading, sorting, every method */
    uint64_t covered;                /* catalog items shown in some rtrec top-K at a target */
    double logloss;                  /* the MLP's prequential log loss; NAN when model.enabled=0 */
    double auc;            /* the MLP's prequential AUC (positive vs its sampled negatives) */
    size_t bytes_per_user; /* state reserved per user slot (rr_pipeline_bytes_per_user) */
    /* Scale-out (rr_eval_sync_t): hits and targets above are summed over the instances. */
    int instances;
    int64_t sync_ms;
    int64_t sync_events;  /* > 0: sync points by event count (sync_ms is then 0) */
    uint64_t sync_rounds; /* sync points that had something to send */
    uint64_t sync_bytes;  /* deltas published, summed over instances */
    double span_s;        /* event time from the first event to the last */
    /* The pipelines' own prequential counters (rr_preq_t, summed over instances): the engine's
     * targets and hits (GET /sync, rtrec:stats hr10). Its targets are the pipeline's own rule;
     * with lists HELD they count what `rtrec run` counts on the same stream. */
    rr_eval_lists_t lists;
    uint64_t engine_targets, engine_hits10;
    double engine_ndcg10;
} rr_eval_result_t;

#define RR_EVAL_MAX_INSTANCES 64

/* Replays files (merged, then stably sorted by event time: equal times keep file order) through
 * rtrec's pipeline (configured by cfg; user/item caps are raised to fit the data) and the
 * baselines. progress, if not NULL, gets a \r-updated line about once a second. Returns RR_OK
 * or an error with errstr filled. */
rr_err_t rr_eval_run(const rr_config_t *cfg, const char *const *files, size_t nfiles,
                     rr_format_t fmt, FILE *progress, rr_eval_result_t *res, char *errstr,
                     size_t errlen);
/* rr_eval_run with side files (side NULL: none). */
rr_err_t rr_eval_run_side(const rr_config_t *cfg, const char *const *files, size_t nfiles,
                          rr_format_t fmt, const rr_eval_side_t *side, FILE *progress,
                          rr_eval_result_t *res, char *errstr, size_t errlen);

/* rr_eval_run_side on `sync->instances` pipelines synced every sync->sync_ms (sync NULL: one,
 * never). More instances than broker.partitions is refused (some would get no events), and so
 * is an assign naming an instance past them. */
rr_err_t rr_eval_run_sync(const rr_config_t *cfg, const char *const *files, size_t nfiles,
                          rr_format_t fmt, const rr_eval_side_t *side, const rr_eval_sync_t *sync,
                          FILE *progress, rr_eval_result_t *res, char *errstr, size_t errlen);
/* rr_eval_run_sync with rtrec's lists as `lists` says. */
rr_err_t rr_eval_run_lists(const rr_config_t *cfg, const char *const *files, size_t nfiles,
                           rr_format_t fmt, const rr_eval_side_t *side, const rr_eval_sync_t *sync,
                           rr_eval_lists_t lists, FILE *progress, rr_eval_result_t *res,
                           char *errstr, size_t errlen);
/* The pipelines' own HR@10 and NDCG@10 (engine_*); 0 without targets. */
double rr_eval_engine_hr(const rr_eval_result_t *res);
double rr_eval_engine_ndcg(const rr_eval_result_t *res);

/* Bytes of sync deltas per second of event time (0 without sync or span). */
double rr_eval_sync_bytes_per_s(const rr_eval_result_t *res);
double rr_eval_hr(const rr_eval_result_t *res, int method);        /* 0 without targets */
double rr_eval_ndcg(const rr_eval_result_t *res, int method);      /* 0 without targets */
double rr_eval_cold_hr(const rr_eval_result_t *res, int method);   /* the cold-start slice */
double rr_eval_cold_ndcg(const rr_eval_result_t *res, int method); /* the cold-start slice */
double rr_eval_coverage(const rr_eval_result_t *res);              /* share of the catalog */
double rr_eval_events_per_s(const rr_eval_result_t *res);          /* rtrec pipeline alone */
/* The anchor with the best HR@K over all that ran (ties: the earlier in rr_anchors.h), and the
 * best half-life of a family ("trend", "cat_trend"); -1 when none ran. */
int rr_eval_best_anchor(const rr_eval_result_t *res);
int rr_eval_best_of_family(const rr_eval_result_t *res, const char *family);

/* One table for people, or one JSON object (keys events, targets, hr10, ndcg10, cold_targets,
 * cold_hr10, cold_ndcg10 (and pop_/knn_ of those), side_items, side_users, pop_hr10,
 * knn_hr10, pop_ndcg10, knn_ndcg10, logloss, auc, events_per_s, coverage, ..., then "anchors":
 * {"trend_5m": {"hr10", "ndcg10", "cold_hr10", "cold_ndcg10"}, ...} for every anchor that ran,
 * best_trend, best_cat_trend (null without categories), best_anchor, best_anchor_hr10,
 * best_anchor_ndcg10, ratio_vs_best_anchor, anchors_s; instances, sync_ms, sync_rounds,
 * sync_bytes, sync_bytes_per_s, span_s, sync_events, lists ("fresh"/"held"), engine_targets,
 * engine_hits10, engine_hr10, engine_ndcg10). logloss and auc are "n/a" / null when the model is
 * off. */
void rr_eval_print_text(FILE *fp, const rr_eval_result_t *res, const char *const *files,
                        size_t nfiles, rr_format_t fmt);
void rr_eval_print_json(FILE *fp, const rr_eval_result_t *res, const char *const *files,
                        size_t nfiles, rr_format_t fmt);

#endif
