/* rr_intern.c — open-addressing string table with dense, reusable ids and keys in a size-class
 * arena; see rr_intern.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "rr_intern.h"

#define TOMB       UINT32_MAX
#define FREE_BIT   0x80000000u
#define BLOCK_BITS 27
#define BLOCK_MASK ((1u << BLOCK_BITS) - 1)

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

/* A key of len bytes (plus NUL) takes a block of class len / 8: 8 (len / 8 + 1) bytes. */
static uint32_t class_of(size_t len)
{
    return (uint32_t)(len / 8);
}

size_t rr_intern_bytes_per_id(size_t key_len)
{
    return sizeof(uint32_t) + 2 * sizeof(uint32_t) /* slots at load <= 1/2 */ +
           8 * ((size_t)class_of(key_len) + 1);
}

/* Class c's region starts after cap blocks of each smaller class: cap · 8 · c(c+1)/2 bytes. */
static char *block_at(const rr_intern_t *in, uint32_t c, uint32_t b)
{
    return in->arena + in->cap * 4 * c * (c + 1) + (size_t)b * 8 * (c + 1);
}

static int is_live(uint32_t off)
{
    return off != 0 && !(off & FREE_BIT);
}

static const char *key_of(const rr_intern_t *in, uint32_t id)
{
    uint32_t v = in->off[id] - 1;
    return block_at(in, v >> BLOCK_BITS, v & BLOCK_MASK);
}

rr_err_t rr_intern_init(rr_intern_t *in, size_t cap)
{
    memset(in, 0, sizeof(*in));
    if (cap >= RR_INTERN_CAP_MAX) return RR_E(INVAL);
    in->cap = cap;
    in->nslots = cap * 2 > 16 ? cap * 2 : 16; /* load factor <= 0.5 keeps probes short */
    in->off = calloc(cap ? cap : 1, sizeof(*in->off));
    in->slots = calloc(in->nslots, sizeof(*in->slots));
    /* Virtual only: pages are touched as blocks are handed out. */
    in->arena_bytes = (cap ? cap : 1) * 4 * RR_INTERN_CLASSES * (RR_INTERN_CLASSES + 1);
    void *arena = mmap(NULL, in->arena_bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    in->arena = arena == MAP_FAILED ? NULL : arena;
    in->free_head = in->free_tail = RR_INTERN_NONE;
    if (!in->off || !in->slots || !in->arena) {
        rr_intern_free(in);
        return RR_E(NOMEM);
    }
    return RR_OK;
}

void rr_intern_free(rr_intern_t *in)
{
    free(in->off);
    free(in->slots);
    if (in->arena) munmap(in->arena, in->arena_bytes);
    memset(in, 0, sizeof(*in));
}

static size_t slot_home(const rr_intern_t *in, const char *key)
{
    return (size_t)(((rr_intern_hash(key) >> 32) * (uint64_t)in->nslots) >> 32);
}

/* Slot holding key, or (if absent) the first reusable slot on its probe path. */
static size_t probe(const rr_intern_t *in, const char *key, int *found)
{
    size_t pos = slot_home(in, key);
    size_t reuse = SIZE_MAX;
    for (;;) {
        uint32_t s = in->slots[pos];
        if (s == 0) {
            *found = 0;
            return reuse != SIZE_MAX ? reuse : pos;
        }
        if (s == TOMB) {
            if (reuse == SIZE_MAX) reuse = pos;
        } else if (strcmp(key_of(in, s - 1), key) == 0) {
            *found = 1;
            return pos;
        }
        pos = pos + 1 == in->nslots ? 0 : pos + 1;
    }
}

uint32_t rr_intern_find(const rr_intern_t *in, const char *key)
{
    int found;
    size_t pos = probe(in, key, &found);
    return found ? in->slots[pos] - 1 : RR_INTERN_NONE;
}

/* Copies key into a block of its class: a freed one first, else the next never used (a class
 * never has more than cap blocks live, so its region cannot run out). */
static void key_store(rr_intern_t *in, uint32_t id, const char *key, size_t len)
{
    uint32_t c = class_of(len), b;
    if (in->free_block[c]) {
        b = in->free_block[c] - 1;
        memcpy(&in->free_block[c], block_at(in, c, b), sizeof(uint32_t));
    } else {
        b = in->bump[c]++;
    }
    memcpy(block_at(in, c, b), key, len + 1);
    in->off[id] = 1 + (c << BLOCK_BITS | b);
}

static void key_release(rr_intern_t *in, uint32_t id)
{
    uint32_t v = in->off[id] - 1, c = v >> BLOCK_BITS, b = v & BLOCK_MASK;
    memcpy(block_at(in, c, b), &in->free_block[c], sizeof(uint32_t));
    in->free_block[c] = b + 1;
}

/* Appends id to the FIFO of removed ids, linked through off[]. */
static void free_push(rr_intern_t *in, uint32_t id)
{
    in->off[id] = FREE_BIT;
    if (in->free_count)
        in->off[in->free_tail] = FREE_BIT | (id + 1);
    else
        in->free_head = id;
    in->free_tail = id;
    in->free_count++;
}

static uint32_t take_id(rr_intern_t *in)
{
    if (in->free_count > 0) {
        uint32_t id = in->free_head, link = in->off[id] & ~FREE_BIT;
        in->free_head = link ? link - 1 : RR_INTERN_NONE;
        if (--in->free_count == 0) in->free_tail = RR_INTERN_NONE;
        return id;
    }
    return (uint32_t)in->next_id++;
}

/* Tombstones lengthen probes; when they pile up, rebuild the table in place. Returns 0 if two
 * ids hold the same key. */
static int rehash(rr_intern_t *in)
{
    memset(in->slots, 0, in->nslots * sizeof(*in->slots));
    in->tombstones = 0;
    for (size_t id = 0; id < in->next_id; id++) {
        if (!is_live(in->off[id])) continue;
        int found;
        size_t pos = probe(in, key_of(in, (uint32_t)id), &found);
        if (found) return 0;
        in->slots[pos] = (uint32_t)id + 1;
    }
    return 1;
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
    size_t len = strlen(key);
    if (len == 0 || len >= RR_ID_MAX) return RR_E(INVAL);
    if (in->slots[pos] == TOMB) in->tombstones--;
    *id = take_id(in);
    key_store(in, *id, key, len);
    in->slots[pos] = *id + 1;
    in->count++;
    *is_new = 1;
    return RR_OK;
}

void rr_intern_remove(rr_intern_t *in, uint32_t id)
{
    if (id >= in->next_id || !is_live(in->off[id])) return;
    int found;
    size_t pos = probe(in, key_of(in, id), &found);
    if (found) in->slots[pos] = TOMB;
    key_release(in, id);
    free_push(in, id);
    in->count--;
    if (++in->tombstones > in->nslots / 4) rehash(in);
}

const char *rr_intern_key(const rr_intern_t *in, uint32_t id)
{
    if (id >= in->next_id || !is_live(in->off[id])) return NULL;
    return key_of(in, id);
}

uint32_t rr_intern_free_first(const rr_intern_t *in)
{
    return in->free_count ? in->free_head : RR_INTERN_NONE;
}

uint32_t rr_intern_free_next(const rr_intern_t *in, uint32_t id)
{
    uint32_t link = id < in->next_id && (in->off[id] & FREE_BIT) ? in->off[id] & ~FREE_BIT : 0;
    return link ? link - 1 : RR_INTERN_NONE;
}

rr_err_t rr_intern_restore_begin(rr_intern_t *in, size_t next_id, size_t count)
{
    if (next_id > in->cap || count > next_id) return RR_E(DECODE);
    memset(in->off, 0, in->next_id * sizeof(*in->off)); /* ids above were never handed out */
    memset(in->bump, 0, sizeof(in->bump));
    memset(in->free_block, 0, sizeof(in->free_block));
    in->free_head = in->free_tail = RR_INTERN_NONE;
    in->free_count = 0;
    in->next_id = next_id;
    in->count = count;
    return RR_OK;
}

rr_err_t rr_intern_restore_free(rr_intern_t *in, uint32_t id)
{
    if (id >= in->next_id || in->off[id] != 0) return RR_E(DECODE);
    free_push(in, id);
    return RR_OK;
}

rr_err_t rr_intern_restore_key(rr_intern_t *in, uint32_t id, const char *key)
{
    size_t len = strlen(key);
    if (id >= in->next_id || in->off[id] != 0 || len == 0 || len >= RR_ID_MAX) return RR_E(DECODE);
    key_store(in, id, key, len);
    return RR_OK;
}

rr_err_t rr_intern_restore_end(rr_intern_t *in)
{
    size_t live = 0;
    for (size_t id = 0; id < in->next_id; id++) {
        if (in->off[id] == 0) return RR_E(DECODE); /* neither live nor free */
        live += is_live(in->off[id]);
    }
    if (live != in->count || in->free_count != in->next_id - in->count) return RR_E(DECODE);
    return rehash(in) ? RR_OK : RR_E(DECODE);
}
