/* rr_redis.h — the Redis publisher: async hiredis on the engine's libuv loop, pipelined with
 * redisAsyncCommandArgv, never blocking. Pull model, so memory is bounded and the latest list
 * wins: the engine marks a user dirty; when a pipeline slot is free the publisher asks the engine
 * for that user's *current* list (fill_recs) and writes it. A failed write re-marks the user.
 * Connection loss (or no server at start) is reported, retried with back-off, and every user
 * still dirty is written once Redis is back. Loop-bound: rr_redis_close(), free in on_closed. */
#ifndef RR_REDIS_H
#define RR_REDIS_H

#include <stdint.h>
#include <stddef.h>
#include <uv.h>
#include "rr_codec.h"

typedef struct rr_redis_s rr_redis_t;

typedef struct rr_redis_opts_s {
    const char *host;     /* default 127.0.0.1 */
    int port;             /* default 6379 */
    const char *password; /* NULL or "" = no AUTH */
    const char *prefix;   /* key prefix, default "rtrec:" */
    int ttl_s;            /* TTL of rec:/why:/portrait: keys; 0 = none */
    int max_inflight;     /* users in flight at once; 0 = 512 */
    uint32_t max_users;   /* ids passed to rr_redis_mark() are < max_users */
    int max_recs;         /* capacity offered to fill_recs(); 0 = 100 */
} rr_redis_opts_t;

typedef struct rr_redis_cbs_s {
    void *opaque;
    /* Fill user uid's current list (recs->recs = store, at most cap entries) and recs->user_id.
     * Return 0 if the user no longer exists: the publisher then deletes the keys of
     * recs->user_id if the callback set it (else there is nothing to delete). Called from a
     * uv_idle callback, never from inside rr_redis_mark(). */
    int (*fill_recs)(void *opaque, uint32_t uid, rr_recs_t *recs, rr_rec_t *store, size_t cap);
    /* Optional: readable portrait as field/value pairs (fields[i], values[i]), n <= cap, called
     * right after fill_recs for the same user; the strings must stay valid until the next
     * callback. Return 1 to replace {prefix}portrait:{user}, 0 to leave it as is. */
    int (*fill_portrait)(void *opaque, uint32_t uid, const char **fields, const char **values,
                         size_t cap, size_t *n);
    /* Optional: Redis acknowledged uid's list (EXEC reply), for freshness metrics. */
    void (*on_ack)(void *opaque, uint32_t uid);
    /* Optional: fences the user's writes. The user's event count: a list is written only if
     * the stored portrait's `events` field is not above it (fill_portrait must write that
     * field), so the instance that lost a user's partition cannot overwrite the list of its
     * new owner. Without it, writes are unconditional (MULTI/EXEC). */
    uint64_t (*fence)(void *opaque, uint32_t uid);
    /* Optional: the connection went up (1) or down (0). */
    void (*on_state)(void *opaque, int connected);
    /* Optional: rr_redis_close() finished. */
    void (*on_closed)(void *opaque);
} rr_redis_cbs_t;

rr_redis_t *rr_redis_new(uv_loop_t *loop, const rr_redis_opts_t *opts, const rr_redis_cbs_t *cbs,
                         char *errstr, size_t errlen);
/* Connects (asynchronously; failures retry with back-off 100 ms .. 5 s). */
rr_err_t rr_redis_start(rr_redis_t *rr);
/* User uid's list changed. O(1), no allocation. */
void rr_redis_mark(rr_redis_t *rr, uint32_t uid);
/* Deletes rec:/why:/portrait: of a user id string (FORGET_USER, expiry). Dropped if down. */
void rr_redis_forget(rr_redis_t *rr, const char *user_id);
/* HSET {prefix}stats and replace ZSET {prefix}trending. Dropped while disconnected (the next
 * period sends fresh values anyway). */
void rr_redis_put_stats(rr_redis_t *rr, const char *const *fields, const char *const *values,
                        size_t n);
void rr_redis_put_trending(rr_redis_t *rr, const char *const *items, const float *scores, size_t n);
/* Stops reconnecting, flushes what is in flight, disconnects; on_closed fires after. */
void rr_redis_close(rr_redis_t *rr);
void rr_redis_free(rr_redis_t *rr); /* after on_closed; NULL is a no-op */

typedef struct rr_redis_stats_s {
    int connected;
    uint64_t lists_written; /* EXEC acknowledged */
    uint64_t errors;        /* failed replies and connection losses */
    uint64_t reconnects;    /* connections established after the first one */
    uint64_t fenced;        /* writes Redis refused: it held a list of newer input */
    size_t dirty;           /* users waiting (including those re-marked while in flight) */
    size_t inflight;        /* users written, reply not yet seen */
} rr_redis_stats_t;
void rr_redis_stats(const rr_redis_t *rr, rr_redis_stats_t *st);

#endif
