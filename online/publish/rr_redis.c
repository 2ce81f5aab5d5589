/* rr_redis.c — the Redis publisher: a connection state machine with back-off, a uv_idle pump
 * that writes dirty users' current lists as MULTI/EXEC pipelines, and the periodic stats and
 * trending writes; see rr_redis.h. */
#include <arpa/inet.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include "rr_dirty.h"
#include "rr_log.h"
#include "rr_redis.h"
#include "rr_redis_uv.h"

#define BACKOFF_MIN_MS     100
#define BACKOFF_MAX_MS     5000
#define CONNECT_TIMEOUT_MS 1000
#define ERROR_PAUSE_MS     100 /* pause writing after a failed EXEC: no hot retry loop */
#define PORTRAIT_MAX       64
#define PAIRS_MIN          128 /* pairs per command; longer stats/trending are chunked */
#define NUM_LEN            32

typedef enum {
    ST_DOWN,       /* no connection; the back-off timer (or nothing, before start) is pending */
    ST_RESOLVING,  /* uv_getaddrinfo for a host name */
    ST_CONNECTING, /* TCP connect in progress */
    ST_AUTH,       /* connected, AUTH sent */
    ST_UP,
} rr_redis_state_t;

struct rr_redis_s {
    uv_loop_t *loop;
    rr_redis_cbs_t cbs;
    char *host, *password, *prefix;
    int port, ttl_s;
    char ttl[NUM_LEN];
    size_t max_inflight, max_recs, pairs_cap;

    rr_redis_state_t state;
    int started, closing, closed;
    int down_logged, error_logged, ever_connected, paused;
    unsigned backoff_ms;
    redisAsyncContext *ac;
    uv_timer_t timer; /* back-off while down; end of the error pause while up */
    uv_idle_t pump;   /* runs while there are dirty users and free slots */
    uv_getaddrinfo_t resolve;
    int resolving;
    int handles_open;

    /* Dirty users wait in `dirty`; a user in flight that is marked again waits in `again` and
     * goes back to `dirty` on its reply, so one user never has two writes in flight. */
    rr_dirty_t dirty;
    uint8_t *inflight_bits, *again_bits;
    size_t inflight, again;
    uint64_t lists_written, errors, reconnects, fenced;
    char fence_num[NUM_LEN], nrec_num[NUM_LEN], nport_num[NUM_LEN];

    /* Scratch reused by every command: hiredis copies the arguments when it queues one. */
    rr_rec_t *store;
    const char **argv;
    size_t *argvlen;
    int argc;
    char (*num)[NUM_LEN];
    const char *pfields[PORTRAIT_MAX], *pvalues[PORTRAIT_MAX];
    char *keys; /* one block: rec, why, portrait, updates, stats, trending */
    size_t key_cap;
};

enum { K_REC, K_WHY, K_PORTRAIT, K_UPDATES, K_STATS, K_TRENDING, K_COUNT };

static void connect_start(rr_redis_t *rr);
static void kick(rr_redis_t *rr);

static char *key(rr_redis_t *rr, int which)
{
    return rr->keys + (size_t)which * rr->key_cap;
}

static int bit_get(const uint8_t *bits, uint32_t id)
{
    return (bits[id >> 3] >> (id & 7)) & 1;
}

static void bit_put(uint8_t *bits, uint32_t id, int on)
{
    if (on)
        bits[id >> 3] |= (uint8_t)(1u << (id & 7));
    else
        bits[id >> 3] &= (uint8_t) ~(1u << (id & 7));
}

/* ---- command building ---- */

static void arg(rr_redis_t *rr, const char *s, size_t len)
{
    rr->argv[rr->argc] = s;
    rr->argvlen[rr->argc] = len;
    rr->argc++;
}

static void arg_str(rr_redis_t *rr, const char *s)
{
    arg(rr, s, strlen(s));
}

/* Queues the built command; 0 if hiredis refused it (context disconnecting, no memory). */
static int send_cmd(rr_redis_t *rr, redisCallbackFn *fn, void *privdata)
{
    int argc = rr->argc;
    rr->argc = 0;
    return redisAsyncCommandArgv(rr->ac, fn, privdata, argc, rr->argv, rr->argvlen) == REDIS_OK;
}

static int send_simple(rr_redis_t *rr, const char *cmd, int nkeys, const int *which)
{
    arg_str(rr, cmd);
    for (int i = 0; i < nkeys; i++) arg_str(rr, key(rr, which[i]));
    return send_cmd(rr, NULL, NULL);
}

static int send_expire(rr_redis_t *rr, int which)
{
    if (rr->ttl_s <= 0) return 1;
    arg_str(rr, "EXPIRE");
    arg_str(rr, key(rr, which));
    arg_str(rr, rr->ttl);
    return send_cmd(rr, NULL, NULL);
}

/* Formats the user's keys; 0 if the id does not fit (it then has no keys of ours). */
static int user_keys(rr_redis_t *rr, const char *user_id)
{
    static const char *const kinds[] = {"rec:", "why:", "portrait:"};
    if (!user_id[0] || strlen(user_id) >= RR_ID_MAX) return 0;
    for (int k = K_REC; k <= K_PORTRAIT; k++)
        snprintf(key(rr, k), rr->key_cap, "%s%s%s", rr->prefix, kinds[k], user_id);
    return 1;
}

/* ---- reply handling ---- */

static int reply_failed(const redisReply *reply)
{
    return !reply || reply->type == REDIS_REPLY_ERROR || reply->type == REDIS_REPLY_NIL;
}

/* An EXEC that ran but with a failing command (e.g. WRONGTYPE on a foreign key). */
static const redisReply *exec_inner_error(const redisReply *reply)
{
    if (!reply || reply->type != REDIS_REPLY_ARRAY) return NULL;
    for (size_t i = 0; i < reply->elements; i++)
        if (reply->element[i]->type == REDIS_REPLY_ERROR) return reply->element[i];
    return NULL;
}

/* Logs the first failure after a success, so a failing Redis does not flood the log. */
static void note_error(rr_redis_t *rr, const redisReply *reply)
{
    rr->errors++;
    if (rr->error_logged || !reply) return;
    rr->error_logged = 1;
    RR_WARN("redis %s:%d write failed: %.*s", rr->host, rr->port, (int)reply->len,
            reply->str ? reply->str : "");
}

static void on_pause_end(uv_timer_t *timer)
{
    rr_redis_t *rr = timer->data;
    rr->paused = 0;
    kick(rr);
}

/* Reply to a user's EXEC (or NULL when the connection went away with it in flight). */
static void on_exec(redisAsyncContext *ac, void *r, void *privdata)
{
    rr_redis_t *rr = ac->data;
    const redisReply *reply = r;
    uint32_t uid = (uint32_t)(uintptr_t)privdata;
    int again = bit_get(rr->again_bits, uid);

    bit_put(rr->inflight_bits, uid, 0);
    bit_put(rr->again_bits, uid, 0);
    rr->inflight--;
    rr->again -= (size_t)again;
    if (reply_failed(reply)) {
        /* Not written (disconnect, OOM, LOADING...): the latest list goes out again later. */
        note_error(rr, reply);
        again = 1;
        if (reply && rr->state == ST_UP && !rr->closing && !rr->paused) {
            rr->paused = 1;
            uv_timer_start(&rr->timer, on_pause_end, ERROR_PAUSE_MS, 0);
        }
    } else if (exec_inner_error(reply)) {
        /* Deterministic for this data: retrying the same list would fail the same way. */
        note_error(rr, exec_inner_error(reply));
    } else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0) {
        rr->error_logged = 0;
        rr->fenced++; /* Redis holds a list of newer input (another instance's): it stands */
    } else {
        rr->error_logged = 0;
        rr->lists_written++;
        if (rr->cbs.on_ack) rr->cbs.on_ack(rr->cbs.opaque, uid);
    }
    if (again) rr_dirty_add(&rr->dirty, uid);
    kick(rr);
}

static void on_other(redisAsyncContext *ac, void *r, void *privdata)
{
    rr_redis_t *rr = ac->data;
    const redisReply *reply = r;
    (void)privdata;
    if (!reply) return; /* the disconnect is counted once, in on_disconnect */
    if (reply->type == REDIS_REPLY_ERROR)
        note_error(rr, reply);
    else if (exec_inner_error(reply))
        note_error(rr, exec_inner_error(reply));
}

/* ---- writing one user ---- */

/* DEL + ZADD rec, DEL + HSET why, EXPIRE both. NaN scores are left out: Redis would fail the
 * whole ZADD. */
static int send_list(rr_redis_t *rr, const rr_recs_t *recs)
{
    static const int rec_why[] = {K_REC, K_WHY};
    size_t n = 0;
    if (!send_simple(rr, "DEL", 2, rec_why)) return 0;
    for (size_t i = 0; i < recs->n; i++) n += !isnan(recs->recs[i].score);
    if (n == 0) return 1;
    arg_str(rr, "ZADD");
    arg_str(rr, key(rr, K_REC));
    for (size_t i = 0, k = 0; i < recs->n; i++) {
        if (isnan(recs->recs[i].score)) continue;
        snprintf(rr->num[k], NUM_LEN, "%.6g", (double)recs->recs[i].score);
        arg_str(rr, rr->num[k++]);
        arg_str(rr, recs->recs[i].item_id);
    }
    if (!send_cmd(rr, NULL, NULL)) return 0;
    arg_str(rr, "HSET");
    arg_str(rr, key(rr, K_WHY));
    for (size_t i = 0; i < recs->n; i++) {
        const rr_rec_t *rec = &recs->recs[i];
        if (isnan(rec->score)) continue;
        arg_str(rr, rec->item_id);
        arg_str(rr, rec->reason_detail[0] ? rec->reason_detail : rec->reason);
    }
    return send_cmd(rr, NULL, NULL) && send_expire(rr, K_REC) && send_expire(rr, K_WHY);
}

static int send_portrait(rr_redis_t *rr, uint32_t uid)
{
    static const int portrait[] = {K_PORTRAIT};
    size_t n = 0;
    if (!rr->cbs.fill_portrait ||
        !rr->cbs.fill_portrait(rr->cbs.opaque, uid, rr->pfields, rr->pvalues, PORTRAIT_MAX, &n))
        return 1;
    if (n > PORTRAIT_MAX) n = PORTRAIT_MAX;
    int ok = send_simple(rr, "DEL", 1, portrait);
    if (n == 0) return ok;
    arg_str(rr, "HSET");
    arg_str(rr, key(rr, K_PORTRAIT));
    for (size_t i = 0; i < n; i++) {
        arg_str(rr, rr->pfields[i]);
        arg_str(rr, rr->pvalues[i]);
    }
    return ok && send_cmd(rr, NULL, NULL) && send_expire(rr, K_PORTRAIT);
}

/* The fenced write: one script does what send_list, send_portrait and PUBLISH do, unless the
 * stored portrait's `events` (the user's event count when it was written) is above this
 * list's, i.e. Redis already holds a list of newer input: a lagging former owner of the
 * user's partition cannot overwrite it. Equal counts write (a new owner republishing).
 * KEYS rec why portrait; ARGV fence ttl channel user nrec nportrait, then nrec (score, item),
 * nrec (item, reason), nportrait (field, value). Returns 1 if written, 0 if fenced. */
static const char FENCED_WRITE[] =
    "local stored = tonumber(redis.call('HGET', KEYS[3], 'events'))\n"
    "if stored and stored > tonumber(ARGV[1]) then return 0 end\n"
    "local nrec, nport, a = tonumber(ARGV[5]), tonumber(ARGV[6]), 7\n"
    "redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])\n"
    "if nrec > 0 then\n"
    "  redis.call('ZADD', KEYS[1], unpack(ARGV, a, a + 2 * nrec - 1))\n"
    "  redis.call('HSET', KEYS[2], unpack(ARGV, a + 2 * nrec, a + 4 * nrec - 1))\n"
    "end\n"
    "a = a + 4 * nrec\n"
    "if nport > 0 then redis.call('HSET', KEYS[3], unpack(ARGV, a, a + 2 * nport - 1)) end\n"
    "if tonumber(ARGV[2]) > 0 then\n"
    "  for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[2]) end\n"
    "end\n"
    "redis.call('PUBLISH', ARGV[3], ARGV[4])\n"
    "return 1\n";

static int send_fenced(rr_redis_t *rr, uint32_t uid, const rr_recs_t *recs)
{
    size_t np = 0, nrec = 0;
    if (rr->cbs.fill_portrait &&
        !rr->cbs.fill_portrait(rr->cbs.opaque, uid, rr->pfields, rr->pvalues, PORTRAIT_MAX, &np))
        np = 0;
    if (np > PORTRAIT_MAX) np = PORTRAIT_MAX;
    for (size_t i = 0; i < recs->n; i++) nrec += !isnan(recs->recs[i].score);
    snprintf(rr->fence_num, NUM_LEN, "%llu",
             (unsigned long long)rr->cbs.fence(rr->cbs.opaque, uid));
    snprintf(rr->nrec_num, NUM_LEN, "%zu", nrec);
    snprintf(rr->nport_num, NUM_LEN, "%zu", np);
    const char *head[] = {"EVAL",         FENCED_WRITE,   "3",
                          key(rr, K_REC), key(rr, K_WHY), key(rr, K_PORTRAIT),
                          rr->fence_num,  rr->ttl,        key(rr, K_UPDATES),
                          recs->user_id,  rr->nrec_num,   rr->nport_num};
    for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++) arg_str(rr, head[i]);
    for (size_t i = 0, k = 0; i < recs->n; i++) {
        if (isnan(recs->recs[i].score)) continue;
        snprintf(rr->num[k], NUM_LEN, "%.6g", (double)recs->recs[i].score);
        arg_str(rr, rr->num[k++]);
        arg_str(rr, recs->recs[i].item_id);
    }
    for (size_t i = 0; i < recs->n; i++) {
        const rr_rec_t *rec = &recs->recs[i];
        if (isnan(rec->score)) continue;
        arg_str(rr, rec->item_id);
        arg_str(rr, rec->reason_detail[0] ? rec->reason_detail : rec->reason);
    }
    for (size_t i = 0; i < np; i++) {
        arg_str(rr, rr->pfields[i]);
        arg_str(rr, rr->pvalues[i]);
    }
    return send_cmd(rr, on_exec, (void *)(uintptr_t)uid);
}

static void write_user(rr_redis_t *rr, uint32_t uid)
{
    static const int all[] = {K_REC, K_WHY, K_PORTRAIT};
    rr_recs_t recs;
    memset(&recs, 0, sizeof(recs));
    recs.recs = rr->store;
    int exists = rr->cbs.fill_recs(rr->cbs.opaque, uid, &recs, rr->store, rr->max_recs);
    if (!recs.recs || recs.n > rr->max_recs) recs.n = recs.recs ? rr->max_recs : 0;
    recs.user_id[RR_ID_MAX - 1] = '\0';
    if (!user_keys(rr, recs.user_id)) return; /* no id: nothing of this user in Redis */
    if (exists && rr->cbs.fence) {
        if (!send_fenced(rr, uid, &recs)) {
            rr_dirty_add(&rr->dirty, uid); /* only when the context is going away */
            return;
        }
        bit_put(rr->inflight_bits, uid, 1);
        rr->inflight++;
        return;
    }

    int ok = send_simple(rr, "MULTI", 0, NULL);
    if (exists)
        ok = ok && send_list(rr, &recs) && send_portrait(rr, uid);
    else
        ok = ok && send_simple(rr, "DEL", 3, all);
    arg_str(rr, "EXEC");
    if (!ok || !send_cmd(rr, on_exec, (void *)(uintptr_t)uid)) {
        /* Only when the context is going away; its disconnect handling retries. */
        rr_dirty_add(&rr->dirty, uid);
        return;
    }
    bit_put(rr->inflight_bits, uid, 1);
    rr->inflight++;
    arg_str(rr, "PUBLISH");
    arg_str(rr, key(rr, K_UPDATES));
    arg_str(rr, recs.user_id);
    send_cmd(rr, NULL, NULL);
}

static void on_pump(uv_idle_t *idle)
{
    rr_redis_t *rr = idle->data;
    uint32_t uid;
    while (rr->state == ST_UP && !rr->paused && rr->inflight < rr->max_inflight &&
           rr_dirty_pop(&rr->dirty, &uid)) {
        if (bit_get(rr->inflight_bits, uid)) {
            rr->again += !bit_get(rr->again_bits, uid);
            bit_put(rr->again_bits, uid, 1);
            continue;
        }
        write_user(rr, uid);
    }
    uv_idle_stop(idle);
}

/* Schedules the pump for the next loop turn, never runs it from the caller's stack. */
static void kick(rr_redis_t *rr)
{
    if (rr->state == ST_UP && !rr->closing && !rr->paused && rr_dirty_count(&rr->dirty) > 0 &&
        rr->inflight < rr->max_inflight)
        uv_idle_start(&rr->pump, on_pump);
}

void rr_redis_mark(rr_redis_t *rr, uint32_t uid)
{
    if (rr_dirty_add(&rr->dirty, uid) == 1) kick(rr);
}

/* ---- connection state machine ---- */

static void maybe_closed(rr_redis_t *rr)
{
    if (!rr->closing || rr->closed || rr->handles_open || rr->ac || rr->resolving) return;
    rr->closed = 1;
    if (rr->cbs.on_closed) rr->cbs.on_closed(rr->cbs.opaque);
}

static void on_backoff(uv_timer_t *timer)
{
    connect_start(timer->data);
}

static void retry_later(rr_redis_t *rr)
{
    uv_timer_start(&rr->timer, on_backoff, rr->backoff_ms, 0);
    rr->backoff_ms = rr->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : rr->backoff_ms * 2;
}

/* A connect attempt failed: say so once, then retry with a doubling delay. */
static void connect_failed(rr_redis_t *rr, const char *why)
{
    rr->state = ST_DOWN;
    if (rr->closing) {
        maybe_closed(rr);
        return;
    }
    if (!rr->down_logged)
        RR_WARN("redis %s:%d unreachable (%s), retrying", rr->host, rr->port, why);
    rr->down_logged = 1;
    retry_later(rr);
}

static void went_up(rr_redis_t *rr)
{
    rr->state = ST_UP;
    rr->reconnects += (uint64_t)rr->ever_connected;
    rr->ever_connected = 1;
    rr->backoff_ms = BACKOFF_MIN_MS;
    rr->down_logged = 0;
    rr->error_logged = 0;
    RR_INFO("redis %s:%d connected", rr->host, rr->port);
    if (rr->cbs.on_state) rr->cbs.on_state(rr->cbs.opaque, 1);
    kick(rr);
}

static void on_auth(redisAsyncContext *ac, void *r, void *privdata)
{
    rr_redis_t *rr = ac->data;
    const redisReply *reply = r;
    (void)privdata;
    if (!reply || rr->closing) return; /* on_disconnect follows */
    if (reply->type != REDIS_REPLY_ERROR) {
        went_up(rr);
        return;
    }
    rr->errors++;
    if (!rr->down_logged)
        RR_WARN("redis %s:%d AUTH failed (%.*s), retrying", rr->host, rr->port, (int)reply->len,
                reply->str);
    rr->down_logged = 1;
    redisAsyncDisconnect(ac); /* -> on_disconnect -> back-off */
}

static void on_connect(const redisAsyncContext *cac, int status)
{
    redisAsyncContext *ac = (redisAsyncContext *)cac;
    rr_redis_t *rr = ac->data;
    if (status != REDIS_OK) {
        rr->ac = NULL; /* hiredis frees it after this callback */
        connect_failed(rr, ac->errstr ? ac->errstr : "connect failed");
        return;
    }
    if (rr->password) {
        rr->state = ST_AUTH;
        arg_str(rr, "AUTH");
        arg_str(rr, rr->password);
        send_cmd(rr, on_auth, NULL);
    } else {
        went_up(rr);
    }
}

static void on_disconnect(const redisAsyncContext *cac, int status)
{
    rr_redis_t *rr = cac->data;
    int was_up = rr->state == ST_UP;
    rr->ac = NULL;
    rr->state = ST_DOWN;
    rr->paused = 0;
    uv_timer_stop(&rr->timer);
    if (was_up && status != REDIS_OK) rr->errors++;
    if (was_up && rr->cbs.on_state) rr->cbs.on_state(rr->cbs.opaque, 0);
    if (rr->closing) {
        maybe_closed(rr);
        return;
    }
    if (!rr->down_logged)
        RR_WARN("redis %s:%d connection lost (%s), reconnecting", rr->host, rr->port,
                cac->errstr && cac->errstr[0] ? cac->errstr : "closed");
    rr->down_logged = 1;
    retry_later(rr); /* also after a refused AUTH: doubling, so a wrong password costs little */
}

static void connect_addr(rr_redis_t *rr, const char *addr)
{
    redisAsyncContext *ac = redisAsyncConnect(addr, rr->port);
    if (!ac || ac->err) {
        char why[128];
        snprintf(why, sizeof(why), "%s", ac ? ac->errstr : "out of memory");
        if (ac) redisAsyncFree(ac);
        connect_failed(rr, why);
        return;
    }
    ac->data = rr;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    if (rr_redis_uv_attach(ac, rr->loop, CONNECT_TIMEOUT_MS) != REDIS_OK) {
        redisAsyncFree(ac);
        connect_failed(rr, "cannot watch the socket");
        return;
    }
    rr->ac = ac;
    rr->state = ST_CONNECTING;
}

/* IPv4 first, like hiredis' own resolver: "localhost" also names ::1, where Redis often is not. */
static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    rr_redis_t *rr = req->data;
    char addr[INET6_ADDRSTRLEN] = "";
    const struct addrinfo *ai = res;
    rr->resolving = 0;
    for (const struct addrinfo *it = res; status == 0 && it; it = it->ai_next)
        if (it->ai_family == AF_INET) {
            ai = it;
            break;
        }
    if (status == 0 && ai->ai_family == AF_INET6)
        uv_ip6_name((const struct sockaddr_in6 *)ai->ai_addr, addr, sizeof(addr));
    else if (status == 0)
        uv_ip4_name((const struct sockaddr_in *)ai->ai_addr, addr, sizeof(addr));
    uv_freeaddrinfo(res);
    if (rr->closing) /* not uv_strerror(0): the text of a code it does not know is leaked */
        connect_failed(rr, "closing");
    else if (status != 0)
        connect_failed(rr, uv_strerror(status));
    else
        connect_addr(rr, addr);
}

/* hiredis resolves names with a blocking getaddrinfo: resolve on libuv's pool instead. */
static void connect_start(rr_redis_t *rr)
{
    unsigned char buf[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, rr->host, buf) == 1 || inet_pton(AF_INET6, rr->host, buf) == 1) {
        connect_addr(rr, rr->host);
        return;
    }
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rr->state = ST_RESOLVING;
    int err = uv_getaddrinfo(rr->loop, &rr->resolve, on_resolved, rr->host, NULL, &hints);
    if (err) {
        connect_failed(rr, uv_strerror(err));
        return;
    }
    rr->resolving = 1;
}

rr_err_t rr_redis_start(rr_redis_t *rr)
{
    if (rr->started || rr->closing) return RR_E(INVAL);
    rr->started = 1;
    connect_start(rr);
    return RR_OK;
}

/* ---- stats, trending, forget ---- */

void rr_redis_forget(rr_redis_t *rr, const char *user_id)
{
    static const int all[] = {K_REC, K_WHY, K_PORTRAIT};
    if (rr->state != ST_UP || rr->closing || !user_keys(rr, user_id)) return;
    arg_str(rr, "DEL");
    for (int i = 0; i < 3; i++) arg_str(rr, key(rr, all[i]));
    send_cmd(rr, on_other, NULL);
}

void rr_redis_put_stats(rr_redis_t *rr, const char *const *fields, const char *const *values,
                        size_t n)
{
    if (rr->state != ST_UP || rr->closing) return;
    for (size_t i = 0; i < n;) {
        arg_str(rr, "HSET");
        arg_str(rr, key(rr, K_STATS));
        for (size_t k = 0; k < rr->pairs_cap && i < n; k++, i++) {
            arg_str(rr, fields[i]);
            arg_str(rr, values[i]);
        }
        send_cmd(rr, on_other, NULL);
    }
}

void rr_redis_put_trending(rr_redis_t *rr, const char *const *items, const float *scores, size_t n)
{
    static const int trending[] = {K_TRENDING};
    if (rr->state != ST_UP || rr->closing) return;
    send_simple(rr, "MULTI", 0, NULL);
    send_simple(rr, "DEL", 1, trending);
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        arg_str(rr, "ZADD");
        arg_str(rr, key(rr, K_TRENDING));
        for (; k < rr->pairs_cap && i < n; i++) {
            if (isnan(scores[i])) continue;
            snprintf(rr->num[k], NUM_LEN, "%.6g", (double)scores[i]);
            arg_str(rr, rr->num[k++]);
            arg_str(rr, items[i]);
        }
        if (k > 0)
            send_cmd(rr, NULL, NULL);
        else
            rr->argc = 0;
    }
    arg_str(rr, "EXEC");
    send_cmd(rr, on_other, NULL);
}

/* ---- lifetime ---- */

static void on_handle_closed(uv_handle_t *handle)
{
    rr_redis_t *rr = handle->data;
    rr->handles_open--;
    maybe_closed(rr);
}

void rr_redis_close(rr_redis_t *rr)
{
    if (rr->closing) return;
    rr->closing = 1;
    uv_close((uv_handle_t *)&rr->timer, on_handle_closed);
    uv_close((uv_handle_t *)&rr->pump, on_handle_closed);
    if (rr->resolving) uv_cancel((uv_req_t *)&rr->resolve);
    if (rr->ac && (rr->ac->c.flags & REDIS_CONNECTED)) {
        redisAsyncDisconnect(rr->ac); /* replies in flight still arrive, then on_disconnect */
    } else if (rr->ac) {
        redisAsyncContext *ac = rr->ac; /* still connecting: nothing was sent on it */
        rr->ac = NULL;
        redisAsyncFree(ac);
    }
    maybe_closed(rr);
}

void rr_redis_stats(const rr_redis_t *rr, rr_redis_stats_t *st)
{
    st->connected = rr->state == ST_UP;
    st->lists_written = rr->lists_written;
    st->errors = rr->errors;
    st->reconnects = rr->reconnects;
    st->fenced = rr->fenced;
    st->dirty = rr_dirty_count(&rr->dirty) + rr->again;
    st->inflight = rr->inflight;
}

static char *dup_or(const char *s, const char *dflt)
{
    const char *src = s && s[0] ? s : dflt;
    return src ? strdup(src) : NULL;
}

static int alloc_buffers(rr_redis_t *rr, uint32_t max_users)
{
    size_t argv_cap = 16 + 4 * rr->pairs_cap + 2 * PORTRAIT_MAX; /* the fenced write's */
    size_t bits = max_users / 8 + 1;
    rr->key_cap = strlen(rr->prefix) + sizeof("portrait:") + RR_ID_MAX;
    rr->keys = calloc(K_COUNT, rr->key_cap);
    rr->store = calloc(rr->max_recs, sizeof(*rr->store));
    rr->argv = calloc(argv_cap, sizeof(*rr->argv));
    rr->argvlen = calloc(argv_cap, sizeof(*rr->argvlen));
    rr->num = calloc(rr->pairs_cap, sizeof(*rr->num));
    rr->inflight_bits = calloc(bits, 1);
    rr->again_bits = calloc(bits, 1);
    if (!rr->keys || !rr->store || !rr->argv || !rr->argvlen || !rr->num || !rr->inflight_bits ||
        !rr->again_bits)
        return 0;
    snprintf(key(rr, K_UPDATES), rr->key_cap, "%supdates", rr->prefix);
    snprintf(key(rr, K_STATS), rr->key_cap, "%sstats", rr->prefix);
    snprintf(key(rr, K_TRENDING), rr->key_cap, "%strending", rr->prefix);
    return rr_dirty_init(&rr->dirty, max_users) == RR_OK;
}

static void free_buffers(rr_redis_t *rr)
{
    rr_dirty_free(&rr->dirty);
    free(rr->host);
    free(rr->password);
    free(rr->prefix);
    free(rr->keys);
    free(rr->store);
    free(rr->argv);
    free(rr->argvlen);
    free(rr->num);
    free(rr->inflight_bits);
    free(rr->again_bits);
}

rr_redis_t *rr_redis_new(uv_loop_t *loop, const rr_redis_opts_t *opts, const rr_redis_cbs_t *cbs,
                         char *errstr, size_t errlen)
{
    if (!opts->max_users || !cbs->fill_recs || opts->max_inflight < 0 || opts->max_recs < 0) {
        snprintf(errstr, errlen, "redis: max_users and fill_recs are required");
        return NULL;
    }
    rr_redis_t *rr = calloc(1, sizeof(*rr));
    if (!rr) goto nomem;
    rr->loop = loop;
    rr->cbs = *cbs;
    rr->host = dup_or(opts->host, "127.0.0.1");
    rr->password = dup_or(opts->password, NULL);
    rr->prefix = dup_or(opts->prefix, "rtrec:");
    rr->port = opts->port ? opts->port : 6379;
    rr->ttl_s = opts->ttl_s;
    snprintf(rr->ttl, sizeof(rr->ttl), "%d", rr->ttl_s);
    rr->max_inflight = opts->max_inflight ? (size_t)opts->max_inflight : 512;
    rr->max_recs = opts->max_recs ? (size_t)opts->max_recs : 100;
    rr->pairs_cap = rr->max_recs > PAIRS_MIN ? rr->max_recs : PAIRS_MIN;
    rr->backoff_ms = BACKOFF_MIN_MS;
    if (!rr->host || !rr->prefix || (opts->password && opts->password[0] && !rr->password) ||
        !alloc_buffers(rr, opts->max_users)) {
        free_buffers(rr);
        free(rr);
        goto nomem;
    }
    /* Handles last: nothing after this can fail, so a failed new never leaves one behind. */
    uv_timer_init(loop, &rr->timer);
    uv_idle_init(loop, &rr->pump);
    rr->timer.data = rr->pump.data = rr->resolve.data = rr;
    rr->handles_open = 2;
    return rr;
nomem:
    snprintf(errstr, errlen, "redis: %s", rr_strerror(RR_E(NOMEM)));
    return NULL;
}

void rr_redis_free(rr_redis_t *rr)
{
    if (!rr) return;
    free_buffers(rr);
    free(rr);
}
