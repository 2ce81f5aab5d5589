/* rr_rng.h — the deterministic random numbers of model/: xoshiro256** seeded by splitmix64.
 * The whole state is one plain struct, so a checkpoint is a memcpy and replays bit-identically. */
#ifndef RR_RNG_H
#define RR_RNG_H

#include <stdint.h>

typedef struct rr_rng_s {
    uint64_t s[4];
} rr_rng_t;

/* Expands seed with splitmix64 (any seed, including 0, gives a valid non-zero state). */
void rr_rng_seed(rr_rng_t *rng, uint64_t seed);
/* Next 64 random bits (xoshiro256**). */
uint64_t rr_rng_next(rr_rng_t *rng);
/* Uniform float in [0, 1), 24 random bits. */
float rr_rng_uniform(rr_rng_t *rng);
/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift, negligible bias for n << 2^32). */
uint32_t rr_rng_below(rr_rng_t *rng, uint32_t n);
/* Standard normal N(0, 1) by Box-Muller; uses two uniforms and keeps no spare, so the state
 * stays a pure function of the call count. */
float rr_rng_normal(rr_rng_t *rng);

/* splitmix64's finaliser: a bijective 64-bit mix, also used to spread hashes over buckets. */
static inline uint64_t rr_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#endif
