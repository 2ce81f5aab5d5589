/* rr_codec_csv.c — one text line of a recorded dataset (taobao, rees46, movielens, ml100k, amazon,
 * caixin, jsonl) -> rr_event_t. Lines are split in place into spans; nothing is copied but the
 * final fields. */
#include <string.h>
#include "rr_codec.h"
#include "rr_num.h"

static const char *const format_names[] = {
    [RR_FMT_NONE] = "none",     [RR_FMT_TAOBAO] = "taobao",
    [RR_FMT_REES46] = "rees46", [RR_FMT_MOVIELENS] = "movielens",
    [RR_FMT_AMAZON] = "amazon", [RR_FMT_JSONL] = "jsonl",
    [RR_FMT_PB] = "pb",         [RR_FMT_ML100K] = "ml100k",
    [RR_FMT_CAIXIN] = "caixin",
};

#define NFORMATS (sizeof format_names / sizeof format_names[0])

rr_format_t rr_format_parse(const char *name)
{
    if (!name) return RR_FMT_NONE;
    for (size_t i = RR_FMT_NONE + 1; i < NFORMATS; i++) {
        if (strcmp(name, format_names[i]) == 0) return (rr_format_t)i;
    }
    return RR_FMT_NONE;
}

const char *rr_format_name(rr_format_t fmt)
{
    if ((size_t)fmt >= NFORMATS) return "none";
    return format_names[fmt];
}

/* ---- splitting ---- */
#define CSV_MAX_COLS 9 /* rees46 */

typedef struct span_s {
    const char *p;
    size_t n;
} span_t;

static span_t trim_spaces(span_t s)
{
    while (s.n > 0 && s.p[0] == ' ') s.p++, s.n--;
    while (s.n > 0 && s.p[s.n - 1] == ' ') s.n--;
    return s;
}

/* One column starting at line[*pos]; advances *pos to its separator (or the end). A quoted
 * column ends at the next quote, which must be followed by the separator or the end: doubled
 * quotes inside are not supported (none of the datasets has them). */
static int split_one(const char *line, size_t len, char sep, size_t *pos, span_t *col)
{
    size_t i = *pos;
    if (i < len && line[i] == '"') {
        const char *quote = memchr(line + i + 1, '"', len - i - 1);
        if (!quote) return -1;
        col->p = line + i + 1;
        col->n = (size_t)(quote - col->p);
        i = (size_t)(quote - line) + 1;
        if (i < len && line[i] != sep) return -1;
    } else {
        const char *end = memchr(line + i, sep, len - i);
        i = end ? (size_t)(end - line) : len;
        *col = trim_spaces((span_t){line + *pos, i - *pos});
    }
    *pos = i;
    return 0;
}

/* Returns the column count, max + 1 when there are more, or -1 on broken quoting. */
static int split(const char *line, size_t len, char sep, span_t *cols, int max)
{
    size_t pos = 0;
    int n = 0;
    for (;;) {
        if (n == max) return max + 1;
        if (split_one(line, len, sep, &pos, &cols[n]) != 0) return -1;
        n++;
        if (pos >= len) return n;
        pos++; /* the separator */
    }
}

static int span_is(span_t s, const char *text)
{
    return s.n == strlen(text) && memcmp(s.p, text, s.n) == 0;
}

static rr_err_t span_str(span_t s, char *dst, size_t cap)
{
    return rr_field_set(dst, cap, s.p, s.n);
}

/* Epoch seconds -> ms, refusing values whose product would overflow. */
static rr_err_t span_ts_seconds(span_t s, int64_t *ms)
{
    int64_t sec;
    if (rr_num_i64(s.p, s.n, &sec) != 0) return RR_E(DECODE);
    if (sec > INT64_MAX / 1000 || sec < INT64_MIN / 1000) return RR_E(BAD_TS);
    *ms = sec * 1000;
    return RR_OK;
}

/* Sets the three ids every dialect has; the first failure wins. */
static rr_err_t set_ids(rr_event_t *ev, span_t user, span_t item, span_t category)
{
    rr_err_t err;
    if ((err = span_str(user, ev->user_id, sizeof ev->user_id))) return err;
    if ((err = span_str(item, ev->item_id, sizeof ev->item_id))) return err;
    return span_str(category, ev->category, sizeof ev->category);
}

/* ---- rees46 event_time ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

/* n decimal digits at s -> *out; -1 if any is not a digit. */
static int fixed_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Milliseconds of an optional ".fff..." at s[*pos]; extra digits beyond ms are ignored. */
static int parse_fraction(const char *s, size_t len, size_t *pos, int *ms)
{
    *ms = 0;
    if (*pos >= len || s[*pos] != '.') return 0;
    size_t i = *pos + 1, digits = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (digits < 3) *ms = *ms * 10 + (s[i] - '0');
    }
    if (digits == 0) return -1;
    for (; digits < 3; digits++) *ms *= 10;
    *pos = i;
    return 0;
}

/* Only UTC is accepted: the datasets are UTC, and guessing an offset would shift every event. */
static int utc_suffix(const char *s, size_t n)
{
    while (n > 0 && s[0] == ' ') s++, n--;
    span_t rest = {s, n};
    return n == 0 || span_is(rest, "UTC") || span_is(rest, "Z") || span_is(rest, "+00:00") ||
           span_is(rest, "+0000");
}

/* "YYYY-MM-DD HH:MM:SS[.fff][ UTC|Z]" (or 'T' between date and time) -> ms since the epoch,
 * by calendar arithmetic: no locale, no TZ environment. */
static rr_err_t parse_utc_ms(span_t s, int64_t *out)
{
    int y, mo, d, h, mi, sec, ms;
    const char *p = s.p;
    size_t pos = 19;

    if (s.n < 19 || p[4] != '-' || p[7] != '-' || (p[10] != ' ' && p[10] != 'T') || p[13] != ':' ||
        p[16] != ':')
        return RR_E(DECODE);
    if (fixed_digits(p, 4, &y) || fixed_digits(p + 5, 2, &mo) || fixed_digits(p + 8, 2, &d) ||
        fixed_digits(p + 11, 2, &h) || fixed_digits(p + 14, 2, &mi) ||
        fixed_digits(p + 17, 2, &sec))
        return RR_E(DECODE);
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return RR_E(DECODE);
    if (parse_fraction(p, s.n, &pos, &ms) != 0 || !utc_suffix(p + pos, s.n - pos))
        return RR_E(DECODE);
    int64_t days = days_from_civil(y, mo, d);
    *out = (((days * 24 + h) * 60 + mi) * 60 + sec) * 1000 + ms;
    return RR_OK;
}

/* ---- dialects ---- */

static rr_err_t decode_taobao(const span_t *c, int n, rr_event_t *ev)
{
    if (span_is(c[0], "user_id") || span_is(c[0], "user")) return RR_E(NOT_FOUND);
    if (n != 5) return RR_E(DECODE);
    ev->type = rr_event_type_parse_alias(c[3].p, c[3].n);
    if (ev->type == RR_EV_NONE) return RR_E(BAD_TYPE);
    rr_err_t err = span_ts_seconds(c[4], &ev->ts_ms);
    if (err) return err;
    ev->flags |= RR_EVF_TS;
    return set_ids(ev, c[0], c[1], c[2]);
}

static rr_err_t rees46_type(span_t s, rr_event_type_t *type)
{
    /* No rtrec type undoes a cart add; skipping is better than faking a view. */
    if (span_is(s, "remove_from_cart")) return RR_E(NOT_FOUND);
    *type = rr_event_type_parse_alias(s.p, s.n);
    return *type == RR_EV_NONE ? RR_E(BAD_TYPE) : RR_OK;
}

static rr_err_t rees46_price(span_t s, rr_event_t *ev)
{
    if (s.n == 0) return RR_OK;
    if (rr_num_f32(s.p, s.n, &ev->price) != 0) return RR_E(DECODE);
    ev->flags |= RR_EVF_PRICE;
    if (ev->type == RR_EV_PURCHASE) {
        ev->value = ev->price;
        ev->flags |= RR_EVF_VALUE;
    }
    return RR_OK;
}

/* event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session */
static rr_err_t decode_rees46(const span_t *c, int n, rr_event_t *ev)
{
    rr_err_t err;
    if (span_is(c[0], "event_time")) return RR_E(NOT_FOUND);
    if (n != 9) return RR_E(DECODE);
    if ((err = rees46_type(c[1], &ev->type))) return err;
    if ((err = parse_utc_ms(c[0], &ev->ts_ms))) return err;
    ev->flags |= RR_EVF_TS;
    if ((err = rees46_price(c[6], ev))) return err;
    if ((err = set_ids(ev, c[7], c[2], c[4].n > 0 ? c[4] : c[3]))) return err;
    if ((err = span_str(c[5], ev->brand, sizeof ev->brand))) return err;
    return span_str(c[8], ev->session_id, sizeof ev->session_id);
}

/* userId,movieId,rating,timestamp */
static rr_err_t decode_movielens(const span_t *c, int n, rr_event_t *ev)
{
    if (span_is(c[0], "userId")) return RR_E(NOT_FOUND);
    if (n != 4) return RR_E(DECODE);
    ev->type = RR_EV_RATE;
    if (rr_num_f32(c[2].p, c[2].n, &ev->value) != 0) return RR_E(DECODE);
    rr_err_t err = span_ts_seconds(c[3], &ev->ts_ms);
    if (err) return err;
    ev->flags |= RR_EVF_VALUE | RR_EVF_TS;
    span_t none = {"", 0};
    return set_ids(ev, c[0], c[1], none);
}

/* user<TAB>item<TAB>type<TAB>ts_s, with a user_id header (the caixin news clicks) */
static rr_err_t decode_caixin(const span_t *c, int n, rr_event_t *ev)
{
    if (span_is(c[0], "user_id")) return RR_E(NOT_FOUND);
    if (n != 4) return RR_E(DECODE);
    ev->type = rr_event_type_parse_alias(c[2].p, c[2].n);
    if (ev->type == RR_EV_NONE) return RR_E(BAD_TYPE);
    rr_err_t err = span_ts_seconds(c[3], &ev->ts_ms);
    if (err) return err;
    ev->flags |= RR_EVF_TS;
    span_t none = {"", 0};
    return set_ids(ev, c[0], c[1], none);
}

/* user_id<TAB>item_id<TAB>time */
static rr_err_t decode_amazon(const span_t *c, int n, rr_event_t *ev)
{
    const int64_t ms_threshold = 100000000000LL; /* 1e11: as seconds, year 5138 */
    int64_t t;

    if (span_is(c[0], "user_id")) return RR_E(NOT_FOUND);
    if (n != 3) return RR_E(DECODE);
    ev->type = RR_EV_PURCHASE;
    if (rr_num_i64(c[2].p, c[2].n, &t) != 0) return RR_E(DECODE);
    if (t >= ms_threshold) {
        ev->ts_ms = t;
    } else {
        rr_err_t err = span_ts_seconds(c[2], &ev->ts_ms);
        if (err) return err;
    }
    ev->flags |= RR_EVF_TS;
    span_t none = {"", 0};
    return set_ids(ev, c[0], c[1], none);
}

/* Strips the line end (CR, LF) and a UTF-8 byte-order mark; 1 when nothing but blanks is left. */
static int line_trim(const char **line, size_t *len)
{
    if (*len >= 3 && memcmp(*line, "\xEF\xBB\xBF", 3) == 0) *line += 3, *len -= 3;
    while (*len > 0 && ((*line)[*len - 1] == '\n' || (*line)[*len - 1] == '\r')) (*len)--;
    for (size_t i = 0; i < *len; i++) {
        char c = (*line)[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return 0;
    }
    return 1;
}

rr_err_t rr_line_decode(rr_format_t fmt, const char *line, size_t len, rr_event_t *ev)
{
    span_t cols[CSV_MAX_COLS];
    int n;

    if (!ev || (!line && len)) return RR_E(INVAL);
    memset(ev, 0, sizeof *ev);
    if (fmt == RR_FMT_PB || fmt == RR_FMT_NONE || (size_t)fmt >= NFORMATS) return RR_E(INVAL);
    if (line_trim(&line, &len)) return RR_E(NOT_FOUND);
    if (fmt == RR_FMT_JSONL) return rr_event_decode_json(line, len, ev);

    int tabs = fmt == RR_FMT_AMAZON || fmt == RR_FMT_ML100K || fmt == RR_FMT_CAIXIN;
    n = split(line, len, tabs ? '\t' : ',', cols, CSV_MAX_COLS);
    if (n < 0) return RR_E(DECODE);
    switch (fmt) {
    case RR_FMT_TAOBAO: return decode_taobao(cols, n, ev);
    case RR_FMT_REES46: return decode_rees46(cols, n, ev);
    case RR_FMT_MOVIELENS:
    case RR_FMT_ML100K: return decode_movielens(cols, n, ev); /* same columns, tabs, no header */
    case RR_FMT_CAIXIN: return decode_caixin(cols, n, ev);
    case RR_FMT_AMAZON: return decode_amazon(cols, n, ev);
    default: return RR_E(INVAL);
    }
}
