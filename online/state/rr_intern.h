/* rr_intern.h — string id -> dense uint32 index, for users, items, categories and brands.
 * Capacity is fixed at init; nothing allocates afterwards. Keys live in an arena of 8-byte size
 * classes, each class reserved (virtual memory, MAP_NORESERVE) for all cap ids, so a key costs
 * its own rounded length and only the pages in use are resident; freed blocks are reused per
 * class. Removed ids are reused in FIFO order. Caller-allocated. */
#ifndef RR_INTERN_H
#define RR_INTERN_H

#include <stddef.h>
#include <stdint.h>
#include "rr_event.h"

#define RR_INTERN_NONE    UINT32_MAX
#define RR_INTERN_CLASSES (RR_ID_MAX / 8) /* key blocks of 8, 16, ... RR_ID_MAX bytes */
#define RR_INTERN_CAP_MAX (1u << 27)      /* ids (and blocks of one class) < 2^27 */

typedef struct rr_intern_s {
    uint32_t *off;   /* [cap] live: 1 + (class << 27 | block); free: FREE bit | next free + 1 */
    uint32_t *slots; /* [nslots] open addressing: id + 1; 0 empty; UINT32_MAX tombstone */
    char *arena;     /* RR_INTERN_CLASSES regions of cap blocks each, class c's of 8(c+1) bytes */
    size_t arena_bytes;
    uint32_t bump[RR_INTERN_CLASSES];       /* blocks of each class ever handed out */
    uint32_t free_block[RR_INTERN_CLASSES]; /* freed block + 1, linked through its first bytes */
    uint32_t free_head, free_tail;          /* removed ids awaiting reuse, oldest first */
    size_t free_count;
    size_t cap, nslots, count, next_id, tombstones;
} rr_intern_t;

/* cap < RR_INTERN_CAP_MAX. */
rr_err_t rr_intern_init(rr_intern_t *in, size_t cap);
void rr_intern_free(rr_intern_t *in);
/* The id of key, or RR_INTERN_NONE. */
uint32_t rr_intern_find(const rr_intern_t *in, const char *key);
/* Finds or adds key. *is_new tells which. RR_ERR_FULL when cap ids are live. */
rr_err_t rr_intern_add(rr_intern_t *in, const char *key, uint32_t *id, int *is_new);
/* The key's pointer is invalid after this. */
void rr_intern_remove(rr_intern_t *in, uint32_t id);
/* The key of a live id, or NULL. */
const char *rr_intern_key(const rr_intern_t *in, uint32_t id);
/* One past the highest id ever handed out: ids are < this bound. */
static inline size_t rr_intern_bound(const rr_intern_t *in)
{
    return in->next_id;
}
uint64_t rr_intern_hash(const char *key);
/* Bytes a live id with a key of key_len bytes costs: its id entry, hash slots, key block. */
size_t rr_intern_bytes_per_id(size_t key_len);

/* Removed ids in reuse order: first, then next until RR_INTERN_NONE. */
uint32_t rr_intern_free_first(const rr_intern_t *in);
uint32_t rr_intern_free_next(const rr_intern_t *in, uint32_t id);

/* Restoring a saved table (checkpoints): begin empties it with the bound and the live count,
 * then every id below the bound is either given back as free (in reuse order) or given its
 * key, and end rebuilds the hash and checks it all (RR_ERR_DECODE: duplicate keys or ids,
 * counts that disagree). */
rr_err_t rr_intern_restore_begin(rr_intern_t *in, size_t next_id, size_t count);
rr_err_t rr_intern_restore_free(rr_intern_t *in, uint32_t id);
rr_err_t rr_intern_restore_key(rr_intern_t *in, uint32_t id, const char *key);
rr_err_t rr_intern_restore_end(rr_intern_t *in);

#endif
