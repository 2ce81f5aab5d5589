/* rr_metrics.c — Prometheus text rendering helpers and the one-request-per-connection HTTP
 * server behind /metrics and /healthz. Everything runs on the loop thread and never blocks. */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_err.h"
#include "rr_http.h"
#include "rr_log.h"
#include "rr_metrics.h"

#define RR_METRICS_REQ_MAX      8192
#define RR_METRICS_MAX_CONNS    64
#define RR_METRICS_TIMEOUT_MS   5000
#define RR_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- HTTP server --------------------------------------------------------------------------- */

typedef struct rr_metrics_conn_s rr_metrics_conn_t;

typedef struct rr_metrics_route_s {
    char path[64];
    size_t len;
    int flags;
    rr_metrics_handler_fn fn;
    void *opaque;
} rr_metrics_route_t;

struct rr_metrics_s {
    uv_loop_t *loop;
    uv_tcp_t listener;
    rr_metrics_render_fn render;
    rr_metrics_health_fn healthy;
    rr_metrics_render_fn health_detail;
    void *opaque;
    void (*on_closed)(void *opaque);
    rr_metrics_conn_t *conns; /* every connection whose memory is still ours */
    int nconns, max_conns, timeout_ms, port;
    int closing, listener_open;
    int beyond_loopback; /* guarded routes need the token */
    rr_metrics_route_t routes[RR_METRICS_ROUTES_MAX];
    int nroutes;
    char token[RR_HTTP_AUTH_MAX];
    rr_metrics_http_stats_t stats;
};

/* One connection = one request. The tcp and timer handles both close before the memory goes. */
struct rr_metrics_conn_s {
    rr_metrics_t *m;
    rr_metrics_conn_t *prev, *next;
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t write_req;
    uv_shutdown_t shutdown_req;
    int open_handles;
    int closing;
    int answered; /* the whole answer is written */
    int draining; /* answered early (431, 413): discard input until EOF so the client reads it */
    size_t req_len;
    size_t head_len; /* of req, once its blank line is in */
    char *body;      /* a body that did not fit in req beside the head: body_need bytes */
    size_t body_len, body_need;
    uv_write_t continue_req;
    char head[640];
    rr_metrics_answer_t ans;
    char req[RR_METRICS_REQ_MAX];
};

static void rr_metrics_maybe_done_(rr_metrics_t *m)
{
    if (!m->closing || m->listener_open || m->nconns > 0 || !m->on_closed) return;
    void (*cb)(void *) = m->on_closed;
    m->on_closed = NULL;
    cb(m->opaque); /* may free m */
}

static void rr_metrics_conn_closed_(uv_handle_t *handle)
{
    rr_metrics_conn_t *c = handle->data;
    if (--c->open_handles > 0) return;
    rr_metrics_t *m = c->m;
    if (c->prev)
        c->prev->next = c->next;
    else
        m->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    m->nconns--;
    rr_metrics_answer_free(&c->ans);
    explicit_bzero(c->req, sizeof(c->req)); /* it may have held a token */
    free(c->body);
    free(c);
    rr_metrics_maybe_done_(m);
}

static void rr_metrics_conn_close_(rr_metrics_conn_t *c)
{
    if (c->closing) return;
    c->closing = 1;
    uv_close((uv_handle_t *)&c->tcp, rr_metrics_conn_closed_);
    uv_close((uv_handle_t *)&c->timer, rr_metrics_conn_closed_);
}

static void rr_metrics_conn_timeout_(uv_timer_t *timer)
{
    rr_metrics_conn_t *c = timer->data;
    if (!c->answered && !c->m->closing) c->m->stats.slow++;
    rr_metrics_conn_close_(c);
}

static void rr_metrics_shutdown_done_(uv_shutdown_t *req, int status)
{
    rr_metrics_conn_t *c = req->data;
    (void)status;
    if (!c->draining) rr_metrics_conn_close_(c);
}

static void rr_metrics_write_done_(uv_write_t *req, int status)
{
    rr_metrics_conn_t *c = req->data;
    if (status < 0 || c->closing) {
        rr_metrics_conn_close_(c);
        return;
    }
    c->answered = 1;
    /* Half-close so the client sees EOF after the body, then close once the FIN is out. */
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, rr_metrics_shutdown_done_) < 0)
        rr_metrics_conn_close_(c);
}

static const char *rr_metrics_reason_(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 422: return "Unprocessable Content";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    default: return "Service Unavailable";
    }
}

/* Status-specific header lines. */
static const char *rr_metrics_extra_(int status)
{
    switch (status) {
    case 401: return "WWW-Authenticate: Basic realm=\"rtrec\", charset=\"UTF-8\"\r\n";
    case 405: return "Allow: GET, HEAD, POST\r\n";
    default: return "";
    }
}

/* Sends the status line, headers and the answer's body, and starts the close sequence. The
 * body (the answer's buffer or a route's static data) stays valid until the write completes. */
static void rr_metrics_send_(rr_metrics_conn_t *c)
{
    const rr_metrics_answer_t *a = &c->ans;
    int n = snprintf(c->head, sizeof(c->head),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Cache-Control: %s\r\nX-Content-Type-Options: nosniff\r\n"
                     "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n"
                     "%sConnection: close\r\n\r\n",
                     a->status, rr_metrics_reason_(a->status), a->content_type, a->len, a->cache,
                     rr_metrics_extra_(a->status));
    uv_buf_t bufs[2] = {uv_buf_init(c->head, (unsigned)n),
                        uv_buf_init((char *)(a->body ? a->body : ""), (unsigned)a->len)};
    c->write_req.data = c;
    if (uv_write(&c->write_req, (uv_stream_t *)&c->tcp, bufs, a->head_only ? 1 : 2,
                 rr_metrics_write_done_) < 0)
        rr_metrics_conn_close_(c);
}

/* A short text answer. */
static void rr_metrics_text_(rr_metrics_answer_t *a, int status, const char *text)
{
    rr_metrics_buf_free(&a->buf);
    rr_metrics_printf(&a->buf, "%s", text);
    a->status = status;
    a->content_type = "text/plain; charset=utf-8";
    a->cache = "no-store";
    a->body = a->buf.data;
    a->len = a->buf.len;
}

static int rr_metrics_authorized_(rr_metrics_t *m, const rr_http_req_t *req, rr_metrics_answer_t *a)
{
    if (!m->beyond_loopback) return 1;
    if (m->token[0] && rr_http_auth_ok(req->auth, m->token)) return 1;
    m->stats.unauthorized++;
    if (!m->token[0])
        rr_metrics_text_(a, 403, "forbidden: set RTREC_HTTP_TOKEN to serve this beyond loopback\n");
    else
        rr_metrics_text_(a, 401, "unauthorized\n");
    return 0;
}

static const rr_metrics_route_t *rr_metrics_match_(const rr_metrics_t *m, const char *path)
{
    for (int i = 0; i < m->nroutes; i++) {
        const rr_metrics_route_t *r = &m->routes[i];
        if (r->flags & RR_METRICS_PREFIX ? strncmp(path, r->path, r->len) == 0
                                         : strcmp(path, r->path) == 0)
            return r;
    }
    return NULL;
}

static void rr_metrics_route_answer_(rr_metrics_t *m, const rr_metrics_route_t *r,
                                     const rr_http_req_t *req, rr_metrics_answer_t *a)
{
    if (!(r->flags & RR_METRICS_POST) != (req->method != RR_HTTP_POST)) {
        m->stats.malformed++;
        rr_metrics_text_(a, 405, "method not allowed\n");
        return;
    }
    if ((r->flags & RR_METRICS_GUARDED) && !rr_metrics_authorized_(m, req, a)) return;
    rr_metrics_resp_t resp = {200, "application/json; charset=utf-8", "no-store", &a->buf, NULL, 0};
    r->fn(r->opaque, req, r->flags & RR_METRICS_PREFIX ? req->path + r->len : "", &resp);
    if (a->buf.failed) {
        rr_metrics_text_(a, 500, "out of memory\n");
        return;
    }
    a->status = resp.status;
    a->content_type = resp.content_type;
    a->cache = resp.cache;
    a->body = resp.static_body ? resp.static_body : a->buf.data;
    a->len = resp.static_body ? resp.static_len : a->buf.len;
    /* A body the route could not use (bad JSON, wrong fields): the client's fault, counted. */
    if (req->method == RR_HTTP_POST && (a->status == 400 || a->status == 422)) m->stats.bad_body++;
}

/* GET, HEAD or POST of a parsed request. */
static void rr_metrics_dispatch_(rr_metrics_t *m, const rr_http_req_t *req, rr_metrics_answer_t *a)
{
    int builtin = strcmp(req->path, "/metrics") == 0 || strcmp(req->path, "/healthz") == 0;
    if (builtin && req->method == RR_HTTP_POST) {
        m->stats.malformed++;
        rr_metrics_text_(a, 405, "method not allowed\n");
    } else if (strcmp(req->path, "/metrics") == 0) {
        m->render(m->opaque, &a->buf);
        if (a->buf.failed) {
            rr_metrics_text_(a, 500, "out of memory\n");
            return;
        }
        a->status = 200;
        a->content_type = RR_METRICS_CONTENT_TYPE;
        a->cache = "no-store";
        a->body = a->buf.data;
        a->len = a->buf.len;
    } else if (strcmp(req->path, "/healthz") == 0) {
        int ok = !m->healthy || m->healthy(m->opaque);
        rr_metrics_text_(a, ok ? 200 : 503, ok ? "ok\n" : "unhealthy\n");
        if (m->health_detail) {
            m->health_detail(m->opaque, &a->buf);
            a->body = a->buf.data;
            a->len = a->buf.len;
        }
    } else {
        const rr_metrics_route_t *r = rr_metrics_match_(m, req->path);
        if (r)
            rr_metrics_route_answer_(m, r, req, a);
        else
            rr_metrics_text_(a, 404, "not found\n");
    }
}

/* A head the parser refused: its status, text and counter. */
static void rr_metrics_refuse_(rr_metrics_t *m, rr_http_status_t st, rr_metrics_answer_t *a)
{
    switch (st) {
    case RR_HTTP_URI_TOO_LONG:
        m->stats.malformed++;
        rr_metrics_text_(a, 414, "uri too long\n");
        break;
    case RR_HTTP_NO_LENGTH:
        m->stats.no_length++;
        rr_metrics_text_(a, 411, "a body needs Content-Length (chunked is not supported)\n");
        break;
    case RR_HTTP_BODY_TOO_LARGE:
        m->stats.body_too_large++;
        rr_metrics_text_(a, 413, "request body too large\n");
        break;
    default:
        m->stats.malformed++;
        rr_metrics_text_(a, 400, "bad request\n");
        break;
    }
}

/* The request whose head is head[0..hlen) and whose body bytes so far are body[0..blen). */
static void rr_metrics_answer_parts_(rr_metrics_t *m, const char *head, size_t hlen,
                                     const char *body, size_t blen, rr_metrics_answer_t *a)
{
    rr_http_req_t req;
    memset(a, 0, sizeof(*a));
    m->stats.requests++;
    rr_http_status_t st = rr_http_parse(head, hlen, &req);
    if (st == RR_HTTP_OK && req.method == RR_HTTP_POST && blen < req.content_length)
        st = RR_HTTP_MALFORMED; /* cut short */
    req.body = body;
    if (st != RR_HTTP_OK) {
        rr_metrics_refuse_(m, st, a);
    } else if (req.method == RR_HTTP_OTHER) {
        m->stats.malformed++;
        rr_metrics_text_(a, 405, "method not allowed\n");
    } else {
        a->head_only = req.method == RR_HTTP_HEAD;
        rr_metrics_dispatch_(m, &req, a);
    }
    explicit_bzero(req.auth, sizeof(req.auth)); /* a token does not linger in memory */
}

void rr_metrics_answer(rr_metrics_t *m, const char *req, size_t len, rr_metrics_answer_t *a)
{
    size_t hlen = rr_http_head_len(req, len);
    if (hlen == 0) hlen = len; /* no blank line: all head, no body */
    rr_metrics_answer_parts_(m, req, hlen, req + hlen, len - hlen, a);
}

void rr_metrics_answer_free(rr_metrics_answer_t *a)
{
    rr_metrics_buf_free(&a->buf);
}

static void rr_metrics_alloc_(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    rr_metrics_conn_t *c = handle->data;
    (void)suggested;
    /* Draining reuses the whole buffer: the input is thrown away. */
    if (c->draining) c->req_len = c->head_len = 0;
    if (c->body && !c->draining)
        *buf = uv_buf_init(c->body + c->body_len, (unsigned)(c->body_need - c->body_len));
    else
        *buf = uv_buf_init(c->req + c->req_len, (unsigned)(sizeof(c->req) - 1 - c->req_len));
}

/* Answers now; input still owed (a refused body) is then read and thrown away until EOF. */
static void rr_metrics_respond_(rr_metrics_conn_t *c, const char *body, size_t blen)
{
    rr_metrics_answer_parts_(c->m, c->req, c->head_len, body, blen, &c->ans);
    if (blen < c->body_need)
        c->draining = 1;
    else
        uv_read_stop((uv_stream_t *)&c->tcp);
    rr_metrics_send_(c);
}

static void rr_metrics_continue_done_(uv_write_t *req, int status)
{
    if (status < 0) rr_metrics_conn_close_(req->data);
}

/* The head is in: answer, or wait for the body it announces (in req if it fits beside the
 * head, else in its own buffer of exactly Content-Length bytes, at most RR_HTTP_BODY_MAX). */
static void rr_metrics_head_in_(rr_metrics_conn_t *c)
{
    rr_http_req_t req;
    size_t have = c->req_len - c->head_len;
    if (rr_http_parse(c->req, c->head_len, &req) != RR_HTTP_OK || req.method != RR_HTTP_POST ||
        have >= req.content_length) {
        c->body_need = req.content_length;
        rr_metrics_respond_(c, c->req + c->head_len, have);
        explicit_bzero(req.auth, sizeof(req.auth));
        return;
    }
    explicit_bzero(req.auth, sizeof(req.auth));
    c->body_need = req.content_length;
    c->body = malloc(c->body_need);
    if (!c->body) {
        rr_metrics_conn_close_(c);
        return;
    }
    memcpy(c->body, c->req + c->head_len, have);
    c->body_len = have;
    if (req.expect_continue) {
        static char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        uv_buf_t b = uv_buf_init(cont, sizeof(cont) - 1);
        c->continue_req.data = c;
        if (uv_write(&c->continue_req, (uv_stream_t *)&c->tcp, &b, 1, rr_metrics_continue_done_) <
            0)
            rr_metrics_conn_close_(c);
    }
}

static void rr_metrics_read_(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    rr_metrics_conn_t *c = stream->data;
    (void)buf;
    if (nread < 0) {
        rr_metrics_conn_close_(c); /* EOF before a full request, reset, or drained */
        return;
    }
    if (c->draining || nread == 0) return;
    if (c->body) {
        c->body_len += (size_t)nread;
        if (c->body_len == c->body_need) rr_metrics_respond_(c, c->body, c->body_len);
        return;
    }
    size_t from = c->req_len > 3 ? c->req_len - 3 : 0;
    c->req_len += (size_t)nread;
    c->req[c->req_len] = '\0';
    size_t hlen = rr_http_head_len(c->req + from, c->req_len - from);
    if (hlen) {
        c->head_len = from + hlen;
        rr_metrics_head_in_(c);
    } else if (c->req_len == sizeof(c->req) - 1) {
        c->draining = 1;
        c->m->stats.too_large++;
        c->m->stats.requests++;
        rr_metrics_text_(&c->ans, 431, "request too large\n");
        rr_metrics_send_(c);
    }
}

static rr_metrics_conn_t *rr_metrics_conn_new_(rr_metrics_t *m)
{
    /* Only the fixed part is zeroed: req is written before it is read. */
    rr_metrics_conn_t *c = malloc(sizeof(*c));
    if (!c) return NULL;
    memset(c, 0, offsetof(rr_metrics_conn_t, req));
    c->req[0] = '\0';
    c->m = m;
    uv_tcp_init(m->loop, &c->tcp);
    uv_timer_init(m->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    c->next = m->conns;
    if (m->conns) m->conns->prev = c;
    m->conns = c;
    m->nconns++;
    return c;
}

static void rr_metrics_accept_(uv_stream_t *server, int status)
{
    rr_metrics_t *m = server->data;
    if (status < 0) {
        RR_WARN("metrics: accept failed: %s", uv_strerror(status));
        return;
    }
    rr_metrics_conn_t *c = rr_metrics_conn_new_(m);
    if (!c) {
        RR_WARN("metrics: out of memory accepting a connection");
        return;
    }
    /* Over the limit the connection is still accepted (else libuv stops polling the listener)
     * but closed at once; nconns counts it until its handles are closed. */
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 || m->nconns > m->max_conns) {
        m->stats.over_limit++;
        rr_metrics_conn_close_(c);
        return;
    }
    uv_timer_start(&c->timer, rr_metrics_conn_timeout_, (uint64_t)m->timeout_ms, 0);
    if (uv_read_start((uv_stream_t *)&c->tcp, rr_metrics_alloc_, rr_metrics_read_) < 0)
        rr_metrics_conn_close_(c);
}

static void rr_metrics_listener_closed_(uv_handle_t *handle)
{
    rr_metrics_t *m = handle->data;
    m->listener_open = 0;
    rr_metrics_maybe_done_(m);
}

/* A listener that failed to start: nobody holds m any more, so its memory goes here. */
static void rr_metrics_failed_closed_(uv_handle_t *handle)
{
    free(handle->data);
}

/* 127.0.0.0/8 or ::1 (also as ::ffff:127.x.y.z): only this machine can connect. */
static int rr_metrics_is_loopback_(const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET) {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)addr;
        return (ntohl(a4->sin_addr.s_addr) >> 24) == 127;
    }
    const unsigned char *b = ((const struct sockaddr_in6 *)addr)->sin6_addr.s6_addr;
    static const unsigned char one[16] = {[15] = 1};
    static const unsigned char v4map[12] = {[10] = 0xff, [11] = 0xff};
    return memcmp(b, one, 16) == 0 || (memcmp(b, v4map, 12) == 0 && b[12] == 127);
}

static int rr_metrics_listen_(rr_metrics_t *m, const char *host, int port)
{
    struct sockaddr_storage addr;
    int rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
    if (rc < 0) rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr);
    if (rc < 0) return rc;
    m->beyond_loopback = !rr_metrics_is_loopback_(&addr);
    if ((rc = uv_tcp_bind(&m->listener, (const struct sockaddr *)&addr, 0)) < 0) return rc;
    if ((rc = uv_listen((uv_stream_t *)&m->listener, 128, rr_metrics_accept_)) < 0) return rc;
    int len = sizeof(addr);
    if ((rc = uv_tcp_getsockname(&m->listener, (struct sockaddr *)&addr, &len)) < 0) return rc;
    m->port = addr.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&addr)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&addr)->sin_port);
    return 0;
}

rr_metrics_t *rr_metrics_new(uv_loop_t *loop, const char *host, int port,
                             rr_metrics_render_fn render, void *opaque, char *errstr, size_t errlen)
{
    if (!host) host = "0.0.0.0";
    if (!loop || !render || port < 0 || port > 65535) {
        snprintf(errstr, errlen, "metrics: %s", rr_strerror(RR_E(INVAL)));
        return NULL;
    }
    rr_metrics_t *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(errstr, errlen, "metrics: %s", rr_strerror(RR_E(NOMEM)));
        return NULL;
    }
    m->loop = loop;
    m->render = render;
    m->opaque = opaque;
    m->max_conns = RR_METRICS_MAX_CONNS;
    m->timeout_ms = RR_METRICS_TIMEOUT_MS;
    int rc = uv_tcp_init(loop, &m->listener);
    if (rc < 0) {
        snprintf(errstr, errlen, "metrics: %s", uv_strerror(rc));
        free(m);
        return NULL;
    }
    m->listener.data = m;
    m->listener_open = 1;
    if ((rc = rr_metrics_listen_(m, host, port)) < 0) {
        snprintf(errstr, errlen, "metrics: cannot listen on %s:%d: %s", host, port,
                 uv_strerror(rc));
        uv_close((uv_handle_t *)&m->listener, rr_metrics_failed_closed_);
        return NULL;
    }
    RR_INFO("http: listening on %s:%d", host, m->port);
    return m;
}

void rr_metrics_set_health(rr_metrics_t *m, rr_metrics_health_fn healthy)
{
    m->healthy = healthy;
}

void rr_metrics_set_health_detail(rr_metrics_t *m, rr_metrics_render_fn detail)
{
    m->health_detail = detail;
}

rr_err_t rr_metrics_route(rr_metrics_t *m, const char *path, int flags, rr_metrics_handler_fn fn,
                          void *opaque)
{
    if (m->nroutes == RR_METRICS_ROUTES_MAX) return RR_E(FULL);
    rr_metrics_route_t *r = &m->routes[m->nroutes];
    r->len = strlen(path);
    if (!fn || r->len == 0 || r->len >= sizeof(r->path)) return RR_E(INVAL);
    memcpy(r->path, path, r->len + 1);
    r->flags = flags;
    r->fn = fn;
    r->opaque = opaque;
    m->nroutes++;
    return RR_OK;
}

void rr_metrics_set_token(rr_metrics_t *m, const char *token)
{
    size_t n = token ? strlen(token) : 0;
    memset(m->token, 0, sizeof(m->token));
    if (n >= sizeof(m->token)) {
        RR_WARN("http: the token is longer than %zu bytes; guarded routes answer 403",
                sizeof(m->token) - 1);
        return;
    }
    if (n) memcpy(m->token, token, n);
}

int rr_metrics_guarded(const rr_metrics_t *m)
{
    return m->beyond_loopback;
}

void rr_metrics_http_stats(const rr_metrics_t *m, rr_metrics_http_stats_t *out)
{
    *out = m->stats;
}

void rr_metrics_set_limits(rr_metrics_t *m, int max_conns, int timeout_ms)
{
    if (max_conns > 0) m->max_conns = max_conns;
    if (timeout_ms > 0) m->timeout_ms = timeout_ms;
}

int rr_metrics_port(const rr_metrics_t *m)
{
    return m->port;
}

void rr_metrics_close(rr_metrics_t *m, void (*on_closed)(void *opaque))
{
    assert(!m->closing);
    m->closing = 1;
    m->on_closed = on_closed;
    uv_close((uv_handle_t *)&m->listener, rr_metrics_listener_closed_);
    for (rr_metrics_conn_t *c = m->conns; c; c = c->next) rr_metrics_conn_close_(c);
}

void rr_metrics_free(rr_metrics_t *m)
{
    if (!m) return;
    /* Freeing with handles still open would leave libuv pointing into freed memory. */
    assert(m->closing && !m->listener_open && m->nconns == 0);
    explicit_bzero(m->token, sizeof(m->token));
    free(m);
}
