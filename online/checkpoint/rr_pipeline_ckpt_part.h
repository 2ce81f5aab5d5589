/* rr_pipeline_ckpt_part.h — one input partition's users as a checkpoint of their own (a partition
 * snapshot), so the instance that takes a partition over can load its users into a running
 * pipeline. The writer's item, category and brand ids mean nothing to the reader: the snapshot
 * carries their keys and the reader renumbers every reference. */
#ifndef RR_PIPELINE_CKPT_PART_H
#define RR_PIPELINE_CKPT_PART_H

#include <stddef.h>
#include <stdint.h>
#include "rr_ckpt.h"
#include "rr_pipeline.h"

/* Writes PHDR/0 (the shape of a user record), PKEY/0 (the keys of the ids users refer to) and
 * the users whose partition is `partition` (USRS/LIST <partition + 1>) into the open w; the
 * caller begins and commits w and adds what else it needs (the offsets it covers). */
rr_err_t rr_pipeline_save_part(const rr_pipeline_t *pl, int32_t partition, rr_ckpt_writer_t *w);

/* Adds the users of a partition snapshot to pl under fresh user ids, items, categories and
 * brands found by key (unknown keys are added, without attributes). A user already held is
 * replaced. *nusers gets how many were restored. On failure (RR_E(CONFIG) for a snapshot of
 * another shape, RR_E(DECODE) for bad content, RR_E(FULL) at users.max) errstr says why and
 * some of the users may be in pl: the caller drops the partition's users. */
rr_err_t rr_pipeline_load_part(rr_pipeline_t *pl, const rr_ckpt_reader_t *r, int32_t partition,
                               size_t *nusers, char *errstr, size_t errlen);

#endif
