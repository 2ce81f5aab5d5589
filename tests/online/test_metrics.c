/* test_metrics.c — the /metrics endpoint against HTTP clients on the same libuv loop: status,
 * headers, a Prometheus text parse of the body, /healthz, 404/405/400/431, slow and excess
 * connections, clean close; plus rr_hist quantiles and the text helpers without a server. */
#include <ctype.h>
#include <uv.h>
#include "http_client.h"
#include "rr_metrics.h"
#include "rr_test.h"

/* ---- the server under test ---- */

typedef struct fixture_s {
    uv_loop_t loop;
    rr_metrics_t *m;
    int healthy, renders, closed;
    rr_hist_t fresh_redis, fresh_kafka, train_step;
} fixture_t;

/* Shaped like the engine's render: families with labeled series, histograms, NaN loss. */
static void render(void *opaque, rr_metrics_buf_t *out)
{
    fixture_t *fx = opaque;
    static const char *const types[] = {"view", "click", "add_to_cart", "purchase"};
    char labels[64];
    fx->renders++;
    rr_metrics_family(out, "rtrec_events_total", RR_METRICS_COUNTER, "Events consumed, by type.");
    for (int i = 0; i < 4; i++) {
        snprintf(labels, sizeof(labels), "type=\"%s\"", types[i]);
        rr_metrics_sample(out, "rtrec_events_total", labels, 1000.0 * (i + 1));
    }
    rr_metrics_counter(out, "rtrec_dead_letters_total", "Messages sent to the DLQ.", NULL, 7);
    rr_metrics_family(out, "rtrec_consumer_lag", RR_METRICS_GAUGE, "Lag per partition.");
    for (int p = 0; p < 3; p++) {
        snprintf(labels, sizeof(labels), "topic=\"clicks\",partition=\"%d\"", p);
        rr_metrics_sample(out, "rtrec_consumer_lag", labels, p * 10);
    }
    rr_metrics_family(out, "rtrec_freshness_seconds", RR_METRICS_HISTOGRAM,
                      "Event timestamp to published list.");
    rr_metrics_histogram_series(out, "rtrec_freshness_seconds", "sink=\"redis\"", &fx->fresh_redis);
    rr_metrics_histogram_series(out, "rtrec_freshness_seconds", "sink=\"kafka\"", &fx->fresh_kafka);
    rr_metrics_histogram(out, "rtrec_train_step_seconds", "One SGD step.", &fx->train_step);
    rr_metrics_gauge(out, "rtrec_train_loss", "EWMA logloss.", NULL, 0.6931471805599453);
    rr_metrics_gauge(out, "rtrec_eval_auc", "Not known yet.", NULL, NAN);
    rr_metrics_counter(out, "rtrec_redis_errors_total", "Redis publish errors.", NULL, 0);
    rr_metrics_gauge(out, "rtrec_users", "Users held.", NULL, 123456);
}

static int health(void *opaque)
{
    return ((fixture_t *)opaque)->healthy;
}

static void on_closed(void *opaque)
{
    fixture_t *fx = opaque;
    fx->closed = 1;
    rr_metrics_free(fx->m); /* allowed from on_closed */
    fx->m = NULL;
}

static void fixture_open(fixture_t *fx)
{
    char err[256] = "";
    memset(fx, 0, sizeof(*fx));
    fx->healthy = 1;
    for (int i = 0; i < 1000; i++) {
        rr_hist_add(&fx->fresh_redis, 0.001 * (i % 200));
        rr_hist_add_us(&fx->fresh_kafka, 50 * i);
    }
    rr_hist_add(&fx->train_step, 0.0002);
    rr_hist_add(&fx->train_step, 42.0); /* overflow bucket */
    CHECK_INT(uv_loop_init(&fx->loop), 0);
    fx->m = rr_metrics_new(&fx->loop, "127.0.0.1", 0, render, fx, err, sizeof(err));
    CHECK(fx->m != NULL);
    if (!fx->m) fprintf(stderr, "rr_metrics_new: %s\n", err);
    CHECK(fx->m && rr_metrics_port(fx->m) > 0);
}

/* Closes the server, runs the loop dry and proves no handle is left. */
static void fixture_close(fixture_t *fx)
{
    rr_metrics_close(fx->m, on_closed);
    CHECK_INT(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    CHECK(fx->closed);
    CHECK_INT(uv_loop_close(&fx->loop), 0);
}

static void run_until_done(fixture_t *fx, int *pending)
{
    while (*pending > 0) uv_run(&fx->loop, UV_RUN_ONCE);
}

static void request(fixture_t *fx, client_t *c, const char *req)
{
    int pending = 0;
    client_start(&fx->loop, c, rr_metrics_port(fx->m), req, &pending);
    run_until_done(fx, &pending);
}

/* ---- a Prometheus text-format (0.0.4) checker ---- */

static const char *parse_name(const char *p)
{
    if (!(isalpha((unsigned char)*p) || *p == '_' || *p == ':')) return NULL;
    while (isalnum((unsigned char)*p) || *p == '_' || *p == ':') p++;
    return p;
}

/* {name="value",...}: returns past the brace, or NULL. */
static const char *parse_labels(const char *p)
{
    p++;
    while (*p != '}') {
        if (!(p = parse_name(p)) || *p++ != '=' || *p++ != '"') return NULL;
        while (*p != '"') {
            if (*p == '\\') p++;
            if (*p == '\0' || *p == '\n') return NULL;
            p++;
        }
        p++;
        if (*p == ',')
            p++;
        else if (*p != '}')
            return NULL;
    }
    return p + 1;
}

static int parse_value(const char *p, const char *end)
{
    char v[64];
    if (end - p <= 0 || end - p >= (long)sizeof(v)) return 0;
    memcpy(v, p, (size_t)(end - p));
    v[end - p] = '\0';
    if (!strcmp(v, "NaN") || !strcmp(v, "+Inf") || !strcmp(v, "-Inf")) return 1;
    char *stop;
    strtod(v, &stop);
    return *stop == '\0';
}

/* Every line a comment (HELP/TYPE, each family declared once and its samples right after) or
 * `name{labels} value`. Returns the number of samples. */
static int check_exposition(const char *body)
{
    char family[128] = "", seen[4096] = " ";
    int samples = 0, ishist = 0;
    for (const char *line = body; *line;) {
        const char *eol = strchr(line, '\n');
        CHECK(eol != NULL); /* the last line ends with \n too */
        if (!eol) break;
        if (!strncmp(line, "# TYPE ", 7)) {
            const char *n = line + 7, *e = parse_name(n);
            CHECK(e && *e == ' ');
            snprintf(family, sizeof(family), "%.*s", (int)(e - n), n);
            char key[132];
            snprintf(key, sizeof(key), " %s ", family);
            CHECK(strstr(seen, key) == NULL);
            strncat(seen, key + 1, sizeof(seen) - strlen(seen) - 1);
            ishist = !strncmp(e, " histogram\n", 11);
            CHECK(ishist || !strncmp(e, " counter\n", 9) || !strncmp(e, " gauge\n", 7));
        } else if (line[0] != '#') {
            const char *e = parse_name(line);
            CHECK(e != NULL);
            if (!e) break;
            size_t flen = strlen(family), nlen = (size_t)(e - line);
            int same = nlen == flen && !strncmp(line, family, flen);
            if (ishist && nlen > flen && !strncmp(line, family, flen))
                same = !strncmp(line + flen, "_bucket", nlen - flen) ||
                       !strncmp(line + flen, "_sum", nlen - flen) ||
                       !strncmp(line + flen, "_count", nlen - flen);
            if (!same) fprintf(stderr, "sample outside its family: %.*s\n", (int)nlen, line);
            CHECK(same);
            if (*e == '{') e = parse_labels(e);
            CHECK(e && *e == ' ');
            if (!e) break;
            CHECK(parse_value(e + 1, eol));
            samples++;
        }
        line = eol + 1;
    }
    return samples;
}

/* The series of name whose labels contain sel: le ascending, counts cumulative, last le +Inf
 * equal to _count. Returns _count. */
static long check_histogram(const char *body, const char *name, const char *sel)
{
    char prefix[128];
    double last_le = -1;
    long last = -1, count = -2;
    int inf = 0;
    snprintf(prefix, sizeof(prefix), "%s_bucket{", name);
    for (const char *p = strstr(body, prefix); p; p = strstr(p + 1, prefix)) {
        const char *eol = strchr(p, '\n');
        if (sel && !(strstr(p, sel) && strstr(p, sel) < eol)) continue;
        const char *le = strstr(p, "le=\"");
        CHECK(le && le < eol);
        if (!le) return -1;
        double v = !strncmp(le + 4, "+Inf", 4) ? INFINITY : strtod(le + 4, NULL);
        long n = strtol(strchr(le, '}') + 1, NULL, 10);
        CHECK(v > last_le);
        CHECK(n >= last);
        inf = isinf(v);
        last_le = v;
        last = n;
    }
    snprintf(prefix, sizeof(prefix), "%s_count", name);
    for (const char *p = strstr(body, prefix); p; p = strstr(p + 1, prefix)) {
        const char *eol = strchr(p, '\n');
        if (sel && !(strstr(p, sel) && strstr(p, sel) < eol)) continue;
        count = strtol(strchr(p, ' ') + 1, NULL, 10); /* no spaces inside our labels */
        break;
    }
    CHECK(inf);
    CHECK_INT(last, count);
    return count;
}

/* ---- tests ---- */

/* 1000 samples uniform over [1 ms, 100 ms]: p50 and p99 within the width of their bucket. */
static void test_hist_quantiles(void)
{
    rr_hist_t h = {0};
    CHECK(isnan(rr_hist_quantile(&h, 0.5)));
    for (int i = 0; i < 1000; i++) rr_hist_add(&h, 0.001 + 0.099 * (i + 0.5) / 1000);
    CHECK_INT(h.count, 1000);
    CHECK_NEAR(h.sum, 1000 * 0.0505, 1e-9);
    const double qs[] = {0.5, 0.9, 0.99}, truth[] = {0.0505, 0.0901, 0.09901};
    for (int k = 0; k < 3; k++) {
        size_t b = 0;
        while (rr_hist_bound(b) < truth[k]) b++;
        double width = rr_hist_bound(b) - rr_hist_bound(b - 1);
        CHECK_NEAR(rr_hist_quantile(&h, qs[k]), truth[k], width);
    }
    CHECK_NEAR(rr_hist_quantile(&h, 0), h.min, 0);
    CHECK_NEAR(rr_hist_quantile(&h, 1), h.max, 0);

    /* One value: min/max clamping makes every quantile exact. */
    rr_hist_t one = {0};
    for (int i = 0; i < 10; i++) rr_hist_add_us(&one, 3000);
    CHECK_NEAR(rr_hist_quantile(&one, 0.5), 0.003, 1e-12);
    CHECK_NEAR(rr_hist_quantile(&one, 0.99), 0.003, 1e-12);

    /* Overflow answers max; negatives count as 0; NaN is dropped; merge adds up. */
    rr_hist_t big = {0};
    rr_hist_add(&big, 20);
    rr_hist_add(&big, 30);
    rr_hist_add(&big, -1);
    rr_hist_add(&big, NAN);
    CHECK_INT(big.count, 3);
    CHECK_INT(big.counts[RR_HIST_NBOUNDS], 2);
    CHECK_INT(big.counts[0], 1);
    CHECK_NEAR(rr_hist_quantile(&big, 1), 30, 0);
    CHECK(rr_hist_quantile(&big, 0.9) >= 10 && rr_hist_quantile(&big, 0.9) <= 30);
    rr_hist_merge(&big, &one);
    CHECK_INT(big.count, 13);
    CHECK_NEAR(big.min, 0, 0);
    CHECK(isinf(rr_hist_bound(RR_HIST_NBOUNDS)));
    for (size_t i = 1; i < RR_HIST_NBOUNDS; i++) CHECK(rr_hist_bound(i) > rr_hist_bound(i - 1));
}

static void test_text_format(void)
{
    rr_metrics_buf_t b;
    rr_hist_t h = {0};
    rr_metrics_buf_init(&b);
    rr_metrics_family(&b, "x_total", RR_METRICS_COUNTER, "a \\ b\nc");
    rr_metrics_sample(&b, "x_total", "k=\"v\"", 12345);
    rr_metrics_sample(&b, "x_total", NULL, 0.1);
    rr_metrics_sample(&b, "x_total", "", 1e20);
    rr_metrics_sample(&b, "x_total", NULL, -INFINITY);
    CHECK_STR(b.data,
              "# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\nx_total{k=\"v\"} 12345\n"
              "x_total 0.1\nx_total 1e+20\nx_total -Inf\n");
    rr_metrics_buf_free(&b);

    rr_hist_add(&h, 0.0001);
    rr_hist_add(&h, 0.5);
    rr_metrics_histogram(&b, "lat_seconds", "Latency.", &h);
    CHECK(strstr(b.data, "lat_seconds_bucket{le=\"4.7e-05\"} 0\n") != NULL);
    CHECK(strstr(b.data, "lat_seconds_bucket{le=\"0.0001\"} 1\n") != NULL);
    CHECK(strstr(b.data, "lat_seconds_bucket{le=\"0.47\"} 1\n") != NULL);
    CHECK(strstr(b.data, "lat_seconds_bucket{le=\"0.68\"} 2\n") != NULL);
    CHECK(strstr(b.data, "lat_seconds_bucket{le=\"+Inf\"} 2\nlat_seconds_sum 0.5001\n"
                         "lat_seconds_count 2\n") != NULL);
    CHECK_INT(check_exposition(b.data), RR_HIST_NBOUNDS + 3);
    check_histogram(b.data, "lat_seconds", NULL);
    CHECK(!b.failed);
    rr_metrics_buf_free(&b);
}

static void test_get_metrics(void)
{
    fixture_t fx;
    client_t c;
    fixture_open(&fx);
    request(&fx, &c, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
    CHECK_INT(c.err, 0);
    CHECK_INT(client_status(&c), 200);
    CHECK(strstr(c.resp, "\r\nContent-Type: text/plain; version=0.0.4") != NULL);
    CHECK(strstr(c.resp, "\r\nConnection: close\r\n") != NULL);
    const char *body = client_body(&c);
    CHECK(body != NULL);
    if (body) {
        size_t clen = 0;
        CHECK(sscanf(strstr(c.resp, "Content-Length: "), "Content-Length: %zu", &clen) == 1);
        CHECK_INT(clen, strlen(body));
        CHECK(check_exposition(body) > 20);
        CHECK(strstr(body, "rtrec_events_total{type=\"purchase\"} 4000\n") != NULL);
        CHECK(strstr(body, "rtrec_consumer_lag{topic=\"clicks\",partition=\"2\"} 20\n") != NULL);
        CHECK(strstr(body, "rtrec_train_loss 0.6931471805599453\n") != NULL);
        CHECK(strstr(body, "rtrec_eval_auc NaN\n") != NULL);
        CHECK_INT(check_histogram(body, "rtrec_freshness_seconds", "sink=\"redis\""), 1000);
        CHECK_INT(check_histogram(body, "rtrec_freshness_seconds", "sink=\"kafka\""), 1000);
        CHECK_INT(check_histogram(body, "rtrec_train_step_seconds", NULL), 2);
    }
    free(c.resp);

    /* HEAD: headers only; a query string is ignored; HTTP/1.0 is fine. */
    request(&fx, &c, "HEAD /metrics HTTP/1.0\r\n\r\n");
    CHECK_INT(client_status(&c), 200);
    CHECK(client_body(&c) && *client_body(&c) == '\0');
    free(c.resp);
    request(&fx, &c, "GET /metrics?name[]=x HTTP/1.1\r\n\r\n");
    CHECK_INT(client_status(&c), 200);
    free(c.resp);
    CHECK_INT(fx.renders, 3);
    fixture_close(&fx);
}

static void test_healthz(void)
{
    fixture_t fx;
    client_t c;
    fixture_open(&fx);
    request(&fx, &c, "GET /healthz HTTP/1.1\r\n\r\n"); /* no health callback yet */
    CHECK_INT(client_status(&c), 200);
    CHECK_STR(client_body(&c), "ok\n");
    free(c.resp);
    rr_metrics_set_health(fx.m, health);
    request(&fx, &c, "GET /healthz HTTP/1.1\r\n\r\n");
    CHECK_INT(client_status(&c), 200);
    free(c.resp);
    fx.healthy = 0;
    request(&fx, &c, "GET /healthz HTTP/1.1\r\n\r\n");
    CHECK_INT(client_status(&c), 503);
    free(c.resp);
    CHECK_INT(fx.renders, 0);
    fixture_close(&fx);
}

static void test_bad_requests(void)
{
    static const struct {
        const char *req;
        int status;
    } cases[] = {
        {"GET /nope HTTP/1.1\r\n\r\n", 404},
        {"GET /metricsx HTTP/1.1\r\n\r\n", 404},
        {"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405},
        {"garbage\r\n\r\n", 400},
        {"GET metrics HTTP/1.1\r\n\r\n", 400},
        {"GET /metrics SPDY/3\r\n\r\n", 400},
    };
    fixture_t fx;
    fixture_open(&fx);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        client_t c;
        request(&fx, &c, cases[i].req);
        CHECK_INT(client_status(&c), cases[i].status);
        free(c.resp);
    }
    CHECK_INT(fx.renders, 0);
    fixture_close(&fx);
}

/* 10 KiB without the blank line: 431, and the client gets to read it (no reset). */
static void test_oversized_request(void)
{
    fixture_t fx;
    client_t c;
    char *req = malloc(10 * 1024 + 1);
    memcpy(req, "GET /metrics HTTP/1.1\r\nX: ", 26);
    memset(req + 26, 'a', 10 * 1024 - 26);
    req[10 * 1024] = '\0';
    fixture_open(&fx);
    request(&fx, &c, req);
    CHECK_INT(client_status(&c), 431);
    CHECK_INT(c.err, 0);
    CHECK_INT(fx.renders, 0);
    free(c.resp);
    free(req);
    fixture_close(&fx);
}

/* A client that never finishes its request is closed after timeout_ms; those still open when
 * the server closes are closed with it. */
static void test_slow_clients(void)
{
    fixture_t fx;
    client_t slow, stuck[3];
    int pending = 0, stuck_pending = 0;
    fixture_open(&fx);
    rr_metrics_set_limits(fx.m, 0, 100);
    uint64_t t0 = uv_now(&fx.loop);
    client_start(&fx.loop, &slow, rr_metrics_port(fx.m), "GET /metr", &pending);
    run_until_done(&fx, &pending);
    uint64_t waited = uv_now(&fx.loop) - t0;
    CHECK(waited >= 90 && waited < 3000);
    CHECK_INT(slow.len, 0);
    free(slow.resp);

    rr_metrics_set_limits(fx.m, 0, 60000);
    for (int i = 0; i < 3; i++)
        client_start(&fx.loop, &stuck[i], rr_metrics_port(fx.m), "GET /", &stuck_pending);
    for (int i = 0; i < 20; i++) uv_run(&fx.loop, UV_RUN_NOWAIT); /* let the server accept */
    fixture_close(&fx);
    CHECK_INT(stuck_pending, 0);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(stuck[i].len, 0);
        free(stuck[i].resp);
    }
}

/* 100 clients at once against a limit of 8: every one finishes (answered or closed), and the
 * server still answers afterwards. */
static void test_many_connections(void)
{
    enum { N = 100 };
    static client_t cs[N];
    fixture_t fx;
    client_t c;
    int pending = 0, ok = 0, refused = 0;
    fixture_open(&fx);
    rr_metrics_set_limits(fx.m, 8, 0);
    for (int i = 0; i < N; i++)
        client_start(&fx.loop, &cs[i], rr_metrics_port(fx.m), "GET /metrics HTTP/1.1\r\n\r\n",
                     &pending);
    run_until_done(&fx, &pending);
    for (int i = 0; i < N; i++) {
        if (client_status(&cs[i]) == 200)
            ok++;
        else if (cs[i].len == 0)
            refused++;
        free(cs[i].resp);
    }
    CHECK(ok >= 1);
    CHECK_INT(ok + refused, N);
    request(&fx, &c, "GET /healthz HTTP/1.1\r\n\r\n");
    CHECK_INT(client_status(&c), 200);
    free(c.resp);
    fixture_close(&fx);
}

/* Port in use or a bad host: NULL, an error string, and the loop still closes clean. */
static void test_listen_errors(void)
{
    fixture_t fx;
    char err[256] = "";
    fixture_open(&fx);
    int port = rr_metrics_port(fx.m);
    CHECK(rr_metrics_new(&fx.loop, "127.0.0.1", port, render, &fx, err, sizeof(err)) == NULL);
    CHECK(strstr(err, "in use") != NULL || strstr(err, "EADDRINUSE") != NULL);
    err[0] = '\0';
    CHECK(rr_metrics_new(&fx.loop, "not-an-ip", 0, render, &fx, err, sizeof(err)) == NULL);
    CHECK(err[0] != '\0');
    CHECK(rr_metrics_new(&fx.loop, NULL, 70000, render, &fx, err, sizeof(err)) == NULL);
    fixture_close(&fx);
    rr_metrics_free(NULL);
}

RR_TEST_MAIN(RR_TEST(test_hist_quantiles), RR_TEST(test_text_format), RR_TEST(test_get_metrics),
             RR_TEST(test_healthz), RR_TEST(test_bad_requests), RR_TEST(test_oversized_request),
             RR_TEST(test_slow_clients), RR_TEST(test_many_connections),
             RR_TEST(test_listen_errors))
