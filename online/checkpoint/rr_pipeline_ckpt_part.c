/* rr_pipeline_ckpt_part.c — partition snapshots: PHDR/0 and PKEY/0 here, the user entries through
 * rr_pipeline_ckpt_users.c; loading renumbers the writer's ids into the reader's (see the .h). */
#include <stdlib.h>
#include "rr_pipeline_ckpt_codec.h"
#include "rr_pipeline_ckpt_demo.h"
#include "rr_pipeline_ckpt_part.h"
#include "rr_pipeline_ckpt_text.h"
#include "rr_pipeline_ckpt_users.h"

#define RR_PCKPT_PHDR RR_CKPT_TAG('P', 'H', 'D', 'R') /* the shape of the user records */
#define RR_PCKPT_PKEY RR_CKPT_TAG('P', 'K', 'E', 'Y') /* item, category and brand keys */

/* What a user entry's layout and id checks depend on; a reader of another shape refuses. */
static void shape(const rr_pipeline_t *pl, uint64_t v[8])
{
    const rr_store_t *st = &pl->store;
    uint64_t s[8] = {st->nrecent_max, st->list_max, st->items_max,    RR_BOUGHT_MAX,
                     RR_SEEN_WORDS,   RR_SHOWN_MAX, RR_PORTRAIT_TOPK, RR_ID_MAX};
    memcpy(v, s, sizeof(s));
}

static void save_keys(rr_pckpt_enc_t *e, const rr_intern_t *in)
{
    rr_pckpt_u32(e, (uint32_t)rr_intern_bound(in));
    for (size_t id = 0; id < rr_intern_bound(in); id++) { /* "" = free */
        const char *key = rr_intern_key(in, (uint32_t)id);
        rr_pckpt_str(e, key ? key : "");
    }
}

rr_err_t rr_pipeline_save_part(const rr_pipeline_t *pl, int32_t partition, rr_ckpt_writer_t *w)
{
    rr_pckpt_enc_t e = {w, RR_OK};
    uint64_t v[8];
    shape(pl, v);
    rr_pckpt_begin(&e, RR_PCKPT_PHDR, 0);
    rr_pckpt_u32(&e, (uint32_t)partition);
    for (int k = 0; k < 8; k++) rr_pckpt_u64(&e, v[k]);
    rr_pckpt_end(&e);
    rr_pckpt_begin(&e, RR_PCKPT_PKEY, 0);
    save_keys(&e, &pl->store.items);
    save_keys(&e, &pl->store.categories);
    save_keys(&e, &pl->store.brands);
    rr_pckpt_end(&e);
    if (!e.err) e.err = rr_pckpt_save_part_users(pl, &e, (uint32_t)partition + 1);
    if (!e.err) e.err = rr_pckpt_save_part_demo(pl, &e, (uint32_t)partition + 1);
    rr_pckpt_save_part_text(pl, &e, (uint32_t)partition + 1);
    return e.err;
}

/* ---- loading ----------------------------------------------------------------------------- */

/* Writer's id -> reader's id, per table. */
typedef struct remap_s {
    uint32_t *map[3]; /* items, categories, brands */
    uint32_t n[3];
    int renumbered; /* some id differs: the users' seen filters must be rebuilt */
} remap_t;

enum { MAP_ITEM, MAP_CAT, MAP_BRAND };

static uint32_t key_ref(rr_store_t *st, int table, const char *key)
{
    uint32_t id = RR_INTERN_NONE;
    int is_new;
    if (!key[0]) return RR_INTERN_NONE;
    if (table == MAP_ITEM) return rr_store_item_ref(st, key, &id) == RR_OK ? id : RR_INTERN_NONE;
    rr_intern_t *in = table == MAP_CAT ? &st->categories : &st->brands;
    return rr_intern_add(in, key, &id, &is_new) == RR_OK ? id : RR_INTERN_NONE;
}

static void read_keys(rr_ckpt_cursor_t *c, rr_store_t *st, remap_t *m, int table)
{
    uint32_t n = rr_ckpt_read_u32(c);
    if (c->err || n > c->left / 4) { /* each key takes 4 bytes at least */
        if (!c->err) c->err = RR_E(DECODE);
        return;
    }
    m->map[table] = malloc((n ? n : 1) * sizeof(uint32_t));
    if (!m->map[table]) {
        c->err = RR_E(NOMEM);
        return;
    }
    m->n[table] = n;
    char key[RR_ID_MAX];
    for (uint32_t id = 0; id < n && !c->err; id++) {
        rr_pckpt_read_str(c, key, sizeof(key));
        m->map[table][id] = key_ref(st, table, key);
        if (key[0] && m->map[table][id] != id) m->renumbered = 1;
    }
}

/* RR_INTERN_NONE stays; an id the writer did not name is corrupt (err latched). */
static uint32_t map_id(const remap_t *m, int table, uint32_t id, rr_ckpt_cursor_t *c)
{
    if (id == RR_INTERN_NONE) return id;
    if (id >= m->n[table]) {
        if (!c->err) c->err = RR_E(DECODE);
        return RR_INTERN_NONE;
    }
    return m->map[table][id];
}

static void map_ring(const remap_t *m, uint32_t *ring, uint32_t cap, uint8_t n, uint8_t head,
                     rr_ckpt_cursor_t *c)
{
    for (uint32_t k = 0; k < n; k++) {
        uint32_t *slot = &ring[(head + k) % cap], flags = *slot & RR_RECENT_FLAGS;
        uint32_t id = map_id(m, MAP_ITEM, rr_recent_item(*slot), c);
        *slot = id == RR_INTERN_NONE ? 0 : id | flags; /* an item the reader could not add: none */
    }
}

static void map_topk(const remap_t *m, int table, rr_portrait_topk_t *top, rr_ckpt_cursor_t *c)
{
    for (int k = 0; k < RR_PORTRAIT_TOPK; k++) {
        uint32_t id = map_id(m, table, rr_portrait_topk_id(top, k), c);
        uint32_t v = id == RR_INTERN_NONE || id >= RR_PORTRAIT_ID_LIMIT ? 0 : (id + 1) & 0xffffffu;
        if (!v) top->w[k] = 0;
        top->id_lo[k] = (uint16_t)v, top->id_hi[k] = (uint8_t)(v >> 16);
    }
}

static void map_user(rr_pipeline_t *pl, const remap_t *m, uint32_t uid, rr_ckpt_cursor_t *c)
{
    rr_store_t *st = &pl->store;
    rr_user_t *u = &st->user[uid];
    map_ring(m, &st->recent[(size_t)uid * st->nrecent_max], st->nrecent_max, u->nrecent,
             u->recent_head, c);
    map_ring(m, &st->bought[(size_t)uid * RR_BOUGHT_MAX], RR_BOUGHT_MAX, u->nbought, u->bought_head,
             c);
    for (int k = 0; k < u->nshown; k++) u->shown[k] = map_id(m, MAP_ITEM, u->shown[k], c);
    map_topk(m, MAP_CAT, &pl->portrait.user[uid].cat, c);
    map_topk(m, MAP_BRAND, &pl->portrait.user[uid].brand, c);
    pl->portrait.user[uid].region = 0; /* the writer's name id: DEMO/<sub> brings the text */
    if (m->renumbered) rr_store_seen_reset(st, uid);
}

/* List entries refer to items, and their "because" to an item (co-occurrence) or a category. */
static void map_list(rr_store_t *st, const remap_t *m, uint32_t uid, rr_ckpt_cursor_t *c)
{
    rr_list_entry_t *list = rr_store_list(st, uid);
    for (uint32_t k = 0; k < st->user[uid].nlist; k++) {
        uint32_t item = map_id(m, MAP_ITEM, list[k].item, c);
        int table = list[k].reason == RR_REASON_CATEGORY ? MAP_CAT : MAP_ITEM;
        uint32_t because = map_id(m, table, rr_list_because(&list[k]), c);
        list[k].item = item == RR_INTERN_NONE ? 0 : item;
        rr_list_set_because(&list[k], because);
    }
}

static rr_err_t check_shape(const rr_pckpt_dec_t *d, int32_t partition)
{
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_PCKPT_PHDR, &c);
    if (err) return err;
    uint32_t p = rr_ckpt_read_u32(&c);
    uint64_t v[8];
    shape(d->pl, v);
    int same = 1;
    for (int k = 0; k < 8; k++) same &= rr_ckpt_read_u64(&c) == v[k];
    if ((err = rr_pckpt_close(d, &c, "PHDR")) != RR_OK) return err;
    if (p != (uint32_t)partition)
        return rr_pckpt_fail(d, RR_E(DECODE), "PHDR", "a snapshot of another partition");
    if (!same)
        return rr_pckpt_fail(d, RR_E(CONFIG), "PHDR",
                             "written with other users shape (recs.recent, recs.n, items.max)");
    return RR_OK;
}

static rr_err_t load_keys(const rr_pckpt_dec_t *d, remap_t *m)
{
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_PCKPT_PKEY, &c);
    if (err) return err;
    for (int t = 0; t < 3 && !c.err; t++) read_keys(&c, &d->pl->store, m, t);
    return rr_pckpt_close(d, &c, "PKEY");
}

/* A section of the partition's users: its count, after the version. */
static rr_err_t part_section(const rr_pckpt_dec_t *d, uint32_t tag, uint32_t sub,
                             rr_ckpt_cursor_t *c, uint64_t *n)
{
    const void *data;
    size_t len;
    if (rr_ckpt_find(d->r, tag, sub, &data, &len) != RR_OK)
        return rr_pckpt_fail(d, RR_E(DECODE), tag == RR_CKPT_USRS ? "USRS" : "LIST", "missing");
    rr_ckpt_cursor_init(c, data, len);
    if (rr_ckpt_read_u32(c) != RR_PCKPT_VERSION)
        return rr_pckpt_fail(d, RR_E(DECODE), "USRS", "unsupported payload version");
    *n = rr_ckpt_read_u64(c);
    return RR_OK;
}

/* Claims a fresh id for key (a user already held is dropped first: the snapshot wins). */
static rr_err_t claim_user(rr_pipeline_t *pl, const char *key, uint32_t *uid)
{
    int is_new;
    rr_pipeline_forget(pl, key);
    rr_err_t err = rr_store_user(&pl->store, key, uid, &is_new);
    if (!err) rr_portrait_forget(&pl->portrait, *uid);
    return err;
}

static rr_err_t load_users(const rr_pckpt_dec_t *d, const remap_t *m, uint32_t sub, uint32_t **uids,
                           uint64_t *nusers)
{
    rr_ckpt_cursor_t c;
    rr_err_t err = part_section(d, RR_CKPT_USRS, sub, &c, nusers);
    if (err) return err;
    if (*nusers > c.left / 8) return rr_pckpt_fail(d, RR_E(DECODE), "USRS", "bad user count");
    *uids = malloc((*nusers ? *nusers : 1) * sizeof(uint32_t));
    if (!*uids) return RR_E(NOMEM);
    char key[RR_ID_MAX];
    for (uint64_t k = 0; k < *nusers && !c.err; k++) {
        rr_pckpt_read_str(&c, key, sizeof(key));
        (void)rr_ckpt_read_u32(&c); /* the writer's id */
        if (c.err) break;
        if ((err = claim_user(d->pl, key, &(*uids)[k])) != RR_OK)
            return rr_pckpt_fail(d, err, "USRS", "no room for the partition's users (users.max)");
        rr_pckpt_read_user_body(d->pl, (*uids)[k], sub, &c);
        if (!c.err) map_user(d->pl, m, (*uids)[k], &c);
    }
    return rr_pckpt_close(d, &c, "USRS");
}

static rr_err_t load_lists(const rr_pckpt_dec_t *d, const remap_t *m, uint32_t sub,
                           const uint32_t *uids, uint64_t nusers)
{
    rr_ckpt_cursor_t c;
    uint64_t n;
    rr_err_t err = part_section(d, RR_CKPT_LIST, sub, &c, &n);
    if (err) return err;
    if (n != nusers) return rr_pckpt_fail(d, RR_E(DECODE), "LIST", "disagrees with USRS");
    for (uint64_t k = 0; k < n && !c.err; k++) {
        (void)rr_ckpt_read_u32(&c); /* the writer's id: entries follow USRS's order */
        rr_pckpt_read_list_body(&d->pl->store, uids[k], &c);
        if (!c.err) map_list(&d->pl->store, m, uids[k], &c);
    }
    return rr_pckpt_close(d, &c, "LIST");
}

rr_err_t rr_pipeline_load_part(rr_pipeline_t *pl, const rr_ckpt_reader_t *r, int32_t partition,
                               size_t *nusers, char *errstr, size_t errlen)
{
    rr_pckpt_dec_t d = {pl, r, errstr, errlen};
    remap_t m = {{NULL, NULL, NULL}, {0, 0, 0}, 0};
    pl->epoch++; /* users and items arrive: no cached ranker pool stays valid */
    uint32_t *uids = NULL;
    uint64_t n = 0;
    uint32_t sub = (uint32_t)partition + 1;
    if (errstr && errlen) errstr[0] = '\0';
    *nusers = 0;
    rr_err_t err = check_shape(&d, partition);
    if (!err) err = load_keys(&d, &m);
    if (!err) err = load_users(&d, &m, sub, &uids, &n);
    if (!err) err = load_lists(&d, &m, sub, uids, n);
    if (!err) err = rr_pckpt_load_part_demo(&d, sub);
    if (!err) err = rr_pckpt_load_part_text(&d, sub);
    if (!err) *nusers = (size_t)n;
    free(uids);
    for (int t = 0; t < 3; t++) free(m.map[t]);
    return err;
}
