/* bench_redis.c — Redis publishing: the engine's async publisher (rr_redis: MULTI, DEL, ZADD,
 * HSET, EXPIREs, EXEC, PUBLISH per list) in lists/s, next to a raw pipelined SET loop with
 * hiredis, both against the same throwaway redis-server in the same run. */
#include <string.h>
#include <uv.h>
#include <hiredis/hiredis.h>
#include "bench_micro.h"
#include "rr_redis.h"
#include "../tests/online/rr_redis_server.h"

#define REDIS_RECS   10
#define REDIS_WINDOW 1000 /* SETs in flight, like the ~1000 of NOTES.md's measurement */

typedef struct redis_ctx_s {
    uv_loop_t loop;
    uv_timer_t guard; /* stops a run that never completes */
    rr_redis_t *rr;
    uint32_t nusers;
    uint64_t acks, goal;
    int connected, closed, timed_out;
} redis_ctx_t;

/* uid's list: items "i{uid·7+k}" scored REDIS_RECS - k. */
static int fill_recs(void *opaque, uint32_t uid, rr_recs_t *recs, rr_rec_t *store, size_t cap)
{
    (void)opaque;
    snprintf(recs->user_id, sizeof(recs->user_id), "u%u", uid);
    recs->n = cap < REDIS_RECS ? cap : REDIS_RECS;
    for (size_t k = 0; k < recs->n; k++) {
        snprintf(store[k].item_id, sizeof(store[k].item_id), "i%u", uid * 7 + (unsigned)k);
        store[k].score = (float)(REDIS_RECS - k);
        snprintf(store[k].reason, sizeof(store[k].reason), "category");
        snprintf(store[k].reason_detail, sizeof(store[k].reason_detail), "because c%u", uid % 50);
    }
    return 1;
}

static void on_ack(void *opaque, uint32_t uid)
{
    redis_ctx_t *rx = opaque;
    (void)uid;
    if (++rx->acks >= rx->goal) uv_stop(&rx->loop);
}

static void on_state(void *opaque, int connected)
{
    redis_ctx_t *rx = opaque;
    rx->connected = connected;
    uv_stop(&rx->loop);
}

static void on_closed(void *opaque)
{
    ((redis_ctx_t *)opaque)->closed = 1;
}

static void on_guard(uv_timer_t *timer)
{
    redis_ctx_t *rx = timer->data;
    rx->timed_out = 1;
    uv_stop(&rx->loop);
}

/* Runs the loop until a callback stops it, or 60 s have passed. */
static void redis_loop(redis_ctx_t *rx)
{
    uv_timer_start(&rx->guard, on_guard, 60000, 0);
    uv_run(&rx->loop, UV_RUN_DEFAULT);
    uv_timer_stop(&rx->guard);
}

/* One repetition: every user marked, then the loop runs until every list is acknowledged. */
static void publish_run(void *p, long reps)
{
    redis_ctx_t *rx = p;
    for (long r = 0; r < reps && !rx->timed_out; r++) {
        rx->goal += rx->nusers;
        for (uint32_t u = 0; u < rx->nusers; u++) rr_redis_mark(rx->rr, u);
        redis_loop(rx);
    }
}

static int redis_publisher_open(redis_ctx_t *rx, int port)
{
    rr_redis_opts_t opts = {
        .host = "127.0.0.1", .port = port, .prefix = "b:", .ttl_s = 600, .max_users = rx->nusers};
    rr_redis_cbs_t cbs = {.opaque = rx,
                          .fill_recs = fill_recs,
                          .on_ack = on_ack,
                          .on_state = on_state,
                          .on_closed = on_closed};
    char errstr[128] = "";
    if (uv_loop_init(&rx->loop) != 0) return 0;
    uv_timer_init(&rx->loop, &rx->guard);
    rx->guard.data = rx;
    rx->rr = rr_redis_new(&rx->loop, &opts, &cbs, errstr, sizeof(errstr));
    if (!rx->rr || rr_redis_start(rx->rr) != RR_OK) return 0;
    redis_loop(rx); /* until on_state reports the connection */
    return rx->connected;
}

static void redis_publisher_close(redis_ctx_t *rx)
{
    if (rx->rr) {
        rr_redis_close(rx->rr);
        uv_close((uv_handle_t *)&rx->guard, NULL);
        /* on_state(0) may stop the loop before on_closed: run again until closed. */
        while (uv_run(&rx->loop, UV_RUN_DEFAULT) && !rx->closed) continue;
        rr_redis_free(rx->rr);
    }
    uv_loop_close(&rx->loop);
}

/* A few users' ZSETs hold exactly fill_recs' list, best first. */
static int publish_valid(redisContext *c, uint32_t nusers)
{
    int ok = 1;
    for (uint32_t u = 0; ok && u < nusers; u += nusers / 5 + 1) {
        redisReply *rep = redisCommand(c, "ZREVRANGE b:rec:u%u 0 -1", u);
        ok = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == REDIS_RECS;
        for (size_t k = 0; ok && k < REDIS_RECS; k++) {
            char want[32];
            snprintf(want, sizeof(want), "i%u", u * 7 + (unsigned)k);
            ok = !strcmp(rep->element[k]->str, want);
        }
        if (rep) freeReplyObject(rep);
    }
    return ok;
}

typedef struct set_ctx_s {
    redisContext *c;
    long nsets;
    int errors;
} set_ctx_t;

/* nsets SETs of s:{k} = a 64-byte value, REDIS_WINDOW in flight, argv form (no formatting). */
static void set_run(void *p, long reps)
{
    set_ctx_t *sx = p;
    char key[32], val[65];
    memset(val, 'v', 64);
    val[64] = 0;
    for (long r = 0; r < reps; r++) {
        long pending = 0;
        for (long k = 0; k < sx->nsets; k++) {
            int klen = snprintf(key, sizeof(key), "s:%ld", k);
            const char *argv[3] = {"SET", key, val};
            size_t lens[3] = {3, (size_t)klen, 64};
            redisAppendCommandArgv(sx->c, 3, argv, lens);
            if (++pending < REDIS_WINDOW && k + 1 < sx->nsets) continue;
            for (; pending > 0; pending--) {
                redisReply *rep = NULL;
                if (redisGetReply(sx->c, (void **)&rep) != REDIS_OK || !rep ||
                    rep->type == REDIS_REPLY_ERROR)
                    sx->errors++;
                if (rep) freeReplyObject(rep);
            }
        }
    }
}

static int set_valid(set_ctx_t *sx)
{
    set_run(sx, 1);
    redisReply *rep = redisCommand(sx->c, "EXISTS s:0 s:%ld", sx->nsets - 1);
    int ok = sx->errors == 0 && rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == 2;
    if (rep) freeReplyObject(rep);
    return ok;
}

static void redis_cases(rr_redis_server_t *srv, redisContext *c)
{
    static redis_ctx_t rx;
    memset(&rx, 0, sizeof(rx));
    rx.nusers = rr_bench_smoke ? 200 : 20000;
    set_ctx_t sx = {c, rr_bench_smoke ? 2000 : 200000, 0};
    int ok = redis_publisher_open(&rx, srv->port);
    if (ok) publish_run(&rx, 1);
    ok = ok && !rx.timed_out && publish_valid(c, rx.nusers);
    double lists = 0, sets = 0;
    if (rr_bench_check("redis_publish", ok, "ZREVRANGE != fill data") && !rr_bench_smoke) {
        double s = rr_bench_median(publish_run, &rx, 1, 5, 0);
        lists = rx.timed_out ? 0 : rx.nusers / s;
    }
    redis_publisher_close(&rx);
    if (rr_bench_check("redis_set_loop", set_valid(&sx), "SET failed or key missing") &&
        !rr_bench_smoke) {
        double s = rr_bench_median(set_run, &sx, 1, 5, 0);
        sets = sx.nsets / s;
        rr_bench_print("redis_set_loop", sets, "SET/s", 5, "sets=%ld window=%d", sx.nsets,
                       REDIS_WINDOW);
    }
    if (lists > 0)
        rr_bench_print("redis_publish", lists, "lists/s", 5,
                       "users=%u recs=%d set_loop=%.0f lists_per_set=%.3f", rx.nusers, REDIS_RECS,
                       sets, sets > 0 ? lists / sets : 0);
}

void bench_redis(void)
{
    rr_redis_server_t srv;
    if (!rr_bench_check("redis_server", rr_redis_server_start(&srv, 0, NULL) == 0,
                        "cannot start redis-server"))
        return;
    redisContext *c = rr_redis_server_connect(&srv);
    if (rr_bench_check("redis_connect", c != NULL, "cannot connect")) redis_cases(&srv, c);
    if (c) redisFree(c);
    rr_redis_server_stop(&srv);
}
