/* rr_pipeline_ckpt_text.c — TEXT/0 and UTXT/<sub>; see rr_pipeline_ckpt_text.h. */
#include "rr_pipeline_ckpt_text.h"

static void save_user_text(const rr_text_user_t *u, rr_pckpt_enc_t *e)
{
    rr_pckpt_u64(e, (uint64_t)u->ts_ms);
    for (int k = 0; k < RR_TEXT_TERMS; k++) rr_pckpt_u32(e, u->hash[k]);
    rr_pckpt_f32s(e, u->w, RR_TEXT_TERMS);
    for (int k = 0; k < RR_TEXT_TERMS; k++) rr_pckpt_str(e, u->term[k]);
    rr_pckpt_str(e, u->query);
}

static void load_user_text(rr_text_user_t *u, rr_ckpt_cursor_t *c)
{
    u->ts_ms = (int64_t)rr_ckpt_read_u64(c);
    if ((u->ts_ms < 0 || u->ts_ms > RR_PCKPT_TS_MAX) && !c->err) c->err = RR_E(DECODE);
    for (int k = 0; k < RR_TEXT_TERMS; k++) u->hash[k] = rr_ckpt_read_u32(c);
    rr_ckpt_read_f32s(c, u->w, RR_TEXT_TERMS);
    for (int k = 0; k < RR_TEXT_TERMS; k++) rr_pckpt_read_str(c, u->term[k], RR_TEXT_TOKEN_MAX);
    rr_pckpt_read_str(c, u->query, RR_TEXT_QUERY_MAX);
}

/* Items' tokens up to the items' bound, then the index's used buckets verbatim (their order
 * decides which items a full bucket keeps). */
static void save_items(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    const rr_text_table_t *tt = &pl->text;
    uint64_t bound = pl->store.items.next_id, used = 0;
    rr_pckpt_u64(e, bound);
    for (size_t i = 0; i < bound; i++) {
        const uint32_t *tok = rr_text_item_tokens(tt, (uint32_t)i);
        uint32_t n = 0;
        while (n < RR_TEXT_ITEM_TOKENS && tok[n]) n++;
        rr_pckpt_u32(e, n);
        for (uint32_t k = 0; k < n; k++) rr_pckpt_u32(e, tok[k]);
        rr_pckpt_u64(e, (uint64_t)tt->listed_ms[i]);
    }
    for (size_t b = 0; b < tt->nbuckets; b++) used += tt->bucket[b * RR_TEXT_BUCKET] != 0;
    rr_pckpt_u64(e, tt->nbuckets);
    rr_pckpt_u64(e, used);
    for (size_t b = 0; b < tt->nbuckets; b++) {
        if (!tt->bucket[b * RR_TEXT_BUCKET]) continue; /* slot 0 fills first */
        rr_pckpt_u64(e, b);
        rr_pckpt_u32(e, tt->head[b]);
        for (int k = 0; k < RR_TEXT_BUCKET; k++)
            rr_pckpt_u32(e, tt->bucket[b * RR_TEXT_BUCKET + k]);
    }
}

/* The intent slots verbatim (slot index, user id + 1, record): a slot's place decides which
 * user a full probe window evicts next. */
void rr_pckpt_save_text(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    const rr_text_table_t *tt = &pl->text;
    uint64_t n = 0;
    rr_pckpt_begin(e, RR_PCKPT_TEXT, 0);
    save_items(pl, e);
    for (size_t s = 0; s < tt->nslots; s++) n += tt->user[s].uid1 != 0;
    rr_pckpt_u64(e, tt->nslots);
    rr_pckpt_u64(e, n);
    for (size_t s = 0; s < tt->nslots; s++) {
        if (!tt->user[s].uid1) continue;
        rr_pckpt_u64(e, s);
        rr_pckpt_u32(e, tt->user[s].uid1);
        save_user_text(&tt->user[s], e);
    }
    rr_pckpt_end(e);
}

static void load_items(rr_text_table_t *tt, rr_ckpt_cursor_t *c)
{
    uint64_t bound = rr_ckpt_read_u64(c);
    if (bound > tt->items_max && !c->err) c->err = RR_E(DECODE);
    for (size_t i = 0; i < bound && !c->err; i++) {
        uint32_t n = rr_ckpt_read_u32(c);
        if (n > RR_TEXT_ITEM_TOKENS && !c->err) c->err = RR_E(DECODE);
        uint32_t *tok = &tt->item_tok[i * RR_TEXT_ITEM_TOKENS];
        for (uint32_t k = 0; k < n && !c->err; k++) tok[k] = rr_ckpt_read_u32(c);
        tt->listed_ms[i] = (int64_t)rr_ckpt_read_u64(c);
        if ((tt->listed_ms[i] < -1 || tt->listed_ms[i] > RR_PCKPT_TS_MAX) && !c->err)
            c->err = RR_E(DECODE);
    }
    uint64_t nbuckets = rr_ckpt_read_u64(c), used = rr_ckpt_read_u64(c);
    if ((nbuckets != tt->nbuckets || used > nbuckets) && !c->err) c->err = RR_E(DECODE);
    for (uint64_t j = 0; j < used && !c->err; j++) {
        uint64_t b = rr_ckpt_read_u64(c);
        uint32_t head = rr_ckpt_read_u32(c);
        if ((b >= tt->nbuckets || head >= RR_TEXT_BUCKET) && !c->err) c->err = RR_E(DECODE);
        if (c->err) break;
        tt->head[b] = (uint8_t)head;
        for (int k = 0; k < RR_TEXT_BUCKET; k++) {
            uint32_t v = rr_ckpt_read_u32(c);
            if (v > bound && !c->err) c->err = RR_E(DECODE); /* item id + 1 */
            tt->bucket[b * RR_TEXT_BUCKET + (size_t)k] = v;
        }
    }
}

rr_err_t rr_pckpt_load_text(const rr_pckpt_dec_t *d)
{
    rr_text_table_t *tt = &d->pl->text;
    const void *data;
    size_t len;
    if (rr_ckpt_find(d->r, RR_PCKPT_TEXT, 0, &data, &len) != RR_OK) return RR_OK;
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_PCKPT_TEXT, &c);
    if (err) return err;
    load_items(tt, &c);
    uint64_t nslots = rr_ckpt_read_u64(&c), n = rr_ckpt_read_u64(&c);
    if ((nslots != tt->nslots || n > nslots) && !c.err) c.err = RR_E(DECODE);
    size_t bound = rr_intern_bound(&d->pl->store.users);
    for (uint64_t k = 0; k < n && !c.err; k++) {
        uint64_t slot = rr_ckpt_read_u64(&c);
        uint32_t uid1 = rr_ckpt_read_u32(&c);
        if ((slot >= tt->nslots || uid1 == 0 || uid1 > bound) && !c.err) c.err = RR_E(DECODE);
        if (c.err) break;
        tt->user[slot].uid1 = uid1;
        load_user_text(&tt->user[slot], &c);
    }
    return rr_pckpt_close(d, &c, "TEXT");
}

static int in_partition(const rr_pipeline_t *pl, uint32_t uid, uint32_t sub)
{
    const rr_user_t *u = &pl->store.user[uid];
    return rr_intern_key(&pl->store.users, uid) && u->partition >= 0 &&
           (uint32_t)u->partition + 1 == sub && rr_text_user_find(&pl->text, uid);
}

void rr_pckpt_save_part_text(const rr_pipeline_t *pl, rr_pckpt_enc_t *e, uint32_t sub)
{
    size_t bound = rr_intern_bound(&pl->store.users);
    uint64_t n = 0;
    for (size_t uid = 0; uid < bound; uid++) n += in_partition(pl, (uint32_t)uid, sub);
    rr_pckpt_begin(e, RR_PCKPT_UTXT, sub);
    rr_pckpt_u64(e, n);
    for (size_t uid = 0; uid < bound; uid++) {
        if (!in_partition(pl, (uint32_t)uid, sub)) continue;
        rr_pckpt_str(e, rr_intern_key(&pl->store.users, (uint32_t)uid));
        save_user_text(rr_text_user_find(&pl->text, (uint32_t)uid), e);
    }
    rr_pckpt_end(e);
}

rr_err_t rr_pckpt_load_part_text(const rr_pckpt_dec_t *d, uint32_t sub)
{
    const void *data;
    size_t len;
    if (rr_ckpt_find(d->r, RR_PCKPT_UTXT, sub, &data, &len) != RR_OK) return RR_OK;
    rr_ckpt_cursor_t c;
    rr_ckpt_cursor_init(&c, data, len);
    if (rr_ckpt_read_u32(&c) != RR_PCKPT_VERSION)
        return rr_pckpt_fail(d, RR_E(DECODE), "UTXT", "unsupported payload version");
    uint64_t n = rr_ckpt_read_u64(&c);
    char key[RR_ID_MAX];
    rr_text_user_t scratch;
    for (uint64_t k = 0; k < n && !c.err; k++) {
        rr_pckpt_read_str(&c, key, sizeof(key));
        uint32_t uid = c.err ? RR_INTERN_NONE : rr_intern_find(&d->pl->store.users, key);
        /* A user the snapshot's USRS did not hold is corrupt. */
        if (uid == RR_INTERN_NONE && !c.err) c.err = RR_E(DECODE);
        rr_text_user_t *u = c.err ? NULL : rr_text_user_claim(&d->pl->text, uid);
        load_user_text(u ? u : &scratch, &c);
    }
    return rr_pckpt_close(d, &c, "UTXT");
}
