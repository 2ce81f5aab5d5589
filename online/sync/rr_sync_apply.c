/* rr_sync_apply.c — merging a peer's delta into the pipeline; see rr_sync.h. Every delta is
 * read twice: once to check it whole, once to apply it, so a malformed one changes nothing. */
#include <string.h>
#include "rr_sync_internal.h"

typedef struct apply_s {
    rr_sync_t *sy;
    rr_sync_reader_t r;
    const uint8_t *start;
    int apply; /* 0: the checking pass */
    rr_sync_merge_t m;
    rr_sync_quant_t quant;
    size_t nstr;
} apply_t;

/* String idx as a C string in an id field; 0 if out of range or too long. */
static int str_copy(const apply_t *a, uint64_t idx, char *out)
{
    if (idx >= a->nstr || a->sy->rstr[idx].len >= RR_ID_MAX) return 0;
    const rr_sync_rstr_t *s = &a->sy->rstr[idx];
    memcpy(out, a->start + s->off, s->len);
    out[s->len] = '\0';
    return 1;
}

/* The local item of string idx, created (without attributes) if unknown; RR_INTERN_NONE when
 * items.max is reached (what refers to it is skipped). */
static uint32_t item_of(apply_t *a, uint64_t idx)
{
    rr_sync_rstr_t *s = &a->sy->rstr[idx];
    if (s->iid != RR_INTERN_NONE) return s->iid;
    char key[RR_ID_MAX];
    if (!str_copy(a, idx, key) || rr_store_item_ref(&a->sy->pl->store, key, &s->iid) != RR_OK)
        s->iid = RR_INTERN_NONE;
    return s->iid;
}

/* An index the checking pass has seen in range. */
static uint64_t r_idx(apply_t *a)
{
    uint64_t idx = rr_sync_r_var(&a->r);
    if (idx >= a->nstr) a->r.failed = 1;
    return a->r.failed ? 0 : idx;
}

static int read_header(apply_t *a)
{
    rr_sync_t *sy = a->sy;
    const uint8_t *magic = rr_sync_r_bytes(&a->r, 4);
    if (!magic || memcmp(magic, RR_SYNC_MAGIC, 4) != 0) return -1;
    a->quant = (rr_sync_quant_t)rr_sync_r_u8(&a->r);
    if (a->quant > RR_SYNC_INT8) return -1;
    uint64_t dim = rr_sync_r_var(&a->r), nmlp = rr_sync_r_var(&a->r);
    uint64_t nhashed = rr_sync_r_var(&a->r), nranker = rr_sync_r_var(&a->r);
    uint64_t nmlp_state = rr_sync_r_var(&a->r), nhashed_state = rr_sync_r_var(&a->r);
    uint64_t row_state = rr_sync_r_var(&a->r);
    if (dim != (uint64_t)sy->dim || nmlp != sy->nmlp || nhashed != sy->nhashed ||
        nranker != sy->nranker || nmlp_state != sy->nmlp_state ||
        nhashed_state != sy->nhashed_state || row_state != sy->row_state)
        return -1; /* another model shape: nothing of it can be merged */
    return a->r.failed ? -1 : 0;
}

static int read_strings(apply_t *a)
{
    rr_sync_t *sy = a->sy;
    a->nstr = rr_sync_r_var(&a->r);
    if (a->r.failed || a->nstr > (size_t)(a->r.end - a->r.p)) return -1; /* a byte each at least */
    if (rr_sync_grow((void **)&sy->rstr, &sy->rstr_cap, a->nstr + 1, sizeof(*sy->rstr))) return -1;
    for (size_t i = 0; i < a->nstr; i++) {
        uint64_t n = rr_sync_r_var(&a->r);
        const uint8_t *at = rr_sync_r_bytes(&a->r, n);
        if (!at || n >= RR_ID_MAX) return -1;
        sy->rstr[i] = (rr_sync_rstr_t){(uint32_t)(at - a->start), (uint32_t)n, RR_INTERN_NONE};
    }
    return 0;
}

/* A catalog entry through rr_store_item, as the event that created it on the peer would. */
static void catalog_one(apply_t *a, uint64_t key, uint64_t cat, uint64_t brand, float price)
{
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    if (!str_copy(a, key, ev.item_id)) return;
    if (cat) str_copy(a, cat - 1, ev.category);
    if (brand) str_copy(a, brand - 1, ev.brand);
    if (price != 0.0f) ev.price = price, ev.flags |= RR_EVF_PRICE;
    uint32_t iid;
    if (rr_store_item(&a->sy->pl->store, &ev, &iid) == RR_OK) a->sy->rstr[key].iid = iid;
}

static int read_catalog(apply_t *a)
{
    uint64_t n = rr_sync_r_var(&a->r);
    for (uint64_t i = 0; i < n && !a->r.failed; i++) {
        uint64_t key = r_idx(a), cat = rr_sync_r_var(&a->r), brand = rr_sync_r_var(&a->r);
        float price = rr_sync_r_f32(&a->r);
        if (cat > a->nstr || brand > a->nstr) a->r.failed = 1;
        if (a->apply && !a->r.failed) catalog_one(a, key, cat, brand, price);
    }
    return a->r.failed ? -1 : 0;
}

static int read_hits(apply_t *a)
{
    uint64_t n = rr_sync_r_var(&a->r);
    int64_t ts = 0;
    uint32_t recent[RR_LEARNER_USER_ITEMS];
    for (uint64_t i = 0; i < n && !a->r.failed; i++) {
        rr_item_hit_t hit = {0, 0, 0, {0}, recent, 0};
        uint64_t key = r_idx(a);
        uint8_t type = rr_sync_r_u8(&a->r);
        ts += rr_sync_r_svar(&a->r);
        hit.ts_ms = ts;
        for (int k = 0; k < RR_SEGPOP_KINDS; k++) hit.seg[k] = (uint32_t)rr_sync_r_var(&a->r);
        uint64_t nrecent = rr_sync_r_var(&a->r);
        if (type >= RR_EV__COUNT || nrecent > RR_LEARNER_USER_ITEMS) a->r.failed = 1;
        for (uint64_t k = 0; k < nrecent && !a->r.failed; k++) {
            uint64_t idx = r_idx(a);
            uint32_t iid = a->apply ? item_of(a, idx) : RR_INTERN_NONE;
            if (iid != RR_INTERN_NONE) recent[hit.nrecent++] = iid;
        }
        if (!a->apply || a->r.failed) continue;
        hit.type = (rr_event_type_t)type;
        hit.iid = item_of(a, key);
        if (hit.iid != RR_INTERN_NONE) rr_pipeline_item_hit(a->sy->pl, &hit);
    }
    return a->r.failed ? -1 : 0;
}

static int read_rows(apply_t *a)
{
    rr_sync_t *sy = a->sy;
    uint64_t n = rr_sync_r_var(&a->r);
    if (n && !sy->dim) return -1;
    for (uint64_t i = 0; i < n && !a->r.failed; i++) {
        uint64_t key = r_idx(a);
        rr_sync_r_vec(&a->r, a->quant, sy->decoded, (size_t)sy->dim);
        float acc[RR_SYNC_ROW_STATE_MAX];
        rr_sync_r_vec(&a->r, a->quant, acc, sy->row_state);
        if (!a->apply || a->r.failed) continue;
        uint32_t iid = item_of(a, key);
        if (iid == RR_INTERN_NONE || iid >= sy->pl->learner.items_max) continue;
        rr_sync_row_base(sy, iid);
        float *w = rr_learner_item_row(&sy->pl->learner, iid);
        size_t at = sy->items_at + (size_t)iid * sy->dim;
        rr_sync_merge_into(sy, w, sy->base + at, sy->fix + at, sy->decoded, (size_t)sy->dim,
                           a->m.rows);
        at = sy->items_state_at + (size_t)iid * sy->row_state;
        rr_sync_merge_into(sy, sy->pl->learner.state + at, sy->lbase + at, sy->lfix + at, acc,
                           sy->row_state, 1.0f);
    }
    return a->r.failed ? -1 : 0;
}

static int read_region(apply_t *a, int region)
{
    float *w, *base;
    int64_t *fix;
    size_t n, at = 0;
    rr_sync_region(a->sy, region, &w, &base, &fix, &n);
    uint64_t nruns = rr_sync_r_var(&a->r);
    for (uint64_t i = 0; i < nruns && !a->r.failed; i++) {
        uint64_t skip = rr_sync_r_var(&a->r), len = rr_sync_r_var(&a->r);
        if (skip > n - at || len > n - at - skip || len == 0) return -1;
        at += skip;
        rr_sync_r_vec(&a->r, a->quant, a->sy->decoded, len);
        if (a->apply && !a->r.failed)
            rr_sync_merge_into(a->sy, w + at, base + at, fix + at, a->sy->decoded, len,
                               region >= 3   ? 1.0f
                               : region == 1 ? a->m.rows
                                             : a->m.dense);
        at += len;
    }
    return a->r.failed ? -1 : 0;
}

/* The peer's feature statistics merge into ours and our base (not ours to publish again); its
 * steps count as the model's, for the warm-up and the thinning that read them. */
static int read_ranker(apply_t *a)
{
    rr_sync_t *sy = a->sy;
    rr_ranker_t *rk = &sy->pl->ranker;
    uint64_t nfeat = rr_sync_r_var(&a->r);
    if (nfeat != (uint64_t)(sy->nranker ? rk->nfeat : 0)) return -1;
    for (uint64_t k = 0; k < nfeat && !a->r.failed; k++) {
        rr_welford_t d = {0, 0.0, 0.0};
        d.count = (int64_t)rr_sync_r_var(&a->r);
        if (d.count < 0) return -1;
        if (!d.count) continue;
        d.mean = rr_sync_r_f64(&a->r);
        d.m2 = rr_sync_r_f64(&a->r);
        if (!(d.m2 >= 0.0) || d.mean != d.mean) return -1;
        if (!a->apply || a->r.failed) continue;
        rr_sync_norm_add(sy, (int)k, &d);
    }
    uint64_t steps = rr_sync_r_var(&a->r);
    if (a->apply && !a->r.failed && nfeat) {
        rk->steps += steps;
        sy->ranker_steps += steps;
        rr_ranker_restored(rk);
    }
    return a->r.failed ? -1 : 0;
}

static int read_all(apply_t *a)
{
    if (read_header(a) || read_strings(a) || read_catalog(a) || read_hits(a) || read_rows(a))
        return -1;
    for (int r = 0; r < RR_SYNC_REGIONS; r++)
        if (read_region(a, r)) return -1;
    if (read_ranker(a)) return -1;
    return a->r.p == a->r.end ? 0 : -1; /* nothing may follow */
}

rr_err_t rr_sync_apply(rr_sync_t *sy, const uint8_t *buf, size_t len, const rr_sync_merge_t *m)
{
    for (int pass = 0; pass < 2; pass++) {
        apply_t a = {sy, {buf, buf + len, 0}, buf, pass, *m, RR_SYNC_F32, 0};
        if (pass == 1) rr_sync_snap_all(sy); /* checked whole: from now on W is the shared base */
        if (read_all(&a)) return RR_E(DECODE);
    }
    sy->pl->epoch++; /* the shared state moved under every cached pool */
    sy->stats.applied++;
    sy->stats.applied_bytes += len;
    return RR_OK;
}
