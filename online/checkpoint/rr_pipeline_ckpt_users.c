/* rr_pipeline_ckpt_users.c — per-user checkpoint state, one USRS/<partition + 1> section per input
 * partition (0: unknown) so a partition's users can be loaded alone; each entry carries the user
 * id string and its dense id. UIDX/0 keeps the users' id bookkeeping and the free ids' rings. */
#include <stdlib.h>
#include "rr_pipeline_ckpt_codec.h"
#include "rr_pipeline_ckpt_users.h"

static uint32_t sub_of(const rr_user_t *u)
{
    return u->partition >= 0 ? (uint32_t)u->partition + 1 : 0;
}

static void save_ring_data(const rr_store_t *st, rr_pckpt_enc_t *e, uint32_t uid)
{
    for (uint32_t k = 0; k < st->nrecent_max; k++)
        rr_pckpt_u32(e, st->recent[(size_t)uid * st->nrecent_max + k]);
    for (uint32_t k = 0; k < RR_BOUGHT_MAX; k++)
        rr_pckpt_u32(e, st->bought[(size_t)uid * RR_BOUGHT_MAX + k]);
}

static void load_ring_data(rr_store_t *st, rr_ckpt_cursor_t *c, uint32_t uid)
{
    for (uint32_t k = 0; k < st->nrecent_max; k++)
        st->recent[(size_t)uid * st->nrecent_max + k] = rr_ckpt_read_u32(c);
    for (uint32_t k = 0; k < RR_BOUGHT_MAX; k++)
        st->bought[(size_t)uid * RR_BOUGHT_MAX + k] = rr_ckpt_read_u32(c);
}

/* The valid entries of a ring (n from head) must be item ids (a recent item's with its flags):
 * lookups index by them. */
static int ring_ok(const uint32_t *ring, uint32_t cap, uint8_t n, uint8_t head, size_t items_max)
{
    for (uint32_t k = 0; k < n; k++)
        if (rr_recent_item(ring[(head + k) % cap]) >= items_max) return 0;
    return 1;
}

static int rings_ok(const rr_store_t *st, uint32_t uid)
{
    const rr_user_t *u = &st->user[uid];
    return ring_ok(&st->recent[(size_t)uid * st->nrecent_max], st->nrecent_max, u->nrecent,
                   u->recent_head, st->items_max) &&
           ring_ok(&st->bought[(size_t)uid * RR_BOUGHT_MAX], RR_BOUGHT_MAX, u->nbought,
                   u->bought_head, st->items_max);
}

/* Free ids keep their old rings (only nrecent/nbought say what is valid): saved too, so the
 * restored arrays are byte-identical, not merely equivalent. */
static void save_index(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    const rr_intern_t *in = &pl->store.users;
    rr_pckpt_begin(e, RR_PCKPT_UIDX, 0);
    rr_pckpt_intern_meta(e, in);
    for (uint32_t id = rr_intern_free_first(in); id != RR_INTERN_NONE;
         id = rr_intern_free_next(in, id))
        save_ring_data(&pl->store, e, id);
    rr_pckpt_end(e);
}

/* Free ids went through rr_pipeline_forget: the same clearing as there (zeros, as in a fresh
 * pipeline). */
static rr_err_t load_index(const rr_pckpt_dec_t *d)
{
    rr_store_t *st = &d->pl->store;
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_PCKPT_UIDX, &c);
    if (err) return err;
    rr_pckpt_read_intern_meta(&c, &st->users);
    for (uint32_t id = rr_intern_free_first(&st->users); id != RR_INTERN_NONE && !c.err;
         id = rr_intern_free_next(&st->users, id)) {
        load_ring_data(st, &c, id);
        rr_portrait_forget(&d->pl->portrait, id);
    }
    return rr_pckpt_close(d, &c, "UIDX");
}

static void save_user_record(const rr_user_t *u, rr_pckpt_enc_t *e)
{
    rr_pckpt_u64(e, (uint64_t)u->last_ts_ms);
    rr_pckpt_u32(e, u->trigger_gap_ms);
    rr_pckpt_u32(e, u->first_gap_ms);
    rr_pckpt_u32(e, u->nevents);
    rr_pckpt_u32(e, u->purchases);
    for (int k = 0; k < RR_SHOWN_MAX; k++) rr_pckpt_u32(e, u->shown[k]);
    uint32_t v[] = {(uint32_t)u->partition, u->flood_sec, u->flood_n,     u->nrecent,
                    u->recent_head,         u->nbought,   u->bought_head, u->nshown};
    for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) rr_pckpt_u32(e, v[k]);
}

/* Counts and heads index the rings and the list: out of range is corrupt. */
static int user_valid(const rr_store_t *st, const rr_user_t *u)
{
    return u->nrecent <= st->nrecent_max &&
           (!st->nrecent_max || u->recent_head < st->nrecent_max) && u->nbought <= RR_BOUGHT_MAX &&
           u->bought_head < RR_BOUGHT_MAX && u->nlist <= st->list_max && u->nshown <= RR_SHOWN_MAX;
}

static void load_user_record(const rr_store_t *st, rr_user_t *u, rr_ckpt_cursor_t *c)
{
    u->last_ts_ms = (int64_t)rr_ckpt_read_u64(c);
    /* Event times are validated on input: anything else is corrupt (and would overflow the
     * differences taken with it). */
    if ((u->last_ts_ms < 0 || u->last_ts_ms > RR_PCKPT_TS_MAX) && !c->err) c->err = RR_E(DECODE);
    u->trigger_gap_ms = rr_ckpt_read_u32(c);
    u->first_gap_ms = rr_ckpt_read_u32(c);
    u->nevents = rr_ckpt_read_u32(c);
    u->purchases = rr_ckpt_read_u32(c);
    for (int k = 0; k < RR_SHOWN_MAX; k++) u->shown[k] = rr_ckpt_read_u32(c);
    u->partition = (int32_t)rr_ckpt_read_u32(c);
    u->flood_sec = rr_ckpt_read_u32(c);
    u->flood_n = (uint16_t)rr_ckpt_read_u32(c);
    uint8_t *b[] = {&u->nrecent, &u->recent_head, &u->nbought, &u->bought_head, &u->nshown};
    for (size_t k = 0; k < sizeof(b) / sizeof(b[0]); k++) {
        uint32_t x = rr_ckpt_read_u32(c);
        if (x > UINT8_MAX && !c->err) c->err = RR_E(DECODE);
        *b[k] = (uint8_t)x;
    }
    for (int k = 0; k < u->nshown && !c->err; k++)
        if (u->shown[k] >= st->items_max) c->err = RR_E(DECODE);
    if (!c->err && !user_valid(st, u)) c->err = RR_E(DECODE);
}

static void save_topk(const rr_portrait_topk_t *top, rr_pckpt_enc_t *e)
{
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) {
        rr_pckpt_u32(e, rr_portrait_topk_id(top, k));
        rr_pckpt_u32(e, top->w[k]);
    }
}

static void load_topk(rr_portrait_topk_t *top, rr_ckpt_cursor_t *c)
{
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) {
        uint32_t id = rr_ckpt_read_u32(c), w = rr_ckpt_read_u32(c);
        if (((id >= RR_PORTRAIT_ID_LIMIT && id != RR_INTERN_NONE) || w > RR_PORTRAIT_Q_MAX) &&
            !c->err)
            c->err = RR_E(DECODE);
        uint32_t v = id == RR_INTERN_NONE ? 0 : (id + 1) & 0xffffffu;
        top->id_lo[k] = (uint16_t)v, top->id_hi[k] = (uint8_t)(v >> 16);
        top->w[k] = (uint16_t)w;
    }
}

static void save_portrait(const rr_portrait_t *p, rr_pckpt_enc_t *e)
{
    float f[] = {p->unit, p->price_lmean, p->rate};
    rr_pckpt_f32s(e, f, sizeof(f) / sizeof(f[0]));
    uint32_t v[] = {p->wsum, p->price_w, p->propensity, p->age, p->gender, p->region};
    for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) rr_pckpt_u32(e, v[k]);
    save_topk(&p->cat, e);
    save_topk(&p->brand, e);
}

static void load_portrait(rr_portrait_t *p, rr_ckpt_cursor_t *c)
{
    float f[3];
    rr_ckpt_read_f32s(c, f, 3);
    p->unit = f[0], p->price_lmean = f[1], p->rate = f[2];
    uint16_t *q[] = {&p->wsum, &p->price_w, &p->propensity};
    for (size_t k = 0; k < sizeof(q) / sizeof(q[0]); k++) {
        uint32_t x = rr_ckpt_read_u32(c);
        if (x > UINT16_MAX && !c->err) c->err = RR_E(DECODE);
        *q[k] = (uint16_t)x;
    }
    p->age = (uint8_t)rr_ckpt_read_u32(c);
    p->gender = (uint8_t)rr_ckpt_read_u32(c);
    p->region = (uint16_t)rr_ckpt_read_u32(c);
    load_topk(&p->cat, c);
    load_topk(&p->brand, c);
}

static void save_list(const rr_store_t *st, uint32_t uid, rr_pckpt_enc_t *e)
{
    const rr_list_entry_t *list = rr_store_list(st, uid);
    for (uint32_t k = 0; k < st->list_max; k++) {
        rr_pckpt_u32(e, list[k].item);
        rr_pckpt_f32s(e, &list[k].score, 1);
        rr_pckpt_u32(e, rr_list_because(&list[k]));
        rr_pckpt_u32(e, list[k].reason);
        rr_pckpt_u32(e, rr_list_centi(&list[k]));
    }
}

static void load_list(const rr_store_t *st, uint32_t uid, rr_ckpt_cursor_t *c)
{
    rr_list_entry_t *list = rr_store_list(st, uid);
    for (uint32_t k = 0; k < st->list_max && !c->err; k++) {
        uint32_t item = rr_ckpt_read_u32(c);
        float score;
        rr_ckpt_read_f32s(c, &score, 1);
        uint32_t because = rr_ckpt_read_u32(c), reason = rr_ckpt_read_u32(c);
        uint32_t centi = rr_ckpt_read_u32(c);
        if (item >= RR_LIST_ID_NONE || reason > RR_REASON_TEXT || centi > RR_LIST_CENTI_MAX ||
            (because >= RR_LIST_ID_NONE && because != RR_INTERN_NONE)) {
            if (!c->err) c->err = RR_E(DECODE);
            return;
        }
        list[k] = rr_list_entry(item, score, (rr_reason_t)reason);
        rr_list_set_because(&list[k], because);
        rr_list_set_centi(&list[k], centi);
    }
}

/* The 512 bits, then how many blocks the filter grew and their words, oldest first. */
static void save_seen(const rr_store_t *st, rr_pckpt_enc_t *e, uint32_t uid)
{
    for (int k = 0; k < RR_SEEN_WORDS; k++)
        rr_pckpt_u64(e, st->seen[(size_t)uid * RR_SEEN_WORDS + k]);
    const uint64_t *blocks[RR_SEEN_MAX_BLOCKS];
    size_t n = rr_store_seen_blocks(st, uid, blocks);
    rr_pckpt_u32(e, (uint32_t)n);
    for (size_t b = 0; b < n; b++)
        for (int k = 0; k < RR_SEEN_BIG_WORDS; k++) rr_pckpt_u64(e, blocks[b][k]);
}

/* A block the reader's pool has no room for is dropped: the user's items in it are then offered
 * again (with the same configuration as the writer's, there is always room). */
static void load_seen(rr_store_t *st, rr_ckpt_cursor_t *c, uint32_t uid)
{
    for (int k = 0; k < RR_SEEN_WORDS; k++)
        st->seen[(size_t)uid * RR_SEEN_WORDS + k] = rr_ckpt_read_u64(c);
    uint32_t n = rr_ckpt_read_u32(c);
    if (n > RR_SEEN_MAX_BLOCKS) {
        if (!c->err) c->err = RR_E(DECODE);
        return;
    }
    for (uint32_t b = 0; b < n && !c->err; b++) {
        uint64_t *block = rr_store_seen_grow(st, uid);
        for (int k = 0; k < RR_SEEN_BIG_WORDS; k++) {
            uint64_t w = rr_ckpt_read_u64(c);
            if (block) block[k] = w;
        }
    }
}

static void save_user(const rr_pipeline_t *pl, uint32_t uid, rr_pckpt_enc_t *e)
{
    const rr_store_t *st = &pl->store;
    rr_pckpt_str(e, rr_intern_key(&st->users, uid));
    rr_pckpt_u32(e, uid);
    save_user_record(&st->user[uid], e);
    save_ring_data(st, e, uid);
    save_seen(st, e, uid);
    save_portrait(&pl->portrait.user[uid], e);
}

void rr_pckpt_read_user_body(rr_pipeline_t *pl, uint32_t uid, uint32_t sub, rr_ckpt_cursor_t *c)
{
    rr_store_t *st = &pl->store;
    load_user_record(st, &st->user[uid], c);
    if (!c->err && sub_of(&st->user[uid]) != sub) c->err = RR_E(DECODE);
    load_ring_data(st, c, uid);
    if (!c->err && !rings_ok(st, uid)) c->err = RR_E(DECODE);
    load_seen(st, c, uid);
    load_portrait(&pl->portrait.user[uid], c);
}

/* One entry of section sub; the id must be unclaimed and below the users' bound. */
static void load_user(rr_pipeline_t *pl, uint32_t sub, rr_ckpt_cursor_t *c)
{
    rr_store_t *st = &pl->store;
    char key[RR_ID_MAX];
    rr_pckpt_read_str(c, key, sizeof(key));
    uint32_t uid = rr_ckpt_read_u32(c);
    if (c->err || rr_intern_restore_key(&st->users, uid, key)) {
        if (!c->err) c->err = RR_E(DECODE);
        return;
    }
    rr_pckpt_read_user_body(pl, uid, sub, c);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Live users sorted by (section, id): each partition's users are written as one section. */
static uint64_t *users_by_partition(const rr_store_t *st, size_t *n)
{
    uint64_t *order = malloc((st->users.count ? st->users.count : 1) * sizeof(*order));
    *n = 0;
    if (!order) return NULL;
    for (size_t uid = 0; uid < st->users.next_id && *n < st->users.count; uid++)
        if (rr_intern_key(&st->users, (uint32_t)uid))
            order[(*n)++] = (uint64_t)sub_of(&st->user[uid]) << 32 | uid;
    qsort(order, *n, sizeof(*order), cmp_u64);
    return order;
}

/* LIST/<sub>: what depends on when lists were refreshed and on the process's clocks (the list,
 * its length, freshness stamps). Kept apart so USRS holds only what the event order decides,
 * and two runs' USRS digests can be compared (rtrec inspect). */

static void save_volatile(const rr_store_t *st, uint32_t uid, rr_pckpt_enc_t *e)
{
    const rr_user_t *u = &st->user[uid];
    rr_pckpt_u32(e, uid);
    rr_pckpt_u32(e, u->dequeued_us);
    rr_pckpt_u32(e, u->produced_ms);
    rr_pckpt_u32(e, u->nlist);
    save_list(st, uid, e);
}

void rr_pckpt_read_list_body(rr_store_t *st, uint32_t uid, rr_ckpt_cursor_t *c)
{
    rr_user_t *u = &st->user[uid];
    u->dequeued_us = rr_ckpt_read_u32(c);
    u->produced_ms = rr_ckpt_read_u32(c);
    uint32_t nlist = rr_ckpt_read_u32(c);
    if (nlist > st->list_max && !c->err) c->err = RR_E(DECODE);
    u->nlist = (uint8_t)nlist;
    load_list(st, uid, c);
}

static void load_volatile(rr_store_t *st, rr_ckpt_cursor_t *c)
{
    uint32_t uid = rr_ckpt_read_u32(c);
    if (c->err || !rr_intern_key(&st->users, uid)) {
        if (!c->err) c->err = RR_E(DECODE);
        return;
    }
    rr_pckpt_read_list_body(st, uid, c);
}

static void save_group(const rr_pipeline_t *pl, rr_pckpt_enc_t *e, const uint64_t *order, size_t i,
                       size_t j, uint32_t tag)
{
    rr_pckpt_begin(e, tag, (uint32_t)(order[i] >> 32));
    rr_pckpt_u64(e, j - i);
    for (size_t k = i; k < j; k++) {
        if (tag == RR_CKPT_USRS)
            save_user(pl, (uint32_t)order[k], e);
        else
            save_volatile(&pl->store, (uint32_t)order[k], e);
    }
    rr_pckpt_end(e);
}

rr_err_t rr_pckpt_save_users(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    save_index(pl, e);
    size_t n;
    uint64_t *order = users_by_partition(&pl->store, &n);
    if (!order) return e->err ? e->err : RR_E(NOMEM);
    for (size_t i = 0, j; i < n && !e->err; i = j) {
        uint32_t sub = (uint32_t)(order[i] >> 32);
        for (j = i; j < n && (uint32_t)(order[j] >> 32) == sub;) j++;
        save_group(pl, e, order, i, j, RR_CKPT_USRS);
        save_group(pl, e, order, i, j, RR_CKPT_LIST);
    }
    free(order);
    return e->err;
}

rr_err_t rr_pckpt_save_part_users(const rr_pipeline_t *pl, rr_pckpt_enc_t *e, uint32_t sub)
{
    size_t n;
    uint64_t *order = users_by_partition(&pl->store, &n);
    if (!order) return e->err ? e->err : RR_E(NOMEM);
    size_t i = 0, j;
    while (i < n && (uint32_t)(order[i] >> 32) < sub) i++;
    for (j = i; j < n && (uint32_t)(order[j] >> 32) == sub;) j++;
    /* Written even when empty: the sections' presence says the partition had no users. */
    rr_pckpt_begin(e, RR_CKPT_USRS, sub);
    rr_pckpt_u64(e, j - i);
    for (size_t k = i; k < j; k++) save_user(pl, (uint32_t)order[k], e);
    rr_pckpt_end(e);
    rr_pckpt_begin(e, RR_CKPT_LIST, sub);
    rr_pckpt_u64(e, j - i);
    for (size_t k = i; k < j; k++) save_volatile(&pl->store, (uint32_t)order[k], e);
    rr_pckpt_end(e);
    free(order);
    return e->err;
}

static rr_err_t load_section(const rr_pckpt_dec_t *d, const rr_ckpt_section_t *s)
{
    char what[32], tag[5];
    rr_ckpt_tag_str(s->tag, tag);
    snprintf(what, sizeof(what), "%s/%u", tag, (unsigned)s->sub);
    rr_ckpt_cursor_t c;
    rr_ckpt_cursor_init(&c, s->data, (size_t)s->len);
    if (rr_ckpt_read_u32(&c) != RR_PCKPT_VERSION)
        return rr_pckpt_fail(d, RR_E(DECODE), what, "unsupported payload version");
    uint64_t n = rr_ckpt_read_u64(&c);
    for (uint64_t k = 0; k < n && !c.err; k++) {
        if (s->tag == RR_CKPT_USRS)
            load_user(d->pl, s->sub, &c);
        else
            load_volatile(&d->pl->store, &c);
    }
    return rr_pckpt_close(d, &c, what);
}

rr_err_t rr_pckpt_load_users(const rr_pckpt_dec_t *d)
{
    rr_err_t err = load_index(d);
    for (size_t i = 0; !err; i++) {
        const rr_ckpt_section_t *s = rr_ckpt_section(d->r, i);
        if (!s) break;
        if (s->tag == RR_CKPT_USRS) err = load_section(d, s);
    }
    for (size_t i = 0; !err; i++) { /* lists after every user exists */
        const rr_ckpt_section_t *s = rr_ckpt_section(d->r, i);
        if (!s) break;
        if (s->tag == RR_CKPT_LIST) err = load_section(d, s);
    }
    if (!err && rr_pckpt_intern_rebuild(&d->pl->store.users))
        return rr_pckpt_fail(d, RR_E(DECODE), "USRS", "users disagree with the id index");
    return err;
}
