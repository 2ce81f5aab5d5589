/* rr_pipeline_ckpt_demo.h — demographics in and out of checkpoints. DEMO/0 in a full checkpoint:
 * the names vocabulary, each user's occupation id (age, gender and region ids ride in USRS) and
 * the segment popularity counts (rr_segpop.h). DEMO/<partition + 1> in a partition snapshot:
 * occupation and region as text, since the reader's vocabulary numbers them its own way. Not
 * API. */
#ifndef RR_PIPELINE_CKPT_DEMO_H
#define RR_PIPELINE_CKPT_DEMO_H

#include "rr_pipeline_ckpt_codec.h"

#define RR_PCKPT_DEMO RR_CKPT_TAG('D', 'E', 'M', 'O')

/* DEMO/0, after the users' sections. */
rr_err_t rr_pckpt_save_demo(const rr_pipeline_t *pl, rr_pckpt_enc_t *e);
/* After the users are loaded. A checkpoint without DEMO/0 (written before it existed, when no
 * user had names) loads as no names. */
rr_err_t rr_pckpt_load_demo(const rr_pckpt_dec_t *d);

/* DEMO/<sub>: the partition's users that have an occupation or a region, by user key. */
rr_err_t rr_pckpt_save_part_demo(const rr_pipeline_t *pl, rr_pckpt_enc_t *e, uint32_t sub);
/* Sets the names of the snapshot's users (already claimed); absent DEMO/<sub> sets none. */
rr_err_t rr_pckpt_load_part_demo(const rr_pckpt_dec_t *d, uint32_t sub);

#endif
