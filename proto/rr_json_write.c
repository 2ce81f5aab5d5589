/* rr_json_write.c — rr_event_t -> one flat JSON object in caller memory (replay of CSV datasets
 * as JSON, tests). Written by hand: no allocation, and the output decodes back to the same event.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "rr_codec.h"

typedef struct json_out_s {
    char *buf;
    size_t cap;
    size_t len;
    int full; /* something did not fit; len keeps counting the size that was needed */
} json_out_t;

static void out_bytes(json_out_t *out, const char *src, size_t n)
{
    if (out->len + n < out->cap)
        memcpy(out->buf + out->len, src, n);
    else
        out->full = 1;
    out->len += n;
}

static void out_cstr(json_out_t *out, const char *src)
{
    out_bytes(out, src, strlen(src));
}

/* A JSON string literal: quotes, backslashes and control bytes escaped, UTF-8 kept as is. */
static void out_string(json_out_t *out, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    out_bytes(out, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            out_bytes(out, esc, 2);
        } else if (*p < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            out_bytes(out, esc, 6);
        } else {
            out_bytes(out, (const char *)p, 1);
        }
    }
    out_bytes(out, "\"", 1);
}

static void out_key(json_out_t *out, const char *key)
{
    out_bytes(out, out->len > 1 ? ",\"" : "\"", out->len > 1 ? 2 : 1);
    out_cstr(out, key);
    out_bytes(out, "\":", 2);
}

static void out_str_field(json_out_t *out, const char *key, const char *val)
{
    if (val[0] == '\0') return;
    out_key(out, key);
    out_string(out, val);
}

/* %.9g round-trips a float. NaN/inf have no JSON number form: written as the strings "nan",
 * "inf", "-inf", which the decoder reads back (and validation rejects). */
static void out_float_field(json_out_t *out, const char *key, float val)
{
    char text[32];
    out_key(out, key);
    if (isnan(val)) {
        out_cstr(out, "\"nan\"");
    } else if (isinf(val)) {
        out_cstr(out, val > 0 ? "\"inf\"" : "\"-inf\"");
    } else {
        snprintf(text, sizeof text, "%.9g", (double)val);
        out_cstr(out, text);
    }
}

static int field_terminated(const char *field, size_t cap)
{
    return memchr(field, '\0', cap) != NULL;
}

static int event_terminated(const rr_event_t *ev)
{
    return field_terminated(ev->event_id, sizeof ev->event_id) &&
           field_terminated(ev->user_id, sizeof ev->user_id) &&
           field_terminated(ev->item_id, sizeof ev->item_id) &&
           field_terminated(ev->category, sizeof ev->category) &&
           field_terminated(ev->brand, sizeof ev->brand) &&
           field_terminated(ev->session_id, sizeof ev->session_id) &&
           field_terminated(ev->query, sizeof ev->query);
}

static void write_event(json_out_t *out, const rr_event_t *ev)
{
    char text[32];
    out_bytes(out, "{", 1);
    out_str_field(out, "event_id", ev->event_id);
    out_str_field(out, "user_id", ev->user_id);
    out_str_field(out, "item_id", ev->item_id);
    if (ev->type != RR_EV_NONE) {
        out_key(out, "type");
        out_string(out, rr_event_type_name(ev->type));
    }
    if (ev->flags & RR_EVF_TS) {
        /* Past 2^53 a JSON number is not exact in a double (what readers, ours included, decode
         * numbers into): write it as a string, as proto3's JSON mapping does for every int64. */
        const int64_t exact = INT64_C(9007199254740992);
        out_key(out, "ts_ms");
        snprintf(text, sizeof text, "%lld", (long long)ev->ts_ms);
        if (ev->ts_ms > exact || ev->ts_ms < -exact)
            out_string(out, text);
        else
            out_cstr(out, text);
    }
    if (ev->flags & RR_EVF_VALUE) out_float_field(out, "value", ev->value);
    if (ev->flags & RR_EVF_PRICE) out_float_field(out, "price", ev->price);
    out_str_field(out, "category", ev->category);
    out_str_field(out, "brand", ev->brand);
    out_str_field(out, "session_id", ev->session_id);
    out_str_field(out, "query", ev->query);
    out_bytes(out, "}", 1);
}

rr_err_t rr_event_encode_json(const rr_event_t *ev, char *buf, size_t cap, size_t *out_len)
{
    json_out_t out = {buf, cap, 0, 0};

    if (!ev || !out_len || (!buf && cap)) return RR_E(INVAL);
    if (!event_terminated(ev)) return RR_E(INVAL);
    write_event(&out, ev);
    *out_len = out.len;
    if (out.full || out.len >= cap) {
        if (cap > 0) buf[0] = '\0';
        return RR_E(FULL);
    }
    buf[out.len] = '\0';
    return RR_OK;
}
