/* rr_xxh64.h — XXH64 (the reference algorithm), one-shot and streaming: the checksum of every
 * checkpoint header and section. A leaf: libc only, no allocation, the state is the caller's. */
#ifndef RR_XXH64_H
#define RR_XXH64_H

#include <stddef.h>
#include <stdint.h>

/* Streaming state: init, any number of updates, digest (which leaves the state usable). */
typedef struct rr_xxh64_s {
    uint64_t v[4];
    uint64_t total;
    uint8_t mem[32]; /* the tail of the input that does not fill a 32-byte stripe yet */
    uint32_t memlen;
    uint64_t seed;
} rr_xxh64_t;

void rr_xxh64_init(rr_xxh64_t *h, uint64_t seed);
/* data may be NULL when len is 0. */
void rr_xxh64_update(rr_xxh64_t *h, const void *data, size_t len);
uint64_t rr_xxh64_digest(const rr_xxh64_t *h);
/* init + update + digest. */
uint64_t rr_xxh64(const void *data, size_t len, uint64_t seed);

#endif
