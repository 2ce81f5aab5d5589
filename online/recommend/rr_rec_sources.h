/* rr_rec_sources.h — what the blended recommender (rr_recommend.h) and the learned ranker
 * (rr_rank.h) share: the recommender's parameters and scratch, the candidate sources that fill
 * the scratch, the exclusion rule and the blended score. Folder-private, below both. */
#ifndef RR_REC_SOURCES_H
#define RR_REC_SOURCES_H

#include "rr_cattop.h"
#include "rr_cooc.h"
#include "rr_store.h"
#include "rr_trending.h"

typedef struct rr_rec_params_s {
    uint32_t n;            /* list length */
    uint32_t category_cap; /* 0 = none */
    float recency_decay;   /* weight ratio of each older recent item (1 = all equal) */
    float w_category;      /* weight of the category source */
    float w_trending;      /* weight of the trending prior */
    float w_model;         /* weight of the re-ranker's probability */
    float w_retrieve;      /* weight of embedding retrieval (u·v / max u·v) */
    uint32_t retrieve_k;   /* candidates from embedding retrieval; 0 = off */
} rr_rec_params_t;

/* Retrieval: the best k items of user uid by learned embedding dot product (excluded items
 * already skipped); returns the count. */
typedef size_t (*rr_retrieve_fn)(void *opaque, uint32_t uid, size_t k, uint32_t *ids,
                                 float *scores);
/* Re-ranker: probabilities for items[0..n) of user uid (the learned MLP). */
typedef void (*rr_rerank_fn)(void *opaque, uint32_t uid, const uint32_t *items, size_t n,
                             float *probs);
/* The same for nusers users at once: items[first[u] .. first[u + 1]) are uids[u]'s. */
typedef void (*rr_rerank_batch_fn)(void *opaque, const uint32_t *uids, size_t nusers,
                                   const uint32_t *items, const size_t *first, float *probs);

#define RR_RECOMMEND_POOL_MAX 400 /* candidates re-ranked per user: 4n, at most this */
#define RR_RECOMMEND_BATCH    64  /* users whose candidates rr_recommend_batch re-ranks at once */

typedef struct rr_recommender_s {
    float *co;         /* [items_max] recency-weighted co-occurrence, zero between calls */
    float *cat;        /* [items_max] category affinity × popularity share */
    float *emb;        /* [items_max] retrieval score / best retrieval score */
    uint8_t *mark;     /* [items_max] 1 = in touched[] */
    uint32_t *touched; /* [items_max + 1] candidate ids */
    size_t ntouched;
    size_t items_max;
    rr_rec_params_t p;
    rr_rerank_fn rerank;     /* NULL = no re-ranking */
    rr_retrieve_fn retrieve; /* NULL = no embedding retrieval */
    void *model_opaque;      /* passed to both */
    /* rr_recommend_batch: [RR_RECOMMEND_BATCH × 4n] pooled candidates, their ids, their probs */
    rr_list_entry_t *pools;
    uint32_t *pool_items;
    float *pool_probs;
    struct rr_rank_s *rank; /* the learned ranker's scratch and callbacks (rr_rank.h); NULL = off */
} rr_recommender_t;

#define RR_REC_MAX_RECENT 64 /* recent items a source reads at most */

/* Adds item to the touched set (once). */

void rr_rec_touch(rr_recommender_t *rec, uint32_t item);
/* Zeroes the scratch of every touched item and empties the touched set. */
void rr_rec_reset(rr_recommender_t *rec);
/* Newest recent item weighs 1, each older one recency_decay times the next. */
void rr_rec_recency_weights(const rr_recommender_t *rec, size_t nrecent, float *w);
void rr_rec_add_category(rr_recommender_t *rec, const rr_store_t *st, const rr_trending_t *tr,
                         const rr_cattop_t *ct, const uint32_t *recent, const float *w,
                         size_t nrecent);
void rr_rec_add_retrieved(rr_recommender_t *rec, uint32_t uid);
/* Unavailable, bought, recent or seen by the user: never listed. */
int rr_rec_excluded(const rr_store_t *st, uint32_t uid, uint32_t item);
/* Inserts into a list kept sorted by score (ties: lower id first); drops the tail at cap. */
size_t rr_rec_list_insert(rr_list_entry_t *list, size_t n, size_t cap, rr_list_entry_t e);
/* The lists' order: does (score, item) go before entry e? Higher score first; ties: the lower id
 * first. */
static inline int rr_rec_before(float score, uint32_t item, const rr_list_entry_t *e)
{
    return e->score < score || (e->score == score && e->item > item);
}
/* The four sources' parts (co-occurrence, category, trending, retrieval) in *c, *g, *t, *r;
 * returns their sum, the blended score. */
float rr_rec_blend_parts(const rr_recommender_t *rec, const rr_trending_t *tr, uint32_t item,
                         float co_max, float tr_max, float *c, float *g, float *t, float *r);
/* Blended score of one candidate with the reason of its strongest source. */
rr_list_entry_t rr_rec_blend(const rr_recommender_t *rec, const rr_store_t *st,
                             const rr_trending_t *tr, uint32_t item, float co_max, float tr_max);

#endif
