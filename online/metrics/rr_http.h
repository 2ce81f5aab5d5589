/* rr_http.h — the HTTP/1.x request head parser and the bearer-token check of the engine's HTTP
 * server. Pure functions on caller memory: no allocation, no I/O, so they are fuzzed alone
 * (tests/fuzz/fuzz_http.c) and the server stays a thin shell around them. */
#ifndef RR_HTTP_H
#define RR_HTTP_H

#include <stddef.h>

#define RR_HTTP_TARGET_MAX 1024 /* decoded path, and raw query: longer ones are refused (414) */
#define RR_HTTP_AUTH_MAX   512  /* Authorization value: longer ones count as absent */

#define RR_HTTP_BODY_MAX (1u << 20) /* request bodies: longer ones are refused (413) */

typedef enum { RR_HTTP_GET, RR_HTTP_HEAD, RR_HTTP_POST, RR_HTTP_OTHER } rr_http_method_t;

/* What parsing a head concluded; the server answers the status named in the comment. */
typedef enum {
    RR_HTTP_OK = 0,
    RR_HTTP_MALFORMED,     /* 400: not "METHOD SP /target SP HTTP/1.x CRLF", a bad escape, a NUL,
                            * a Content-Length that is not one decimal number */
    RR_HTTP_URI_TOO_LONG,  /* 414 */
    RR_HTTP_NO_LENGTH,     /* 411: a POST without Content-Length, or chunked (not supported) */
    RR_HTTP_BODY_TOO_LARGE /* 413: Content-Length over RR_HTTP_BODY_MAX */
} rr_http_status_t;

typedef struct rr_http_req_s {
    rr_http_method_t method;
    char path[RR_HTTP_TARGET_MAX];  /* percent-decoded, no query; never holds a NUL byte */
    char query[RR_HTTP_TARGET_MAX]; /* raw text after '?', '#' and beyond cut; "" if none */
    char auth[RR_HTTP_AUTH_MAX];    /* Authorization value, spaces trimmed; "" if none */
    size_t content_length;          /* 0 if absent */
    int expect_continue;            /* "Expect: 100-continue" */
    const char *body;               /* set by the server: content_length bytes, not NUL-ended */
} rr_http_req_t;

/* Parses the request line and the headers it needs from head[0..len) (the bytes up to and
 * including the blank line; need not be NUL-terminated; anything after the blank line is not
 * read). Header names are matched case-insensitively; obsolete line folding and bare LF line
 * ends are accepted. A POST must state its length (RR_HTTP_NO_LENGTH), at most
 * RR_HTTP_BODY_MAX (RR_HTTP_BODY_TOO_LARGE); req->body stays NULL. */
rr_http_status_t rr_http_parse(const char *head, size_t len, rr_http_req_t *req);

/* Length of the head at the start of buf[0..len): up to and including the blank line (CRLF CRLF
 * or LF LF), or 0 when the blank line has not arrived yet. */
size_t rr_http_head_len(const char *buf, size_t len);

/* Percent-decodes src[0..len) into out (cap bytes with the NUL); '+' stays '+'. Returns the
 * decoded length, or -1 for a bad escape, a decoded NUL, or no room. */
long rr_http_unescape(const char *src, size_t len, char *out, size_t cap);

/* The raw value of query parameter name ("a=1&b=2"), decoded into out. Returns 1 if present
 * (an empty value counts), 0 if absent or undecodable. */
int rr_http_query_get(const char *query, const char *name, char *out, size_t cap);

/* 1 when the Authorization value carries token: "Bearer <token>", or "Basic <base64 of
 * user:token>" (any user name) so a browser's own login prompt works for the dashboard.
 * The comparison takes the same time whatever the bytes of a wrong token; token "" never
 * matches. */
int rr_http_auth_ok(const char *auth, const char *token);

/* Constant-time equality of two byte strings (the time depends on the lengths only). */
int rr_http_equal_ct(const char *a, size_t alen, const char *b, size_t blen);

/* Decodes standard base64 (with or without padding) into out; returns the length or -1. */
long rr_http_base64_decode(const char *src, size_t len, char *out, size_t cap);

#endif
