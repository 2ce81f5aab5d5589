/* test_sync.c — online/sync: the wire codec round-trips; a malformed delta changes nothing; a
 * peer's delta applied and published again is not echoed; two pipelines fed disjoint halves of
 * a stream (split by the producer's partitioner) and synced after every event hold the same
 * shared state; the same run twice publishes the same bytes; `rtrec eval --instances 1` with
 * sync on equals the plain run (test_sync_save.c: the shared base through a checkpoint). */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include "rr_eval.h"
#include "rr_sync.h"
#include "rr_sync_internal.h"
#include "rr_test.h"
#include "sync_pair.h"

static void test_wire(void)
{
    rr_sync_writer_t w = {0};
    const uint64_t vals[] = {0, 1, 127, 128, 300, 1ull << 35, UINT64_MAX};
    const int64_t svals[] = {0, -1, 1, -64, 64, INT64_MIN, INT64_MAX};
    for (int i = 0; i < 7; i++) rr_sync_w_var(&w, vals[i]), rr_sync_w_svar(&w, svals[i]);
    float v[5] = {0.0f, -1.25f, 3.0e-3f, 65504.0f, -2.0e-7f}, dec[3][5];
    for (int q = 0; q < 3; q++) rr_sync_w_vec(&w, (rr_sync_quant_t)q, v, 5, dec[q]);
    rr_sync_reader_t r = {w.buf, w.buf + w.len, 0};
    for (int i = 0; i < 7; i++) {
        CHECK(rr_sync_r_var(&r) == vals[i]);
        CHECK(rr_sync_r_svar(&r) == svals[i]);
    }
    for (int q = 0; q < 3; q++) {
        float out[5];
        rr_sync_r_vec(&r, (rr_sync_quant_t)q, out, 5);
        for (int k = 0; k < 5; k++) CHECK(memcmp(&out[k], &dec[q][k], 4) == 0); /* as promised */
    }
    CHECK(memcmp(dec[0], v, sizeof(v)) == 0); /* f32 is exact */
    for (int k = 0; k < 5; k++) {
        CHECK_NEAR(dec[1][k], v[k], fabs(v[k]) / 1024 + 6e-8);   /* f16: 11 bits */
        CHECK_NEAR(dec[2][k], v[k], 65504.0 / 127 / 2 * 1.0001); /* int8: half a step */
    }
    CHECK(r.p == r.end && !r.failed);
    CHECK(rr_sync_r_var(&r) == 0 && r.failed); /* past the end: fails, stays failed */
    CHECK(rr_sync_f16_of(1.0f) == 0x3c00 && rr_sync_f16_of(-2.0f) == 0xc000);
    CHECK(rr_sync_f16_of(1e6f) == 0x7c00 && rr_sync_f32_of_f16(0x0001) == ldexpf(1, -24));
    /* zlib's check value, and librdkafka's partition of a key (verified against a producer). */
    CHECK(rr_sync_crc32("123456789", 9) == 0xcbf43926u);
    rr_sync_w_free(&w);
}

/* The fixed-point conversion against the library's rounding: halves away from zero (llround),
 * saturated, NaN to 0; and back (ldexp) to the nearest float. */
static void test_fixed_point(void)
{
    uint64_t s = 5;
    for (int i = 0; i < 200000; i++) {
        uint32_t bits = (uint32_t)lcg(&s) ^ (uint32_t)(lcg(&s) << 31);
        float x;
        memcpy(&x, &bits, sizeof(x));
        if (x != x) continue;
        double v = ldexp((double)x, 32);
        int64_t want = v >= 0x1p62    ? (int64_t)0x1p62
                       : v <= -0x1p62 ? -(int64_t)0x1p62
                                      : (int64_t)llround(v);
        CHECK(rr_sync_fix_of(x) == want);
        int64_t back = (int64_t)(lcg(&s) << 31) ^ (int64_t)lcg(&s);
        CHECK(rr_sync_float_of(back) == (float)ldexp((double)back, -32));
    }
    CHECK(rr_sync_fix_of(0.5f * 0x1p-32f) == 1 && rr_sync_fix_of(-0.5f * 0x1p-32f) == -1);
    CHECK(rr_sync_fix_of(0.25f * 0x1p-32f) == 0 && rr_sync_fix_of(1.5f * 0x1p-32f) == 2);
    CHECK(rr_sync_fix_of(NAN) == 0 && rr_sync_fix_of(INFINITY) == (int64_t)0x1p62);
    CHECK(rr_sync_float_of(rr_sync_fix_of(0.75f)) == 0.75f);
}

static uint32_t item_of(const rr_pipeline_t *pl, int item)
{
    char key[16];
    snprintf(key, sizeof(key), "i%d", item);
    return rr_intern_find(&pl->store.items, key);
}

static const char *name_of(const rr_intern_t *in, uint32_t id)
{
    return id == RR_INTERN_NONE ? "" : rr_intern_key(in, id);
}

static void check_same_items(const rr_pipeline_t *a, const rr_pipeline_t *b)
{
    for (int i = 0; i < NITEMS; i++) {
        uint32_t x = item_of(a, i), y = item_of(b, i);
        CHECK((x == RR_INTERN_NONE) == (y == RR_INTERN_NONE));
        if (x == RR_INTERN_NONE || y == RR_INTERN_NONE) continue;
        const rr_item_t *ix = &a->store.item[x], *iy = &b->store.item[y];
        CHECK_INT(ix->interactions, iy->interactions);
        CHECK_STR(name_of(&a->store.categories, ix->category),
                  name_of(&b->store.categories, iy->category));
        CHECK_STR(name_of(&a->store.brands, ix->brand), name_of(&b->store.brands, iy->brand));
        CHECK(memcmp(&ix->price, &iy->price, 4) == 0);
        CHECK(memcmp(&a->trending.score[x], &b->trending.score[y], 4) == 0);
        CHECK(memcmp(&a->trends[1].score[x], &b->trends[1].score[y], 4) == 0);
        CHECK(a->item_first_ms[x] == b->item_first_ms[y] &&
              a->item_last_ms[x] == b->item_last_ms[y]);
        for (int j = 0; j < NITEMS; j++) {
            uint32_t x2 = item_of(a, j), y2 = item_of(b, j);
            if (x2 != RR_INTERN_NONE && y2 != RR_INTERN_NONE)
                CHECK_INT(rr_cooc_get(&a->cooc, x, x2), rr_cooc_get(&b->cooc, y, y2));
        }
    }
}

static void check_same_top(const rr_pipeline_t *a, const rr_pipeline_t *b)
{
    uint32_t ta[20], tb[20];
    size_t na = rr_trending_top(&a->trending, ta, NULL, 20);
    CHECK_INT(na, rr_trending_top(&b->trending, tb, NULL, 20));
    CHECK(na >= 10);
    for (size_t k = 0; k < na; k++)
        CHECK_STR(rr_intern_key(&a->store.items, ta[k]), rr_intern_key(&b->store.items, tb[k]));
    CHECK(a->segpop.total == b->segpop.total && a->cooc.pairs == b->cooc.pairs);
}

/* Dense weights: equal up to float rounding (a peer adds W − base where the owner has W). */
static void check_close_weights(const rr_pipeline_t *a, const rr_pipeline_t *b)
{
    for (size_t k = 0; k < a->learner.nparams; k++)
        if (!isfinite(a->learner.params[k]) || !isfinite(b->learner.params[k])) {
            CHECK(!"finite learner weights");
            break;
        }
    for (size_t k = 0; k < a->ranker.nparams; k++)
        if (!isfinite(a->ranker.params[k]) || !isfinite(b->ranker.params[k])) {
            CHECK(!"finite ranker weights");
            break;
        }
    /* One event-time clock: a peer's hits move it (the ranker reads item ages against it). */
    CHECK(a->portrait.now_ms == b->portrait.now_ms);
    double worst = 0;
    for (size_t k = 0; k < a->learner.mlp.nparams; k++)
        worst = fmax(worst, fabs(a->learner.params[k] - b->learner.params[k]));
    for (size_t k = 0; k < a->ranker.nparams; k++)
        worst = fmax(worst, fabs(a->ranker.params[k] - b->ranker.params[k]));
    CHECK(worst < 1e-5);
    CHECK(a->learner.flushes > 0 && b->learner.flushes > 0 && a->ranker.steps > 0);
}

/* What the optimisers and the ranker's standardisation learned is shared as well: one step
 * count, the statistics of both halves' training rows, the same Adagrad sums; and an item's
 * row starts from its key, so both hold the same row for it. */
static void check_close_state(const rr_pipeline_t *a, const rr_pipeline_t *b)
{
    CHECK(a->ranker.steps == b->ranker.steps);
    for (int k = 0; k < a->ranker.nfeat; k++) {
        CHECK(a->ranker.norm[k].count == b->ranker.norm[k].count);
        CHECK_NEAR(a->ranker.norm[k].mean, b->ranker.norm[k].mean,
                   1e-9 * (1 + fabs(a->ranker.norm[k].mean)));
        CHECK_NEAR(a->ranker.norm[k].m2, b->ranker.norm[k].m2, 1e-9 * (1 + a->ranker.norm[k].m2));
    }
    CHECK(a->ranker.norm[0].count > 0);
    double worst = 0, moved = 0;
    for (size_t k = 0; k < a->ranker.nparams; k++)
        worst = fmax(worst, fabs(a->ranker.state[k] - b->ranker.state[k]));
    for (size_t k = 0; k < a->learner.mlp.nparams; k++) {
        worst = fmax(worst, fabs(a->learner.state[k] - b->learner.state[k]));
        moved = fmax(moved, a->learner.state[k]);
    }
    CHECK(worst < 1e-4 && moved > 0);
    int rows = 0;
    for (int i = 0; i < NITEMS; i++) {
        uint32_t x = item_of(a, i), y = item_of(b, i);
        if (x == RR_INTERN_NONE || y == RR_INTERN_NONE) continue;
        const float *ra = rr_learner_item_row((rr_learner_t *)&a->learner, x);
        const float *rb = rr_learner_item_row((rr_learner_t *)&b->learner, y);
        for (int k = 0; k < a->learner.cfg.dim; k++) CHECK(fabs(ra[k] - rb[k]) < 1e-5);
        rows++;
    }
    CHECK(rows > NITEMS / 2);
}

static void check_two_halves(pair_t *p);

static void test_two_halves_agree(void)
{
    for (int rule = 0; rule < 2; rule++) {
        pair_t p;
        pair_init(&p, RR_SYNC_F32);
        CHECK_INT(rr_sync_merge_rule(rule ? "dense_mean" : "sum", 2, &p.m), 0);
        check_two_halves(&p);
        pair_free(&p);
    }
    rr_sync_merge_t m;
    CHECK(rr_sync_merge_rule("mean", 4, &m) == 0 && m.dense == 0.25f && m.rows == 0.25f);
    CHECK(rr_sync_merge_rule("nosuch", 4, &m) == -1);
}

static void check_two_halves(pair_t *p)
{
    pair_run(p, 1);
    CHECK(p->pl[0].events_total > NEV / 4 && p->pl[1].events_total > NEV / 4); /* both had work */
    CHECK_INT(p->pl[0].events_total + p->pl[1].events_total, NEV);
    check_same_items(&p->pl[0], &p->pl[1]);
    check_same_top(&p->pl[0], &p->pl[1]);
    check_close_weights(&p->pl[0], &p->pl[1]);
    check_close_state(&p->pl[0], &p->pl[1]);
    uint64_t interactions = 0; /* impressions are not item hits */
    for (uint32_t i = 0; i < rr_intern_bound(&p->pl[0].store.items); i++)
        interactions += p->pl[0].store.item[i].interactions;
    CHECK(interactions > NEV / 2);
    CHECK_INT(rr_sync_stats(p->sy[0])->hits_sent + rr_sync_stats(p->sy[1])->hits_sent,
              interactions);
}

/* Same publications in the same order: the same bytes, whatever the encoding. */
static void test_determinism(void)
{
    for (int q = 0; q < 3; q++) {
        pair_t a, b;
        pair_init(&a, (rr_sync_quant_t)q);
        pair_init(&b, (rr_sync_quant_t)q);
        pair_run(&a, 25);
        pair_run(&b, 25);
        CHECK(a.bytes > 0 && a.bytes == b.bytes && a.digest == b.digest);
        CHECK(memcmp(a.pl[1].learner.params, b.pl[1].learner.params,
                     a.pl[1].learner.nparams * sizeof(float)) == 0);
        pair_free(&a);
        pair_free(&b);
    }
}

/* Deltas in flight to one instance, applied at its own instants (copies: a publication's
 * buffer is the publisher's until its next call). */
typedef struct inbox_s {
    uint8_t *buf[64];
    size_t len[64], n;
} inbox_t;

static void inbox_publish(rr_sync_t *sy, inbox_t *to)
{
    const uint8_t *buf;
    size_t len;
    CHECK_INT(rr_sync_publish(sy, &SUM, &buf, &len), RR_OK);
    if (!len || to->n == 64) return;
    to->buf[to->n] = malloc(len);
    memcpy(to->buf[to->n], buf, len);
    to->len[to->n++] = len;
}

/* All of them, oldest first or newest first. */
static void inbox_apply(rr_sync_t *sy, inbox_t *in, int newest_first)
{
    for (size_t i = 0; i < in->n; i++) {
        size_t k = newest_first ? in->n - 1 - i : i;
        CHECK_INT(rr_sync_apply(sy, in->buf[k], in->len[k], &SUM), RR_OK);
        free(in->buf[k]);
    }
    in->n = 0;
}

static void check_same_bits(rr_pipeline_t *a, rr_sync_t *sa, rr_pipeline_t *b, rr_sync_t *sb)
{
    for (int r = 0; r < 6; r++) {
        float *wa, *wb, *base;
        int64_t *fix;
        size_t na, nb;
        rr_sync_region(sa, r, &wa, &base, &fix, &na);
        rr_sync_region(sb, r, &wb, &base, &fix, &nb);
        CHECK(na == nb && na > 0 && memcmp(wa, wb, na * sizeof(float)) == 0);
    }
    int rows = 0, dim = a->learner.cfg.dim;
    for (int i = 0; i < NITEMS; i++) {
        uint32_t x = item_of(a, i), y = item_of(b, i);
        CHECK((x == RR_INTERN_NONE) == (y == RR_INTERN_NONE));
        if (x == RR_INTERN_NONE || y == RR_INTERN_NONE) continue;
        CHECK(memcmp(rr_learner_item_row(&a->learner, x), rr_learner_item_row(&b->learner, y),
                     (size_t)dim * sizeof(float)) == 0);
        CHECK(memcmp(a->learner.st_items + x, b->learner.st_items + y, sizeof(float)) == 0);
        rows++;
    }
    CHECK(rows > NITEMS / 2);
}

/* Issue 15: two instances fed halves of a stream, each publishing at its own instants and
 * merging the other's deltas at others (b newest first, as no order holds across the sync
 * topic's partitions), end with bit-identical weights, optimiser state, item rows and ranker
 * statistics after a last round, and with equal model digests; before that round they differ. */
static void test_orders_exact(void)
{
    pair_t p;
    pair_init(&p, RR_SYNC_F32);
    CHECK(p.pl[0].learner.cfg.optim == RR_OPTIM_ADAGRAD); /* row state: one float per row */
    inbox_t to[2] = {{{0}, {0}, 0}, {{0}, {0}, 0}};
    uint64_t s = 11;
    int64_t ts = 1700000000000LL;
    for (int i = 0; i < NEV; i++) {
        rr_event_t ev;
        uint32_t uid;
        gen_event(&ev, &s, &ts);
        int inst = rr_sync_partition_of(ev.user_id, strlen(ev.user_id), 4) % 2;
        CHECK_INT(rr_pipeline_apply(&p.pl[inst], &ev, &uid), RR_OK);
        if (i % 53 == 52) inbox_publish(p.sy[0], &to[1]);
        if (i % 71 == 70) inbox_publish(p.sy[1], &to[0]);
        if (i % 89 == 88) inbox_apply(p.sy[0], &to[0], 0);
        if (i % 157 == 156) inbox_apply(p.sy[1], &to[1], 1);
    }
    CHECK(p.pl[0].learner.flushes > 0 && p.pl[1].learner.flushes > 0);
    CHECK(p.pl[0].ranker.steps > 0);
    rr_sync_digest_t d[2];
    for (int i = 0; i < 2; i++) CHECK_INT(rr_sync_digest(p.sy[i], &d[i]), RR_OK);
    CHECK(d[0].model != d[1].model);          /* deltas unpublished and in flight */
    for (int round = 0; round < 2; round++) { /* the second round sends nothing */
        inbox_publish(p.sy[0], &to[1]);
        inbox_publish(p.sy[1], &to[0]);
        CHECK(round == 0 || (to[0].n == 0 && to[1].n == 0));
        inbox_apply(p.sy[1], &to[1], 1);
        inbox_apply(p.sy[0], &to[0], 0);
    }
    check_same_bits(&p.pl[0], p.sy[0], &p.pl[1], p.sy[1]);
    for (int i = 0; i < 2; i++) CHECK_INT(rr_sync_digest(p.sy[i], &d[i]), RR_OK);
    CHECK(d[0].model == d[1].model && d[0].items == d[1].items);
    CHECK(p.pl[0].ranker.steps == p.pl[1].ranker.steps);
    CHECK(p.pl[0].ranker.norm[0].count > 0);
    CHECK(memcmp(p.pl[0].ranker.norm, p.pl[1].ranker.norm, sizeof(p.pl[0].ranker.norm)) == 0);
    CHECK(memcmp(p.pl[0].ranker.mu, p.pl[1].ranker.mu, sizeof(p.pl[0].ranker.mu)) == 0);
    pair_free(&p);
}

/* With int8, snapping to the shared base keeps what quantisation lost: after a round, a's
 * weights differ from its base by exactly that (the next delta's share), and once synced its
 * base is the shared one, equal to b's. */
static void test_quant_remainder(void)
{
    pair_t p;
    pair_init(&p, RR_SYNC_INT8);
    pair_run(&p, 25);
    pair_sync(&p);
    CHECK(p.sy[0]->synced && p.sy[1]->synced);
    double kept = 0;
    for (int r = 0; r < 6; r++) {
        float *w, *base, *wb, *baseb;
        int64_t *fix, *fixb;
        size_t n, nb;
        rr_sync_region(p.sy[0], r, &w, &base, &fix, &n);
        rr_sync_region(p.sy[1], r, &wb, &baseb, &fixb, &nb);
        CHECK(n == nb && memcmp(fix, fixb, n * sizeof(int64_t)) == 0);
        for (size_t k = 0; k < n; k++) {
            CHECK(memcmp(&base[k], &baseb[k], sizeof(float)) == 0);
            CHECK(base[k] == rr_sync_float_of(fix[k]));
            kept += fabs((double)w[k] - base[k]);
        }
    }
    CHECK(kept > 0);
    pair_free(&p);
}

/* What b merged from a is not b's to publish: b's next delta carries b's own event only. */
static void test_no_echo(void)
{
    pair_t p;
    pair_init(&p, RR_SYNC_F32);
    uint64_t s = 3;
    int64_t ts = 1000;
    for (int i = 0; i < 40; i++) { /* all of them on a */
        rr_event_t ev;
        uint32_t uid;
        gen_event(&ev, &s, &ts);
        CHECK_INT(rr_pipeline_apply(&p.pl[0], &ev, &uid), RR_OK);
    }
    const uint8_t *buf;
    size_t len;
    CHECK_INT(rr_sync_publish(p.sy[0], &SUM, &buf, &len), RR_OK);
    CHECK(len > 0);
    CHECK_INT(rr_sync_apply(p.sy[1], buf, len, &SUM), RR_OK);
    CHECK_INT(rr_sync_publish(p.sy[1], &SUM, &buf, &len), RR_OK);
    CHECK_INT(len, 0); /* nothing of its own */
    /* One event of b's own; a third pipeline fed b's delta gets that event and no weights. */
    rr_event_t ev;
    uint32_t uid;
    gen_event(&ev, &s, &ts);
    CHECK_INT(rr_pipeline_apply(&p.pl[1], &ev, &uid), RR_OK);
    CHECK_INT(rr_sync_publish(p.sy[1], &SUM, &buf, &len), RR_OK);
    CHECK(len > 0);
    rr_config_t cfg;
    test_config(&cfg);
    rr_pipeline_t c;
    CHECK_INT(rr_pipeline_init(&c, &cfg), RR_OK);
    float *before = malloc(c.learner.nparams * sizeof(float));
    memcpy(before, c.learner.params, c.learner.nparams * sizeof(float));
    char errstr[128];
    rr_sync_t *sc = rr_sync_new(&c, RR_SYNC_F32, errstr, sizeof(errstr));
    CHECK_INT(rr_sync_apply(sc, buf, len, &SUM), RR_OK);
    /* The first merge only puts the weights on the shared base's grid (rr_sync_fixed.c). */
    for (size_t k = 0; k < c.learner.nparams; k++)
        before[k] = rr_sync_float_of(rr_sync_fix_of(before[k]));
    CHECK(memcmp(before, c.learner.params, c.learner.nparams * sizeof(float)) == 0);
    CHECK_INT(c.cooc.pairs + c.segpop.total, 0 + 1);
    uint32_t iid = rr_intern_find(&c.store.items, ev.item_id);
    CHECK(iid != RR_INTERN_NONE && c.store.item[iid].interactions == 1);
    CHECK_INT(rr_intern_bound(&c.store.items), 1);
    /* Malformed: every cut of a's delta and a bad magic are refused, and change nothing. */
    CHECK_INT(rr_sync_publish(p.sy[0], &SUM, &buf, &len), RR_OK);
    CHECK_INT(len, 0);
    for (int i = 0; i < 3; i++) { /* a fresh delta of a, with weights */
        gen_event(&ev, &s, &ts);
        CHECK_INT(rr_pipeline_apply(&p.pl[0], &ev, &uid), RR_OK);
    }
    rr_pipeline_train_flush(&p.pl[0]);
    CHECK_INT(rr_sync_publish(p.sy[0], &SUM, &buf, &len), RR_OK);
    CHECK(len > 100);
    uint8_t *copy = malloc(len);
    memcpy(copy, buf, len);
    for (size_t cut = 0; cut < len; cut += 1 + cut / 8)
        CHECK_INT(rr_sync_apply(sc, copy, cut, &SUM), RR_E(DECODE));
    copy[0] = 'X';
    CHECK_INT(rr_sync_apply(sc, copy, len, &SUM), RR_E(DECODE));
    CHECK(memcmp(before, c.learner.params, c.learner.nparams * sizeof(float)) == 0);
    CHECK_INT(c.cooc.pairs + c.segpop.total, 1);
    free(copy);
    free(before);
    rr_sync_free(sc);
    rr_pipeline_free(&c);
    pair_free(&p);
}

/* A taobao CSV (user,item,category,behavior,ts s) of the generated stream. */
static void write_fixture(const char *path)
{
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    if (!fp) return;
    uint64_t s = 11;
    int64_t ts = 1500000000000LL;
    static const char *beh[] = {"pv", "pv", "pv", "fav", "cart", "buy"};
    for (int i = 0; i < NEV; i++) {
        rr_event_t ev;
        gen_event(&ev, &s, &ts);
        fprintf(fp, "%s,%s,%s,%s,%lld\n", ev.user_id + 1, ev.item_id + 1, ev.category + 1,
                beh[lcg(&s) % 6], (long long)(ts / 1000));
    }
    fclose(fp);
}

static void test_eval_one_instance(void)
{
    char path[] = "/tmp/rr_test_sync_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    write_fixture(path);
    const char *files[] = {path};
    rr_config_t cfg;
    rr_config_init(&cfg);
    char errstr[256];
    rr_eval_result_t plain, one, two;
    CHECK_INT(rr_eval_run(&cfg, files, 1, RR_FMT_TAOBAO, NULL, &plain, errstr, sizeof(errstr)), 0);
    rr_eval_sync_t s1 = {1, 1000}, s2 = {2, 1000}, bad = {5, 1000};
    CHECK_INT(rr_eval_run_sync(&cfg, files, 1, RR_FMT_TAOBAO, NULL, &s1, NULL, &one, errstr,
                               sizeof(errstr)),
              0);
    CHECK(plain.targets > 500 && one.sync_bytes > 0 && one.sync_rounds > 0);
    CHECK_INT(one.targets, plain.targets);
    CHECK_INT(one.hits[RR_EVAL_RTREC], plain.hits[RR_EVAL_RTREC]);
    CHECK(one.ndcg_sum[RR_EVAL_RTREC] == plain.ndcg_sum[RR_EVAL_RTREC]);
    CHECK(one.logloss == plain.logloss && one.covered == plain.covered);
    CHECK_INT(rr_eval_run_sync(&cfg, files, 1, RR_FMT_TAOBAO, NULL, &s2, NULL, &two, errstr,
                               sizeof(errstr)),
              0);
    CHECK_INT(two.targets, plain.targets); /* the harness's targets, whatever the split */
    CHECK(two.instances == 2 && two.sync_bytes > one.sync_bytes / 2);
    CHECK_INT(rr_eval_run_sync(&cfg, files, 1, RR_FMT_TAOBAO, NULL, &bad, NULL, &two, errstr,
                               sizeof(errstr)),
              RR_E(CONFIG)); /* more instances than broker.partitions */
    unlink(path);
}

/* A peer's hit that is older than the latest counts at its own time, not as now. */
static void test_late_hit(void)
{
    rr_trending_t tr;
    CHECK_INT(rr_trending_init(&tr, 8, 10.0), RR_OK);
    rr_trending_hit_at(&tr, 1, 1.0f, 100000);
    rr_trending_hit_at(&tr, 2, 1.0f, 80000); /* two half-lives late: a quarter */
    rr_trending_hit_at(&tr, 3, 1.0f, 100000);
    CHECK_NEAR(rr_trending_score(&tr, 2), 0.25, 1e-6);
    CHECK_NEAR(rr_trending_score(&tr, 1), 1.0, 1e-6);
    uint32_t top[3];
    CHECK_INT(rr_trending_top(&tr, top, NULL, 3), 3);
    CHECK(top[0] == 1 && top[1] == 3 && top[2] == 2);
    rr_trending_free(&tr);
}

/* The digest two synced pipelines agree on, and one learning alone does not; a muted event's
 * hits and a rebased pipeline's weights stay out of the next delta. */
static void test_digest_mute_rebase(void)
{
    pair_t p;
    pair_init(&p, RR_SYNC_F32);
    pair_run(&p, 25);
    pair_sync(&p);
    rr_sync_digest_t d[2];
    for (int i = 0; i < 2; i++) CHECK_INT(rr_sync_digest(p.sy[i], &d[i]), RR_OK);
    CHECK(d[0].items == d[1].items && d[0].cooc == d[1].cooc && d[0].nitems == d[1].nitems);
    CHECK(d[0].interactions > NEV / 2 && d[0].interactions == d[1].interactions);
    CHECK(d[0].cooc_total > 0 && d[0].cooc_total == d[1].cooc_total);
    CHECK(d[0].model == d[1].model); /* a last round: the weights are the shared base */
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 2; k++)
            CHECK(d[0].weights[r][k] > 0 &&
                  fabs(d[0].weights[r][k] - d[1].weights[r][k]) < 1e-5 * d[0].weights[r][k]);
    /* pl[0] alone, muted: its state moves, its next delta is empty once rebased. */
    rr_sync_mute(p.sy[0], 1);
    feed(&p.pl[0], 99, 1800000000000LL, 200);
    rr_sync_mute(p.sy[0], 0);
    rr_sync_digest_t after;
    CHECK_INT(rr_sync_digest(p.sy[0], &after), RR_OK);
    CHECK(after.interactions > d[0].interactions && after.items != d[1].items);
    CHECK(after.weights[0][0] != d[0].weights[0][0]); /* it trained */
    CHECK(after.model != d[0].model);
    rr_sync_rebase(p.sy[0]);
    const uint8_t *buf;
    size_t len;
    CHECK_INT(rr_sync_publish(p.sy[0], &p.m, &buf, &len), RR_OK);
    CHECK_INT(len, 0);
    pair_free(&p);
}

RR_TEST_MAIN(RR_TEST(test_wire), RR_TEST(test_fixed_point), RR_TEST(test_digest_mute_rebase),
             RR_TEST(test_late_hit), RR_TEST(test_no_echo), RR_TEST(test_two_halves_agree),
             RR_TEST(test_determinism), RR_TEST(test_eval_one_instance), RR_TEST(test_orders_exact),
             RR_TEST(test_quant_remainder))
