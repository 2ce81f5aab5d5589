/* rr_pipeline_ckpt_users.h — per-user state in and out of a checkpoint: UIDX/0 (the users' id
 * bookkeeping), then USRS/<partition + 1> and LIST/<partition + 1> per input partition; not API.
 * Called by rr_pipeline_save and rr_pipeline_load, after every shared section. */
#ifndef RR_PIPELINE_CKPT_USERS_H
#define RR_PIPELINE_CKPT_USERS_H

#include "rr_pipeline_ckpt_codec.h"

/* Appends the users' sections to e's open checkpoint; e->err latches the first failure. */
rr_err_t rr_pckpt_save_users(const rr_pipeline_t *pl, rr_pckpt_enc_t *e);
/* Restores the users; items must be loaded first (records, rings and lists refer to them). */
rr_err_t rr_pckpt_load_users(const rr_pckpt_dec_t *d);

#endif
