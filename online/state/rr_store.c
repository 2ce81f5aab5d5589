/* rr_store.c — users and items; see rr_store.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_store.h"
#include "rr_store_seen.h"

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

rr_err_t rr_store_user(rr_store_t *st, const char *user_id, uint32_t *uid, int *is_new)
{
    rr_err_t err = rr_intern_add(&st->users, user_id, uid, is_new);
    if (err == RR_OK && *is_new) {
        memset(&st->user[*uid], 0, sizeof(st->user[*uid]));
        rr_seen_clear(st, *uid); /* no blocks: rr_store_forget returned them */
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
    rr_seen_add(st, uid, iid);
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
    rr_seen_clear(st, uid);
    memset(rr_store_list(st, uid), 0, st->list_max * sizeof(rr_list_entry_t));
    rr_intern_remove(&st->users, uid);
}
