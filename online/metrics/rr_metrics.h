/* rr_metrics.h — the engine's HTTP port: a small HTTP/1.1 server on the engine's libuv loop
 * serving GET /metrics (Prometheus text format 0.0.4, rendered on demand by a callback),
 * GET /healthz and the routes the engine adds (the dashboard, /users/{id}), plus the text and
 * JSON helpers the callbacks write with. */
#ifndef RR_METRICS_H
#define RR_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "rr_err.h"
#include "rr_hist.h"
#include "rr_http.h"

/* ---- text rendering ------------------------------------------------------------------------ */

/* A growing text buffer (the scrape is the slow path, so it allocates). An allocation failure
 * sets failed, keeps what was written and turns every later append into a no-op; the server
 * then answers 500. The caller owns data: rr_metrics_buf_free releases it. */
typedef struct rr_metrics_buf_s {
    char *data; /* NUL-terminated when non-NULL */
    size_t len, cap;
    int failed;
} rr_metrics_buf_t;

typedef enum { RR_METRICS_COUNTER, RR_METRICS_GAUGE, RR_METRICS_HISTOGRAM } rr_metrics_type_t;

void rr_metrics_buf_init(rr_metrics_buf_t *b);
void rr_metrics_buf_free(rr_metrics_buf_t *b);
void rr_metrics_printf(rr_metrics_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Metric families: one rr_metrics_family (the # HELP and # TYPE lines) followed by its samples.
 * name must match [a-zA-Z_:][a-zA-Z0-9_:]*; help is escaped here. labels is the inside of the
 * braces, already valid and escaped ("type=\"view\"", "topic=\"c\",partition=\"3\""), or NULL.
 * Values print as integers when integral, else with round-trip precision; NaN and +-Inf as
 * Prometheus spells them. */
void rr_metrics_family(rr_metrics_buf_t *b, const char *name, rr_metrics_type_t type,
                       const char *help);
void rr_metrics_sample(rr_metrics_buf_t *b, const char *name, const char *labels, double value);
/* One-sample families: family + sample. */
void rr_metrics_counter(rr_metrics_buf_t *b, const char *name, const char *help, const char *labels,
                        double value);
void rr_metrics_gauge(rr_metrics_buf_t *b, const char *name, const char *help, const char *labels,
                      double value);
/* One series of a histogram family (after rr_metrics_family(..., RR_METRICS_HISTOGRAM, ...)):
 * name_bucket{labels,le="..."} cumulative for every bound and +Inf, name_sum (seconds),
 * name_count. labels may be NULL. */
void rr_metrics_histogram_series(rr_metrics_buf_t *b, const char *name, const char *labels,
                                 const rr_hist_t *h);
/* An unlabeled histogram family: family + one series. */
void rr_metrics_histogram(rr_metrics_buf_t *b, const char *name, const char *help,
                          const rr_hist_t *h);

/* JSON pieces: a string literal (quotes, backslash, control bytes and '<' escaped; NULL prints
 * null), a number (NaN and +-Inf print null), and "key": . Commas are the caller's. */
void rr_metrics_json_str(rr_metrics_buf_t *b, const char *s);
void rr_metrics_json_num(rr_metrics_buf_t *b, double v);
void rr_metrics_json_key(rr_metrics_buf_t *b, const char *key);

/* ---- HTTP server --------------------------------------------------------------------------- */

typedef struct rr_metrics_s rr_metrics_t;

/* Appends the whole exposition to out; runs on the loop thread, once per GET /metrics. */
typedef void (*rr_metrics_render_fn)(void *opaque, rr_metrics_buf_t *out);
/* 0 = unhealthy: /healthz answers 503. */
typedef int (*rr_metrics_health_fn)(void *opaque);

/* Listens on host:port (numeric IPv4 or IPv6; NULL = "0.0.0.0"; port 0 = any free port, see
 * rr_metrics_port). Returns NULL with errstr filled on failure; the listener handle may then
 * still be closing, so run the loop before uv_loop_close. Each connection serves one request
 * and closes (Connection: close): heads over 8 KiB get 431, targets over 1 KiB 414, bodies
 * over RR_HTTP_BODY_MAX 413 (before any of it is read), a POST without Content-Length 411,
 * more than max_conns open connections are accepted and closed at once, and a connection
 * still open after timeout_ms from accept (slow client either way, sending head or body, or
 * reading) is closed. Each of these is counted (rr_metrics_http_stats). Memory is bounded by
 * max_conns × (8 KiB + RR_HTTP_BODY_MAX + the largest response a route renders). */
rr_metrics_t *rr_metrics_new(uv_loop_t *loop, const char *host, int port,
                             rr_metrics_render_fn render, void *opaque, char *errstr,
                             size_t errlen);
/* What a route handler answers. status defaults to 200, content_type to JSON, cache to
 * "no-store". The body is either appended to body (freed with the connection) or, for data
 * that outlives the server (embedded assets), pointed at by static_body. */
typedef struct rr_metrics_resp_s {
    int status;
    const char *content_type;
    const char *cache; /* Cache-Control */
    rr_metrics_buf_t *body;
    const void *static_body;
    size_t static_len;
} rr_metrics_resp_t;

/* Runs on the loop thread for a GET or HEAD of a matching path (a POST for a RR_METRICS_POST
 * route, its whole body in req->body[0..req->content_length)); rest is the decoded path after
 * the route's prefix ("" for an exact route). Must not block: it renders from memory. A POST
 * route answering 400 or 422 counts as a bad body. */
typedef void (*rr_metrics_handler_fn)(void *opaque, const rr_http_req_t *req, const char *rest,
                                      rr_metrics_resp_t *resp);

enum {
    RR_METRICS_PREFIX = 1,  /* path is a prefix ("/users/"), else an exact path */
    RR_METRICS_GUARDED = 2, /* personal data: needs the token when bound beyond loopback */
    RR_METRICS_POST = 4,    /* takes POST (with a body in req->body) and nothing else */
};
#define RR_METRICS_ROUTES_MAX 16

/* Adds a route (path copied, at most 63 bytes); the first match in order of adding wins, after
 * /metrics and /healthz, which are always open. RR_E(FULL) past RR_METRICS_ROUTES_MAX, RR_E(INVAL)
 * for a long path. */
rr_err_t rr_metrics_route(rr_metrics_t *m, const char *path, int flags, rr_metrics_handler_fn fn,
                          void *opaque);
/* The token guarded routes take (as "Authorization: Bearer <token>", or as the password of
 * Basic auth so a browser's login prompt works). Copied, never logged; NULL or "" = none. Bound
 * beyond loopback, a guarded route answers 401 without the token and 403 when none is set.
 * Bound to loopback (127.0.0.0/8, ::1), guarded routes are open. */
void rr_metrics_set_token(rr_metrics_t *m, const char *token);
/* 1 when bound beyond loopback, so guarded routes need the token. */
int rr_metrics_guarded(const rr_metrics_t *m);

/* One request's answer before it is sent: what a connection writes, and what tests and the
 * fuzz target read without a socket. body points into buf or at a route's static data. */
typedef struct rr_metrics_answer_s {
    int status;
    const char *content_type, *cache;
    const char *body;
    size_t len;
    int head_only; /* HEAD: the headers alone are sent */
    rr_metrics_buf_t buf;
} rr_metrics_answer_t;

/* Answers the request req[0..len) (its head up to and including the blank line, then its
 * body) exactly as a connection would: parsing, routes, guard and counters; a body shorter
 * than its Content-Length is a 400. Loop thread only; free the answer with
 * rr_metrics_answer_free. */
void rr_metrics_answer(rr_metrics_t *m, const char *req, size_t len, rr_metrics_answer_t *a);
void rr_metrics_answer_free(rr_metrics_answer_t *a);

/* Requests served and cut off, since start. */
typedef struct rr_metrics_http_stats_s {
    uint64_t requests;       /* answered: any route, any status */
    uint64_t malformed;      /* 400, 405, 414 */
    uint64_t too_large;      /* 431: the head */
    uint64_t body_too_large; /* 413: Content-Length over RR_HTTP_BODY_MAX */
    uint64_t no_length;      /* 411: a POST without Content-Length, or chunked */
    uint64_t bad_body;       /* 400 or 422 from a POST route: a body it could not use */
    uint64_t slow;           /* closed by the timeout before the answer was out */
    uint64_t over_limit;     /* closed at accept: max_conns reached */
    uint64_t unauthorized;   /* 401, 403 */
} rr_metrics_http_stats_t;
void rr_metrics_http_stats(const rr_metrics_t *m, rr_metrics_http_stats_t *out);

/* Optional; without it /healthz always answers 200 "ok\n". Called with the same opaque. */
void rr_metrics_set_health(rr_metrics_t *m, rr_metrics_health_fn healthy);
/* Optional: appends "name value" lines to the /healthz body after its first line ("ok" or
 * "unhealthy"), such as the input lost so far. Called with the same opaque. */
void rr_metrics_set_health_detail(rr_metrics_t *m, rr_metrics_render_fn detail);
/* Defaults 64 connections, 5000 ms; values <= 0 keep the current one. */
void rr_metrics_set_limits(rr_metrics_t *m, int max_conns, int timeout_ms);
/* The bound port (the picked one when asked for 0). */
int rr_metrics_port(const rr_metrics_t *m);
/* Stops listening and closes every connection; on_closed(opaque) fires (may be NULL) once no
 * handle is left, from a close callback. Call once. */
void rr_metrics_close(rr_metrics_t *m, void (*on_closed)(void *opaque));
/* After on_closed (it may be called from on_closed). NULL is a no-op. */
void rr_metrics_free(rr_metrics_t *m);

#endif
