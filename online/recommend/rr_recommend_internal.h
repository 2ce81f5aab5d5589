/* rr_recommend_internal.h — the blended recommender's pieces that the learned ranker
 * (rr_rank.c) reuses: the candidate scratch and the sources that fill it. Folder-private. */
#ifndef RR_RECOMMEND_INTERNAL_H
#define RR_RECOMMEND_INTERNAL_H

#include "rr_recommend.h"

#define RR_REC_MAX_RECENT 64

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
/* Blended score of one candidate with the reason of its strongest source. */
rr_list_entry_t rr_rec_blend(const rr_recommender_t *rec, const rr_store_t *st,
                             const rr_trending_t *tr, uint32_t item, float co_max, float tr_max);
void rr_rank_free(rr_recommender_t *rec);
/* rr_rank_enable on rec with base's sources and callbacks, opaque instead of base's. */
rr_err_t rr_rank_fork(const rr_recommender_t *base, rr_recommender_t *rec, void *opaque);

#endif
