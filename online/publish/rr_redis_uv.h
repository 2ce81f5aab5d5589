/* rr_redis_uv.h — hiredis 0.14 <-> libuv glue. Unlike hiredis' adapters/libuv.h it hands poll
 * errors to hiredis, so a refused connect or a reset reaches the connect/disconnect callbacks,
 * and it aborts a connect that is not done within timeout_ms (hiredis 0.14 has no timeouts). */
#ifndef RR_REDIS_UV_H
#define RR_REDIS_UV_H

#include <uv.h>
#include <hiredis/async.h>

/* Attaches a freshly connected (redisAsyncConnect) context to loop. If the connection is not
 * established within timeout_ms (0 = never), the adapter sets ac->err, calls ac->onConnect(ac,
 * REDIS_ERR) like hiredis does for a refused connect, and frees the context. The adapter's
 * memory is owned by the context: hiredis' cleanup hook closes the uv handles, and the memory
 * is released in their close callbacks. Returns REDIS_OK, or REDIS_ERR (the caller then frees
 * the context with redisAsyncFree). */
int rr_redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop, unsigned timeout_ms);

#endif
