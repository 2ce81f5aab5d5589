/* rr_pipeline_ckpt_text.h — item text and search intent (rr_textidx.h) in and out of a
 * checkpoint, in sections of their own so the users' sections keep their layout: TEXT/0 in a
 * full checkpoint (items' token ids, the token index, users' terms by dense id) and UTXT/<sub>
 * in a partition snapshot (the partition's users' terms by user key). Both are optional on
 * load: a checkpoint written before them restores with no text. Not API. */
#ifndef RR_PIPELINE_CKPT_TEXT_H
#define RR_PIPELINE_CKPT_TEXT_H

#include "rr_pipeline_ckpt_codec.h"

#define RR_PCKPT_TEXT RR_CKPT_TAG('T', 'E', 'X', 'T')
#define RR_PCKPT_UTXT RR_CKPT_TAG('U', 'T', 'X', 'T')

/* TEXT/0. Load after the users (the users' ids must be restored). */
void rr_pckpt_save_text(const rr_pipeline_t *pl, rr_pckpt_enc_t *e);
rr_err_t rr_pckpt_load_text(const rr_pckpt_dec_t *d);

/* UTXT/sub: the terms of the users of partition sub - 1 that have any. Load after the
 * partition's users were claimed: entries find their user by key. */
void rr_pckpt_save_part_text(const rr_pipeline_t *pl, rr_pckpt_enc_t *e, uint32_t sub);
rr_err_t rr_pckpt_load_part_text(const rr_pckpt_dec_t *d, uint32_t sub);

#endif
