/* rr_sync.h — one model across instances: what a pipeline learned since its last publication,
 * as a compact delta (a byte buffer), and the merge of a peer's delta into another pipeline.
 * A delta carries the shared item-side state as the events that changed it (item key, type,
 * time, the user's segments, the recent item keys co-occurrence counted: a peer replays them
 * through rr_pipeline_item_hit, the function the local events went through) and the learned
 * weights as differences from the last publication (W − base: the two MLPs' dense blocks, the
 * hashed rows, the item rows the learner touched, keyed by item id string), with the optimiser
 * state those steps left (Adagrad's squared-gradient sums, also W − base) and the ranker's
 * feature statistics and step count gained since. Each instance's optimiser then steps as if
 * it had seen every instance's gradients, its ranker standardises with the statistics of every
 * instance's training rows, and its warm-up counts every step (measured on rees46: leaving
 * these local cost 4 instances about 2 points of HR@10, BENCHMARKS.md). Only user state
 * stays local.
 *
 * Merge: counts always add, optimiser sums and feature statistics too (they are counts of
 * what was trained). Weight deltas are applied with a weight (rr_sync_merge_t): 1 adds
 * them (each event's update applied once everywhere, as an asynchronous parameter server
 * would), 1/N averages them (the own delta is scaled the same way at publication). Applying adds
 * to W and to the base, so a peer's delta is never published again as one's own. The base is
 * kept in 64-bit fixed point, every delta (own and peers') added as integers, so it does not
 * depend on the order of the additions; from the first merge on, W is that base wherever
 * nothing unpublished is pending: instances that published and merged the same deltas (f32,
 * nothing learned since) hold bit-identical weights. Deterministic: the same sequence of
 * publications and applications gives bit-identical bytes and state.
 *
 * An rr_sync_t is attached to one pipeline (it sets pl->hooks) and must be freed before it.
 * Single-threaded, like the pipeline. */
#ifndef RR_SYNC_H
#define RR_SYNC_H
#include <stddef.h>
#include <stdint.h>
#include "rr_config.h"
#include "rr_pipeline.h"
#include "rr_sync_wire.h"

typedef struct rr_sync_s rr_sync_t;

typedef struct rr_sync_stats_s {
    uint64_t published, published_bytes; /* non-empty deltas encoded, their bytes */
    uint64_t applied, applied_bytes;     /* peers' deltas merged */
    uint64_t hits_sent, rows_sent;       /* item-side events and item rows published */
} rr_sync_stats_t;

/* Attaches to pl (which must outlive it) with the weights' encoding q. Copies the current
 * weights as the base. NULL with errstr filled when out of memory. */
rr_sync_t *rr_sync_new(rr_pipeline_t *pl, rr_sync_quant_t q, char *errstr, size_t errlen);
/* Detaches from the pipeline (its hooks cleared); NULL is a no-op. */
void rr_sync_free(rr_sync_t *sy);

/* The weight every delta is merged with, the own one included: dense (the MLPs, which every
 * instance moves at every step) and rows (item rows and hashed rows, each moved by the few
 * instances whose events touch it). */
typedef struct rr_sync_merge_s {
    float dense, rows;
} rr_sync_merge_t;
/* sync.merge for N instances: "sum" {1, 1}, "mean" {1/N, 1/N}, "dense_mean" {1/N, 1}. 0 and
 * *m set, or -1 if the name is unknown. */
int rr_sync_merge_rule(const char *name, int instances, rr_sync_merge_t *m);

/* Encodes what the pipeline learned since the last publication; *buf (owned by sy, valid until
 * the next call) gets the delta, *len its size, 0 when nothing changed. The own weight delta is
 * kept locally scaled by m, as peers will apply it. RR_ERR_NOMEM. */
rr_err_t rr_sync_publish(rr_sync_t *sy, const rr_sync_merge_t *m, const uint8_t **buf, size_t *len);
/* Merges a peer's delta, its weight deltas scaled by m. RR_ERR_DECODE for a malformed or
 * mismatched delta (different model shapes): it is checked whole first, so nothing of it is
 * applied then. */
rr_err_t rr_sync_apply(rr_sync_t *sy, const uint8_t *buf, size_t len, const rr_sync_merge_t *m);

/* The partition librdkafka's default partitioner (consistent_random) gives a non-empty key:
 * CRC-32 of the key modulo the partition count. `rtrec replay` keys events by user id. */
static inline int rr_sync_partition_of(const char *key, size_t len, int partitions)
{
    return (int)(rr_sync_crc32(key, len) % (uint32_t)partitions);
}
const rr_sync_stats_t *rr_sync_stats(const rr_sync_t *sy);
/* While muted, the pipeline's item-side events are not captured: the engine applies input some
 * earlier delta already carried (a restart's replay) without publishing it again. */
void rr_sync_mute(rr_sync_t *sy, int muted);
/* Takes the current weights as the base: what was learned since the last publication is
 * dropped from the next delta (the replayed input's learning, which the peers already have).
 * The fixed-point base starts again from these weights (as at rr_sync_new: the next merge
 * snaps to it). Captured item-side events stay. */
void rr_sync_rebase(rr_sync_t *sy);
/* The shared base's state that the weights alone do not give back, for a checkpoint: whether a
 * peer's delta was merged (synced), the fixed-point base as its difference from
 * rr_sync_fix_of(W) (per weight region, and per item row whose base was taken, with its
 * optimiser state), and the ranker statistics' integer sums. *buf is malloc'd (the caller frees
 * it; the engine calls this in its forked checkpoint writer), *len its size. Only reads sy and
 * its pipeline. RR_ERR_NOMEM. */
rr_err_t rr_sync_export(const rr_sync_t *sy, uint8_t **buf, size_t *len);
/* Right after rr_sync_new on a pipeline restored from the checkpoint the export came with (same
 * weights, same item ids): the base becomes the exporter's, bit for bit. The float base is the
 * restored weights (as rr_sync_new took them: nothing is pending), so what the exporter had not
 * published is not published again from here. RR_ERR_DECODE when malformed or of another
 * model's shape (checked whole first: nothing changes then). */
rr_err_t rr_sync_import(rr_sync_t *sy, const uint8_t *buf, size_t len);
/* A fingerprint of the shared state, comparable between synced instances: the catalog and
 * interaction counts (items) and the co-occurrence counts (cooc) hashed item key by item key
 * (FNV-1a over the keys in byte order); the model exactly (model: FNV-1a over every weight's
 * bits, the six regions in order, the ranker's feature statistics and step count, then each
 * item's row and row state in item-key order, since
 * ids are local); and Σ|w|, Σw² of the weight regions (MLP,
 * hashed rows, ranker, then the optimiser state of the ranker, the MLP and the hashed rows).
 * Instances that published and merged the same deltas, with nothing learned since, hold the
 * same model (rr_sync_fixed.c). Sorts the catalog: for a diagnostic request, not the hot
 * path. RR_ERR_NOMEM. */
typedef struct rr_sync_digest_s {
    uint64_t items, cooc, model;
    size_t nitems;
    uint64_t interactions, cooc_total;
    double weights[6][2]; /* per region of rr_sync_internal.h */
} rr_sync_digest_t;
rr_err_t rr_sync_digest(rr_sync_t *sy, rr_sync_digest_t *d);
/* "f32", "f16", "int8" (the sync.quant values) -> q; -1 if unknown. */
int rr_sync_quant_parse(const char *name);

#endif
