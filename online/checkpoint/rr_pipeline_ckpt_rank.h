/* rr_pipeline_ckpt_rank.h — the learned ranker's section (RANK) and the trend codec it shares
 * with TRND. Not API: rr_pipeline_ckpt.c calls it. */
#ifndef RR_PIPELINE_CKPT_RANK_H
#define RR_PIPELINE_CKPT_RANK_H

#include "rr_pipeline_ckpt_codec.h"

/* One trending table: clock, top set and the scores of item ids < bound. */
void rr_pckpt_save_trend(rr_pckpt_enc_t *e, const rr_trending_t *tr, size_t bound);
void rr_pckpt_load_trend(rr_ckpt_cursor_t *c, rr_trending_t *tr);
/* n item ids (< max) into set; n itself was checked against the set's capacity. */
void rr_pckpt_read_ids(rr_ckpt_cursor_t *c, uint32_t *set, uint32_t n, size_t max);

/* RANK: trends at each half-life, item clocks, the ranker's parameters, optimiser state,
 * feature statistics and staged rows, its RNG. Written and read only with recs.ranker=1. */
void rr_pckpt_save_rank(const rr_pipeline_t *pl, rr_pckpt_enc_t *e);
rr_err_t rr_pckpt_load_rank(const rr_pckpt_dec_t *d);

#endif
