/* bench_micro.c — micro benchmarks of rtrec's per-event costs (decode, portrait) and the driver
 * of all cases. `bench_micro [--smoke] [case...]`: --smoke runs tiny sizes, validates, no timing.
 */
#include <math.h>
#include <string.h>
#include "bench_micro.h"
#include "rr_blas.h"
#include "rr_codec.h"
#include "rr_gen.h"
#include "rr_pipeline.h"

int rr_bench_smoke, rr_bench_failed;

#define DECODE_EVENTS 1024

typedef struct decode_ctx_s {
    uint8_t pb[DECODE_EVENTS][512];
    char json[DECODE_EVENTS][1024];
    size_t pb_len[DECODE_EVENTS], json_len[DECODE_EVENTS];
    rr_event_t ev[DECODE_EVENTS];
    int n;
} decode_ctx_t;

static int same_float(float a, float b)
{
    return a == b || fabsf(a - b) <= 1e-6f * fmaxf(fabsf(a), fabsf(b));
}

/* The fields the engine reads must survive encode -> decode. */
static int same_event(const rr_event_t *a, const rr_event_t *b)
{
    return a->type == b->type && a->ts_ms == b->ts_ms && !strcmp(a->user_id, b->user_id) &&
           !strcmp(a->item_id, b->item_id) && !strcmp(a->category, b->category) &&
           !strcmp(a->brand, b->brand) && !strcmp(a->session_id, b->session_id) &&
           ((a->flags & RR_EVF_PRICE) == 0 || same_float(a->price, b->price)) &&
           ((a->flags & RR_EVF_VALUE) == 0 || same_float(a->value, b->value));
}

static void decode_pb_run(void *p, long reps)
{
    decode_ctx_t *dc = p;
    rr_event_t ev;
    for (long r = 0; r < reps; r++) {
        int k = (int)(r % dc->n);
        rr_event_decode_pb(dc->pb[k], dc->pb_len[k], &ev);
    }
}

static void decode_json_run(void *p, long reps)
{
    decode_ctx_t *dc = p;
    rr_event_t ev;
    for (long r = 0; r < reps; r++) {
        int k = (int)(r % dc->n);
        rr_event_decode_json(dc->json[k], dc->json_len[k], &ev);
    }
}

static int decode_prepare(decode_ctx_t *dc)
{
    rr_gen_opts_t go = {.users = 1000,
                        .items = 10000,
                        .categories = 50,
                        .events = DECODE_EVENTS,
                        .seed = 7,
                        .start_ts_ms = 1700000000000LL,
                        .zipf_s = 1.1};
    rr_gen_t *g = rr_gen_new(&go);
    int ok = g != NULL;
    for (dc->n = 0; ok && dc->n < DECODE_EVENTS && rr_gen_next(g, &dc->ev[dc->n]); dc->n++) {
        int k = dc->n;
        ok =
            rr_event_encode_pb(&dc->ev[k], dc->pb[k], sizeof(dc->pb[k]), &dc->pb_len[k]) == RR_OK &&
            rr_event_encode_json(&dc->ev[k], dc->json[k], sizeof(dc->json[k]), &dc->json_len[k]) ==
                RR_OK;
    }
    rr_gen_free(g);
    return ok && dc->n > 0;
}

void bench_decode(void)
{
    static decode_ctx_t dc;
    if (!rr_bench_check("decode", decode_prepare(&dc), "encode failed")) return;
    int pb_ok = 1, json_ok = 1;
    double pb_bytes = 0, json_bytes = 0;
    for (int k = 0; k < dc.n; k++) {
        rr_event_t ev;
        pb_ok &=
            rr_event_decode_pb(dc.pb[k], dc.pb_len[k], &ev) == RR_OK && same_event(&ev, &dc.ev[k]);
        json_ok &= rr_event_decode_json(dc.json[k], dc.json_len[k], &ev) == RR_OK &&
                   same_event(&ev, &dc.ev[k]);
        pb_bytes += (double)dc.pb_len[k];
        json_bytes += (double)dc.json_len[k];
    }
    if (rr_bench_check("decode_pb", pb_ok, "decoded != encoded") && !rr_bench_smoke) {
        double s = rr_bench_median(decode_pb_run, &dc, 0, 7, 0.1);
        rr_bench_print("decode_pb", 1.0 / s, "events/s", 7,
                       "ns_per_event=%.0f bytes_per_event=%.0f", s * 1e9, pb_bytes / dc.n);
    }
    if (rr_bench_check("decode_json", json_ok, "decoded != encoded") && !rr_bench_smoke) {
        double s = rr_bench_median(decode_json_run, &dc, 0, 7, 0.1);
        rr_bench_print("decode_json", 1.0 / s, "events/s", 7,
                       "ns_per_event=%.0f bytes_per_event=%.0f", s * 1e9, json_bytes / dc.n);
    }
}

#define PORTRAIT_EVENTS 4096

typedef struct portrait_ctx_s {
    rr_pipeline_t pl;
    int inited;
    uint32_t uid[PORTRAIT_EVENTS], iid[PORTRAIT_EVENTS];
    float w[PORTRAIT_EVENTS];
    int64_t ts[PORTRAIT_EVENTS];
    int n;
} portrait_ctx_t;

/* The portrait decays from the user's last event time, which rr_store_touch advances: each rep
 * is an update and the touch after it, and every pass over the events moves on in time. */
static void portrait_run(void *p, long reps)
{
    portrait_ctx_t *pc = p;
    rr_event_t ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = RR_EV_VIEW;
    int64_t span = pc->ts[pc->n - 1] - pc->ts[0] + 1000;
    for (long r = 0; r < reps; r++) {
        int k = (int)(r % pc->n);
        ev.ts_ms = pc->ts[k] + (r / pc->n) * span;
        rr_portrait_update(&pc->pl.portrait, &pc->pl.store, pc->uid[k], pc->iid[k], pc->w[k],
                           ev.ts_ms);
        rr_store_touch(&pc->pl.store, pc->uid[k], pc->iid[k], &ev);
    }
}

/* Applies a synthetic stream (model off: only the state the portrait reads) and keeps each
 * event's (user, item, weight, time) to replay rr_portrait_update alone. */
static int portrait_prepare(portrait_ctx_t *pc, rr_config_t *cfg)
{
    rr_config_init(cfg);
    cfg->users_max = 20000;
    cfg->items_max = 50000;
    cfg->model_enabled = 0;
    pc->inited = rr_pipeline_init(&pc->pl, cfg) == RR_OK;
    if (!pc->inited) return 0;
    rr_gen_opts_t go = {.users = 5000,
                        .items = 20000,
                        .categories = 50,
                        .events = PORTRAIT_EVENTS,
                        .seed = 3,
                        .start_ts_ms = 1700000000000LL,
                        .zipf_s = 1.1};
    rr_gen_t *g = rr_gen_new(&go);
    rr_event_t ev;
    pc->n = 0;
    while (g && pc->n < PORTRAIT_EVENTS && rr_gen_next(g, &ev)) {
        uint32_t uid;
        if (rr_pipeline_apply(&pc->pl, &ev, &uid) != RR_OK || !ev.item_id[0]) continue;
        if (rr_store_item(&pc->pl.store, &ev, &pc->iid[pc->n]) != RR_OK) continue;
        pc->uid[pc->n] = uid;
        pc->w[pc->n] = rr_pipeline_event_weight(ev.type);
        pc->ts[pc->n] = ev.ts_ms;
        pc->n++;
    }
    rr_gen_free(g);
    return pc->n > 0;
}

/* A user whose events all fall in one category has affinity 1 there, 0 elsewhere. */
static int portrait_valid(portrait_ctx_t *pc)
{
    rr_portrait_table_t *pt = &pc->pl.portrait;
    const rr_store_t *st = &pc->pl.store;
    uint32_t uid = (uint32_t)pc->pl.store.users_max - 1, iid = pc->iid[0];
    uint32_t cat = st->item[iid].category, other = st->item[pc->iid[1]].category;
    for (int k = 0; k < 3; k++) rr_portrait_update(pt, st, uid, iid, 2.0f, pc->ts[0] + 1000 * k);
    int ok = fabsf(rr_portrait_category_affinity(pt, uid, cat) - 1.0f) < 1e-4f;
    if (other != cat) ok &= rr_portrait_category_affinity(pt, uid, other) == 0.0f;
    rr_portrait_forget(pt, uid);
    return ok && cat != RR_INTERN_NONE;
}

void bench_portrait(void)
{
    static portrait_ctx_t pc;
    rr_config_t cfg;
    int ok = portrait_prepare(&pc, &cfg);
    if (rr_bench_check("portrait_update", ok && portrait_valid(&pc), "affinity != 1") &&
        !rr_bench_smoke) {
        double s = rr_bench_median(portrait_run, &pc, 0, 7, 0.1);
        rr_bench_print("portrait_update", 1.0 / s, "events/s", 7,
                       "ns_per_event=%.0f includes=rr_store_touch", s * 1e9);
    }
    if (pc.inited) rr_pipeline_free(&pc.pl);
    /* Bytes per user slot of the default configuration (1M users, model on); fixed at init. */
    rr_config_init(&cfg);
    size_t bytes = 0;
    rr_pipeline_t *pl = calloc(1, sizeof(*pl));
    ok = pl && rr_pipeline_init(pl, &cfg) == RR_OK;
    if (ok) bytes = rr_pipeline_bytes_per_user(pl);
    if (rr_bench_check("bytes_per_user", ok && bytes > 0, "pipeline init failed") &&
        !rr_bench_smoke)
        rr_bench_print("bytes_per_user", (double)bytes, "bytes", 1,
                       "users_max=%d goal=512 goal_met=%s", cfg.users_max,
                       bytes <= 512 ? "yes" : "no");
    if (ok) rr_pipeline_free(pl);
    free(pl);
}

static int wanted(int argc, char **argv, const char *name)
{
    int any = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') continue;
        any = 1;
        if (!strcmp(argv[i], name)) return 1;
    }
    return !any;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--smoke")) {
            rr_bench_smoke = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr,
                    "usage: bench_micro [--smoke] [decode|portrait|sgd|topn|refresh|redis]...\n");
            return 2;
        }
    }
    rr_blas_set_threads(1); /* per-event matrices are small: see NOTES.md */
    if (wanted(argc, argv, "decode")) bench_decode();
    if (wanted(argc, argv, "portrait")) bench_portrait();
    if (wanted(argc, argv, "sgd")) bench_sgd(bench_sgemm());
    if (wanted(argc, argv, "topn")) bench_topn();
    if (wanted(argc, argv, "refresh")) bench_refresh();
    if (wanted(argc, argv, "redis")) bench_redis();
    if (rr_bench_failed)
        fprintf(stderr, "bench_micro: %d case(s) failed validation\n", rr_bench_failed);
    return rr_bench_failed ? 1 : 0;
}
