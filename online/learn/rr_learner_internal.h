/* rr_learner_internal.h — helpers shared by rr_learner.c and rr_learner_train.c; not API. */
#ifndef RR_LEARNER_INTERNAL_H
#define RR_LEARNER_INTERNAL_H

#include "rr_learner.h"

/* The user's part of every input row, built once per user: the user vector u (the mean row of
 * the recent items, whose ids are in items), the user features, the demographic rows and tu,
 * the mean text vector of the recent items, and ts, the user's search intent (the decayed terms'
 * token rows, weighted by the terms' weights). tu and ts are inputs only: no gradient flows into
 * the recent items' token rows through it (they learn as items), which keeps a step's token updates
 * to the rows' own items. */
typedef struct rr_learner_user_s {
    float u[RR_LEARNER_MAX_DIM];
    float ufeat[RR_PORTRAIT_NUSER];
    float tu[RR_LEARNER_MAX_TEXT_DIM];
    float ts[RR_LEARNER_MAX_TEXT_DIM]; /* the search intent: its active terms' rows, weighted */
    uint32_t demo[RR_LEARNER_DEMO_KINDS];
    uint32_t items[RR_LEARNER_USER_ITEMS];
    int nitems;
} rr_learner_user_t;
/* The user vector u (dim floats): the mean row of the user's recent items (0 if none), whose
 * ids go to items (RR_LEARNER_USER_ITEMS); returns their count. */
int rr_learner_user_vec(rr_learner_t *lr, const rr_store_t *st, uint32_t uid, float *u,
                        uint32_t *items);
/* Fills uc for user uid at now_ms; pt may be NULL (features 0, demographics unknown). */
void rr_learner_user_ctx(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                         uint32_t uid, int64_t now_ms, rr_learner_user_t *uc);
/* Hashed category and brand rows of an item. */
void rr_learner_item_rows(rr_learner_t *lr, const rr_store_t *st, uint32_t iid, uint32_t *cat_row,
                          uint32_t *brand_row);
/* The item's token rows in the text table (RR_TEXT_ITEM_TOKENS at most); returns the count. */
int rr_learner_token_rows(const rr_learner_t *lr, uint32_t iid, uint32_t *rows);
/* Column offsets in x of the demographic and text parts. */
int rr_learner_demo_col(const rr_learner_t *lr);
int rr_learner_text_col(const rr_learner_t *lr);
/* Writes the MLP input row x (in_dim floats) of (uid, iid) from the user's context uc. */
void rr_learner_build_row(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                          uint32_t uid, const rr_learner_user_t *uc, uint32_t iid, float *x);
/* Scoring one user's items (rr_learner_fold.c): the user's part of the MLP's first layer folded
 * once into a bias and the weights of the item's own columns, so a row is only those columns. */
int rr_learner_fold_cols(const rr_learner_t *lr);      /* width of an item's own row */
size_t rr_learner_fold_floats(const rr_learner_t *lr); /* of a fold: weights, then the bias */
void rr_learner_fold_user(const rr_learner_t *lr, const rr_learner_user_t *uc, float *fold);
/* The item's own row [v ; cat ; brand ; t ; pair features] (rr_learner_fold_cols floats). */
void rr_learner_fold_item(const rr_learner_t *lr, const rr_store_t *st,
                          const rr_portrait_table_t *pt, uint32_t uid, uint32_t iid, const float *v,
                          uint32_t crow, uint32_t brow, float *xi);

#endif
