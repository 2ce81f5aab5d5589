/* test_metrics_http.c — the HTTP server's request parser, token check, JSON helpers and added
 * routes: exact and prefix routes, static bodies, the guard (open on loopback; bound beyond it,
 * 403 without a token configured, 401 without the right one, 200 with Bearer or Basic), and
 * the counters of requests cut off. Clients run on the test's own loop. */
#include <uv.h>
#include "http_client.h"
#include "rr_http.h"
#include "rr_metrics.h"
#include "rr_test.h"

/* ---- parser ---- */

static void test_parse(void)
{
    rr_http_req_t req;
    const char *h = "GET /users/a%20b%2Fc?since=12&x HTTP/1.1\r\nHost: x\r\n"
                    "AUTHORIZATION:   Bearer abc  \r\nContent-Length: 17\r\n\r\n";
    CHECK_INT(rr_http_parse(h, strlen(h), &req), RR_HTTP_OK);
    CHECK_INT(req.method, RR_HTTP_GET);
    CHECK_STR(req.path, "/users/a b/c");
    CHECK_STR(req.query, "since=12&x");
    CHECK_STR(req.auth, "Bearer abc");
    CHECK_INT(req.content_length, 17);
    char v[16];
    CHECK(rr_http_query_get(req.query, "since", v, sizeof(v)));
    CHECK_STR(v, "12");
    CHECK(rr_http_query_get(req.query, "x", v, sizeof(v)));
    CHECK_STR(v, "");
    CHECK(!rr_http_query_get(req.query, "sinc", v, sizeof(v)));
    CHECK(!rr_http_query_get("a=%zz", "a", v, sizeof(v)));

    h = "HEAD /x#frag HTTP/1.0\n\n"; /* bare LF line ends */
    CHECK_INT(rr_http_parse(h, strlen(h), &req), RR_HTTP_OK);
    CHECK_INT(req.method, RR_HTTP_HEAD);
    CHECK_STR(req.path, "/x");
    CHECK_STR(req.query, "");

    static const char *const bad[] = {
        "GET /a%zz HTTP/1.1\r\n\r\n", "GET /a%00b HTTP/1.1\r\n\r\n", "GET /a%2 HTTP/1.1\r\n\r\n",
        "GET a HTTP/1.1\r\n\r\n",     "GET /a HTTP/2.0\r\n\r\n",     "GET /a\r\n\r\n",
        "GET  HTTP/1.1\r\n\r\n",      "/a HTTP/1.1\r\n\r\n",         "GET /a HTTP/1.1x\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_INT(rr_http_parse(bad[i], strlen(bad[i]), &req), RR_HTTP_MALFORMED);
    h = "DELETE /a HTTP/1.1\r\n\r\n";
    CHECK_INT(rr_http_parse(h, strlen(h), &req), RR_HTTP_OK);
    CHECK_INT(req.method, RR_HTTP_OTHER);

    char big[RR_HTTP_TARGET_MAX + 64];
    snprintf(big, sizeof(big), "GET /%0*d HTTP/1.1\r\n\r\n", RR_HTTP_TARGET_MAX, 7);
    CHECK_INT(rr_http_parse(big, strlen(big), &req), RR_HTTP_URI_TOO_LONG);
    /* Parsing stops at len: bytes beyond are never read. */
    h = "GET /ab HTTP/1.1\r\n\r\n";
    CHECK_INT(rr_http_parse(h, 10, &req), RR_HTTP_MALFORMED);
}

static void test_auth(void)
{
    char out[64];
    CHECK_INT(rr_http_base64_decode("dTpzM2NyZXQ=", 12, out, sizeof(out)), 8);
    CHECK_STR(out, "u:s3cret");
    CHECK_INT(rr_http_base64_decode("dTpzM2NyZXQ", 11, out, sizeof(out)), 8);
    CHECK_INT(rr_http_base64_decode("d", 1, out, sizeof(out)), -1);
    CHECK_INT(rr_http_base64_decode("dT!z", 4, out, sizeof(out)), -1);
    CHECK_INT(rr_http_base64_decode("dTpzM2NyZXQ=", 12, out, 4), -1);

    CHECK(rr_http_auth_ok("Bearer s3cret", "s3cret"));
    CHECK(rr_http_auth_ok("bearer   s3cret", "s3cret"));
    CHECK(rr_http_auth_ok("Basic dTpzM2NyZXQ=", "s3cret"));  /* u:s3cret */
    CHECK(rr_http_auth_ok("Basic OnMzY3JldA==", "s3cret"));  /* :s3cret */
    CHECK(!rr_http_auth_ok("Basic czNjcmV0", "s3cret"));     /* s3cret, no colon */
    CHECK(!rr_http_auth_ok("Basic dTpzM2NyZXR4", "s3cret")); /* u:s3cretx */
    CHECK(!rr_http_auth_ok("Bearer s3cre", "s3cret"));
    CHECK(!rr_http_auth_ok("Bearer s3cretx", "s3cret"));
    CHECK(!rr_http_auth_ok("Bearers3cret", "s3cret"));
    CHECK(!rr_http_auth_ok("Token s3cret", "s3cret"));
    CHECK(!rr_http_auth_ok("", "s3cret"));
    CHECK(!rr_http_auth_ok("Bearer ", ""));
    CHECK(!rr_http_auth_ok("Bearer x", NULL));
    CHECK(rr_http_equal_ct("abc", 3, "abc", 3));
    CHECK(!rr_http_equal_ct("abc", 3, "abd", 3));
    CHECK(!rr_http_equal_ct("abc", 3, "abc\0", 4));
    CHECK(!rr_http_equal_ct("", 0, "a", 1));
}

static void test_json(void)
{
    rr_metrics_buf_t b;
    rr_metrics_buf_init(&b);
    rr_metrics_printf(&b, "{");
    rr_metrics_json_key(&b, "k\"");
    rr_metrics_json_str(&b, "a\\b\n\x01</script>é");
    rr_metrics_printf(&b, ",");
    rr_metrics_json_key(&b, "n");
    rr_metrics_json_num(&b, NAN);
    rr_metrics_printf(&b, ",");
    rr_metrics_json_key(&b, "x");
    rr_metrics_json_num(&b, 0.25);
    rr_metrics_printf(&b, ",");
    rr_metrics_json_key(&b, "s");
    rr_metrics_json_str(&b, NULL);
    rr_metrics_printf(&b, "}");
    CHECK_STR(b.data, "{\"k\\\"\":\"a\\\\b\\u000a\\u0001\\u003c/script>é\",\"n\":null,\"x\":0.25,"
                      "\"s\":null}");
    rr_metrics_buf_free(&b);
}

/* ---- server ---- */

typedef struct fixture_s {
    uv_loop_t loop;
    rr_metrics_t *m;
    int calls, closed;
    char rest[256];
} fixture_t;

static const char asset[] = "<!doctype html><title>x</title>";

static void render(void *opaque, rr_metrics_buf_t *out)
{
    (void)opaque;
    rr_metrics_gauge(out, "x", "X.", NULL, 1);
}

static void on_page(void *opaque, const rr_http_req_t *req, const char *rest, rr_metrics_resp_t *r)
{
    fixture_t *fx = opaque;
    (void)req;
    fx->calls++;
    snprintf(fx->rest, sizeof(fx->rest), "%s", rest);
    r->content_type = "text/html; charset=utf-8";
    r->cache = "max-age=60";
    r->static_body = asset;
    r->static_len = sizeof(asset) - 1;
}

static void on_user(void *opaque, const rr_http_req_t *req, const char *rest, rr_metrics_resp_t *r)
{
    fixture_t *fx = opaque;
    char since[32] = "";
    fx->calls++;
    snprintf(fx->rest, sizeof(fx->rest), "%s", rest);
    rr_http_query_get(req->query, "since", since, sizeof(since));
    if (strcmp(rest, "nobody") == 0) r->status = 404;
    rr_metrics_printf(r->body, "{");
    rr_metrics_json_key(r->body, "user");
    rr_metrics_json_str(r->body, rest);
    rr_metrics_printf(r->body, ",\"since\":\"%s\"}", since);
}

/* POST /echo: the body back, or 400 when it is "bad". */
static void on_echo(void *opaque, const rr_http_req_t *req, const char *rest, rr_metrics_resp_t *r)
{
    fixture_t *fx = opaque;
    (void)rest;
    fx->calls++;
    if (req->content_length == 3 && memcmp(req->body, "bad", 3) == 0) r->status = 400;
    rr_metrics_printf(r->body, "%.*s", (int)req->content_length, req->body);
}

static void on_closed(void *opaque)
{
    fixture_t *fx = opaque;
    fx->closed = 1;
    rr_metrics_free(fx->m);
    fx->m = NULL;
}

static void fixture_open(fixture_t *fx, const char *host)
{
    char err[256] = "";
    memset(fx, 0, sizeof(*fx));
    CHECK_INT(uv_loop_init(&fx->loop), 0);
    fx->m = rr_metrics_new(&fx->loop, host, 0, render, fx, err, sizeof(err));
    if (!fx->m) fprintf(stderr, "rr_metrics_new: %s\n", err);
    CHECK(fx->m != NULL);
    CHECK_INT(rr_metrics_route(fx->m, "/", 0, on_page, fx), 0);
    CHECK_INT(
        rr_metrics_route(fx->m, "/users/", RR_METRICS_PREFIX | RR_METRICS_GUARDED, on_user, fx), 0);
    CHECK_INT(rr_metrics_route(fx->m, "/echo", RR_METRICS_POST | RR_METRICS_GUARDED, on_echo, fx),
              0);
}

static void fixture_close(fixture_t *fx)
{
    rr_metrics_close(fx->m, on_closed);
    CHECK_INT(uv_run(&fx->loop, UV_RUN_DEFAULT), 0);
    CHECK(fx->closed);
    CHECK_INT(uv_loop_close(&fx->loop), 0);
}

/* Status of one request; the whole answer in *resp when asked (caller frees). */
static int get(fixture_t *fx, const char *req, char **resp)
{
    client_t c;
    int pending = 0;
    client_start(&fx->loop, &c, rr_metrics_port(fx->m), req, &pending);
    while (pending > 0) uv_run(&fx->loop, UV_RUN_ONCE);
    int status = client_status(&c);
    if (resp)
        *resp = c.resp;
    else
        free(c.resp);
    return status;
}

static void test_routes(void)
{
    fixture_t fx;
    char *resp;
    fixture_open(&fx, "127.0.0.1");
    CHECK(!rr_metrics_guarded(fx.m));
    CHECK_INT(get(&fx, "GET / HTTP/1.1\r\n\r\n", &resp), 200);
    CHECK(strstr(resp, "Content-Type: text/html; charset=utf-8\r\n") != NULL);
    CHECK(strstr(resp, "Cache-Control: max-age=60\r\n") != NULL);
    CHECK(strstr(resp, "Content-Security-Policy: default-src 'self'") != NULL);
    CHECK_STR(client_body(&(client_t){.resp = resp}), asset);
    free(resp);
    /* On loopback the guarded route is open; the id is decoded, the query read. */
    CHECK_INT(get(&fx, "GET /users/a%2Fb%C3%A9?since=5 HTTP/1.1\r\n\r\n", &resp), 200);
    CHECK(strstr(resp, "Content-Type: application/json") != NULL);
    CHECK(strstr(resp, "Cache-Control: no-store\r\n") != NULL);
    CHECK_STR(client_body(&(client_t){.resp = resp}), "{\"user\":\"a/bé\",\"since\":\"5\"}");
    free(resp);
    CHECK_INT(get(&fx, "GET /users/nobody HTTP/1.1\r\n\r\n", NULL), 404);
    CHECK_INT(get(&fx, "HEAD /users/x HTTP/1.1\r\n\r\n", &resp), 200);
    CHECK_STR(client_body(&(client_t){.resp = resp}), "");
    free(resp);
    /* Exact routes do not match longer paths; built-ins win. */
    CHECK_INT(get(&fx, "GET /x HTTP/1.1\r\n\r\n", NULL), 404);
    CHECK_INT(get(&fx, "GET /metrics HTTP/1.1\r\n\r\n", NULL), 200);
    CHECK_INT(fx.calls, 4);
    CHECK_INT(get(&fx, "GET /users/%zz HTTP/1.1\r\n\r\n", NULL), 400);
    CHECK_INT(get(&fx, "POST /users/x HTTP/1.1\r\nContent-Length: 0\r\n\r\n", NULL), 405);
    char big[RR_HTTP_TARGET_MAX + 64];
    snprintf(big, sizeof(big), "GET /users/%0*d HTTP/1.1\r\n\r\n", RR_HTTP_TARGET_MAX, 1);
    CHECK_INT(get(&fx, big, NULL), 414);
    CHECK_INT(fx.calls, 4);
    rr_metrics_http_stats_t hs;
    rr_metrics_http_stats(fx.m, &hs);
    CHECK_INT(hs.requests, 9);
    CHECK_INT(hs.malformed, 3);
    CHECK_INT(hs.unauthorized, 0);
    for (int i = 0; i < RR_METRICS_ROUTES_MAX - 3; i++)
        CHECK_INT(rr_metrics_route(fx.m, "/more", 0, on_page, &fx), 0);
    CHECK_INT(rr_metrics_route(fx.m, "/more", 0, on_page, &fx), RR_E(FULL));
    fixture_close(&fx);
}

/* Bound to every interface (reached here over loopback): the guard holds. */
static void test_guard(void)
{
    fixture_t fx;
    char *resp;
    fixture_open(&fx, "0.0.0.0");
    CHECK(rr_metrics_guarded(fx.m));
    CHECK_INT(get(&fx, "GET /users/alice HTTP/1.1\r\n\r\n", &resp), 403);
    CHECK(strstr(resp, "RTREC_HTTP_TOKEN") != NULL);
    free(resp);
    rr_metrics_set_token(fx.m, "t0ken");
    CHECK_INT(get(&fx, "GET /users/alice HTTP/1.1\r\n\r\n", &resp), 401);
    CHECK(strstr(resp, "WWW-Authenticate: Basic realm=\"rtrec\"") != NULL);
    CHECK(strstr(resp, "t0ken") == NULL);
    free(resp);
    CHECK_INT(get(&fx, "GET /users/alice HTTP/1.1\r\nAuthorization: Bearer t0ke\r\n\r\n", NULL),
              401);
    CHECK_INT(fx.calls, 0);
    CHECK_INT(get(&fx, "GET /users/alice HTTP/1.1\r\nAuthorization: Bearer t0ken\r\n\r\n", NULL),
              200);
    /* Basic with any user name and the token as password (a browser's login prompt). */
    CHECK_INT(
        get(&fx, "GET /users/alice HTTP/1.1\r\nAuthorization: Basic YTp0MGtlbg==\r\n\r\n", NULL),
        200);
    CHECK_STR(fx.rest, "alice");
    /* Open routes stay open: the page shell, /metrics, /healthz. */
    CHECK_INT(get(&fx, "GET / HTTP/1.1\r\n\r\n", NULL), 200);
    CHECK_INT(get(&fx, "GET /metrics HTTP/1.1\r\n\r\n", NULL), 200);
    CHECK_INT(get(&fx, "GET /healthz HTTP/1.1\r\n\r\n", NULL), 200);
    rr_metrics_http_stats_t hs;
    rr_metrics_http_stats(fx.m, &hs);
    CHECK_INT(hs.unauthorized, 3);
    CHECK_INT(fx.calls, 3);
    fixture_close(&fx);
}

/* A client that never finishes and one over the limit are counted. */
static void test_cut_off_counted(void)
{
    fixture_t fx;
    client_t slow, extra;
    int pending = 0;
    fixture_open(&fx, "127.0.0.1");
    rr_metrics_set_limits(fx.m, 1, 100);
    client_start(&fx.loop, &slow, rr_metrics_port(fx.m), "GET /use", &pending);
    for (int i = 0; i < 20; i++) uv_run(&fx.loop, UV_RUN_NOWAIT);
    client_start(&fx.loop, &extra, rr_metrics_port(fx.m), "GET / HTTP/1.1\r\n\r\n", &pending);
    while (pending > 0) uv_run(&fx.loop, UV_RUN_ONCE);
    free(slow.resp);
    free(extra.resp);
    char *req = malloc(9000);
    memset(req, 'a', 8999);
    memcpy(req, "GET / HTTP/1.1\r\nX: ", 19);
    req[8999] = '\0';
    CHECK_INT(get(&fx, req, NULL), 431);
    free(req);
    rr_metrics_http_stats_t hs;
    rr_metrics_http_stats(fx.m, &hs);
    CHECK_INT(hs.slow, 1);
    CHECK_INT(hs.over_limit, 1);
    CHECK_INT(hs.too_large, 1);
    fixture_close(&fx);
}

/* POST framing: Content-Length required and capped, one clear length, bodies of any size up
 * to the cap whether they came with the head or after it. */
static void test_parse_post(void)
{
    rr_http_req_t req;
    const char *h = "POST /rank HTTP/1.1\r\nContent-Length: 12\r\nExpect: 100-Continue\r\n\r\n";
    CHECK_INT(rr_http_parse(h, strlen(h), &req), RR_HTTP_OK);
    CHECK_INT(req.method, RR_HTTP_POST);
    CHECK_INT(req.content_length, 12);
    CHECK_INT(req.expect_continue, 1);
    CHECK_INT(rr_http_head_len(h, strlen(h)), strlen(h));
    CHECK_INT(rr_http_head_len(h, strlen(h) - 1), 0);
    CHECK_INT(rr_http_head_len("GET / HTTP/1.0\n\nbody", 21), 16);
    static const struct {
        const char *head;
        rr_http_status_t st;
    } cases[] = {
        {"POST /r HTTP/1.1\r\n\r\n", RR_HTTP_NO_LENGTH},
        {"POST /r HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", RR_HTTP_NO_LENGTH},
        {"POST /r HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
         RR_HTTP_NO_LENGTH},
        {"POST /r HTTP/1.1\r\nContent-Length: 104857600\r\n\r\n", RR_HTTP_BODY_TOO_LARGE},
        {"POST /r HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", RR_HTTP_MALFORMED},
        {"POST /r HTTP/1.1\r\nContent-Length: -1\r\n\r\n", RR_HTTP_MALFORMED},
        {"POST /r HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n", RR_HTTP_MALFORMED},
        {"POST /r HTTP/1.1\r\nContent-Length:\r\n\r\n", RR_HTTP_MALFORMED},
        {"POST /r HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n", RR_HTTP_MALFORMED},
        {"POST /r HTTP/1.1\r\nContent-Length: 4\r\ncontent-length: 4\r\n\r\n", RR_HTTP_OK},
        {"POST /r HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n", RR_HTTP_OK},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK_INT(rr_http_parse(cases[i].head, strlen(cases[i].head), &req), cases[i].st);
}

/* A body beside the head, one after a 100 Continue, one larger than the head buffer; the
 * route's 400 counts as a bad body; POST to a GET route and GET to a POST route are 405. */
static void test_post(void)
{
    fixture_t fx;
    char *resp;
    fixture_open(&fx, "127.0.0.1");
    CHECK_INT(get(&fx, "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", &resp), 200);
    CHECK_STR(client_body(&(client_t){.resp = resp}), "hello");
    free(resp);
    CHECK_INT(get(&fx, "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nbad", NULL), 400);
    /* The body came with the head: no 100 Continue is owed. */
    CHECK_INT(get(&fx, "POST /echo HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nok",
                  &resp),
              200);
    CHECK(strstr(resp, "100 Continue") == NULL);
    free(resp);
    size_t big = 300000;
    char *req = malloc(big + 100);
    int n = snprintf(req, 100, "POST /echo HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", big);
    for (size_t i = 0; i < big; i++) req[n + i] = (char)('a' + i % 26);
    req[n + big] = '\0';
    CHECK_INT(get(&fx, req, &resp), 200);
    CHECK_INT(strlen(client_body(&(client_t){.resp = resp})), big);
    CHECK(memcmp(client_body(&(client_t){.resp = resp}), req + n, big) == 0);
    free(resp);
    free(req);
    CHECK_INT(get(&fx, "GET /echo HTTP/1.1\r\n\r\n", NULL), 405);
    CHECK_INT(get(&fx, "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", NULL), 405);
    CHECK_INT(get(&fx, "POST /metrics HTTP/1.1\r\nContent-Length: 1\r\n\r\nx", NULL), 405);
    CHECK_INT(fx.calls, 4);
    rr_metrics_http_stats_t hs;
    rr_metrics_http_stats(fx.m, &hs);
    CHECK_INT(hs.bad_body, 1);
    CHECK_INT(hs.malformed, 3);
    fixture_close(&fx);
}

/* Hostile bodies: a 100 MB one is refused from its head (413) while the rest is thrown away;
 * one without a length gets 411; one that stops halfway (slowloris on the body) is cut off by
 * the deadline; none reaches the route. */
static void test_hostile_bodies(void)
{
    fixture_t fx;
    char *resp;
    fixture_open(&fx, "127.0.0.1");
    rr_metrics_set_limits(fx.m, 0, 300);
    /* The head claims 100 MB and 3 MB of it follow at once: the answer comes from the head. */
    size_t sent = 3u << 20;
    char *req = malloc(sent + 100);
    int n = snprintf(req, 100, "POST /echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n", 100 << 20);
    memset(req + n, 'x', sent);
    req[n + sent] = '\0';
    CHECK_INT(get(&fx, req, &resp), 413);
    CHECK_STR(client_body(&(client_t){.resp = resp}), "request body too large\n");
    free(resp);
    free(req);
    CHECK_INT(
        get(&fx, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            NULL),
        411);
    /* Half a body, then nothing: no answer, the connection is closed at the deadline. */
    CHECK_INT(get(&fx, "POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nhalf", &resp), 0);
    CHECK_STR(resp, "");
    free(resp);
    /* A head asking whether to send its body gets 100 Continue, then the same deadline. */
    CHECK_INT(
        get(&fx, "POST /echo HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n", &resp),
        100);
    CHECK_STR(resp, "HTTP/1.1 100 Continue\r\n\r\n");
    free(resp);
    CHECK_INT(fx.calls, 0);
    rr_metrics_http_stats_t hs;
    rr_metrics_http_stats(fx.m, &hs);
    CHECK_INT(hs.body_too_large, 1);
    CHECK_INT(hs.no_length, 1);
    CHECK_INT(hs.slow, 2);
    fixture_close(&fx);
}

RR_TEST_MAIN(RR_TEST(test_parse), RR_TEST(test_auth), RR_TEST(test_json), RR_TEST(test_routes),
             RR_TEST(test_guard), RR_TEST(test_cut_off_counted), RR_TEST(test_parse_post),
             RR_TEST(test_post), RR_TEST(test_hostile_bodies))
