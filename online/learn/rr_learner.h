/* rr_learner.h — the online ranking model: item embeddings, hashed category/brand embeddings,
 * hashed demographic rows and hashed text-token rows, and an MLP over
 * x = [u ; v ; u⊙v ; cat ; brand ; demo ; t ; tu ; tu⊙t ; ts ; ts⊙t ; user features ; pairs],
 * where the user vector u is the mean of the rows of the user's recent items (nothing is learned
 * or held per user), demo the rows of the user's age band, gender, occupation and region, t the
 * item's text vector (the mean row of its title/tag/category tokens, rr_textidx.h), tu the mean
 * text vector of the user's recent items and ts the user's search intent (the active search
 * terms' token rows, weighted); trained test-then-train on every event with sampled negatives, in
 * mini-batches; scores candidates and retrieves by dot product. Caller-allocated; init allocates
 * everything (parameters in one block, optimiser state in another, scratch), so
 * train/score/retrieve never allocate. Training is single-threaded; scoring only reads
 * (rr_learner_scratch_t). Deterministic: same seed and event order give bit-identical parameters.
 */
#ifndef RR_LEARNER_H
#define RR_LEARNER_H

#include <stddef.h>
#include <stdint.h>
#include "rr_embed.h"
#include "rr_mlp.h"
#include "rr_optim.h"
#include "rr_portrait.h"
#include "rr_rng.h"
#include "rr_store.h"
#include "rr_textidx.h"
#include "rr_topn.h"

#define RR_LEARNER_MAX_NEG        16
#define RR_LEARNER_RETRIEVE_BATCH 64 /* users per batched retrieval (one pass over the items) */
#define RR_LEARNER_MAX_EVENTS     256
#define RR_LEARNER_NAME_CACHE     4096 /* category / brand ids whose hashed row is cached */
#define RR_LEARNER_MAX_DIM        1024
#define RR_LEARNER_USER_ITEMS     64 /* recent items averaged into a user vector (recs.recent) */
#define RR_LEARNER_DEMO_KINDS     4  /* age band, gender, occupation, region: one row each */
#define RR_LEARNER_MAX_TEXT_DIM   64

typedef struct rr_learner_config_s {
    int dim;                       /* user/item embedding width (32) */
    uint32_t cat_rows, brand_rows; /* hashed tables (4096 each) */
    int cat_dim, brand_dim;        /* (8 each) */
    uint32_t demo_rows;            /* hashed (kind, value) rows of the demographics (256) */
    int demo_dim;                  /* width of each kind's row; 0 = no demographic input (4) */
    uint32_t text_rows;            /* hashed token rows (16384) */
    int text_dim;                  /* width of a token row; 0 = no text input (8) */
    int nhidden;                   /* MLP hidden layers (2) */
    int hidden[RR_MLP_MAX_HIDDEN]; /* widths (64, 32) */
    int negatives;                 /* per positive, 0..RR_LEARNER_MAX_NEG (4) */
    int batch_events;              /* events per SGD step, 1..RR_LEARNER_MAX_EVENTS (32) */
    int score_batch;               /* candidates per forward in rr_learner_score, at most (64) */
    rr_optim_kind_t optim;         /* (Adagrad) */
    float lr_mlp, lr_embed;        /* (0.05, 0.05) */
    float l2;                      /* coupled L2 on the rows/params updated (0) */
    float clip;                    /* max gradient L2 norm per step, 0 = off (5) */
    float embed_scale;             /* init std of embedding rows (0.1) */
    float weight[RR_EV__COUNT];    /* positive weight by event type; 0 = do not train */
    uint32_t sampler_size;         /* unigram table entries (1 << 20) */
    uint32_t sampler_every;        /* train steps between table rebuilds (10000) */
    uint64_t seed;                 /* (1) */
} rr_learner_config_t;

/* Events staged for the next SGD step: their MLP input rows are built when each event arrives
 * (features see only the past), and one forward/backward over all rows trains them together.
 * Rows of event e are first[e] .. first[e + 1]; row 0 of each event is its positive. */
typedef struct rr_learner_stage_s {
    int nevents, nrows, max_events, max_rows;
    uint32_t *uid;            /* [max_events] */
    uint32_t *uitems;         /* [max_events × RR_LEARNER_USER_ITEMS] items averaged into u */
    int *nuitems;             /* [max_events] */
    int *first;               /* [max_events + 1] */
    uint32_t *item;           /* [max_rows] item of each row */
    uint32_t *cat, *brand;    /* [max_rows] hashed rows of the item's category and brand */
    uint32_t *demo;           /* [max_rows × RR_LEARNER_DEMO_KINDS] the user's demographic rows */
    uint32_t *tok;            /* [max_rows × RR_TEXT_ITEM_TOKENS] the item's token rows */
    uint8_t *ntok;            /* [max_rows] how many */
    float *x;                 /* [max_rows × in_dim] */
    float *labels, *weights;  /* [max_rows]; weights sum to 1 within an event */
    float *prob;              /* [max_rows] probabilities before the step (after a flush) */
    float *dx, *ws, *gv, *du; /* scratch: dLoss/dx, MLP workspace, item and user gradients */
    uint32_t *gitem;          /* [max_grads] the item row of each gv gradient */
    float *tmp;               /* [max_grads × widest table] rr_embed_update scratch */
    uint32_t *rows_tmp;       /* [max_grads] */
    int max_grads;            /* max_rows + max_events × RR_LEARNER_USER_ITEMS */
    float *gt;                /* [max_rows × RR_TEXT_ITEM_TOKENS × text_dim] token gradients */
    uint32_t *gtok;           /* [max_rows × RR_TEXT_ITEM_TOKENS] the token row of each */
} rr_learner_stage_t;

typedef struct rr_learner_s {
    rr_learner_config_t cfg;
    size_t users_max, items_max;
    /* 3·dim + cat_dim + brand_dim + 4·demo_dim + 3·text_dim + RR_PORTRAIT_NUSER
     * + RR_PORTRAIT_NPAIR */
    int in_dim;
    rr_mlp_t mlp;
    /* [items_max|cat_rows|brand_rows|demo_rows|text_rows] × their dims */
    rr_embed_t items, cats, brands, demo, text;
    rr_optim_t opt_mlp, opt_embed;
    /* One block each, in this order: mlp, items, then the hashed tables cats, brands, demo,
     * text (everything after the item rows is hashed rows). */
    float *params;
    size_t nparams;
    float *state; /* optimiser state, same order; zeroed at init */
    size_t nstate;
    float *st_mlp, *st_items, *st_cats, *st_brands, *st_demo, *st_text;
    /* Item tokens (rr_learner_set_text; NULL: every item's text vector is 0). */
    const rr_text_table_t *tt;
    /* Item keys (rr_learner_set_item_keys; NULL: rows are seeded by local id). */
    const rr_intern_t *item_keys;
    uint64_t *item_ready; /* bit set: the row has been initialised */
    uint32_t *sampler;    /* [sampler_size] item ids ∝ interactions^0.75 */
    uint32_t nsampler;    /* filled entries; 0 = sample uniformly */
    uint32_t *name_rows; /* [2][RR_LEARNER_NAME_CACHE] (id + 1, hashed row) of categories, brands */
    uint64_t steps;      /* events trained (staged) */
    uint64_t flushes;    /* SGD steps taken */
    uint64_t rows_trained; /* MLP rows through forward + backward (rr_mlp_flops_per_row) */
    rr_learner_stage_t stage;
    rr_rng_t rng; /* negative sampling */
    /* The last event staged: batch[0] the positive, then the negatives. */
    uint32_t batch[1 + RR_LEARNER_MAX_NEG];
    int nbatch;
    /* Scratch, sized at init. */
    int batch_max;
    float *grads, *ws, *x, *prob, *labels, *weights, *topn; /* scoring (and grads) */
    float *fold;   /* a user's folded first layer, for scoring */
    float *ubatch; /* [RR_LEARNER_RETRIEVE_BATCH × dim] user rows of a batched retrieval */
    size_t topn_floats;
} rr_learner_t;

/* Scoring scratch: everything rr_learner_score*, _dot and _retrieve* write besides their outputs
 * (MLP rows and workspace, retrieval blocks, the cache of hashed category/brand rows). Scoring
 * only reads the learner (an item row not yet initialised is computed, not stored), so threads
 * may score at once, each with its own scratch, while nothing trains. The functions without
 * _with use the learner's own. */
typedef struct rr_learner_scratch_s {
    float *x, *ws, *prob; /* [score_batch × in_dim], MLP workspace, [score_batch] */
    float *fold;          /* a user's folded first layer (rr_learner_fold.c) */
    float *topn, *ubatch; /* retrieval blocks, [RR_LEARNER_RETRIEVE_BATCH × dim] */
    size_t topn_floats;
    uint32_t *name_rows;  /* [2][RR_LEARNER_NAME_CACHE] (id + 1, hashed row) */
    uint64_t rows_scored; /* MLP rows through a forward with this scratch */
    int owned;            /* allocated by rr_learner_scratch_init */
} rr_learner_scratch_t;

/* The defaults above. */
rr_learner_config_t rr_learner_config_default(void);

/* Allocates parameters (MLP and hashed tables initialised from cfg->seed; user and item rows
 * lazily, from (seed, id) alone, so their values do not depend on event order), optimiser
 * state and scratch. RR_ERR_CONFIG (message in errstr) or RR_ERR_NOMEM. */
rr_err_t rr_learner_init(rr_learner_t *lr, const rr_learner_config_t *cfg, size_t users_max,
                         size_t items_max, char *errstr, size_t errlen);
void rr_learner_free(rr_learner_t *lr);

/* Where item tokens come from (the pipeline's text table, which outlives the learner's use of
 * it); NULL = none. An item's text vector is read from it whenever a row is built. */
void rr_learner_set_text(rr_learner_t *lr, const rr_text_table_t *tt);
/* Seeds each item's initial row by its key rather than its local id, so that instances which
 * intern items in different orders start an item from the same row (synced deltas then move
 * the same vector everywhere). in must outlive the learner. */
void rr_learner_set_item_keys(rr_learner_t *lr, const rr_intern_t *in);

/* The text vector of item iid (text_dim floats): the mean of its tokens' rows, 0 for an item
 * without tokens. Returns the token count. */
int rr_learner_text_vec(const rr_learner_t *lr, uint32_t iid, float *out);

/* Cosine of item iid's text vector with the mean text vector of user uid's recent items, for
 * each of items[0..n) (0 when either has no text). */
void rr_learner_text_cos(const rr_learner_t *lr, const rr_store_t *st, uint32_t uid,
                         const uint32_t *items, size_t n, float *out);

/* Stages one event of user uid on item pos at event time ts_ms for the next SGD step: picks
 * its negatives and builds its input rows now. Call it before rr_portrait_update and
 * rr_store_touch for the same event, so features see only the past. Negatives: impressions
 * (shown, not clicked) first, then items sampled ∝ interactions^0.75, never the positive, the
 * user's recent items or a duplicate. pt may be NULL (features 0). Returns the event's index in
 * the stage, or -1 if it is not trained (type weight 0, ids out of range, or the stage is full:
 * flush first when rr_learner_stage_full). */
int rr_learner_stage(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                     uint32_t uid, uint32_t pos, rr_event_type_t type, int64_t ts_ms,
                     const uint32_t *impressions, size_t nimpressions);
static inline int rr_learner_stage_full(const rr_learner_t *lr)
{
    return lr->stage.nevents >= lr->stage.max_events;
}

/* One SGD step on every staged event: a forward pass (stage.prob gets each row's probability
 * before the step: test-then-train), one backward pass over all rows, the MLP step on the mean of
 * the events' gradients, and each embedding row moved by the sum of its events' gradients (as if
 * they had been applied one by one from the same parameters). Each event's loss is its weighted
 * mean BCE. Returns the mean over events, or -1 if nothing was staged. Empties the stage;
 * stage.prob stays valid until the next rr_learner_stage. Does not allocate. */
float rr_learner_flush(rr_learner_t *lr);

/* A forgotten user's staged events stay in the stage (their rows hold no reference to the
 * user) but no longer name the user: their stage.uid becomes RR_INTERN_NONE. */
void rr_learner_forget_user(rr_learner_t *lr, uint32_t uid);

/* Stage and flush at once: one event, one step (what batch_events = 1 does). *out_pos_prob
 * (unless NULL) gets the positive's probability before the step. Returns the event's loss, or
 * -1 if no step was taken. */
float rr_learner_train(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                       uint32_t uid, uint32_t pos, rr_event_type_t type, int64_t ts_ms,
                       const uint32_t *impressions, size_t nimpressions, float *out_pos_prob);

/* A scratch for another scoring thread, sized for lr. RR_ERR_NOMEM. */
rr_err_t rr_learner_scratch_init(const rr_learner_t *lr, rr_learner_scratch_t *sc);
void rr_learner_scratch_free(rr_learner_scratch_t *sc);

/* The item's embedding row (dim floats), initialised on first use (see rr_learner_init): for
 * code that moves rows from outside, such as a synced peer's deltas. */
float *rr_learner_item_row(rr_learner_t *lr, uint32_t iid);
/* The same values without storing them: the row, or (not yet initialised) tmp (dim floats)
 * filled with what rr_learner_item_row would store. Reads only. */
const float *rr_learner_item_row_peek(const rr_learner_t *lr, uint32_t iid, float *tmp);

/* MLP probabilities of user uid for items[0..n) at time now_ms (0 for ids out of range).
 * Rows not yet initialised are scored with the values they will get (see rr_learner_init). */
void rr_learner_score(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                      uint32_t uid, int64_t now_ms, const uint32_t *items, size_t n,
                      float *out_probs);
/* The same for nusers users at once: items[first[u] .. first[u + 1]) are uids[u]'s, and their
 * probabilities go to the same places of out_probs. Each user's part of the first layer is
 * computed once (rr_learner_fold.c), then its items in forwards of up to score_batch rows; a
 * row's result depends on that row alone, so each probability is bit-identical to the one
 * rr_learner_score gives, whatever else shares its forward. */
void rr_learner_score_batch(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                            int64_t now_ms, const uint32_t *uids, size_t nusers,
                            const uint32_t *items, const size_t *first, float *out_probs);

/* Floating-point operations of one scored row: a forward without the user's columns of the
 * first layer (rr_mlp_flops_per_row's count otherwise; the once-per-user fold not counted). */
double rr_learner_score_flops_per_row(const rr_learner_t *lr);

/* u·v of user uid (the mean of its recent items' rows) with each of items[0..n) (0 for ids out
 * of range). */
void rr_learner_dot(rr_learner_t *lr, const rr_store_t *st, uint32_t uid, const uint32_t *items,
                    size_t n, float *out);

/* Best K items by u·v over ids < the store's item bound (items never trained score 0),
 * excluding what filter says (may be NULL). Writes out_ids/out_scores[0..K), returns count. */
int rr_learner_retrieve(rr_learner_t *lr, const rr_store_t *st, uint32_t uid, int K,
                        const rr_topn_filter_t *filter, uint32_t *out_ids, float *out_scores);

/* The same for U <= RR_LEARNER_RETRIEVE_BATCH users at once (one pass of rr_topn_batch over the
 * items, where one user needs a sgemv): out_idx/out_score are U×K, out_count[u] the count
 * found; the filter's skip callback sees the user's index in uids. Returns U, or 0 on bad
 * arguments. */
int rr_learner_retrieve_batch(rr_learner_t *lr, const rr_store_t *st, const uint32_t *uids, int U,
                              int K, const rr_topn_filter_t *filter, uint32_t *out_idx,
                              float *out_score, int *out_count);

/* The same four with the caller's scratch (any thread; see rr_learner_scratch_t). */
void rr_learner_score_batch_with(const rr_learner_t *lr, rr_learner_scratch_t *sc,
                                 const rr_store_t *st, const rr_portrait_table_t *pt,
                                 int64_t now_ms, const uint32_t *uids, size_t nusers,
                                 const uint32_t *items, const size_t *first, float *out_probs);
void rr_learner_dot_with(const rr_learner_t *lr, const rr_store_t *st, uint32_t uid,
                         const uint32_t *items, size_t n, float *out);
int rr_learner_retrieve_with(const rr_learner_t *lr, rr_learner_scratch_t *sc, const rr_store_t *st,
                             uint32_t uid, int K, const rr_topn_filter_t *filter, uint32_t *out_ids,
                             float *out_scores);
int rr_learner_retrieve_batch_with(const rr_learner_t *lr, rr_learner_scratch_t *sc,
                                   const rr_store_t *st, const uint32_t *uids, int U, int K,
                                   const rr_topn_filter_t *filter, uint32_t *out_idx,
                                   float *out_score, int *out_count);

#endif
