/* rr_learner_internal.h — helpers shared by rr_learner.c and rr_learner_train.c; not API. */
#ifndef RR_LEARNER_INTERNAL_H
#define RR_LEARNER_INTERNAL_H

#include "rr_learner.h"

/* The user vector u (dim floats): the mean row of the user's recent items (0 if none), whose
 * ids go to items (RR_LEARNER_USER_ITEMS); returns their count. */
int rr_learner_user_vec(rr_learner_t *lr, const rr_store_t *st, uint32_t uid, float *u,
                        uint32_t *items);
/* Hashed category and brand rows of an item. */
void rr_learner_item_rows(rr_learner_t *lr, const rr_store_t *st, uint32_t iid, uint32_t *cat_row,
                          uint32_t *brand_row);
/* Writes the MLP input row x (in_dim floats) of (uid, iid); u: the user vector, ufeat: the
 * user features. */
void rr_learner_build_row(rr_learner_t *lr, const rr_store_t *st, const rr_portrait_table_t *pt,
                          uint32_t uid, const float *u, const float *ufeat, uint32_t iid, float *x);

#endif
