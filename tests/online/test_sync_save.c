/* test_sync_save.c — the shared base through a checkpoint (rr_sync_export / rr_sync_import): a
 * pipeline restored from a synced one's checkpoint and its export merges further deltas to the
 * same bits; restored without it, it does not; a cut or altered export, or another model's
 * shape, is refused with nothing changed. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include "rr_pipeline_ckpt.h"
#include "rr_sync.h"
#include "rr_sync_internal.h"
#include "rr_test.h"
#include "sync_pair.h"

static void ckpt_save(const rr_pipeline_t *pl, const char *dir)
{
    char errstr[256] = "";
    rr_ckpt_writer_t *w = rr_ckpt_begin(dir, 1, errstr, sizeof(errstr));
    CHECK(w != NULL);
    if (!w) return;
    rr_err_t err = rr_pipeline_save(pl, w);
    CHECK_INT(err, RR_OK);
    if (err) {
        rr_ckpt_abort(w);
        return;
    }
    CHECK_INT(rr_ckpt_commit(w), RR_OK);
}

/* pl restored from dir's checkpoint, with sync attached as the engine's start would. */
static rr_sync_t *ckpt_restore(rr_pipeline_t *pl, const char *dir)
{
    rr_config_t cfg;
    test_config(&cfg);
    char errstr[256] = "";
    CHECK_INT(rr_pipeline_init(pl, &cfg), RR_OK);
    rr_ckpt_reader_t *r = NULL;
    CHECK_INT(rr_ckpt_open_latest(dir, &r, NULL, NULL, errstr, sizeof(errstr)), RR_OK);
    if (r) CHECK_INT(rr_pipeline_load(pl, r, errstr, sizeof(errstr)), RR_OK);
    rr_ckpt_close(r);
    rr_sync_t *sy = rr_sync_new(pl, RR_SYNC_F32, errstr, sizeof(errstr));
    CHECK(sy != NULL);
    return sy;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t k = 0; k < n; k++) h = (h ^ p[k]) * 1099511628211ULL;
    return h;
}

/* The fixed-point base and the sync state an import sets, with the weights and statistics. */
static uint64_t base_hash(const rr_sync_t *sy)
{
    const rr_pipeline_t *pl = sy->pl;
    uint64_t h = 1469598103934665603ULL;
    h = fnv(h, sy->fix, pl->learner.nparams * sizeof(int64_t));
    h = fnv(h, sy->lfix, pl->learner.nstate * sizeof(int64_t));
    h = fnv(h, sy->rfix, sy->nranker * sizeof(int64_t));
    h = fnv(h, sy->sfix, sy->nranker * sizeof(int64_t));
    for (int k = 0; k < RR_RANKER_MAX_FEATS; k++) { /* field by field: the struct has padding */
        h = fnv(h, &sy->nfix[k].count, sizeof(sy->nfix[k].count));
        h = fnv(h, &sy->nfix[k].s1, sizeof(sy->nfix[k].s1));
        h = fnv(h, &sy->nfix[k].s2, sizeof(sy->nfix[k].s2));
    }
    h = fnv(h, sy->nbase, sizeof(sy->nbase));
    h = fnv(h, &sy->synced, sizeof(sy->synced));
    h = fnv(h, sy->base_ready, (pl->store.items_max / 64 + 1) * sizeof(uint64_t));
    h = fnv(h, pl->learner.params, pl->learner.nparams * sizeof(float));
    h = fnv(h, pl->ranker.norm, sizeof(pl->ranker.norm));
    return h;
}

static int same_sums(const rr_sync_t *a, const rr_sync_t *b)
{
    for (int k = 0; k < RR_RANKER_MAX_FEATS; k++)
        if (a->nfix[k].count != b->nfix[k].count || a->nfix[k].s1 != b->nfix[k].s1 ||
            a->nfix[k].s2 != b->nfix[k].s2)
            return 0;
    return 1;
}

/* Every cut, a byte too many, a bad magic, another shape or flag: refused, nothing changed. */
static void check_import_refused(rr_sync_t *sy, const uint8_t *exp, size_t len)
{
    uint64_t before = base_hash(sy);
    uint8_t *copy = malloc(len + 1);
    memcpy(copy, exp, len);
    copy[len] = 0;
    for (size_t cut = 0; cut < len; cut += 1 + cut / 8)
        CHECK_INT(rr_sync_import(sy, copy, cut), RR_E(DECODE));
    for (size_t back = 1; back <= 34; back++) /* inside the ranker's last feature */
        CHECK_INT(rr_sync_import(sy, copy, len - back), RR_E(DECODE));
    CHECK_INT(rr_sync_import(sy, copy, len + 1), RR_E(DECODE));
    const size_t at[] = {0, 4, 5}; /* magic, synced (2), item dim */
    for (size_t i = 0; i < 3; i++) {
        copy[at[i]] = at[i] == 4 ? 2 : (uint8_t)(copy[at[i]] + 1);
        CHECK_INT(rr_sync_import(sy, copy, len), RR_E(DECODE));
        copy[at[i]] = exp[at[i]];
    }
    CHECK(base_hash(sy) == before);
    free(copy);
}

static void check_same_model(rr_sync_t *sa, rr_sync_t *sc)
{
    const rr_pipeline_t *a = sa->pl, *c = sc->pl;
    CHECK(memcmp(a->learner.params, c->learner.params, a->learner.nparams * sizeof(float)) == 0);
    CHECK(memcmp(a->learner.state, c->learner.state, a->learner.nstate * sizeof(float)) == 0);
    CHECK(memcmp(a->ranker.params, c->ranker.params, a->ranker.nparams * sizeof(float)) == 0);
    CHECK(memcmp(a->ranker.state, c->ranker.state, a->ranker.nparams * sizeof(float)) == 0);
    CHECK(memcmp(a->ranker.norm, c->ranker.norm, sizeof(a->ranker.norm)) == 0);
    CHECK(a->ranker.steps == c->ranker.steps);
    CHECK(base_hash(sa) == base_hash(sc));
}

/* b's events alone, then b's delta: the buffer stays b's until its next publication. */
static void run_b(pair_t *p, const uint8_t **buf, size_t *len)
{
    feed(&p->pl[1], 23, 1900000000000LL, 300);
    rr_pipeline_train_flush(&p->pl[1]);
    CHECK_INT(rr_sync_publish(p->sy[1], &SUM, buf, len), RR_OK);
    CHECK(*len > 0);
}

static size_t nonzero_residuals(const float *w, const int64_t *fix, size_t n)
{
    size_t nz = 0;
    for (size_t k = 0; k < n; k++) nz += fix[k] != rr_sync_fix_of(w[k]);
    return nz;
}

/* Bytes of an export per weight it covers (the dense regions and the taken rows). */
static double export_bytes_per_weight(const rr_sync_t *sy, size_t len)
{
    size_t weights = 0, rows = 0, nz = 0, d = (size_t)sy->dim, rs = sy->row_state;
    for (int r = 0; r < 6; r++) {
        float *w, *base;
        int64_t *fix;
        size_t n;
        rr_sync_region((rr_sync_t *)sy, r, &w, &base, &fix, &n);
        weights += n;
        nz += nonzero_residuals(w, fix, n);
    }
    for (uint32_t iid = 0; iid < sy->pl->store.items_max; iid++) {
        if (!(sy->base_ready[iid / 64] & (1ULL << (iid % 64)))) continue;
        size_t at = sy->items_at + iid * d, st = sy->items_state_at + iid * rs;
        nz += nonzero_residuals(sy->pl->learner.params + at, sy->fix + at, d);
        nz += nonzero_residuals(sy->pl->learner.state + st, sy->lfix + st, rs);
        rows++;
    }
    weights += rows * (d + rs);
    printf("sync export: %zu bytes, %zu weights (%zu item rows), %zu residuals not 0: %.3f bytes "
           "per weight, %.2f per residual not 0\n",
           len, weights, rows, nz, (double)len / (double)weights, (double)len / (double)nz);
    CHECK(nz > 0);
    return (double)len / (double)weights;
}

/* The integer sums of a long-running instance: a million-odd rows, Σx past a double's 53 bits
 * (units of 2^-32), which rr_sync_new cannot recompute from the mean and spread. The same
 * statistics as 2^16 copies of a's rows, one unit more in Σx; the ranker then reads them. */
static void age_ranker_sums(rr_sync_t *sy)
{
    for (int k = 0; k < sy->pl->ranker.nfeat; k++) {
        rr_sync_nfix_t *f = &sy->nfix[k];
        if (!f->count) continue;
        f->count <<= 16;
        f->s1 = f->s1 * 65536 + 1;
        f->s2 = f->s2 * 65536;
    }
    rr_sync_norm_snap(sy);
}

/* Every publication and merge of a's first life: synced, a published and merged b's last
 * delta (nothing unpublished); not, a published but merged nothing (its weights are its own
 * floats and its base their integer sum). */
static void pair_first_life(pair_t *p, int synced)
{
    const uint8_t *buf;
    size_t len;
    pair_run(p, synced ? 25 : NEV + 1);
    if (synced) pair_sync(p);
    if (!synced) CHECK_INT(rr_sync_publish(p->sy[0], &SUM, &buf, &len), RR_OK);
    CHECK(p->sy[0]->synced == synced && p->pl[0].ranker.steps > 0);
    if (synced) age_ranker_sums(p->sy[0]);
}

/* A clone of a through its checkpoint (what a restart, or a joining instance starting from a
 * peer's checkpoint, restores): with a's export imported, c's base is a's to the bit, and after
 * both merge b's next delta their weights, optimiser state and ranker statistics are
 * bit-identical; d, restored without it, ends with another model digest. */
static void check_checkpoint_import(int synced)
{
    pair_t p;
    pair_init(&p, RR_SYNC_F32);
    pair_first_life(&p, synced);
    uint8_t *exp = NULL;
    size_t len = 0;
    CHECK_INT(rr_sync_export(p.sy[0], &exp, &len), RR_OK);
    CHECK(exp != NULL && len > 0);
    CHECK(export_bytes_per_weight(p.sy[0], len) < 2.0);
    char dir[] = "/tmp/rr_test_sync_ckpt_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    ckpt_save(&p.pl[0], dir);
    rr_pipeline_t c, d; /* c takes the export, d does not */
    rr_sync_t *sc = ckpt_restore(&c, dir), *sd = ckpt_restore(&d, dir);
    CHECK(rr_test_remove_dir(dir) == 0);
    /* rr_sync_new's base is not a's: neither the weights' fixed point nor the ranker's sums. */
    CHECK(base_hash(sc) != base_hash(p.sy[0]));
    CHECK(memcmp(sd->fix, p.sy[0]->fix, c.learner.nparams * sizeof(int64_t)) != 0);
    CHECK(!synced || !same_sums(sd, p.sy[0]));
    check_import_refused(sc, exp, len);
    CHECK_INT(rr_sync_import(sc, exp, len), RR_OK);
    CHECK(sc->synced == synced && !sd->synced);
    check_same_model(p.sy[0], sc);
    rr_sync_digest_t da, dc, dd;
    CHECK_INT(rr_sync_digest(sd, &dd), RR_OK);
    CHECK_INT(rr_sync_digest(p.sy[0], &da), RR_OK);
    CHECK(dd.model == da.model); /* the same weights: the bases differ below them */
    const uint8_t *buf;
    size_t blen;
    run_b(&p, &buf, &blen);
    CHECK_INT(rr_sync_apply(p.sy[0], buf, blen, &SUM), RR_OK);
    CHECK_INT(rr_sync_apply(sc, buf, blen, &SUM), RR_OK);
    CHECK_INT(rr_sync_apply(sd, buf, blen, &SUM), RR_OK);
    check_same_model(p.sy[0], sc);
    CHECK_INT(rr_sync_digest(p.sy[0], &da), RR_OK);
    CHECK_INT(rr_sync_digest(sc, &dc), RR_OK);
    CHECK_INT(rr_sync_digest(sd, &dd), RR_OK);
    CHECK(da.model == dc.model && da.items == dc.items && da.cooc == dc.cooc);
    /* Without the import: the same up to rounding, in the weights (and the statistics). */
    CHECK(dd.items == da.items && dd.model != da.model);
    CHECK(memcmp(d.learner.params, p.pl[0].learner.params, d.learner.nparams * sizeof(float)) != 0);
    CHECK(!synced || memcmp(d.ranker.norm, p.pl[0].ranker.norm, sizeof(d.ranker.norm)) != 0);
    free(exp);
    rr_sync_free(sc);
    rr_sync_free(sd);
    rr_pipeline_free(&c);
    rr_pipeline_free(&d);
    pair_free(&p);
}

static void test_checkpoint_import(void)
{
    check_checkpoint_import(1);
    check_checkpoint_import(0);
}

/* Other shapes: Adam's row state (2·dim + 1 floats) and the model off (the ranker alone). A
 * pipeline that published once holds its own integer sum as its base; a second rr_sync on it
 * takes the first one's base through the export, and neither takes the other shape's. */
static void test_export_shapes(void)
{
    rr_pipeline_t pl[2];
    rr_sync_t *sy[2], *again[2];
    uint8_t *exp[2];
    size_t len[2];
    char errstr[128];
    for (int v = 0; v < 2; v++) {
        rr_config_t cfg;
        test_config(&cfg);
        if (v == 0) snprintf(cfg.model_optimizer, sizeof(cfg.model_optimizer), "adam");
        if (v == 1) cfg.model_enabled = 0;
        CHECK_INT(rr_pipeline_init(&pl[v], &cfg), RR_OK);
        sy[v] = rr_sync_new(&pl[v], RR_SYNC_F32, errstr, sizeof(errstr));
        feed(&pl[v], 31, 1700000000000LL, 600);
        const uint8_t *buf;
        size_t n;
        CHECK_INT(rr_sync_publish(sy[v], &SUM, &buf, &n), RR_OK);
        CHECK(n > 0 && pl[v].ranker.steps > 0 && pl[v].model_on == !v);
        CHECK_INT(rr_sync_export(sy[v], &exp[v], &len[v]), RR_OK);
        again[v] = rr_sync_new(&pl[v], RR_SYNC_F32, errstr, sizeof(errstr));
        CHECK(base_hash(again[v]) != base_hash(sy[v]));
    }
    CHECK(sy[0]->row_state == 2 * (size_t)sy[0]->dim + 1 && sy[1]->dim == 0);
    for (int v = 0; v < 2; v++) {
        uint64_t before = base_hash(again[v]);
        CHECK_INT(rr_sync_import(again[v], exp[!v], len[!v]), RR_E(DECODE));
        CHECK(base_hash(again[v]) == before);
        CHECK_INT(rr_sync_import(again[v], exp[v], len[v]), RR_OK);
        CHECK(base_hash(again[v]) == base_hash(sy[v]));
    }
    for (int v = 0; v < 2; v++) {
        free(exp[v]);
        rr_sync_free(again[v]);
        rr_sync_free(sy[v]);
        rr_pipeline_free(&pl[v]);
    }
}

RR_TEST_MAIN(RR_TEST(test_checkpoint_import), RR_TEST(test_export_shapes))
