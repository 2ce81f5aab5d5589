/* part_move.h — a partition handed over as the engine hands it: src writes the partition's
 * snapshot into a fresh checkpoint directory, dst loads it (renumbering ids where its own
 * vocabularies differ), and the files are removed. */
#ifndef PART_MOVE_H
#define PART_MOVE_H
#include <stddef.h>
#include <stdint.h>
#include "rr_pipeline.h"

/* Moves partition's users from src into dst (each step checked); returns how many dst loaded. */
size_t part_move(const rr_pipeline_t *src, rr_pipeline_t *dst, int32_t partition);

#endif
