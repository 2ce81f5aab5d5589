/* rr_sync_save.c — the shared base's state for a checkpoint: what rr_sync_new cannot take back
 * from restored float weights (the fixed-point base's bits below float precision, the ranker's
 * exact integer sums, whether a peer's delta was merged); see rr_sync.h, the layout in
 * rr_sync_internal.h. The base is written as its difference from rr_sync_fix_of(W), what a
 * restore would take: mostly zeros (weights untouched since their take, or small enough for a
 * float to hold every bit), otherwise a few bits (once synced W is float(fix): under half a
 * float ulp; before, what the float sum's rounding drifted from the integer one). */
#include <stdlib.h>
#include <string.h>
#include "rr_sync_internal.h"

#define SAVE_MAGIC "RRF\1"
#define ZERO_GAP   2 /* a zero inside a run costs a byte; a new run's skip and length two */
#define NSHAPE     8 /* the header's shape fields (shape_of) */

/* fix − fix_of(w), wrapping like the base's own additions. */
static int64_t residual(const float *w, const int64_t *fix, size_t k)
{
    return (int64_t)((uint64_t)fix[k] - (uint64_t)rr_sync_fix_of(w[k]));
}

static int64_t fix_plus(float w, int64_t r)
{
    return (int64_t)((uint64_t)rr_sync_fix_of(w) + (uint64_t)r);
}

static size_t next_nonzero(const float *w, const int64_t *fix, size_t at, size_t n)
{
    while (at < n && residual(w, fix, at) == 0) at++;
    return at;
}

/* Past the run's last non-zero residual followed by more than ZERO_GAP zeros. */
static size_t run_end(const float *w, const int64_t *fix, size_t at, size_t n)
{
    size_t last = at;
    for (size_t k = at + 1; k < n && k - last <= ZERO_GAP; k++)
        if (residual(w, fix, k) != 0) last = k;
    return last + 1;
}

/* The model's shape as the header states it, and the import checks it. */
static void shape_of(const rr_sync_t *sy, uint64_t s[NSHAPE])
{
    uint64_t v[NSHAPE] = {(uint64_t)sy->dim, sy->nmlp,
                          sy->nhashed,       sy->nranker,
                          sy->nmlp_state,    sy->nhashed_state,
                          sy->row_state,     sy->dim ? sy->pl->learner.items_max : 0};
    memcpy(s, v, sizeof(v));
}

static void export_header(rr_sync_writer_t *w, const rr_sync_t *sy)
{
    uint64_t shape[NSHAPE];
    shape_of(sy, shape);
    rr_sync_w_bytes(w, SAVE_MAGIC, 4);
    rr_sync_w_u8(w, (uint8_t)(sy->synced != 0));
    for (int k = 0; k < NSHAPE; k++) rr_sync_w_var(w, shape[k]);
}

/* A region as (n, nruns, runs of residuals); counted first, as the count leads. */
static void export_region(rr_sync_writer_t *w, const rr_sync_t *sy, int region)
{
    float *wt, *base;
    int64_t *fix;
    size_t n, nruns = 0, end = 0;
    rr_sync_region((rr_sync_t *)sy, region, &wt, &base, &fix, &n); /* reads only */
    for (size_t at = next_nonzero(wt, fix, 0, n); at < n;
         at = next_nonzero(wt, fix, run_end(wt, fix, at, n), n))
        nruns++;
    rr_sync_w_var(w, n);
    rr_sync_w_var(w, nruns);
    for (size_t at = next_nonzero(wt, fix, 0, n); at < n; at = next_nonzero(wt, fix, end, n)) {
        size_t stop = run_end(wt, fix, at, n);
        rr_sync_w_var(w, at - end);
        rr_sync_w_var(w, stop - at);
        for (size_t k = at; k < stop; k++) rr_sync_w_svar(w, residual(wt, fix, k));
        end = stop;
    }
}

/* Every row whose base was taken (a row without is taken from W on first sight, on both). */
static void export_rows(rr_sync_writer_t *w, const rr_sync_t *sy)
{
    size_t words = sy->pl->store.items_max / 64 + 1, d = (size_t)sy->dim, rs = sy->row_state;
    uint64_t n = 0;
    for (size_t wd = 0; sy->dim && wd < words; wd++)
        n += (uint64_t)__builtin_popcountll(sy->base_ready[wd]);
    rr_sync_w_var(w, n);
    for (size_t wd = 0; n && wd < words; wd++)
        for (uint64_t bits = sy->base_ready[wd]; bits; bits &= bits - 1) {
            uint32_t iid = (uint32_t)(wd * 64 + (size_t)__builtin_ctzll(bits));
            size_t at = sy->items_at + (size_t)iid * d, st = sy->items_state_at + (size_t)iid * rs;
            rr_sync_w_var(w, iid);
            for (size_t k = 0; k < d; k++)
                rr_sync_w_svar(w, residual(sy->pl->learner.params + at, sy->fix + at, k));
            for (size_t k = 0; k < rs; k++)
                rr_sync_w_svar(w, residual(sy->pl->learner.state + st, sy->lfix + st, k));
        }
}

static void w_i128(rr_sync_writer_t *w, __int128 v)
{
    unsigned __int128 u = (unsigned __int128)v;
    uint8_t b[16];
    for (int k = 0; k < 16; k++) b[k] = (uint8_t)(u >> (8 * k));
    rr_sync_w_bytes(w, b, 16);
}

static void export_ranker(rr_sync_writer_t *w, const rr_sync_t *sy)
{
    int nfeat = sy->nranker ? sy->pl->ranker.nfeat : 0;
    rr_sync_w_var(w, (uint64_t)nfeat);
    for (int k = 0; k < nfeat; k++) {
        rr_sync_w_svar(w, sy->nfix[k].count);
        w_i128(w, sy->nfix[k].s1);
        w_i128(w, sy->nfix[k].s2);
    }
}

rr_err_t rr_sync_export(const rr_sync_t *sy, uint8_t **buf, size_t *len)
{
    rr_sync_writer_t w = {0};
    *buf = NULL;
    *len = 0;
    export_header(&w, sy);
    for (int r = 0; r < RR_SYNC_REGIONS; r++) export_region(&w, sy, r);
    export_rows(&w, sy);
    export_ranker(&w, sy);
    if (w.failed) {
        rr_sync_w_free(&w);
        return RR_E(NOMEM);
    }
    *buf = w.buf; /* the writer's buffer, handed over */
    *len = w.len;
    return RR_OK;
}

/* ---- Import: read twice, once to check it whole, once to take it (as rr_sync_apply) ------- */

typedef struct load_s {
    rr_sync_t *sy;
    rr_sync_reader_t r;
    int apply; /* 0: the checking pass */
    int synced;
} load_t;

static int read_header(load_t *l)
{
    rr_sync_t *sy = l->sy;
    const uint8_t *magic = rr_sync_r_bytes(&l->r, 4);
    if (!magic || memcmp(magic, SAVE_MAGIC, 4) != 0) return -1;
    uint8_t synced = rr_sync_r_u8(&l->r);
    uint64_t want[NSHAPE];
    shape_of(sy, want);
    for (int k = 0; k < NSHAPE; k++)
        if (rr_sync_r_var(&l->r) != want[k]) return -1; /* another model's shape */
    if (synced > 1 || l->r.failed) return -1;
    l->synced = synced;
    return 0;
}

static int read_region(load_t *l, int region)
{
    float *w, *base;
    int64_t *fix;
    size_t n, at = 0;
    rr_sync_region(l->sy, region, &w, &base, &fix, &n);
    if (rr_sync_r_var(&l->r) != n) return -1;
    uint64_t nruns = rr_sync_r_var(&l->r);
    for (uint64_t i = 0; i < nruns && !l->r.failed; i++) {
        uint64_t skip = rr_sync_r_var(&l->r), len = rr_sync_r_var(&l->r);
        if (skip > n - at || len > n - at - skip || len == 0) return -1;
        at += skip;
        for (uint64_t k = 0; k < len && !l->r.failed; k++, at++) {
            int64_t r = rr_sync_r_svar(&l->r);
            if (l->apply) fix[at] = fix_plus(w[at], r);
        }
    }
    return l->r.failed ? -1 : 0;
}

/* A row: its base taken from the restored W (rr_sync_row_base), then the exporter's residuals. */
static void take_row(rr_sync_t *sy, uint32_t iid, const int64_t *rrow, const int64_t *rstate)
{
    size_t d = (size_t)sy->dim, rs = sy->row_state;
    size_t at = sy->items_at + (size_t)iid * d, st = sy->items_state_at + (size_t)iid * rs;
    rr_sync_row_base(sy, iid);
    for (size_t k = 0; k < d; k++)
        sy->fix[at + k] = fix_plus(sy->pl->learner.params[at + k], rrow[k]);
    for (size_t k = 0; k < rs; k++)
        sy->lfix[st + k] = fix_plus(sy->pl->learner.state[st + k], rstate[k]);
}

static int read_rows(load_t *l)
{
    rr_sync_t *sy = l->sy;
    uint64_t n = rr_sync_r_var(&l->r), prev = 0;
    size_t items = sy->dim ? sy->pl->learner.items_max : 0;
    uint32_t bound = rr_intern_bound(&sy->pl->store.items); /* the same item ids */
    if (n > items) return -1;
    for (uint64_t i = 0; i < n && !l->r.failed; i++) {
        uint64_t iid = rr_sync_r_var(&l->r);
        if ((i && iid <= prev) || iid >= items || iid >= bound) return -1;
        prev = iid;
        int64_t rrow[RR_LEARNER_MAX_DIM], rstate[RR_SYNC_ROW_STATE_MAX];
        for (int k = 0; k < sy->dim; k++) rrow[k] = rr_sync_r_svar(&l->r);
        for (size_t k = 0; k < sy->row_state; k++) rstate[k] = rr_sync_r_svar(&l->r);
        if (l->apply && !l->r.failed) take_row(sy, (uint32_t)iid, rrow, rstate);
    }
    return l->r.failed ? -1 : 0;
}

static __int128 r_i128(rr_sync_reader_t *r)
{
    const uint8_t *b = rr_sync_r_bytes(r, 16);
    unsigned __int128 u = 0;
    for (int k = 0; b && k < 16; k++) u |= (unsigned __int128)b[k] << (8 * k);
    return (__int128)u;
}

static int read_ranker(load_t *l)
{
    rr_sync_t *sy = l->sy;
    uint64_t nfeat = rr_sync_r_var(&l->r);
    if (nfeat != (uint64_t)(sy->nranker ? sy->pl->ranker.nfeat : 0)) return -1;
    for (uint64_t k = 0; k < nfeat && !l->r.failed; k++) {
        rr_sync_nfix_t f;
        memset(&f, 0, sizeof(f)); /* its padding too: the array is compared whole */
        f.count = rr_sync_r_svar(&l->r);
        f.s1 = r_i128(&l->r);
        f.s2 = r_i128(&l->r);
        if (f.count < 0) return -1;
        if (l->apply) sy->nfix[k] = f;
    }
    return l->r.failed ? -1 : 0;
}

static int read_all(load_t *l)
{
    if (read_header(l)) return -1;
    for (int r = 0; r < RR_SYNC_REGIONS; r++)
        if (read_region(l, r)) return -1;
    if (read_rows(l) || read_ranker(l)) return -1;
    return l->r.p == l->r.end ? 0 : -1; /* nothing may follow */
}

/* The restored weights and ranker statistics stay as they are and are the float base (nothing
 * pending: what the exporter had not published is its own to publish); the exporter's fixed
 * point and integer sums go beside them, and the next merge snaps to those, as the exporter's. */
rr_err_t rr_sync_import(rr_sync_t *sy, const uint8_t *buf, size_t len)
{
    for (int pass = 0; pass < 2; pass++) {
        load_t l = {sy, {buf, buf + len, 0}, pass, 0};
        if (pass == 1) rr_sync_rebase(sy); /* checked whole: from what rr_sync_new left */
        if (read_all(&l)) return RR_E(DECODE);
        if (pass == 1) sy->synced = l.synced;
    }
    return RR_OK;
}
