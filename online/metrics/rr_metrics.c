/* rr_metrics.c — Prometheus text rendering helpers and the one-request-per-connection HTTP
 * server behind /metrics and /healthz. Everything runs on the loop thread and never blocks. */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_err.h"
#include "rr_log.h"
#include "rr_metrics.h"

#define RR_METRICS_REQ_MAX      8192
#define RR_METRICS_MAX_CONNS    64
#define RR_METRICS_TIMEOUT_MS   5000
#define RR_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- text rendering ------------------------------------------------------------------------ */

void rr_metrics_buf_init(rr_metrics_buf_t *b)
{
    memset(b, 0, sizeof(*b));
}

void rr_metrics_buf_free(rr_metrics_buf_t *b)
{
    free(b->data);
    rr_metrics_buf_init(b);
}

static int rr_metrics_reserve_(rr_metrics_buf_t *b, size_t extra)
{
    if (b->failed) return 0;
    if (b->len + extra + 1 <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1) cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) {
        b->failed = 1;
        return 0;
    }
    b->data = data;
    b->cap = cap;
    return 1;
}

void rr_metrics_printf(rr_metrics_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !rr_metrics_reserve_(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Shortest of %.15g..%.17g that reads back as the same double; integers without exponent. */
static void rr_metrics_value_(char *out, size_t len, double v)
{
    if (isnan(v))
        snprintf(out, len, "NaN");
    else if (isinf(v))
        snprintf(out, len, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15)
        snprintf(out, len, "%.0f", v);
    else {
        for (int digits = 15; digits <= 17; digits++) {
            snprintf(out, len, "%.*g", digits, v);
            if (strtod(out, NULL) == v) break;
        }
    }
}

void rr_metrics_family(rr_metrics_buf_t *b, const char *name, rr_metrics_type_t type,
                       const char *help)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    rr_metrics_printf(b, "# HELP %s ", name);
    /* The text format escapes only backslash and newline in HELP. */
    for (const char *p = help ? help : ""; *p; p++) {
        if (*p == '\\')
            rr_metrics_printf(b, "\\\\");
        else if (*p == '\n')
            rr_metrics_printf(b, "\\n");
        else
            rr_metrics_printf(b, "%c", *p);
    }
    rr_metrics_printf(b, "\n# TYPE %s %s\n", name, types[type]);
}

void rr_metrics_sample(rr_metrics_buf_t *b, const char *name, const char *labels, double value)
{
    char v[32];
    rr_metrics_value_(v, sizeof(v), value);
    if (labels && *labels)
        rr_metrics_printf(b, "%s{%s} %s\n", name, labels, v);
    else
        rr_metrics_printf(b, "%s %s\n", name, v);
}

void rr_metrics_counter(rr_metrics_buf_t *b, const char *name, const char *help, const char *labels,
                        double value)
{
    rr_metrics_family(b, name, RR_METRICS_COUNTER, help);
    rr_metrics_sample(b, name, labels, value);
}

void rr_metrics_gauge(rr_metrics_buf_t *b, const char *name, const char *help, const char *labels,
                      double value)
{
    rr_metrics_family(b, name, RR_METRICS_GAUGE, help);
    rr_metrics_sample(b, name, labels, value);
}

void rr_metrics_histogram_series(rr_metrics_buf_t *b, const char *name, const char *labels,
                                 const rr_hist_t *h)
{
    const char *sep = labels && *labels ? "," : "";
    const char *lab = labels ? labels : "";
    uint64_t cum = 0;
    for (size_t i = 0; i <= RR_HIST_NBOUNDS; i++) {
        char le[32];
        cum += h->counts[i];
        rr_metrics_value_(le, sizeof(le), rr_hist_bound(i));
        rr_metrics_printf(b, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, lab, sep, le,
                          (unsigned long long)cum);
    }
    char sum[32];
    rr_metrics_value_(sum, sizeof(sum), h->sum);
    const char *lb = *lab ? "{" : "", *rb = *lab ? "}" : "";
    rr_metrics_printf(b, "%s_sum%s%s%s %s\n", name, lb, lab, rb, sum);
    rr_metrics_printf(b, "%s_count%s%s%s %llu\n", name, lb, lab, rb, (unsigned long long)h->count);
}

void rr_metrics_histogram(rr_metrics_buf_t *b, const char *name, const char *help,
                          const rr_hist_t *h)
{
    rr_metrics_family(b, name, RR_METRICS_HISTOGRAM, help);
    rr_metrics_histogram_series(b, name, NULL, h);
}

/* ---- HTTP server --------------------------------------------------------------------------- */

typedef struct rr_metrics_conn_s rr_metrics_conn_t;

struct rr_metrics_s {
    uv_loop_t *loop;
    uv_tcp_t listener;
    rr_metrics_render_fn render;
    rr_metrics_health_fn healthy;
    void *opaque;
    void (*on_closed)(void *opaque);
    rr_metrics_conn_t *conns; /* every connection whose memory is still ours */
    int nconns, max_conns, timeout_ms, port;
    int closing, listener_open;
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
    int draining; /* answered early (431): discard input until EOF so the client reads it */
    size_t req_len;
    char head[256];
    rr_metrics_buf_t body;
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
    rr_metrics_buf_free(&c->body);
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
    rr_metrics_conn_close_(timer->data);
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
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    default: return "Service Unavailable";
    }
}

/* Sends status + c->body (or a short text body) and starts the close sequence. */
static void rr_metrics_respond_(rr_metrics_conn_t *c, int status, const char *text, int head_only)
{
    if (text) {
        rr_metrics_buf_free(&c->body);
        rr_metrics_printf(&c->body, "%s", text);
    }
    const char *type = status == 200 && !text ? RR_METRICS_CONTENT_TYPE : "text/plain";
    int n = snprintf(c->head, sizeof(c->head),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                     "Connection: close\r\n\r\n",
                     status, rr_metrics_reason_(status), type, c->body.len,
                     status == 405 ? "Allow: GET, HEAD\r\n" : "");
    uv_buf_t bufs[2] = {uv_buf_init(c->head, (unsigned)n),
                        uv_buf_init(c->body.data ? c->body.data : "", (unsigned)c->body.len)};
    c->write_req.data = c;
    if (uv_write(&c->write_req, (uv_stream_t *)&c->tcp, bufs, head_only ? 1 : 2,
                 rr_metrics_write_done_) < 0)
        rr_metrics_conn_close_(c);
}

/* Request line "METHOD SP target SP HTTP/x.y"; headers are not needed. */
static void rr_metrics_serve_(rr_metrics_conn_t *c)
{
    rr_metrics_t *m = c->m;
    char method[8], target[256];
    int head = 0, end = 0;
    /* %n is reached only if the version matched too (sscanf counts no literal mismatch). */
    sscanf(c->req, "%7s %255s HTTP/1.%*1[01]%n", method, target, &end);
    if (end == 0 || target[0] != '/') {
        rr_metrics_respond_(c, 400, "bad request\n", 0);
        return;
    }
    target[strcspn(target, "?#")] = '\0';
    if (strcmp(method, "HEAD") == 0)
        head = 1;
    else if (strcmp(method, "GET") != 0) {
        rr_metrics_respond_(c, 405, "method not allowed\n", 0);
        return;
    }
    if (strcmp(target, "/metrics") == 0) {
        m->render(m->opaque, &c->body);
        if (c->body.failed)
            rr_metrics_respond_(c, 500, "out of memory\n", head);
        else
            rr_metrics_respond_(c, 200, NULL, head);
    } else if (strcmp(target, "/healthz") == 0) {
        int ok = !m->healthy || m->healthy(m->opaque);
        rr_metrics_respond_(c, ok ? 200 : 503, ok ? "ok\n" : "unhealthy\n", head);
    } else {
        rr_metrics_respond_(c, 404, "not found\n", head);
    }
}

static void rr_metrics_alloc_(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    rr_metrics_conn_t *c = handle->data;
    (void)suggested;
    /* Draining reuses the whole buffer: the input is thrown away. */
    if (c->draining) c->req_len = 0;
    *buf = uv_buf_init(c->req + c->req_len, (unsigned)(sizeof(c->req) - 1 - c->req_len));
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
    size_t from = c->req_len > 3 ? c->req_len - 3 : 0;
    c->req_len += (size_t)nread;
    c->req[c->req_len] = '\0';
    if (strstr(c->req + from, "\r\n\r\n")) {
        uv_read_stop(stream);
        rr_metrics_serve_(c);
    } else if (c->req_len == sizeof(c->req) - 1) {
        c->draining = 1;
        rr_metrics_respond_(c, 431, "request too large\n", 0);
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

static int rr_metrics_listen_(rr_metrics_t *m, const char *host, int port)
{
    struct sockaddr_storage addr;
    int rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&addr);
    if (rc < 0) rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr);
    if (rc < 0) return rc;
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
    RR_INFO("metrics: listening on http://%s:%d/metrics", host, m->port);
    return m;
}

void rr_metrics_set_health(rr_metrics_t *m, rr_metrics_health_fn healthy)
{
    m->healthy = healthy;
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
    free(m);
}
