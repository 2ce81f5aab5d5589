/* rr_intern.c — open-addressing string table with dense, reusable ids; see rr_intern.h. */
#include <stdlib.h>
#include <string.h>
#include "rr_intern.h"

#define TOMB UINT32_MAX

uint64_t rr_intern_hash(const char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a, then a final mix for the low bits */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

rr_err_t rr_intern_init(rr_intern_t *in, size_t cap)
{
    memset(in, 0, sizeof(*in));
    size_t nslots = 16;
    while (nslots < cap * 2) nslots <<= 1; /* load factor <= 0.5 keeps probes short */
    in->keys = calloc(cap, sizeof(*in->keys));
    in->slots = calloc(nslots, sizeof(*in->slots));
    in->free_ring = calloc(cap, sizeof(*in->free_ring));
    in->cap = cap;
    in->mask = nslots - 1;
    if (!in->keys || !in->slots || !in->free_ring) {
        rr_intern_free(in);
        return RR_E(NOMEM);
    }
    return RR_OK;
}

void rr_intern_free(rr_intern_t *in)
{
    free(in->keys);
    free(in->slots);
    free(in->free_ring);
    memset(in, 0, sizeof(*in));
}

/* Slot holding key, or (if absent) the first reusable slot on its probe path. */
static size_t probe(const rr_intern_t *in, const char *key, int *found)
{
    size_t pos = rr_intern_hash(key) & in->mask;
    size_t reuse = SIZE_MAX;
    for (;;) {
        uint32_t s = in->slots[pos];
        if (s == 0) {
            *found = 0;
            return reuse != SIZE_MAX ? reuse : pos;
        }
        if (s == TOMB) {
            if (reuse == SIZE_MAX) reuse = pos;
        } else if (strcmp(in->keys[s - 1], key) == 0) {
            *found = 1;
            return pos;
        }
        pos = (pos + 1) & in->mask;
    }
}

uint32_t rr_intern_find(const rr_intern_t *in, const char *key)
{
    int found;
    size_t pos = probe(in, key, &found);
    return found ? in->slots[pos] - 1 : RR_INTERN_NONE;
}

static uint32_t take_id(rr_intern_t *in)
{
    if (in->free_count > 0) {
        uint32_t id = in->free_ring[in->free_head];
        in->free_head = (in->free_head + 1) % in->cap;
        in->free_count--;
        return id;
    }
    return (uint32_t)in->next_id++;
}

/* Tombstones lengthen probes; when they pile up, rebuild the table in place. */
static void rehash(rr_intern_t *in)
{
    memset(in->slots, 0, (in->mask + 1) * sizeof(*in->slots));
    for (size_t id = 0; id < in->next_id; id++) {
        if (in->keys[id][0] == '\0') continue;
        int found;
        size_t pos = probe(in, in->keys[id], &found);
        in->slots[pos] = (uint32_t)id + 1;
    }
    in->tombstones = 0;
}

rr_err_t rr_intern_add(rr_intern_t *in, const char *key, uint32_t *id, int *is_new)
{
    int found;
    size_t pos = probe(in, key, &found);
    if (found) {
        *id = in->slots[pos] - 1;
        *is_new = 0;
        return RR_OK;
    }
    if (in->count == in->cap) return RR_E(FULL);
    if (key[0] == '\0' || strlen(key) >= RR_ID_MAX) return RR_E(INVAL);
    if (in->slots[pos] == TOMB) in->tombstones--;
    *id = take_id(in);
    strcpy(in->keys[*id], key);
    in->slots[pos] = *id + 1;
    in->count++;
    *is_new = 1;
    return RR_OK;
}

void rr_intern_remove(rr_intern_t *in, uint32_t id)
{
    if (id >= in->next_id || in->keys[id][0] == '\0') return;
    int found;
    size_t pos = probe(in, in->keys[id], &found);
    if (found) in->slots[pos] = TOMB;
    in->keys[id][0] = '\0';
    in->free_ring[(in->free_head + in->free_count) % in->cap] = id;
    in->free_count++;
    in->count--;
    if (++in->tombstones > (in->mask + 1) / 4) rehash(in);
}

const char *rr_intern_key(const rr_intern_t *in, uint32_t id)
{
    if (id >= in->next_id || in->keys[id][0] == '\0') return NULL;
    return in->keys[id];
}
