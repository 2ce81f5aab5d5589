/* rr_store_seen.c — the users' seen filters (rr_store_has_seen): 512 bits per user, then a
 * chain of blocks from a pool, k = 4 bits per item in each. */
#include <stdlib.h>
#include <string.h>
#include "rr_store.h"
#include "rr_store_seen.h"

#define SEEN_K     4 /* bits per item in each filter */
#define SMALL_MULT 0x9e3779b97f4a7c15ULL
#define BLOCK_MULT 0xd6e8feb86659fd93ULL

/* An item's k = 4 bit positions in a filter of 2^bits bits: four fields of a mixed 64-bit hash
 * (splitmix64's finaliser). The 512 bits and the blocks mix with different constants, so an item
 * whose bits collide in one rarely collides in the other. Not rr_mix64: one multiply fewer on
 * every probe, and checkpoints (payload version 11) hold the bits this hash set, so a change of
 * hash is a change of format. */
static uint64_t seen_hash(uint32_t iid, uint64_t mult)
{
    uint64_t h = ((uint64_t)iid + 1) * mult;
    h = (h ^ (h >> 31)) * 0x94d049bb133111ebULL;
    return h ^ (h >> 29);
}

static void bit_positions(uint64_t h, int bits, uint32_t pos[SEEN_K])
{
    for (int j = 0; j < SEEN_K; j++) pos[j] = (uint32_t)(h >> (j * bits)) & ((1u << bits) - 1);
}

/* Most items asked about were never seen and fail at the first clear bit: the loop leaves
 * there (a branch that mostly goes one way) rather than loading all four words. */
static int bits_test(const uint64_t *f, const uint32_t pos[SEEN_K])
{
    for (int j = 0; j < SEEN_K; j++)
        if (!(f[pos[j] >> 6] >> (pos[j] & 63) & 1)) return 0;
    return 1;
}

static void bits_set(uint64_t *f, const uint32_t pos[SEEN_K])
{
    for (int j = 0; j < SEEN_K; j++) f[pos[j] >> 6] |= 1ULL << (pos[j] & 63);
}

static int bits_count(const uint64_t *f, int words)
{
    int set = 0;
    for (int k = 0; k < words; k++) set += __builtin_popcountll(f[k]);
    return set;
}

static uint64_t *seen_small(const rr_store_t *st, uint32_t uid)
{
    return &st->seen[(size_t)uid * RR_SEEN_WORDS];
}

static uint64_t *seen_block(const rr_store_t *st, uint32_t slot1)
{
    return &st->seen_pool[(size_t)(slot1 - 1) * RR_SEEN_BIG_WORDS];
}

/* The user's newest block, NULL if it has none. */
static uint64_t *seen_head(const rr_store_t *st, uint32_t uid)
{
    uint32_t slot1 = st->seen_slot[uid];
    return slot1 ? seen_block(st, slot1) : NULL;
}

int rr_store_has_seen(const rr_store_t *st, uint32_t uid, uint32_t iid)
{
    uint32_t pos[SEEN_K];
    bit_positions(seen_hash(iid, SMALL_MULT), 9, pos);
    if (bits_test(seen_small(st, uid), pos)) return 1;
    uint32_t slot1 = st->seen_slot[uid];
    if (!slot1) return 0;
    bit_positions(seen_hash(iid, BLOCK_MULT), 11, pos);
    for (; slot1; slot1 = st->seen_next[slot1 - 1])
        if (bits_test(seen_block(st, slot1), pos)) return 1;
    return 0;
}

rr_err_t rr_store_seen_pool(rr_store_t *st, size_t n)
{
    if (st->seen_pool_max || n == 0) return RR_OK;
    if (n > UINT32_MAX - 1) return RR_E(INVAL);
    st->seen_pool = calloc(n * RR_SEEN_BIG_WORDS, sizeof(*st->seen_pool));
    st->seen_next = calloc(n, sizeof(*st->seen_next));
    st->seen_free = calloc(n, sizeof(*st->seen_free));
    if (!st->seen_pool || !st->seen_next || !st->seen_free) {
        free(st->seen_pool);
        free(st->seen_next);
        free(st->seen_free);
        st->seen_pool = NULL;
        st->seen_next = st->seen_free = NULL;
        return RR_E(NOMEM);
    }
    for (size_t k = 0; k < n; k++) st->seen_free[k] = (uint32_t)(n - 1 - k); /* slot 0 first */
    st->seen_pool_max = st->seen_nfree = n;
    return RR_OK;
}

/* Blocks in the user's chain: never more than RR_SEEN_MAX_BLOCKS, which the count stops at. */
static size_t seen_nblocks(const rr_store_t *st, uint32_t uid)
{
    size_t n = 0;
    for (uint32_t s = st->seen_slot[uid]; s && n < RR_SEEN_MAX_BLOCKS; s = st->seen_next[s - 1])
        n++;
    return n;
}

size_t rr_store_seen_blocks(const rr_store_t *st, uint32_t uid,
                            const uint64_t *out[RR_SEEN_MAX_BLOCKS])
{
    size_t n = seen_nblocks(st, uid), k = n;
    for (uint32_t s = st->seen_slot[uid]; k > 0; s = st->seen_next[s - 1])
        out[--k] = seen_block(st, s); /* the chain runs newest to oldest */
    return n;
}

uint64_t *rr_store_seen_grow(rr_store_t *st, uint32_t uid)
{
    if (st->seen_nfree == 0 || seen_nblocks(st, uid) >= RR_SEEN_MAX_BLOCKS) return NULL;
    uint32_t slot = st->seen_free[--st->seen_nfree];
    st->seen_next[slot] = st->seen_slot[uid];
    st->seen_slot[uid] = slot + 1;
    uint64_t *block = seen_block(st, slot + 1);
    memset(block, 0, RR_SEEN_BIG_WORDS * sizeof(*block));
    return block;
}

void rr_seen_clear(rr_store_t *st, uint32_t uid)
{
    memset(seen_small(st, uid), 0, RR_SEEN_WORDS * sizeof(*st->seen));
    for (uint32_t s = st->seen_slot[uid]; s; s = st->seen_next[s - 1])
        st->seen_free[st->seen_nfree++] = s - 1;
    st->seen_slot[uid] = 0;
}

/* Into the newest block, or the 512 bits while there is none; a new block first when the one
 * being filled is full enough and the pool has one. Full blocks and the 512 bits, frozen from
 * then on, keep answering for the items before. */
void rr_seen_add(rr_store_t *st, uint32_t uid, uint32_t iid)
{
    uint64_t *head = seen_head(st, uid);
    int full = head ? bits_count(head, RR_SEEN_BIG_WORDS) >= RR_SEEN_BLOCK_FULL_BITS
                    : bits_count(seen_small(st, uid), RR_SEEN_WORDS) >= RR_SEEN_FULL_BITS;
    if (full && st->seen_nfree) {
        uint64_t *grown = rr_store_seen_grow(st, uid);
        head = grown ? grown : head;
    }
    uint32_t pos[SEEN_K];
    if (head) {
        bit_positions(seen_hash(iid, BLOCK_MULT), 11, pos);
        bits_set(head, pos);
    } else {
        bit_positions(seen_hash(iid, SMALL_MULT), 9, pos);
        bits_set(seen_small(st, uid), pos);
    }
}

void rr_store_seen_reset(rr_store_t *st, uint32_t uid)
{
    const rr_user_t *u = &st->user[uid];
    rr_seen_clear(st, uid);
    for (uint8_t k = 0; k < u->nrecent; k++)
        rr_seen_add(st, uid, rr_recent_item(st->recent[(size_t)uid * st->nrecent_max + k]));
    for (uint8_t k = 0; k < u->nbought; k++)
        rr_seen_add(st, uid, st->bought[(size_t)uid * RR_BOUGHT_MAX + k]);
}
