/* rr_pipeline_ckpt.h — the whole rr_pipeline_t into and out of a checkpoint (rr_ckpt.h), so that a
 * restored pipeline fed the remaining events ends bit-identical to one that never stopped.
 * Per-user state goes to USRS/<partition + 1> (0: unknown), everything shared to sub 0. */
#ifndef RR_PIPELINE_CKPT_H
#define RR_PIPELINE_CKPT_H

#include <stddef.h>
#include "rr_ckpt.h"
#include "rr_pipeline.h"

/* Writes every section of pl (META, UIDX, USRS/<p>, ITEM, COOC, TRND, DDUP, RNG, and MODL and
 * OPTS when the model is on) into the open checkpoint w; the caller begins and commits it and
 * adds its own sections (OFFS). On failure the caller aborts w. */
rr_err_t rr_pipeline_save(const rr_pipeline_t *pl, rr_ckpt_writer_t *w);

/* Restores pl, freshly rr_pipeline_init'ed with a compatible configuration (same caps, list
 * length, recent window, model on/off and shape, dedupe window, cooc and trending parameters),
 * from r. On failure errstr says why (an incompatible config is RR_E(CONFIG), bad content
 * RR_E(DECODE)) and pl is in an unspecified state: free it. */
rr_err_t rr_pipeline_load(rr_pipeline_t *pl, const rr_ckpt_reader_t *r, char *errstr,
                          size_t errlen);

#endif
