/* rr_xxh64.c — XXH64 as specified by its reference implementation (xxhash.h); input words are
 * read little-endian, so digests are the same on any host. */
#include "rr_xxh64.h"

#include <string.h>

#define P1 11400714785074694791ULL
#define P2 14029467366897019727ULL
#define P3 1609587929392839161ULL
#define P4 9650029242287828579ULL
#define P5 2870177450012600261ULL

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_le64(const uint8_t *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}
static uint64_t xxh_round(uint64_t acc, uint64_t input)
{
    return rotl64(acc + input * P2, 31) * P1;
}
static uint64_t xxh_merge(uint64_t acc, uint64_t v)
{
    return (acc ^ xxh_round(0, v)) * P1 + P4;
}

void rr_xxh64_init(rr_xxh64_t *h, uint64_t seed)
{
    memset(h, 0, sizeof(*h));
    h->seed = seed;
    h->v[0] = seed + P1 + P2;
    h->v[1] = seed + P2;
    h->v[2] = seed;
    h->v[3] = seed - P1;
}

static void xxh_stripe(uint64_t v[4], const uint8_t *p)
{
    for (int i = 0; i < 4; i++) v[i] = xxh_round(v[i], get_le64(p + 8 * i));
}

void rr_xxh64_update(rr_xxh64_t *h, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (len == 0) return; /* data may be NULL */
    h->total += len;
    if (h->memlen) { /* complete a pending stripe first */
        size_t take = 32 - h->memlen < len ? 32 - h->memlen : len;
        memcpy(h->mem + h->memlen, p, take);
        h->memlen += (uint32_t)take;
        p += take, len -= take;
        if (h->memlen < 32) return;
        xxh_stripe(h->v, h->mem);
        h->memlen = 0;
    }
    for (; len >= 32; p += 32, len -= 32) xxh_stripe(h->v, p);
    memcpy(h->mem, p, len);
    h->memlen = (uint32_t)len;
}

uint64_t rr_xxh64_digest(const rr_xxh64_t *h)
{
    uint64_t acc;
    if (h->total >= 32) {
        acc = rotl64(h->v[0], 1) + rotl64(h->v[1], 7) + rotl64(h->v[2], 12) + rotl64(h->v[3], 18);
        for (int i = 0; i < 4; i++) acc = xxh_merge(acc, h->v[i]);
    } else {
        acc = h->seed + P5;
    }
    acc += h->total;
    const uint8_t *p = h->mem, *end = h->mem + h->memlen;
    for (; end - p >= 8; p += 8) acc = rotl64(acc ^ xxh_round(0, get_le64(p)), 27) * P1 + P4;
    if (end - p >= 4) {
        acc = rotl64(acc ^ (uint64_t)get_le32(p) * P1, 23) * P2 + P3;
        p += 4;
    }
    for (; p < end; p++) acc = rotl64(acc ^ *p * P5, 11) * P1;
    acc ^= acc >> 33;
    acc *= P2;
    acc ^= acc >> 29;
    acc *= P3;
    return acc ^ (acc >> 32);
}

uint64_t rr_xxh64(const void *data, size_t len, uint64_t seed)
{
    rr_xxh64_t h;
    rr_xxh64_init(&h, seed);
    rr_xxh64_update(&h, data, len);
    return rr_xxh64_digest(&h);
}
