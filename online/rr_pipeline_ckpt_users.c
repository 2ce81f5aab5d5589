/* rr_pipeline_ckpt_users.c — per-user checkpoint state, one USRS/<partition + 1> section per input
 * partition (0: unknown) so a partition's users can be loaded alone; each entry carries the user
 * id string and its dense id. UIDX/0 keeps the users' id bookkeeping and the free ids' rings. */
#include <stdlib.h>
#include "rr_pipeline_ckpt_internal.h"

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

/* The valid entries of a ring (n from head) must be item ids: lookups index by them. */
static int ring_ok(const uint32_t *ring, uint32_t cap, uint8_t n, uint8_t head, size_t items_max)
{
    for (uint32_t k = 0; k < n; k++)
        if (ring[(head + k) % cap] >= items_max) return 0;
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
    for (size_t k = 0; k < in->free_count; k++)
        save_ring_data(&pl->store, e, in->free_ring[(in->free_head + k) % in->cap]);
    rr_pckpt_end(e);
}

/* Free ids went through rr_pipeline_forget: the same clearing as there (the store's and the
 * learner's leave zeros, as in a fresh pipeline; the portrait's does not). */
static rr_err_t load_index(const rr_pckpt_dec_t *d)
{
    rr_store_t *st = &d->pl->store;
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_PCKPT_UIDX, &c);
    if (err) return err;
    rr_pckpt_read_intern_meta(&c, &st->users);
    for (size_t k = 0; k < st->users.free_count && !c.err; k++) {
        load_ring_data(st, &c, st->users.free_ring[k]);
        rr_portrait_forget(&d->pl->portrait, st->users.free_ring[k]);
    }
    return rr_pckpt_close(d, &c, "UIDX");
}

static void save_user_record(const rr_user_t *u, rr_pckpt_enc_t *e)
{
    uint64_t t[] = {(uint64_t)u->first_ts_ms, (uint64_t)u->last_ts_ms, (uint64_t)u->trigger_ts_ms};
    for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) rr_pckpt_u64(e, t[k]);
    for (int k = 0; k < RR_EV__COUNT; k++) rr_pckpt_u32(e, u->counts[k]);
    rr_pckpt_u32(e, u->nevents);
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
    int64_t *t[] = {&u->first_ts_ms, &u->last_ts_ms, &u->trigger_ts_ms};
    for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) *t[k] = (int64_t)rr_ckpt_read_u64(c);
    for (int k = 0; k < RR_EV__COUNT; k++) u->counts[k] = rr_ckpt_read_u32(c);
    u->nevents = rr_ckpt_read_u32(c);
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

static void save_portrait(const rr_portrait_t *p, rr_pckpt_enc_t *e)
{
    rr_pckpt_u64(e, (uint64_t)p->ts_ms);
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) rr_pckpt_u32(e, p->cat[k]);
    rr_pckpt_f32s(e, p->cat_w, RR_PORTRAIT_TOPK);
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) rr_pckpt_u32(e, p->brand[k]);
    rr_pckpt_f32s(e, p->brand_w, RR_PORTRAIT_TOPK);
    float f[] = {p->wsum, p->price_lsum, p->price_w, p->rate, p->propensity};
    rr_pckpt_f32s(e, f, sizeof(f) / sizeof(f[0]));
    rr_pckpt_u32(e, p->age);
    rr_pckpt_u32(e, p->gender);
    rr_pckpt_u32(e, p->region);
}

static void load_portrait(rr_portrait_t *p, rr_ckpt_cursor_t *c)
{
    p->ts_ms = (int64_t)rr_ckpt_read_u64(c);
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) p->cat[k] = rr_ckpt_read_u32(c);
    rr_ckpt_read_f32s(c, p->cat_w, RR_PORTRAIT_TOPK);
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) p->brand[k] = rr_ckpt_read_u32(c);
    rr_ckpt_read_f32s(c, p->brand_w, RR_PORTRAIT_TOPK);
    float f[5];
    rr_ckpt_read_f32s(c, f, 5);
    p->wsum = f[0], p->price_lsum = f[1], p->price_w = f[2], p->rate = f[3], p->propensity = f[4];
    p->age = (uint8_t)rr_ckpt_read_u32(c);
    p->gender = (uint8_t)rr_ckpt_read_u32(c);
    p->region = (uint16_t)rr_ckpt_read_u32(c);
}

static void save_list(const rr_store_t *st, uint32_t uid, rr_pckpt_enc_t *e)
{
    const rr_list_entry_t *list = rr_store_list(st, uid);
    for (uint32_t k = 0; k < st->list_max; k++) {
        rr_pckpt_u32(e, list[k].item);
        rr_pckpt_f32s(e, &list[k].score, 1);
        rr_pckpt_u32(e, list[k].because);
        rr_pckpt_f32s(e, &list[k].strength, 1);
        rr_pckpt_u32(e, list[k].reason);
    }
}

static void load_list(const rr_store_t *st, uint32_t uid, rr_ckpt_cursor_t *c)
{
    rr_list_entry_t *list = rr_store_list(st, uid);
    for (uint32_t k = 0; k < st->list_max; k++) {
        list[k].item = rr_ckpt_read_u32(c);
        rr_ckpt_read_f32s(c, &list[k].score, 1);
        list[k].because = rr_ckpt_read_u32(c);
        rr_ckpt_read_f32s(c, &list[k].strength, 1);
        list[k].reason = (uint8_t)rr_ckpt_read_u32(c);
    }
}

/* The learner's row of the user, its optimiser state and its ready bit. */
static void save_learner_row(const rr_learner_t *lr, uint32_t uid, rr_pckpt_enc_t *e)
{
    size_t sf = rr_optim_row_state_floats(lr->cfg.optim, lr->cfg.dim);
    rr_pckpt_u32(e, (uint32_t)(lr->user_ready[uid / 64] >> (uid % 64)) & 1u);
    rr_pckpt_f32s(e, rr_embed_row(&lr->users, uid), (size_t)lr->cfg.dim);
    rr_pckpt_f32s(e, lr->st_users + (size_t)uid * sf, sf);
}

static void load_learner_row(rr_learner_t *lr, uint32_t uid, rr_ckpt_cursor_t *c)
{
    size_t sf = rr_optim_row_state_floats(lr->cfg.optim, lr->cfg.dim);
    uint32_t ready = rr_ckpt_read_u32(c);
    if (ready > 1 && !c->err) c->err = RR_E(DECODE);
    if (ready) lr->user_ready[uid / 64] |= 1ULL << (uid % 64);
    rr_ckpt_read_f32s(c, rr_embed_row(&lr->users, uid), (size_t)lr->cfg.dim);
    rr_ckpt_read_f32s(c, lr->st_users + (size_t)uid * sf, sf);
}

static void save_user(const rr_pipeline_t *pl, uint32_t uid, rr_pckpt_enc_t *e)
{
    const rr_store_t *st = &pl->store;
    rr_pckpt_str(e, st->users.keys[uid]);
    rr_pckpt_u32(e, uid);
    save_user_record(&st->user[uid], e);
    save_ring_data(st, e, uid);
    for (int k = 0; k < RR_SEEN_WORDS; k++)
        rr_pckpt_u64(e, st->seen[(size_t)uid * RR_SEEN_WORDS + k]);
    save_portrait(&pl->portrait.user[uid], e);
    if (pl->model_on) save_learner_row(&pl->learner, uid, e);
}

/* One entry of section sub; the id must be unclaimed and below the users' bound. */
static void load_user(rr_pipeline_t *pl, uint32_t sub, rr_ckpt_cursor_t *c)
{
    rr_store_t *st = &pl->store;
    char key[RR_ID_MAX];
    rr_pckpt_read_str(c, key, sizeof(key));
    uint32_t uid = rr_ckpt_read_u32(c);
    if (c->err || !key[0] || uid >= st->users.next_id || st->users.keys[uid][0]) {
        if (!c->err) c->err = RR_E(DECODE);
        return;
    }
    memcpy(st->users.keys[uid], key, sizeof(key));
    load_user_record(st, &st->user[uid], c);
    if (!c->err && sub_of(&st->user[uid]) != sub) c->err = RR_E(DECODE);
    load_ring_data(st, c, uid);
    if (!c->err && !rings_ok(st, uid)) c->err = RR_E(DECODE);
    for (int k = 0; k < RR_SEEN_WORDS; k++)
        st->seen[(size_t)uid * RR_SEEN_WORDS + k] = rr_ckpt_read_u64(c);
    load_portrait(&pl->portrait.user[uid], c);
    if (pl->model_on) load_learner_row(&pl->learner, uid, c);
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
        if (st->users.keys[uid][0]) order[(*n)++] = (uint64_t)sub_of(&st->user[uid]) << 32 | uid;
    qsort(order, *n, sizeof(*order), cmp_u64);
    return order;
}

/* LIST/<sub>: what depends on when lists were refreshed and on the process's clocks (the list,
 * its length, freshness stamps). Kept apart so USRS holds only what the event order decides,
 * and two runs' USRS digests can be compared (rtrec inspect). */
#define RR_CKPT_LIST RR_CKPT_TAG('L', 'I', 'S', 'T')

static void save_volatile(const rr_store_t *st, uint32_t uid, rr_pckpt_enc_t *e)
{
    const rr_user_t *u = &st->user[uid];
    rr_pckpt_u32(e, uid);
    rr_pckpt_u64(e, u->dequeued_us);
    rr_pckpt_u64(e, (uint64_t)u->produced_ms);
    rr_pckpt_u32(e, u->nlist);
    save_list(st, uid, e);
}

static void load_volatile(rr_store_t *st, rr_ckpt_cursor_t *c)
{
    uint32_t uid = rr_ckpt_read_u32(c);
    if (c->err || uid >= st->users.next_id || !st->users.keys[uid][0]) {
        if (!c->err) c->err = RR_E(DECODE);
        return;
    }
    rr_user_t *u = &st->user[uid];
    u->dequeued_us = rr_ckpt_read_u64(c);
    u->produced_ms = (int64_t)rr_ckpt_read_u64(c);
    uint32_t nlist = rr_ckpt_read_u32(c);
    if (nlist > st->list_max && !c->err) c->err = RR_E(DECODE);
    u->nlist = (uint8_t)nlist;
    load_list(st, uid, c);
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
