/* rr_pipeline_ckpt_demo.c — demographic names in checkpoints; see rr_pipeline_ckpt_demo.h. A
 * section of its own, so USRS keeps its layout and older checkpoints still load. */
#include "rr_pipeline_ckpt_demo.h"

static int has_names(const rr_portrait_t *p)
{
    return p->occupation || p->region;
}

static uint32_t sub_of(const rr_user_t *u)
{
    return u->partition >= 0 ? (uint32_t)u->partition + 1 : 0;
}

/* Live users (in id order) that have names; with sub set, only those of that section. */
static uint64_t count_named(const rr_pipeline_t *pl, int only_sub, uint32_t sub)
{
    uint64_t n = 0;
    for (size_t uid = 0; uid < rr_intern_bound(&pl->store.users); uid++)
        if (rr_intern_key(&pl->store.users, (uint32_t)uid) && has_names(&pl->portrait.user[uid]) &&
            (!only_sub || sub_of(&pl->store.user[uid]) == sub))
            n++;
    return n;
}

/* n little-endian u32 in blocks: the counts are a megabyte, too many for one call each. */
static void save_u32s(rr_pckpt_enc_t *e, const uint32_t *v, size_t n)
{
    uint8_t b[4096];
    for (size_t at = 0; at < n && !e->err; at += sizeof(b) / 4) {
        size_t k = n - at < sizeof(b) / 4 ? n - at : sizeof(b) / 4;
        for (size_t i = 0; i < k; i++) {
            uint32_t x = v[at + i];
            b[4 * i] = (uint8_t)x, b[4 * i + 1] = (uint8_t)(x >> 8);
            b[4 * i + 2] = (uint8_t)(x >> 16), b[4 * i + 3] = (uint8_t)(x >> 24);
        }
        e->err = rr_ckpt_write(e->w, b, 4 * k);
    }
}

static void read_u32s(rr_ckpt_cursor_t *c, uint32_t *v, size_t n)
{
    const uint8_t *p = (const uint8_t *)rr_ckpt_read_bytes(c, 4 * n);
    if (!p) {
        if (!c->err) c->err = RR_E(DECODE);
        return;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
               (uint32_t)p[4 * i + 3] << 24;
}

/* The segment counts: fixed-size tables, written whole. */
static void save_segpop(const rr_segpop_t *sp, rr_pckpt_enc_t *e)
{
    rr_pckpt_u64(e, sp->total);
    for (int k = 0; k < RR_SEGPOP_KINDS; k++)
        for (int s = 0; s < RR_SEGPOP_SEGS; s++) rr_pckpt_u32(e, sp->seg_total[k][s]);
    size_t n = (size_t)(RR_SEGPOP_KINDS + 1) * RR_SEGPOP_SLOTS;
    save_u32s(e, sp->count, n);
}

static void load_segpop(rr_segpop_t *sp, rr_ckpt_cursor_t *c)
{
    sp->total = rr_ckpt_read_u64(c);
    for (int k = 0; k < RR_SEGPOP_KINDS; k++)
        for (int s = 0; s < RR_SEGPOP_SEGS; s++) sp->seg_total[k][s] = rr_ckpt_read_u32(c);
    size_t n = (size_t)(RR_SEGPOP_KINDS + 1) * RR_SEGPOP_SLOTS;
    read_u32s(c, sp->count, n);
}

rr_err_t rr_pckpt_save_demo(const rr_pipeline_t *pl, rr_pckpt_enc_t *e)
{
    const rr_intern_t *names = &pl->portrait.names;
    rr_pckpt_begin(e, RR_PCKPT_DEMO, 0);
    rr_pckpt_intern_meta(e, names);
    for (size_t id = 0; id < rr_intern_bound(names); id++) {
        const char *key = rr_intern_key(names, (uint32_t)id);
        rr_pckpt_str(e, key ? key : "");
    }
    rr_pckpt_u64(e, count_named(pl, 0, 0));
    for (size_t uid = 0; uid < rr_intern_bound(&pl->store.users); uid++) {
        const rr_portrait_t *p = &pl->portrait.user[uid];
        if (!rr_intern_key(&pl->store.users, (uint32_t)uid) || !has_names(p)) continue;
        rr_pckpt_u32(e, (uint32_t)uid);
        rr_pckpt_u32(e, p->occupation);
    }
    save_segpop(&pl->segpop, e);
    rr_pckpt_end(e);
    return e->err;
}

/* Region ids came with USRS: each must name an entry of the vocabulary just read. */
static int regions_ok(const rr_pipeline_t *pl)
{
    size_t bound = rr_intern_bound(&pl->portrait.names);
    for (size_t uid = 0; uid < rr_intern_bound(&pl->store.users); uid++)
        if (rr_intern_key(&pl->store.users, (uint32_t)uid) && pl->portrait.user[uid].region > bound)
            return 0;
    return 1;
}

rr_err_t rr_pckpt_load_demo(const rr_pckpt_dec_t *d)
{
    rr_pipeline_t *pl = d->pl;
    const void *data;
    size_t len;
    if (rr_ckpt_find(d->r, RR_PCKPT_DEMO, 0, &data, &len) != RR_OK)
        return regions_ok(pl) ? RR_OK : rr_pckpt_fail(d, RR_E(DECODE), "DEMO", "section missing");
    rr_ckpt_cursor_t c;
    rr_err_t err = rr_pckpt_open(d, RR_PCKPT_DEMO, &c);
    if (err) return err;
    rr_intern_t *names = &pl->portrait.names;
    rr_pckpt_read_intern_meta(&c, names);
    char key[RR_ID_MAX];
    for (size_t id = 0; id < rr_intern_bound(names) && !c.err; id++) {
        rr_pckpt_read_str(&c, key, sizeof(key));
        if (!c.err && key[0] && rr_intern_restore_key(names, (uint32_t)id, key))
            c.err = RR_E(DECODE);
    }
    if (!c.err && rr_pckpt_intern_rebuild(names)) c.err = RR_E(DECODE);
    uint64_t n = rr_ckpt_read_u64(&c);
    for (uint64_t k = 0; k < n && !c.err; k++) {
        uint32_t uid = rr_ckpt_read_u32(&c), occupation = rr_ckpt_read_u32(&c);
        if (c.err || !rr_intern_key(&pl->store.users, uid) || occupation > rr_intern_bound(names)) {
            if (!c.err) c.err = RR_E(DECODE);
            break;
        }
        pl->portrait.user[uid].occupation = (uint16_t)occupation;
    }
    load_segpop(&pl->segpop, &c);
    if (!c.err && !regions_ok(pl)) c.err = RR_E(DECODE);
    return rr_pckpt_close(d, &c, "DEMO");
}

rr_err_t rr_pckpt_save_part_demo(const rr_pipeline_t *pl, rr_pckpt_enc_t *e, uint32_t sub)
{
    const rr_portrait_table_t *pt = &pl->portrait;
    rr_pckpt_begin(e, RR_PCKPT_DEMO, sub);
    rr_pckpt_u64(e, count_named(pl, 1, sub));
    for (size_t uid = 0; uid < rr_intern_bound(&pl->store.users); uid++) {
        const char *user_id = rr_intern_key(&pl->store.users, (uint32_t)uid);
        const rr_portrait_t *p = &pt->user[uid];
        if (!user_id || !has_names(p) || sub_of(&pl->store.user[uid]) != sub) continue;
        rr_pckpt_str(e, user_id);
        rr_pckpt_str(e, rr_portrait_name(pt, p->occupation));
        rr_pckpt_str(e, rr_portrait_name(pt, p->region));
    }
    rr_pckpt_end(e);
    return e->err;
}

rr_err_t rr_pckpt_load_part_demo(const rr_pckpt_dec_t *d, uint32_t sub)
{
    rr_pipeline_t *pl = d->pl;
    const void *data;
    size_t len;
    if (rr_ckpt_find(d->r, RR_PCKPT_DEMO, sub, &data, &len) != RR_OK) return RR_OK;
    rr_ckpt_cursor_t c;
    rr_ckpt_cursor_init(&c, data, len);
    if (rr_ckpt_read_u32(&c) != RR_PCKPT_VERSION)
        return rr_pckpt_fail(d, RR_E(DECODE), "DEMO", "unsupported payload version");
    uint64_t n = rr_ckpt_read_u64(&c);
    char key[RR_ID_MAX], occupation[RR_ID_MAX], region[RR_ID_MAX];
    for (uint64_t k = 0; k < n && !c.err; k++) {
        rr_pckpt_read_str(&c, key, sizeof(key));
        rr_pckpt_read_str(&c, occupation, sizeof(occupation));
        rr_pckpt_read_str(&c, region, sizeof(region));
        uint32_t uid = c.err ? RR_INTERN_NONE : rr_intern_find(&pl->store.users, key);
        if (uid == RR_INTERN_NONE || sub_of(&pl->store.user[uid]) != sub) {
            if (!c.err) c.err = RR_E(DECODE); /* a user the snapshot's USRS did not bring */
            break;
        }
        pl->portrait.user[uid].occupation = rr_portrait_name_id(&pl->portrait, occupation);
        pl->portrait.user[uid].region = rr_portrait_name_id(&pl->portrait, region);
    }
    return rr_pckpt_close(d, &c, "DEMO");
}
