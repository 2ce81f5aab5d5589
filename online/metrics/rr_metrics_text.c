/* rr_metrics_text.c — the text the HTTP server sends: Prometheus exposition (format 0.0.4) and
 * the small JSON writer the dashboard routes use; see rr_metrics.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_metrics.h"

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

/* ---- JSON ---------------------------------------------------------------------------------- */

void rr_metrics_json_str(rr_metrics_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        rr_metrics_printf(b, "null");
        return;
    }
    if (!rr_metrics_reserve_(b, strlen(s) * 6 + 2)) return;
    char *o = b->data + b->len;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        /* '<' too, so a value can never close a <script> if a page ever inlines one. */
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20 || *p == '<' || *p == 0x7f) {
            memcpy(o, "\\u00", 4);
            o[4] = hex[*p >> 4];
            o[5] = hex[*p & 15];
            o += 6;
        } else {
            *o++ = (char)*p;
        }
    }
    *o++ = '"';
    *o = '\0';
    b->len = (size_t)(o - b->data);
}

void rr_metrics_json_num(rr_metrics_buf_t *b, double v)
{
    char text[32];
    if (!isfinite(v)) {
        rr_metrics_printf(b, "null"); /* JSON has no NaN or Inf */
        return;
    }
    rr_metrics_value_(text, sizeof(text), v);
    rr_metrics_printf(b, "%s", text);
}

void rr_metrics_json_key(rr_metrics_buf_t *b, const char *key)
{
    rr_metrics_json_str(b, key);
    rr_metrics_printf(b, ":");
}
