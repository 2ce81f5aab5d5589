/* rr_store.c — users and items; see rr_store.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_store.h"

void rr_list_set_strength(rr_list_entry_t *e, float strength)
{
    /* A float times 100 is exact in double, and nearbyint rounds ties to even as printf does:
     * the hundredths are exactly the digits "%.2f" prints. */
    double c = nearbyint((double)strength * 100.0);
    unsigned centi = !(c > 0) ? 0u : c > RR_LIST_CENTI_MAX ? RR_LIST_CENTI_MAX : (unsigned)c;
    rr_list_set_centi(e, centi);
}

void rr_list_strength_text(const rr_list_entry_t *e, char *buf, size_t cap)
{
    unsigned centi = rr_list_centi(e);
    snprintf(buf, cap, "%u.%02u", centi / 100, centi % 100);
}

rr_err_t rr_store_init(rr_store_t *st, size_t users_max, size_t items_max, uint32_t nrecent,
                       uint32_t list_max)
{
    memset(st, 0, sizeof(*st));
    if (items_max >= RR_LIST_ID_NONE) return RR_E(INVAL); /* list entries hold 27-bit ids */
    st->users_max = users_max;
    st->items_max = items_max;
    st->nrecent_max = nrecent;
    st->list_max = list_max;
    rr_err_t err = rr_intern_init(&st->users, users_max);
    if (!err) err = rr_intern_init(&st->items, items_max);
    if (!err) err = rr_intern_init(&st->categories, items_max);
    if (!err) err = rr_intern_init(&st->brands, items_max);
    if (err) {
        rr_store_free(st);
        return err;
    }
    st->user = calloc(users_max, sizeof(*st->user));
    st->recent = calloc(users_max * nrecent, sizeof(*st->recent));
    st->bought = calloc(users_max * RR_BOUGHT_MAX, sizeof(*st->bought));
    st->seen = calloc(users_max * RR_SEEN_WORDS, sizeof(*st->seen));
    st->seen_slot = calloc(users_max, sizeof(*st->seen_slot));
    st->lists = calloc(users_max * list_max, sizeof(*st->lists));
    st->item = calloc(items_max, sizeof(*st->item));
    if (!st->user || !st->recent || !st->bought || !st->seen || !st->seen_slot || !st->lists ||
        !st->item) {
        rr_store_free(st);
        return RR_E(NOMEM);
    }
    return RR_OK;
}

void rr_store_free(rr_store_t *st)
{
    rr_intern_free(&st->users);
    rr_intern_free(&st->items);
    rr_intern_free(&st->categories);
    rr_intern_free(&st->brands);
    free(st->user);
    free(st->recent);
    free(st->bought);
    free(st->seen);
    free(st->seen_slot);
    free(st->seen_pool);
    free(st->seen_next);
    free(st->seen_free);
    free(st->lists);
    free(st->item);
    memset(st, 0, sizeof(*st));
}

static void seen_shrink(rr_store_t *st, uint32_t uid);

#define SEEN_K     4 /* bits per item in each filter */
#define SMALL_MULT 0x9e3779b97f4a7c15ULL
#define BLOCK_MULT 0xd6e8feb86659fd93ULL

rr_err_t rr_store_user(rr_store_t *st, const char *user_id, uint32_t *uid, int *is_new)
{
    rr_err_t err = rr_intern_add(&st->users, user_id, uid, is_new);
    if (err == RR_OK && *is_new) {
        memset(&st->user[*uid], 0, sizeof(st->user[*uid]));
        memset(&st->seen[(size_t)*uid * RR_SEEN_WORDS], 0, RR_SEEN_WORDS * sizeof(*st->seen));
        seen_shrink(st, *uid); /* none: rr_store_forget returned it */
        st->user[*uid].partition = -1;
    }
    return err;
}

static uint32_t intern_or_none(rr_intern_t *in, const char *key)
{
    uint32_t id;
    int is_new;
    if (key[0] == '\0' || rr_intern_add(in, key, &id, &is_new) != RR_OK) return RR_INTERN_NONE;
    return id;
}

static rr_err_t item_find_or_add(rr_store_t *st, const char *item_id, uint32_t *iid)
{
    int is_new;
    rr_err_t err = rr_intern_add(&st->items, item_id, iid, &is_new);
    if (err == RR_OK && is_new) {
        rr_item_t *it = &st->item[*iid];
        memset(it, 0, sizeof(*it));
        it->category = it->brand = RR_INTERN_NONE;
        it->available = 1;
    }
    return err;
}

rr_err_t rr_store_item_ref(rr_store_t *st, const char *item_id, uint32_t *iid)
{
    return item_find_or_add(st, item_id, iid);
}

rr_err_t rr_store_item(rr_store_t *st, const rr_event_t *ev, uint32_t *iid)
{
    rr_err_t err = item_find_or_add(st, ev->item_id, iid);
    if (err) return err;
    rr_item_t *it = &st->item[*iid];
    /* Events carry the attributes the shop saw at that time: the latest wins. */
    if (ev->category[0]) it->category = intern_or_none(&st->categories, ev->category);
    if (ev->brand[0]) it->brand = intern_or_none(&st->brands, ev->brand);
    if (ev->flags & RR_EVF_PRICE) it->price = ev->price;
    return RR_OK;
}

rr_err_t rr_store_item_update(rr_store_t *st, const rr_item_msg_t *msg, uint32_t *iid)
{
    rr_err_t err = item_find_or_add(st, msg->item_id, iid);
    if (err) return err;
    rr_item_t *it = &st->item[*iid];
    if (msg->category[0]) it->category = intern_or_none(&st->categories, msg->category);
    if (msg->brand[0]) it->brand = intern_or_none(&st->brands, msg->brand);
    if (msg->flags & RR_EVF_PRICE) it->price = msg->price;
    it->available = (uint8_t)(msg->available != 0);
    int64_t from_s = msg->available_from_ms > 0 ? (msg->available_from_ms + 999) / 1000 : 0;
    it->release_s = from_s > UINT32_MAX ? UINT32_MAX : (uint32_t)from_s;
    return RR_OK;
}

static void ring_push(uint32_t *ring, uint8_t *n, uint8_t *head, uint32_t cap, uint32_t v)
{
    if (*n < cap) {
        ring[(*head + *n) % cap] = v;
        (*n)++;
    } else {
        ring[*head] = v;
        *head = (uint8_t)((*head + 1) % cap);
    }
}

static int ring_has(const uint32_t *ring, uint8_t n, uint32_t v)
{
    for (uint8_t i = 0; i < n; i++)
        if (rr_recent_item(ring[i]) == v) return 1;
    return 0;
}

/* An item's k = 4 bit positions in a filter of 2^bits bits: four fields of a mixed 64-bit hash
 * (splitmix64's finaliser). The 512 bits and the blocks mix with different constants, so an item
 * whose bits collide in one rarely collides in the other. */
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

size_t rr_store_seen_blocks(const rr_store_t *st, uint32_t uid,
                            const uint64_t *out[RR_SEEN_MAX_BLOCKS])
{
    size_t n = 0;
    for (uint32_t s = st->seen_slot[uid]; s && n < RR_SEEN_MAX_BLOCKS; s = st->seen_next[s - 1])
        n++;
    size_t k = n;
    for (uint32_t s = st->seen_slot[uid]; k > 0; s = st->seen_next[s - 1])
        out[--k] = seen_block(st, s); /* the chain runs newest to oldest */
    return n;
}

uint64_t *rr_store_seen_grow(rr_store_t *st, uint32_t uid)
{
    size_t n = 0;
    for (uint32_t s = st->seen_slot[uid]; s; s = st->seen_next[s - 1]) n++;
    if (st->seen_nfree == 0 || n >= RR_SEEN_MAX_BLOCKS) return NULL;
    uint32_t slot = st->seen_free[--st->seen_nfree];
    st->seen_next[slot] = st->seen_slot[uid];
    st->seen_slot[uid] = slot + 1;
    uint64_t *block = seen_block(st, slot + 1);
    memset(block, 0, RR_SEEN_BIG_WORDS * sizeof(*block));
    return block;
}

/* The user's blocks back to the pool, if it has any. */
static void seen_shrink(rr_store_t *st, uint32_t uid)
{
    for (uint32_t s = st->seen_slot[uid]; s; s = st->seen_next[s - 1])
        st->seen_free[st->seen_nfree++] = s - 1;
    st->seen_slot[uid] = 0;
}

/* Into the newest block, or the 512 bits while there is none; a new block first when the one
 * being filled is full enough and the pool has one. Full blocks and the 512 bits, frozen from
 * then on, keep answering for the items before. */
static void seen_add(rr_store_t *st, uint32_t uid, uint32_t iid)
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
    seen_shrink(st, uid);
    memset(seen_small(st, uid), 0, RR_SEEN_WORDS * sizeof(*st->seen));
    for (uint8_t k = 0; k < u->nrecent; k++)
        seen_add(st, uid, rr_recent_item(st->recent[(size_t)uid * st->nrecent_max + k]));
    for (uint8_t k = 0; k < u->nbought; k++)
        seen_add(st, uid, st->bought[(size_t)uid * RR_BOUGHT_MAX + k]);
}

/* gap + (later - earlier), saturated to 32 bits (later >= earlier). */
static uint32_t gap_ms(int64_t later, int64_t earlier, uint32_t gap)
{
    uint64_t g = (uint64_t)gap + (uint64_t)(later - earlier);
    return g > UINT32_MAX ? UINT32_MAX : (uint32_t)g;
}

void rr_store_touch(rr_store_t *st, uint32_t uid, uint32_t iid, const rr_event_t *ev)
{
    if (iid != RR_INTERN_NONE) st->item[iid].interactions++;
    rr_store_touch_user(st, uid, iid, ev);
}

/* The user's newest recent entry, NULL when the ring is empty. */
static uint32_t *recent_newest(rr_store_t *st, uint32_t uid)
{
    const rr_user_t *u = &st->user[uid];
    if (!u->nrecent) return NULL;
    return &st->recent[(size_t)uid * st->nrecent_max +
                       (u->recent_head + u->nrecent - 1u) % st->nrecent_max];
}

/* The flags of a new recent entry (rr_store.h), and the newest entry's LATEST kept true: cleared
 * when this event moves the user's time on, or when the new entry takes its place. */
static uint32_t recent_flags(uint32_t *newest, const rr_user_t *u, const rr_event_t *ev, int item)
{
    uint32_t flags = ev->ts_ms >= u->last_ts_ms ? RR_RECENT_LATEST : 0;
    if (newest && (*newest & RR_RECENT_LATEST) && ev->ts_ms == u->last_ts_ms &&
        (ev->flags & RR_EVF_TS)) /* an event without a time is not simultaneous with anything */
        flags |= RR_RECENT_TIED;
    if (newest && (item || ev->ts_ms > u->last_ts_ms)) *newest &= ~RR_RECENT_LATEST;
    return flags;
}

/* A RATE event's value as a ring entry's rating bits (rr_store.h); 0 for any other event. */
static uint32_t rating_bits(const rr_event_t *ev)
{
    if (ev->type != RR_EV_RATE || !(ev->value > 0)) return 0;
    uint32_t code = ev->value < 1.5f ? 1 : ev->value >= 6.5f ? 7 : (uint32_t)(ev->value + 0.5f);
    return code << RR_RECENT_RATING_SHIFT;
}

void rr_store_touch_user(rr_store_t *st, uint32_t uid, uint32_t iid, const rr_event_t *ev)
{
    rr_user_t *u = &st->user[uid];
    uint32_t flags = recent_flags(recent_newest(st, uid), u, ev, iid != RR_INTERN_NONE);
    if (u->nevents == 0) { /* last = max(0, every time), first = the first event's time */
        if (ev->ts_ms > u->last_ts_ms) u->last_ts_ms = ev->ts_ms;
        u->first_gap_ms = gap_ms(u->last_ts_ms, ev->ts_ms, 0);
    } else if (ev->ts_ms > u->last_ts_ms) {
        u->first_gap_ms = gap_ms(ev->ts_ms, u->last_ts_ms, u->first_gap_ms);
        u->trigger_gap_ms = gap_ms(ev->ts_ms, u->last_ts_ms, u->trigger_gap_ms);
        u->last_ts_ms = ev->ts_ms; /* the trigger time stays put until set again */
    }
    u->nevents++;
    if (ev->type == RR_EV_PURCHASE) u->purchases++;
    if (iid == RR_INTERN_NONE) return;
    seen_add(st, uid, iid);
    ring_push(&st->recent[(size_t)uid * st->nrecent_max], &u->nrecent, &u->recent_head,
              st->nrecent_max, iid | flags | rating_bits(ev));
    uint32_t *bought = &st->bought[(size_t)uid * RR_BOUGHT_MAX];
    if (ev->type == RR_EV_PURCHASE && !ring_has(bought, u->nbought, iid))
        ring_push(bought, &u->nbought, &u->bought_head, RR_BOUGHT_MAX, iid);
}

size_t rr_store_recent(const rr_store_t *st, uint32_t uid, uint32_t *out)
{
    return rr_store_recent_flags(st, uid, out, NULL, NULL);
}

size_t rr_store_recent_flags(const rr_store_t *st, uint32_t uid, uint32_t *out, uint8_t *tied,
                             uint8_t *rating)
{
    const rr_user_t *u = &st->user[uid];
    const uint32_t *ring = &st->recent[(size_t)uid * st->nrecent_max];
    for (uint8_t i = 0; i < u->nrecent; i++) {
        uint32_t v = ring[(u->recent_head + i) % st->nrecent_max];
        out[i] = rr_recent_item(v);
        if (tied) tied[i] = (v & RR_RECENT_TIED) != 0;
        if (rating) rating[i] = (uint8_t)rr_recent_rating(v);
    }
    return u->nrecent;
}

int rr_store_has_bought(const rr_store_t *st, uint32_t uid, uint32_t iid)
{
    return ring_has(&st->bought[(size_t)uid * RR_BOUGHT_MAX], st->user[uid].nbought, iid);
}

int rr_store_is_recent(const rr_store_t *st, uint32_t uid, uint32_t iid)
{
    return ring_has(&st->recent[(size_t)uid * st->nrecent_max], st->user[uid].nrecent, iid);
}

void rr_store_shown(rr_store_t *st, uint32_t uid, uint32_t iid)
{
    rr_user_t *u = &st->user[uid];
    for (uint8_t i = 0; i < u->nshown; i++)
        if (u->shown[i] == iid) return;
    if (u->nshown == RR_SHOWN_MAX) {
        memmove(u->shown, u->shown + 1, (RR_SHOWN_MAX - 1) * sizeof(u->shown[0]));
        u->nshown--;
    }
    u->shown[u->nshown++] = iid;
}

size_t rr_store_take_shown(rr_store_t *st, uint32_t uid, uint32_t iid, uint32_t *out)
{
    rr_user_t *u = &st->user[uid];
    size_t n = 0;
    for (uint8_t i = 0; i < u->nshown; i++)
        if (u->shown[i] != iid) out[n++] = u->shown[i];
    u->nshown = 0;
    return n;
}

void rr_store_forget(rr_store_t *st, uint32_t uid)
{
    if (!rr_intern_key(&st->users, uid)) return;
    memset(&st->user[uid], 0, sizeof(st->user[uid]));
    memset(&st->seen[(size_t)uid * RR_SEEN_WORDS], 0, RR_SEEN_WORDS * sizeof(*st->seen));
    seen_shrink(st, uid);
    memset(rr_store_list(st, uid), 0, st->list_max * sizeof(rr_list_entry_t));
    rr_intern_remove(&st->users, uid);
}
