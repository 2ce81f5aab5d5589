/* http_client.h — a minimal HTTP client on a test's libuv loop: sends a raw request, reads the
 * whole answer until the server closes. For the tests of online/metrics' server. */
#ifndef HTTP_CLIENT_H
#define HTTP_CLIENT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include "rr_test.h"

typedef struct client_s {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    const char *req;
    size_t req_len;
    char *resp; /* NUL-terminated */
    size_t len, cap;
    int err; /* first libuv error other than EOF */
    int done;
    int *pending;
} client_t;

static inline void client_closed(uv_handle_t *handle)
{
    client_t *c = handle->data;
    c->done = 1;
    (*c->pending)--;
}

static inline void client_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    client_t *c = handle->data;
    if (c->cap - c->len < suggested + 1) {
        c->cap = c->len + suggested + 1;
        c->resp = realloc(c->resp, c->cap);
    }
    *buf = uv_buf_init(c->resp + c->len, (unsigned)suggested);
}

static inline void client_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    client_t *c = stream->data;
    (void)buf;
    if (nread > 0) {
        c->len += (size_t)nread;
        c->resp[c->len] = '\0';
        return;
    }
    if (nread < 0) {
        if (nread != UV_EOF && !c->err) c->err = (int)nread;
        uv_close((uv_handle_t *)&c->tcp, client_closed);
    }
}

static inline void client_written(uv_write_t *req, int status)
{
    client_t *c = req->data;
    if (status < 0 && !c->err) c->err = status;
}

static inline void client_connected(uv_connect_t *req, int status)
{
    client_t *c = req->data;
    if (status < 0) {
        c->err = status;
        uv_close((uv_handle_t *)&c->tcp, client_closed);
        return;
    }
    if (c->req_len) {
        uv_buf_t b = uv_buf_init((char *)c->req, (unsigned)c->req_len);
        c->write.data = c;
        uv_write(&c->write, (uv_stream_t *)&c->tcp, &b, 1, client_written);
    }
    uv_read_start((uv_stream_t *)&c->tcp, client_alloc, client_read);
}

static inline void client_start(uv_loop_t *loop, client_t *c, int port, const char *req,
                                int *pending)
{
    struct sockaddr_in addr;
    memset(c, 0, sizeof(*c));
    c->req = req;
    c->req_len = strlen(req);
    c->pending = pending;
    c->resp = calloc(1, 1);
    c->cap = 1;
    (*pending)++;
    uv_ip4_addr("127.0.0.1", port, &addr);
    uv_tcp_init(loop, &c->tcp);
    c->tcp.data = c->connect.data = c;
    CHECK_INT(uv_tcp_connect(&c->connect, &c->tcp, (struct sockaddr *)&addr, client_connected), 0);
}

static inline int client_status(const client_t *c)
{
    int status = 0;
    return sscanf(c->resp, "HTTP/1.1 %d ", &status) == 1 ? status : 0;
}

static inline const char *client_body(const client_t *c)
{
    const char *p = strstr(c->resp, "\r\n\r\n");
    return p ? p + 4 : NULL;
}

#endif
