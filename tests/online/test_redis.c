/* test_redis.c — the Redis publisher against a real throwaway redis-server: content of the
 * written keys, latest-wins coalescing, Redis down at start, Redis killed mid-run, AUTH. */
#include <uv.h>
#include <hiredis/hiredis.h>
#include "rr_test.h"
#include "rr_redis_server.h"
#include "rr_redis.h"
#include "rr_log.h"

#define MAX_USERS 4096
#define PREFIX    "t:"

typedef struct fixture_s {
    uv_loop_t loop;
    rr_redis_t *rr;
    int nrecs;                   /* recs per list */
    unsigned version[MAX_USERS]; /* the list's current version, part of every item id */
    unsigned fills[MAX_USERS];
    int ack_epoch[MAX_USERS]; /* epoch of the last ack (test 4: 1 = old server, 2 = new one) */
    int epoch;
    size_t acks;
    size_t ack_goal; /* test 4: kill the server on this ack */
    rr_redis_server_t *kill_srv;
    size_t inflight_at_kill;
    int ups, downs, closed;
} fixture_t;

static int warn_unreachable, warn_auth, warn_timeout;

static void count_warnings(void *opaque, rr_log_level_t level, const char *msg)
{
    (void)opaque;
    if (level == RR_LOG_WARN && strstr(msg, "unreachable")) warn_unreachable++;
    if (level == RR_LOG_WARN && strstr(msg, "AUTH failed")) warn_auth++;
    if (level == RR_LOG_WARN && strstr(msg, "connect timeout")) warn_timeout++;
}

/* List of uid at version v: items "v{v}-{k}" scored nrecs - k, reason "because {k}". */
static int fill_recs(void *opaque, uint32_t uid, rr_recs_t *recs, rr_rec_t *store, size_t cap)
{
    fixture_t *fx = opaque;
    size_t n = (size_t)fx->nrecs + uid % 3;
    fx->fills[uid]++;
    snprintf(recs->user_id, sizeof(recs->user_id), "u%u", uid);
    recs->n = n < cap ? n : cap;
    for (size_t k = 0; k < recs->n; k++) {
        snprintf(store[k].item_id, sizeof(store[k].item_id), "v%u-%zu", fx->version[uid], k);
        store[k].score = (float)(recs->n - k) + 0.5f;
        snprintf(store[k].reason, sizeof(store[k].reason), "category");
        snprintf(store[k].reason_detail, sizeof(store[k].reason_detail), "because %zu", k);
    }
    return 1;
}

static int fill_portrait(void *opaque, uint32_t uid, const char **fields, const char **values,
                         size_t cap, size_t *n)
{
    (void)opaque;
    if (uid % 2 || cap < 2) return 0;
    fields[0] = "segment";
    values[0] = "active";
    fields[1] = "price_band";
    values[1] = "mid";
    *n = 2;
    return 1;
}

static void on_ack(void *opaque, uint32_t uid)
{
    fixture_t *fx = opaque;
    fx->ack_epoch[uid] = fx->epoch;
    if (++fx->acks == fx->ack_goal && fx->kill_srv) {
        rr_redis_stats_t st;
        rr_redis_stats(fx->rr, &st);
        fx->inflight_at_kill = st.inflight;
        rr_redis_server_kill(fx->kill_srv);
    }
}

static void on_state(void *opaque, int connected)
{
    fixture_t *fx = opaque;
    if (connected)
        fx->ups++;
    else
        fx->downs++;
}

static void on_closed(void *opaque)
{
    ((fixture_t *)opaque)->closed = 1;
}

static fixture_t *fixture_new(const char *host, int port, const char *password, int max_inflight)
{
    static fixture_t fx_storage;
    fixture_t *fx = &fx_storage;
    memset(fx, 0, sizeof(*fx));
    fx->nrecs = 5;
    fx->epoch = 1;
    CHECK_INT(uv_loop_init(&fx->loop), 0);
    rr_redis_opts_t opts = {.host = host,
                            .port = port,
                            .password = password,
                            .prefix = PREFIX,
                            .ttl_s = 600,
                            .max_inflight = max_inflight,
                            .max_users = MAX_USERS};
    rr_redis_cbs_t cbs = {.opaque = fx,
                          .fill_recs = fill_recs,
                          .fill_portrait = fill_portrait,
                          .on_ack = on_ack,
                          .on_state = on_state,
                          .on_closed = on_closed};
    char errstr[128] = "";
    fx->rr = rr_redis_new(&fx->loop, &opts, &cbs, errstr, sizeof(errstr));
    CHECK(fx->rr != NULL);
    CHECK_INT(rr_redis_start(fx->rr), RR_OK);
    return fx;
}

/* Closes the publisher and proves the loop ends with no handle left. */
static void fixture_close(fixture_t *fx)
{
    rr_redis_close(fx->rr);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    CHECK(fx->closed);
    rr_redis_free(fx->rr);
    CHECK_INT(uv_loop_close(&fx->loop), 0);
}

typedef struct waiter_s {
    uv_timer_t timer;
    fixture_t *fx;
    int (*pred)(fixture_t *fx);
    uint64_t deadline;
    int met;
} waiter_t;

static void on_wait_tick(uv_timer_t *timer)
{
    waiter_t *w = timer->data;
    if (w->pred && w->pred(w->fx)) w->met = 1;
    if (w->met || uv_now(timer->loop) >= w->deadline) uv_stop(timer->loop);
}

/* Runs the loop until pred holds (checked every 2 ms) or timeout_ms passed; pred NULL = just
 * run for timeout_ms. Returns whether pred held. */
static int run_until(fixture_t *fx, int (*pred)(fixture_t *fx), unsigned timeout_ms)
{
    waiter_t w = {.fx = fx, .pred = pred};
    uv_update_time(&fx->loop);
    w.deadline = uv_now(&fx->loop) + timeout_ms;
    uv_timer_init(&fx->loop, &w.timer);
    w.timer.data = &w;
    uv_timer_start(&w.timer, on_wait_tick, 0, 2);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&w.timer, NULL);
    uv_run(&fx->loop, UV_RUN_NOWAIT);
    return w.met;
}

static int idle_pred(fixture_t *fx)
{
    rr_redis_stats_t st;
    rr_redis_stats(fx->rr, &st);
    return st.connected && st.dirty == 0 && st.inflight == 0;
}

static int up_pred(fixture_t *fx)
{
    return fx->ups > 0;
}

static redisReply *cmd(redisContext *c, const char *fmt, const char *arg)
{
    redisReply *reply = redisCommand(c, fmt, arg);
    CHECK(reply != NULL);
    return reply;
}

/* Checks Redis holds exactly uid's list at fx->version[uid], in order, with reasons. */
static void check_user(fixture_t *fx, redisContext *c, uint32_t uid)
{
    char key[64], item[64], score[32], why[32];
    size_t n = (size_t)fx->nrecs + uid % 3;
    snprintf(key, sizeof(key), PREFIX "rec:u%u", uid);
    redisReply *reply = cmd(c, "ZREVRANGE %s 0 -1 WITHSCORES", key);
    if (!reply) return;
    CHECK_INT(reply->elements, 2 * n);
    for (size_t k = 0; k < n && reply->elements == 2 * n; k++) {
        snprintf(item, sizeof(item), "v%u-%zu", fx->version[uid], k);
        snprintf(score, sizeof(score), "%.1f", (double)(n - k) + 0.5);
        CHECK_STR(reply->element[2 * k]->str, item);
        CHECK_STR(reply->element[2 * k + 1]->str, score);
    }
    freeReplyObject(reply);
    snprintf(key, sizeof(key), PREFIX "why:u%u", uid);
    snprintf(item, sizeof(item), "v%u-%zu", fx->version[uid], n - 1);
    snprintf(why, sizeof(why), "because %zu", n - 1);
    reply = redisCommand(c, "HGET %s %s", key, item);
    CHECK(reply && reply->type == REDIS_REPLY_STRING);
    if (reply && reply->type == REDIS_REPLY_STRING) CHECK_STR(reply->str, why);
    if (reply) freeReplyObject(reply);
    reply = cmd(c, "HLEN %s", key);
    if (reply) CHECK_INT(reply->integer, n);
    if (reply) freeReplyObject(reply);
}

static long long ttl_of(redisContext *c, const char *key)
{
    redisReply *reply = cmd(c, "TTL %s", key);
    long long ttl = reply ? reply->integer : -3;
    if (reply) freeReplyObject(reply);
    return ttl;
}

static int all_acked_100(fixture_t *fx)
{
    return fx->acks >= 100;
}

/* Reads PUBLISH messages on t:updates until 100 distinct users or the 1 s read timeout. */
static int count_updates(redisContext *sub)
{
    static char seen[100];
    int distinct = 0;
    void *r;
    memset(seen, 0, sizeof(seen));
    while (distinct < 100 && redisGetReply(sub, &r) == REDIS_OK) {
        redisReply *msg = r;
        unsigned uid;
        if (msg->type == REDIS_REPLY_ARRAY && msg->elements == 3 &&
            sscanf(msg->element[2]->str, "u%u", &uid) == 1 && uid < 100 && !seen[uid]) {
            seen[uid] = 1;
            distinct++;
        }
        freeReplyObject(msg);
    }
    return distinct;
}

static void test_basic(void)
{
    rr_redis_server_t srv;
    CHECK_INT(rr_redis_server_start(&srv, 0, NULL), 0);
    redisContext *c = rr_redis_server_connect(&srv);
    redisContext *sub = rr_redis_server_connect(&srv);
    CHECK(c && sub);
    if (!c || !sub) return;
    freeReplyObject(cmd(sub, "SUBSCRIBE %s", PREFIX "updates"));
    fixture_t *fx = fixture_new(NULL, srv.port, NULL, 0);
    for (uint32_t uid = 0; uid < 100; uid++) rr_redis_mark(fx->rr, uid);
    CHECK(run_until(fx, all_acked_100, 10000));
    CHECK(run_until(fx, idle_pred, 5000));
    for (uint32_t uid = 0; uid < 100; uid++) check_user(fx, c, uid);
    CHECK(ttl_of(c, PREFIX "rec:u3") > 0);
    CHECK(ttl_of(c, PREFIX "why:u3") > 0);
    CHECK(ttl_of(c, PREFIX "portrait:u4") > 0);
    CHECK_INT(ttl_of(c, PREFIX "portrait:u5"), -2); /* odd users have no portrait */
    redisReply *reply = cmd(c, "HGET %s segment", PREFIX "portrait:u4");
    CHECK(reply && reply->str);
    if (reply && reply->str) CHECK_STR(reply->str, "active");
    if (reply) freeReplyObject(reply);
    CHECK_INT(count_updates(sub), 100);
    rr_redis_stats_t st;
    rr_redis_stats(fx->rr, &st);
    CHECK_INT(st.lists_written, 100);
    CHECK_INT(st.errors, 0);
    fixture_close(fx);
    redisFree(sub);
    redisFree(c);
    rr_redis_server_stop(&srv);
}

static void test_stats_trending_forget(void)
{
    rr_redis_server_t srv;
    CHECK_INT(rr_redis_server_start(&srv, 0, NULL), 0);
    redisContext *c = rr_redis_server_connect(&srv);
    CHECK(c != NULL);
    if (!c) return;
    fixture_t *fx = fixture_new(NULL, srv.port, NULL, 0);
    rr_redis_mark(fx->rr, 5);
    CHECK(run_until(fx, idle_pred, 5000));
    static char names[300][16];
    static const char *items[300];
    static float scores[300];
    for (int i = 0; i < 300; i++) {
        snprintf(names[i], sizeof(names[i]), "item%d", i);
        items[i] = names[i];
        scores[i] = (float)i;
    }
    const char *fields[] = {"events_total", "users"}, *values[] = {"42", "7"};
    rr_redis_put_stats(fx->rr, fields, values, 2);
    rr_redis_put_trending(fx->rr, items, scores, 300);
    rr_redis_forget(fx->rr, "u5");
    run_until(fx, NULL, 200);
    redisReply *reply = cmd(c, "HGET %s events_total", PREFIX "stats");
    CHECK(reply && reply->str && strcmp(reply->str, "42") == 0);
    if (reply) freeReplyObject(reply);
    reply = cmd(c, "ZCARD %s", PREFIX "trending");
    if (reply) CHECK_INT(reply->integer, 300);
    if (reply) freeReplyObject(reply);
    reply = cmd(c, "ZREVRANGE %s 0 0", PREFIX "trending");
    CHECK(reply && reply->elements == 1 && strcmp(reply->element[0]->str, "item299") == 0);
    if (reply) freeReplyObject(reply);
    CHECK_INT(ttl_of(c, PREFIX "rec:u5"), -2);
    CHECK_INT(ttl_of(c, PREFIX "why:u5"), -2);
    fixture_close(fx);
    redisFree(c);
    rr_redis_server_stop(&srv);
}

typedef struct burst_s {
    uv_timer_t timer;
    fixture_t *fx;
    int ticks;
} burst_t;

/* Ten changes of user 7's list per loop turn, for 100 turns: 1000 marks. */
static void on_burst(uv_timer_t *timer)
{
    burst_t *b = timer->data;
    for (int i = 0; i < 10; i++) {
        b->fx->version[7]++;
        rr_redis_mark(b->fx->rr, 7);
    }
    rr_redis_mark(b->fx->rr, (uint32_t)(100 + b->ticks)); /* other users move along */
    if (++b->ticks == 100) uv_timer_stop(timer);
}

static int burst_done(fixture_t *fx)
{
    return fx->version[7] == 1000 && idle_pred(fx);
}

static void test_latest_wins(void)
{
    rr_redis_server_t srv;
    CHECK_INT(rr_redis_server_start(&srv, 0, NULL), 0);
    redisContext *c = rr_redis_server_connect(&srv);
    CHECK(c != NULL);
    if (!c) return;
    fixture_t *fx = fixture_new(NULL, srv.port, NULL, 0);
    CHECK(run_until(fx, up_pred, 5000));
    burst_t b = {.fx = fx};
    uv_timer_init(&fx->loop, &b.timer);
    b.timer.data = &b;
    uv_timer_start(&b.timer, on_burst, 0, 1);
    CHECK(run_until(fx, burst_done, 10000));
    uv_close((uv_handle_t *)&b.timer, NULL);
    check_user(fx, c, 7);
    printf("latest wins: 1000 marks of user 7 -> %u writes\n", fx->fills[7]);
    CHECK(fx->fills[7] >= 1 && fx->fills[7] <= 101);
    CHECK_INT(fx->ack_epoch[7], 1);
    fixture_close(fx);
    redisFree(c);
    rr_redis_server_stop(&srv);
}

static int all_50_acked(fixture_t *fx)
{
    for (uint32_t uid = 0; uid < 50; uid++)
        if (!fx->ack_epoch[uid]) return 0;
    return 1;
}

static void test_down_at_start(void)
{
    rr_redis_server_t srv;
    int port = rr_free_port();
    warn_unreachable = 0;
    rr_log_set_sink(count_warnings, NULL);
    fixture_t *fx = fixture_new(NULL, port, NULL, 0);
    for (uint32_t uid = 0; uid < 50; uid++) rr_redis_mark(fx->rr, uid);
    run_until(fx, NULL, 250);
    for (uint32_t uid = 0; uid < 50; uid += 5) { /* changes while down: the latest must win */
        fx->version[uid] = 3;
        rr_redis_mark(fx->rr, uid);
    }
    run_until(fx, NULL, 250);
    rr_redis_stats_t st;
    rr_redis_stats(fx->rr, &st);
    CHECK_INT(fx->ups, 0);
    CHECK_INT(st.connected, 0);
    CHECK_INT(st.dirty, 50);
    CHECK_INT(st.inflight, 0);
    CHECK_INT(warn_unreachable, 1); /* said once, not on every retry */
    CHECK_INT(rr_redis_server_start(&srv, port, NULL), 0);
    CHECK(run_until(fx, all_50_acked, 10000));
    redisContext *c = rr_redis_server_connect(&srv);
    CHECK(c != NULL);
    for (uint32_t uid = 0; c && uid < 50; uid++) check_user(fx, c, uid);
    CHECK_INT(fx->ups, 1);
    fixture_close(fx);
    rr_log_set_sink(NULL, NULL);
    if (c) redisFree(c);
    rr_redis_server_stop(&srv);
}

#define KILL_N 2000

static int all_2n_acked(fixture_t *fx)
{
    for (uint32_t uid = 0; uid < 2 * KILL_N; uid++)
        if (!fx->ack_epoch[uid]) return 0;
    return 1;
}

static int killed(fixture_t *fx)
{
    return fx->kill_srv->pid == 0 && fx->downs > 0;
}

static void test_killed_mid_run(void)
{
    rr_redis_server_t srv;
    CHECK_INT(rr_redis_server_start(&srv, 0, NULL), 0);
    fixture_t *fx = fixture_new(NULL, srv.port, NULL, 256);
    fx->nrecs = 50;
    fx->kill_srv = &srv;
    fx->ack_goal = KILL_N / 4;
    for (uint32_t uid = 0; uid < KILL_N; uid++) rr_redis_mark(fx->rr, uid);
    CHECK(run_until(fx, killed, 10000));
    printf("killed with %zu users in flight\n", fx->inflight_at_kill);
    CHECK(fx->inflight_at_kill > 0);
    fx->epoch = 2; /* every ack from now on comes from the new server */
    for (uint32_t uid = KILL_N; uid < 2 * KILL_N; uid++) rr_redis_mark(fx->rr, uid);
    run_until(fx, NULL, 300);
    CHECK_INT(rr_redis_server_start(&srv, srv.port, NULL), 0);
    CHECK(run_until(fx, all_2n_acked, 20000));
    CHECK(run_until(fx, idle_pred, 5000));
    redisContext *c = rr_redis_server_connect(&srv);
    CHECK(c != NULL);
    size_t old_acks = 0;
    for (uint32_t uid = 0; c && uid < 2 * KILL_N; uid++) {
        if (fx->ack_epoch[uid] == 2)
            check_user(fx, c, uid); /* lost in flight or marked while down: rewritten */
        else
            old_acks++;
    }
    CHECK(old_acks >= KILL_N / 4 && old_acks < KILL_N);
    rr_redis_stats_t st;
    rr_redis_stats(fx->rr, &st);
    CHECK_INT(st.reconnects, 1);
    CHECK(st.errors >= 1); /* the loss; replies already on the wire at the kill still count */
    CHECK_INT(fx->downs, 1);
    CHECK_INT(fx->ups, 2);
    fixture_close(fx);
    if (c) redisFree(c);
    rr_redis_server_stop(&srv);
}

static int ten_acked(fixture_t *fx)
{
    return fx->acks >= 10;
}

static void test_auth(void)
{
    rr_redis_server_t srv;
    CHECK_INT(rr_redis_server_start(&srv, 0, "secret"), 0);
    fixture_t *fx = fixture_new(NULL, srv.port, "secret", 0);
    for (uint32_t uid = 0; uid < 10; uid++) rr_redis_mark(fx->rr, uid);
    CHECK(run_until(fx, ten_acked, 5000));
    redisContext *c = rr_redis_server_connect(&srv);
    CHECK(c != NULL);
    for (uint32_t uid = 0; c && uid < 10; uid++) check_user(fx, c, uid);
    if (c) redisFree(c);
    fixture_close(fx);

    warn_auth = 0;
    rr_log_set_sink(count_warnings, NULL);
    fx = fixture_new(NULL, srv.port, "wrong", 0);
    rr_redis_mark(fx->rr, 1);
    run_until(fx, NULL, 500);
    rr_redis_stats_t st;
    rr_redis_stats(fx->rr, &st);
    CHECK_INT(fx->ups, 0);
    CHECK(st.errors >= 1);
    CHECK_INT(st.dirty, 1);
    CHECK_INT(warn_auth, 1);
    fixture_close(fx);
    rr_log_set_sink(NULL, NULL);
    rr_redis_server_stop(&srv);
}

static size_t total_fills(const fixture_t *fx)
{
    size_t n = 0;
    for (size_t uid = 0; uid < MAX_USERS; uid++) n += fx->fills[uid];
    return n;
}

/* Redis refusing writes (OOM) fails the EXEC: users are retried, paced, until Redis recovers. */
static void test_write_errors_retry(void)
{
    rr_redis_server_t srv;
    CHECK_INT(rr_redis_server_start(&srv, 0, NULL), 0);
    redisContext *c = rr_redis_server_connect(&srv);
    CHECK(c != NULL);
    if (!c) return;
    freeReplyObject(cmd(c, "CONFIG SET maxmemory %s", "1"));
    fixture_t *fx = fixture_new(NULL, srv.port, NULL, 0);
    for (uint32_t uid = 0; uid < 10; uid++) rr_redis_mark(fx->rr, uid);
    run_until(fx, NULL, 300);
    rr_redis_stats_t st;
    rr_redis_stats(fx->rr, &st);
    CHECK_INT(fx->acks, 0);
    CHECK(st.errors >= 10);
    CHECK_INT(st.dirty + st.inflight, 10); /* all waiting or being retried, none lost */
    printf("OOM for 300 ms: %zu writes of 10 users\n", total_fills(fx));
    CHECK(total_fills(fx) <= 60); /* paced by the error pause, not a hot loop */
    freeReplyObject(cmd(c, "CONFIG SET maxmemory %s", "0"));
    CHECK(run_until(fx, ten_acked, 5000));
    for (uint32_t uid = 0; uid < 10; uid++) check_user(fx, c, uid);
    fixture_close(fx);
    redisFree(c);
    rr_redis_server_stop(&srv);
}

/* A listener whose accept queue is full drops SYNs: the connect hangs until our timeout. */
static void test_connect_timeout(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    int lfd = socket(AF_INET, SOCK_STREAM, 0), fillers[4];
    CHECK(bind(lfd, (struct sockaddr *)&sin, len) == 0 && listen(lfd, 0) == 0);
    getsockname(lfd, (struct sockaddr *)&sin, &len);
    for (int i = 0; i < 4; i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fillers[i], (struct sockaddr *)&sin, len);
    }
    warn_timeout = warn_unreachable = 0;
    rr_log_set_sink(count_warnings, NULL);
    fixture_t *fx = fixture_new(NULL, ntohs(sin.sin_port), NULL, 0);
    rr_redis_mark(fx->rr, 1);
    run_until(fx, NULL, 1600); /* timeout at 1 s, retry at 1.1 s: closed while connecting */
    CHECK_INT(fx->ups, 0);
    CHECK_INT(warn_timeout, 1);
    CHECK_INT(warn_unreachable, 1);
    fixture_close(fx);
    rr_log_set_sink(NULL, NULL);
    for (int i = 0; i < 4; i++) close(fillers[i]);
    close(lfd);
}

static void test_hostname_and_early_close(void)
{
    rr_redis_server_t srv;
    CHECK_INT(rr_redis_server_start(&srv, 0, NULL), 0);
    fixture_t *fx = fixture_new("localhost", srv.port, NULL, 0);
    fixture_close(fx); /* while the name is being resolved */
    fx = fixture_new("localhost", srv.port, NULL, 0);
    rr_redis_mark(fx->rr, 3);
    CHECK(run_until(fx, idle_pred, 5000));
    CHECK_INT(fx->ack_epoch[3], 1);
    fixture_close(fx);
    rr_redis_server_stop(&srv);
}

RR_TEST_MAIN(RR_TEST(test_basic), RR_TEST(test_stats_trending_forget), RR_TEST(test_latest_wins),
             RR_TEST(test_down_at_start), RR_TEST(test_killed_mid_run), RR_TEST(test_auth),
             RR_TEST(test_write_errors_retry), RR_TEST(test_connect_timeout),
             RR_TEST(test_hostname_and_early_close))
