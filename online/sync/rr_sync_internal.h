/* rr_sync_internal.h — the capture state shared by rr_sync.c (publish) and rr_sync_apply.c;
 * not API. The delta's layout, every integer a varint unless said:
 *   "RRS" 2 | u8 quant | item dim, MLP floats, hashed floats, ranker floats, MLP state floats,
 *            hashed state floats, row state floats (shape check)
 *   strings: n, then n × (len, bytes)          item keys, category and brand names
 *   catalog: n × (item key, category + 1, brand + 1, f32 price)   0 = none / unknown
 *   hits:    n × (item key, u8 type, zig-zag ts − previous ts, 3 segments, nrecent, keys)
 *   rows:    n × (item key, vector of dim, vector of row state)   item rows and their
 *            optimiser state, W − base
 *   dense:   for MLP, hashed rows, ranker, then the optimiser state of ranker, MLP, hashed
 *            rows: nruns × (skip, len, vector)
 *   ranker:  nfeat, then per feature the Welford statistics of the rows trained since:
 *            count (0: nothing, no more), f64 mean, f64 m2; then the steps taken since
 * A vector is f32, f16 or int8 (f32 scale first) as the header's quant says.
 * The export of the shared base for a checkpoint (rr_sync_save.c), varints likewise:
 *   "RRF" 1 | u8 synced | item dim, MLP floats, hashed floats, ranker floats, MLP state floats,
 *            hashed state floats, row state floats, item rows (learner items_max) (shape check)
 *   dense:   per region of rr_sync_region: n, nruns × (skip, len, len zig-zag residuals)
 *            where a residual is fix − rr_sync_fix_of(W), runs of zeros skipped
 *   rows:    n × (item id, ascending; dim residuals of the row, row state residuals of its
 *            optimiser state), every row whose base was taken
 *   ranker:  nfeat, then per feature zig-zag count, s1 and s2 (16 bytes each, little-endian) */
#ifndef RR_SYNC_INTERNAL_H
#define RR_SYNC_INTERNAL_H
#include "rr_sync.h"

#define RR_SYNC_MAGIC         "RRS\2"
#define RR_SYNC_ROW_STATE_MAX (2 * RR_LEARNER_MAX_DIM + 1) /* Adam's, the widest */
#define RR_SYNC_REGIONS                                                                            \
    6 /* MLP, hashed rows, ranker; the optimiser state of ranker, MLP, hashed rows */

typedef struct rr_sync_hit_s {
    int64_t ts_ms;
    uint32_t iid, seg[RR_SEGPOP_KINDS];
    uint32_t recent_at, nrecent; /* in recent[] */
    uint8_t type;
} rr_sync_hit_t;

/* A string of the delta being written: which table and id it names. */
typedef struct rr_sync_str_s {
    uint8_t kind; /* 0 item, 1 category, 2 brand */
    uint32_t id;
} rr_sync_str_t;

/* A string of the delta being applied: where it is, and its local item once resolved. */
typedef struct rr_sync_rstr_s {
    uint32_t off, len;
    uint32_t iid; /* RR_INTERN_NONE until resolved */
} rr_sync_rstr_t;

/* A feature's shared statistics: the count, and Σx, Σx² in units of 2^-32 (rr_sync_fixed.c). */
typedef struct rr_sync_nfix_s {
    int64_t count;
    __int128 s1, s2;
} rr_sync_nfix_t;

struct rr_sync_s {
    rr_pipeline_t *pl;
    rr_sync_quant_t quant;
    int dim;         /* item row width; 0 when the model is off */
    size_t nmlp;     /* the learner's MLP floats (its params block starts with them) */
    size_t items_at; /* the item rows: params[items_at .. hashed_at), items_max × dim */
    size_t hashed_at, nhashed;
    size_t nranker;
    /* Since the last publication. */
    rr_sync_hit_t *hits;
    size_t nhits, hits_cap;
    uint32_t *recent;
    size_t nrecent, recent_cap;
    uint32_t *touched; /* item rows moved by local training, in first-touch order */
    size_t ntouched;
    uint64_t *touched_bits, *base_ready; /* [items_max / 64 + 1] */
    int trained;
    int muted;             /* rr_sync_mute: hits are not captured */
    uint64_t ranker_steps; /* the ranker's steps at the last publication */
    /* Weights at the last publication or merge: W − base is what this instance learned and
     * has not published. */
    float *base;  /* [learner nparams]; item rows valid where base_ready */
    float *rbase; /* [nranker] */
    float *sbase; /* [nranker] the ranker's optimiser state */
    float *lbase; /* [learner nstate] the learner's optimiser state (MLP and hashed parts) */
    /* The shared base, value · 2^RR_SYNC_FIX_SHIFT, beside each float base: the initial
     * weights plus every delta published or merged (rr_sync_fixed.c). */
    int64_t *fix, *rfix, *sfix, *lfix;
    rr_sync_nfix_t nfix[RR_RANKER_MAX_FEATS]; /* the ranker's feature statistics, likewise */
    int synced; /* a peer's delta was merged: W is snapped to float(fix) from then on */
    size_t nmlp_state, hashed_state_at, nhashed_state;
    size_t row_state, items_state_at;        /* an item row's optimiser floats, where they start */
    rr_welford_t nbase[RR_RANKER_MAX_FEATS]; /* the ranker's feature statistics */
    /* Encoding. */
    rr_sync_writer_t w;
    uint32_t stamp;                      /* publication count: marks below are valid if equal */
    uint32_t *str_stamp[3], *str_idx[3]; /* [items_max] per kind */
    uint32_t *listed;                    /* [items_max] stamp: in the catalog section */
    rr_sync_str_t *strs;
    size_t nstrs, strs_cap;
    float *scratch, *decoded; /* [widest region] */
    /* Decoding: the strings of the delta being applied. */
    rr_sync_rstr_t *rstr;
    size_t rstr_cap;
    rr_sync_stats_t stats;
};

/* The weight regions as (W, base, fixed-point base, floats) of the pipeline; n = 0 when
 * absent. */
void rr_sync_region(rr_sync_t *sy, int region, float **w, float **base, int64_t **fix, size_t *n);
/* A slot to grow arrays by doubling (*cap elements of size each). 0, or -1 when out of memory. */
int rr_sync_grow(void **arr, size_t *cap, size_t need, size_t size);
/* Before an item row moves by a delta or a training step: its base is taken on first sight. */
void rr_sync_row_base(rr_sync_t *sy, uint32_t iid);

/* rr_sync_fixed.c. The fixed-point base, in units of 2^-32: a float of magnitude 2^-9 or more
 * has no finer bits, so float(fix) rounds only smaller weights, by at most 2^-33 (far below a
 * step lr·g); 30 bits above the point bound every weight and Adagrad sum (|v| < 2^30: a float
 * Adagrad sum stops absorbing a clipped step, g² ≤ 25, at 2^29 already). 8 bytes per weight,
 * beside the float base's 4 (item rows' only once synced: their pages are untouched before). */
#define RR_SYNC_FIX_SHIFT 32 /* rr_sync_fix_of scales by 0x1p32 inline */
/* x · 2^32 rounded to the nearest integer (halves away from zero), saturated at ±2^62; NaN 0.
 * The one conversion every delta goes through. */
int64_t rr_sync_fix_of(float x);
/* v · 2^-32 as the nearest float (through double). */
float rr_sync_float_of(int64_t v);
/* base := w, fix := fix_of(w): nothing published, the shared base is the weights. */
void rr_sync_take(float *w, float *base, int64_t *fix, size_t n);
/* Publication of d = W − base, sent as dq (what the peers decode), the own weight s: fix takes
 * s·dq. Once synced W := float(fix) + (d − dq), so in f32 W is the shared base exactly;
 * before, W stays and base takes s·dq (W itself when nothing was lost). */
void rr_sync_settle(rr_sync_t *sy, float *w, float *base, int64_t *fix, const float *d,
                    const float *dq, size_t n, float s);
/* A peer's d with weight: fix takes weight·d; W := float(fix) + what was not published yet
 * (W − base). Call rr_sync_snap_all first. */
void rr_sync_merge_into(rr_sync_t *sy, float *w, float *base, int64_t *fix, const float *d,
                        size_t n, float weight);
/* The ranker's statistics as they are (base and shared sums), at a take or rebase. */
void rr_sync_norm_take(rr_sync_t *sy);
/* A Welford summary d of rows trained on into feature k's shared sums: the own at publication
 * (base already taking it), a peer's at merge (after rr_sync_snap_all). Once synced the
 * statistics become the sums' plus what is not published yet (norm − base). Call
 * rr_ranker_restored after. */
void rr_sync_norm_add(rr_sync_t *sy, int k, const rr_welford_t *d);
/* Every feature := the shared sums' statistics plus the rows trained on since the last
 * publication (norm − nbase), then rr_ranker_restored. */
void rr_sync_norm_snap(rr_sync_t *sy);
/* At the first merge: every region and taken row to float(fix) plus its unpublished part, so
 * what was published before is the shared value too. Sets synced; no-op once set. */
void rr_sync_snap_all(rr_sync_t *sy);

#endif
