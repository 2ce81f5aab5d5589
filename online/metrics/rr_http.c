/* rr_http.c — request head parsing, percent-decoding, query lookup and the token check; see
 * rr_http.h. Written for hostile bytes: every read is bounded by len, nothing is assumed
 * NUL-terminated. */
#include <ctype.h>
#include <string.h>
#include "rr_http.h"

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long rr_http_unescape(const char *src, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '%') {
            int hi = i + 2 < len ? hexval((unsigned char)src[i + 1]) : -1;
            int lo = hi >= 0 ? hexval((unsigned char)src[i + 2]) : -1;
            if (lo < 0) return -1;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0' || n + 1 >= cap) return -1;
        out[n++] = (char)c;
    }
    if (cap == 0) return -1;
    out[n] = '\0';
    return (long)n;
}

/* The end of the line starting at p (at its CR or LF), or end. */
static const char *line_end(const char *p, const char *end)
{
    while (p < end && *p != '\r' && *p != '\n') p++;
    return p;
}

static const char *next_line(const char *eol, const char *end)
{
    if (eol < end && *eol == '\r') eol++;
    if (eol < end && *eol == '\n') eol++;
    return eol;
}

static rr_http_status_t parse_target(const char *t, size_t tlen, rr_http_req_t *req)
{
    size_t plen = 0;
    while (plen < tlen && t[plen] != '?' && t[plen] != '#') plen++;
    if (plen == 0 || t[0] != '/') return RR_HTTP_MALFORMED;
    if (plen >= RR_HTTP_TARGET_MAX) return RR_HTTP_URI_TOO_LONG;
    if (rr_http_unescape(t, plen, req->path, sizeof(req->path)) < 0) return RR_HTTP_MALFORMED;
    if (plen < tlen && t[plen] == '?') {
        size_t q = plen + 1, qlen = 0;
        while (q + qlen < tlen && t[q + qlen] != '#') qlen++;
        if (qlen >= RR_HTTP_TARGET_MAX) return RR_HTTP_URI_TOO_LONG;
        memcpy(req->query, t + q, qlen);
        req->query[qlen] = '\0';
        if (memchr(req->query, '\0', qlen)) return RR_HTTP_MALFORMED;
    }
    return RR_HTTP_OK;
}

/* "METHOD SP target SP HTTP/1.0|1.1". */
static rr_http_status_t parse_request_line(const char *p, const char *eol, rr_http_req_t *req)
{
    const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    if (!sp1) return RR_HTTP_MALFORMED;
    const char *t = sp1 + 1;
    const char *sp2 = memchr(t, ' ', (size_t)(eol - t));
    if (!sp2) return RR_HTTP_MALFORMED;
    size_t vlen = (size_t)(eol - sp2 - 1);
    if (vlen != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || (sp2[8] != '0' && sp2[8] != '1'))
        return RR_HTTP_MALFORMED;
    size_t mlen = (size_t)(sp1 - p);
    if (mlen == 3 && memcmp(p, "GET", 3) == 0)
        req->method = RR_HTTP_GET;
    else if (mlen == 4 && memcmp(p, "HEAD", 4) == 0)
        req->method = RR_HTTP_HEAD;
    else if (mlen == 4 && memcmp(p, "POST", 4) == 0)
        req->method = RR_HTTP_POST;
    else if (mlen > 0 && mlen <= 16)
        req->method = RR_HTTP_OTHER;
    else
        return RR_HTTP_MALFORMED;
    return parse_target(t, (size_t)(sp2 - t), req);
}

static int name_is(const char *p, size_t n, const char *name)
{
    size_t len = strlen(name);
    if (n != len) return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)p[i]) != name[i]) return 0;
    return 1;
}

/* What the head's framing headers said, beyond the fields of req. */
typedef struct framing_s {
    int has_length, bad_length, chunked;
} framing_t;

/* Content-Length: one decimal number (a list, a sign or a second differing header is refused,
 * so no proxy in front can read another length than ours). */
static void content_length(const char *v, const char *ve, rr_http_req_t *req, framing_t *fr)
{
    size_t n = 0;
    if (v == ve) fr->bad_length = 1;
    for (const char *d = v; d < ve; d++) {
        if (!isdigit((unsigned char)*d) || n > ((size_t)1 << 40)) {
            fr->bad_length = 1;
            return;
        }
        n = n * 10 + (size_t)(*d - '0');
    }
    if (fr->has_length && n != req->content_length) fr->bad_length = 1;
    fr->has_length = 1;
    req->content_length = n;
}

static void header(const char *p, const char *eol, rr_http_req_t *req, framing_t *fr)
{
    const char *colon = memchr(p, ':', (size_t)(eol - p));
    if (!colon) return;
    const char *v = colon + 1, *ve = eol;
    while (v < ve && (*v == ' ' || *v == '\t')) v++;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
    size_t vlen = (size_t)(ve - v);
    size_t nlen = (size_t)(colon - p);
    if (name_is(p, nlen, "authorization")) {
        if (vlen < sizeof(req->auth) && !memchr(v, '\0', vlen)) {
            memcpy(req->auth, v, vlen);
            req->auth[vlen] = '\0';
        } else {
            req->auth[0] = '\0';
        }
    } else if (name_is(p, nlen, "content-length")) {
        content_length(v, ve, req, fr);
    } else if (name_is(p, nlen, "transfer-encoding")) {
        fr->chunked = 1; /* any coding: only Content-Length framing is read */
    } else if (name_is(p, nlen, "expect")) {
        req->expect_continue = vlen == 12 && name_is(v, vlen, "100-continue");
    }
}

/* The framing verdict: a body needs one clear length, within the cap. */
static rr_http_status_t framing(const rr_http_req_t *req, const framing_t *fr)
{
    if (fr->bad_length) return RR_HTTP_MALFORMED;
    /* Another method's body is not read: the server answers and discards the rest. */
    if (req->method != RR_HTTP_POST) return RR_HTTP_OK;
    if (fr->chunked || !fr->has_length) return RR_HTTP_NO_LENGTH;
    return req->content_length > RR_HTTP_BODY_MAX ? RR_HTTP_BODY_TOO_LARGE : RR_HTTP_OK;
}

size_t rr_http_head_len(const char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\n') continue;
        if (buf[i + 1] == '\n') return i + 2;
        if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n') return i + 3;
    }
    return 0;
}

rr_http_status_t rr_http_parse(const char *head, size_t len, rr_http_req_t *req)
{
    memset(req, 0, sizeof(*req));
    req->method = RR_HTTP_OTHER;
    const char *p = head, *end = head + len;
    const char *eol = line_end(p, end);
    rr_http_status_t st = parse_request_line(p, eol, req);
    if (st != RR_HTTP_OK) return st;
    framing_t fr = {0, 0, 0};
    for (p = next_line(eol, end); p < end; p = next_line(eol, end)) {
        eol = line_end(p, end);
        if (eol == p) break; /* the blank line */
        if (*p != ' ' && *p != '\t') header(p, eol, req, &fr);
    }
    return framing(req, &fr);
}

int rr_http_query_get(const char *query, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t plen = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', plen);
        size_t klen = eq ? (size_t)(eq - p) : plen;
        if (klen == nlen && memcmp(p, name, nlen) == 0) {
            const char *v = eq ? eq + 1 : p + plen;
            return rr_http_unescape(v, (size_t)(p + plen - v), out, cap) >= 0;
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

int rr_http_equal_ct(const char *a, size_t alen, const char *b, size_t blen)
{
    /* Walk the longer length so a prefix of the token is no faster to reject. */
    size_t n = alen > blen ? alen : blen;
    unsigned diff = (unsigned)(alen ^ blen);
    for (size_t i = 0; i < n; i++) {
        unsigned char x = i < alen ? (unsigned char)a[i] : 0;
        unsigned char y = i < blen ? (unsigned char)b[i] : 0;
        diff |= (unsigned)(x ^ y);
    }
    return diff == 0;
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

long rr_http_base64_decode(const char *src, size_t len, char *out, size_t cap)
{
    while (len > 0 && src[len - 1] == '=') len--;
    if (len % 4 == 1) return -1;
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val((unsigned char)src[i]);
        if (v < 0) return -1;
        acc = (acc << 6 | (unsigned)v) & 0xffffffu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 >= cap) return -1;
            out[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (cap == 0) return -1;
    out[n] = '\0';
    return (long)n;
}

static int scheme_is(const char *auth, const char *scheme, const char **rest)
{
    size_t n = strlen(scheme);
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)auth[i]) != scheme[i]) return 0;
    if (auth[n] != ' ') return 0;
    *rest = auth + n;
    while (**rest == ' ') (*rest)++;
    return 1;
}

int rr_http_auth_ok(const char *auth, const char *token)
{
    const char *rest;
    size_t tlen = token ? strlen(token) : 0;
    if (tlen == 0 || !auth) return 0;
    if (scheme_is(auth, "bearer", &rest)) return rr_http_equal_ct(rest, strlen(rest), token, tlen);
    if (scheme_is(auth, "basic", &rest)) {
        char plain[RR_HTTP_AUTH_MAX];
        long n = rr_http_base64_decode(rest, strlen(rest), plain, sizeof(plain));
        const char *colon = n > 0 ? memchr(plain, ':', (size_t)n) : NULL;
        if (!colon) return 0;
        const char *pw = colon + 1;
        return rr_http_equal_ct(pw, (size_t)(plain + n - pw), token, tlen);
    }
    return 0;
}
