/* rr_rng.c — xoshiro256** (Blackman & Vigna) with splitmix64 seeding; see rr_rng.h. */
#include "rr_rng.h"

#include <math.h>

void rr_rng_seed(rr_rng_t *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int k = 0; k < 4; k++) {
        x += 0x9e3779b97f4a7c15ULL;
        rng->s[k] = rr_mix64(x);
    }
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rr_rng_next(rr_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float rr_rng_uniform(rr_rng_t *rng)
{
    return (float)(rr_rng_next(rng) >> 40) * (1.0f / 16777216.0f);
}

uint32_t rr_rng_below(rr_rng_t *rng, uint32_t n)
{
    return (uint32_t)(((rr_rng_next(rng) >> 32) * (uint64_t)n) >> 32);
}

float rr_rng_normal(rr_rng_t *rng)
{
    /* 1 - u is in (0, 1], so the log is finite. Double keeps the tail accurate. */
    double u1 = 1.0 - (double)(rr_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
    double u2 = (double)(rr_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}
