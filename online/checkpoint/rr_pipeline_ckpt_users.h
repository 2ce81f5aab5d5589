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

/* USRS/<sub> and LIST/<sub> alone (written even with no users): a partition snapshot's users. */
rr_err_t rr_pckpt_save_part_users(const rr_pipeline_t *pl, rr_pckpt_enc_t *e, uint32_t sub);
/* An entry's body after its key and id, into the claimed slot uid (USRS; LIST after its uid):
 * ids inside are the writer's, checked against the caps; errors latch in c->err. */
void rr_pckpt_read_user_body(rr_pipeline_t *pl, uint32_t uid, uint32_t sub, rr_ckpt_cursor_t *c);
void rr_pckpt_read_list_body(rr_store_t *st, uint32_t uid, rr_ckpt_cursor_t *c);

/* LIST/<sub>: the lists and clock stamps of a partition's users (see rr_pipeline_ckpt_users.c). */
#define RR_CKPT_LIST RR_CKPT_TAG('L', 'I', 'S', 'T')

#endif
