/* rr_redis_uv.c — hiredis 0.14 event hooks on a uv_poll_t, plus a connect timeout on a
 * uv_timer_t; see rr_redis_uv.h. */
#include <stdio.h>
#include <stdlib.h>
#include "rr_redis_uv.h"

typedef struct rr_redis_uv_s {
    redisAsyncContext *ac; /* NULL once hiredis ran the cleanup hook */
    uv_poll_t poll;
    uv_timer_t timer;
    int events;       /* UV_READABLE | UV_WRITABLE that hiredis asked for */
    int handles_open; /* freed when both handles have closed */
} rr_redis_uv_t;

static int is_connected(const redisAsyncContext *ac)
{
    return (ac->c.flags & REDIS_CONNECTED) != 0;
}

static void uv_on_poll(uv_poll_t *handle, int status, int events)
{
    rr_redis_uv_t *ev = handle->data;
    if (status < 0) {
        /* libuv stopped the handle (POLLERR). Let hiredis read: while connecting this runs its
         * SO_ERROR check (-> onConnect(REDIS_ERR)), once connected read() reports the reset
         * (-> onDisconnect). Either may free the context and clear ev->ac. */
        if (ev->ac) redisAsyncHandleRead(ev->ac);
        if (ev->ac && ev->events) uv_poll_start(&ev->poll, ev->events, uv_on_poll);
    } else {
        if (ev->ac && (events & UV_READABLE)) redisAsyncHandleRead(ev->ac);
        if (ev->ac && (events & UV_WRITABLE)) redisAsyncHandleWrite(ev->ac);
    }
    if (ev->ac && is_connected(ev->ac)) uv_timer_stop(&ev->timer);
}

static void uv_set_events(rr_redis_uv_t *ev, int events)
{
    /* hiredis calls the add hooks once per queued command: skip the no-op restarts. */
    if (events == ev->events && (events == 0 || uv_is_active((uv_handle_t *)&ev->poll))) return;
    ev->events = events;
    if (events)
        uv_poll_start(&ev->poll, events, uv_on_poll);
    else
        uv_poll_stop(&ev->poll);
}

static void uv_add_read(void *privdata)
{
    rr_redis_uv_t *ev = privdata;
    uv_set_events(ev, ev->events | UV_READABLE);
}

static void uv_del_read(void *privdata)
{
    rr_redis_uv_t *ev = privdata;
    uv_set_events(ev, ev->events & ~UV_READABLE);
}

static void uv_add_write(void *privdata)
{
    rr_redis_uv_t *ev = privdata;
    uv_set_events(ev, ev->events | UV_WRITABLE);
}

static void uv_del_write(void *privdata)
{
    rr_redis_uv_t *ev = privdata;
    uv_set_events(ev, ev->events & ~UV_WRITABLE);
}

static void uv_on_close(uv_handle_t *handle)
{
    rr_redis_uv_t *ev = handle->data;
    if (--ev->handles_open == 0) free(ev);
}

/* hiredis is about to free the context (and close its fd): stop watching it. */
static void uv_cleanup(void *privdata)
{
    rr_redis_uv_t *ev = privdata;
    ev->ac = NULL;
    uv_close((uv_handle_t *)&ev->poll, uv_on_close);
    uv_close((uv_handle_t *)&ev->timer, uv_on_close);
}

static void uv_on_connect_timeout(uv_timer_t *timer)
{
    rr_redis_uv_t *ev = timer->data;
    redisAsyncContext *ac = ev->ac;
    if (!ac || is_connected(ac)) return;
    /* The same report hiredis gives for a refused connect: error set, onConnect(ERR), freed. */
    ac->c.err = REDIS_ERR_IO;
    snprintf(ac->c.errstr, sizeof(ac->c.errstr), "connect timeout");
    ac->err = ac->c.err;
    ac->errstr = ac->c.errstr;
    if (ac->onConnect) ac->onConnect(ac, REDIS_ERR);
    redisAsyncFree(ac);
}

int rr_redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop, unsigned timeout_ms)
{
    if (ac->ev.data != NULL || ac->c.fd < 0) return REDIS_ERR;
    rr_redis_uv_t *ev = calloc(1, sizeof(*ev));
    if (!ev) return REDIS_ERR;
    if (uv_poll_init(loop, &ev->poll, ac->c.fd) != 0) {
        free(ev);
        return REDIS_ERR;
    }
    uv_timer_init(loop, &ev->timer);
    ev->ac = ac;
    ev->poll.data = ev;
    ev->timer.data = ev;
    ev->handles_open = 2;
    ac->ev.data = ev;
    ac->ev.addRead = uv_add_read;
    ac->ev.delRead = uv_del_read;
    ac->ev.addWrite = uv_add_write;
    ac->ev.delWrite = uv_del_write;
    ac->ev.cleanup = uv_cleanup;
    /* hiredis 0.14 learns that a non-blocking connect finished from the first write event. */
    uv_add_write(ev);
    if (timeout_ms) uv_timer_start(&ev->timer, uv_on_connect_timeout, timeout_ms, 0);
    return REDIS_OK;
}
