/* rr_codec.h — wire formats <-> rr_event_t: protobuf and JSON Kafka values, CSV dialects of
 * recorded datasets, and the length-delimited frame files of `rtrec record` / `replay --format pb`.
 * Decoders never allocate on the heap (protobuf-c and cJSON run on a per-call stack arena; only
 * a JSON value too big for it falls back to malloc), never log, and return a reason from rr_err.h.
 * All functions are thread-safe (no shared state but cJSON's hooks, installed once). */
#ifndef RR_CODEC_H
#define RR_CODEC_H

#include <stdio.h>
#include "rr_event.h"

/* ---- Kafka values ---- */

/* rtrec.v1.Event, protobuf. Unknown enum values -> RR_ERR_BAD_TYPE; then rr_event_validate()
 * is NOT applied (the caller validates with its own clock). */
rr_err_t rr_event_decode_pb(const void *buf, size_t len, rr_event_t *ev);
/* The same fields as a flat JSON object; "type" is a lower-case name ("view", "purchase"...);
 * numbers may also be given as strings ("price": "12.5"). Also accepted: type names in any case,
 * the aliases pv/cart/fav/buy, the type's wire number, integral numbers for string fields
 * ("user_id": 42), null or "" for an absent number. Unknown keys are ignored; a wrong JSON type
 * for a known key, or a non-object, is RR_ERR_DECODE. "nan"/"inf" strings decode; validation
 * rejects them. Inputs too big for the stack arena use the heap (see rr_codec_json.c).
 * On any error the content of *ev is unspecified. */
rr_err_t rr_event_decode_json(const void *buf, size_t len, rr_event_t *ev);
/* JSON when the first non-blank byte is '{', else protobuf. */
rr_err_t rr_event_decode(const void *buf, size_t len, rr_event_t *ev);

/* Encoders write into caller memory: *out_len gets the size (also the size needed when they
 * fail with RR_ERR_FULL because cap is short). The JSON encoder also NUL-terminates (so it needs
 * cap > *out_len); NaN/inf, which JSON numbers cannot hold, are written as "nan"/"inf" strings. */
rr_err_t rr_event_encode_pb(const rr_event_t *ev, void *buf, size_t cap, size_t *out_len);
rr_err_t rr_event_encode_json(const rr_event_t *ev, char *buf, size_t cap, size_t *out_len);
/* rtrec.v1.Item (tags split at commas) and rtrec.v1.User, for producing side files. */
rr_err_t rr_item_encode_pb(const rr_item_msg_t *item, void *buf, size_t cap, size_t *out_len);
rr_err_t rr_user_encode_pb(const rr_user_msg_t *user, void *buf, size_t cap, size_t *out_len);

rr_err_t rr_item_decode(const void *buf, size_t len, rr_item_msg_t *item); /* pb or JSON */
rr_err_t rr_user_decode(const void *buf, size_t len, rr_user_msg_t *user); /* pb or JSON */
/* The same, for a format known in advance. JSON field names are the schema's (snake_case);
 * the proto3 JSON names (userId, itemId, tsMs...) are accepted too. */
rr_err_t rr_item_decode_pb(const void *buf, size_t len, rr_item_msg_t *item);
rr_err_t rr_item_decode_json(const void *buf, size_t len, rr_item_msg_t *item);
rr_err_t rr_user_decode_pb(const void *buf, size_t len, rr_user_msg_t *user);
rr_err_t rr_user_decode_json(const void *buf, size_t len, rr_user_msg_t *user);

/* ---- Recommendations (rtrec.v1.Recommendations) ---- */
#define RR_REASON_MAX 32
typedef struct rr_rec_s {
    char item_id[RR_ID_MAX];
    float score;
    char reason[RR_REASON_MAX];      /* machine tag: "cooccurrence", "trending", "category"... */
    char reason_detail[RR_TEXT_MAX]; /* readable: "similar to item 123" */
} rr_rec_t;

typedef struct rr_recs_s {
    char user_id[RR_ID_MAX];
    char model_version[RR_ID_MAX];
    int64_t generated_at_ms;
    int64_t trigger_ts_ms;
    size_t n;
    const rr_rec_t *recs; /* n entries, borrowed */
} rr_recs_t;

rr_err_t rr_recs_encode_pb(const rr_recs_t *recs, void *buf, size_t cap, size_t *out_len);
/* Decodes into recs->recs storage given by the caller (cap entries in `store`); RR_ERR_FULL
 * when the message holds more than cap recs. Heap-free for any number of recs. */
rr_err_t rr_recs_decode_pb(const void *buf, size_t len, rr_recs_t *recs, rr_rec_t *store,
                           size_t cap);

/* ---- Recorded datasets ---- */
typedef enum {
    RR_FMT_NONE = 0,
    RR_FMT_TAOBAO,    /* user,item,category,behavior(pv|cart|fav|buy),ts_s — no header */
    RR_FMT_REES46,    /* header: event_time,event_type,product_id,category_id,category_code,... */
    RR_FMT_MOVIELENS, /* ratings.csv: userId,movieId,rating,timestamp (header) -> RATE */
    RR_FMT_AMAZON,    /* tab-separated user_id item_id time (header) -> PURCHASE */
    RR_FMT_JSONL,     /* one JSON event per line */
    RR_FMT_PB,        /* length-delimited rtrec.v1.Event frames */
    RR_FMT_ML100K,    /* MovieLens-100k u.data: user item rating ts, tab-separated -> RATE */
    RR_FMT_CAIXIN,    /* tab-separated user_id item_id type ts (header), type e.g. "click" */
    RR_FMT__COUNT
} rr_format_t;

rr_format_t rr_format_parse(const char *name); /* "taobao" -> RR_FMT_TAOBAO, else RR_FMT_NONE */
const char *rr_format_name(rr_format_t fmt);

/* Parses one text line (no trailing newline needed) of a CSV/TSV/JSONL dialect. A header or
 * blank line yields RR_ERR_NOT_FOUND ("not an event, skip it"). rr_reader_next() skips those. */
rr_err_t rr_line_decode(rr_format_t fmt, const char *line, size_t len, rr_event_t *ev);
/* Dialect details. A trailing CR is ignored; fields may be "quoted" (no doubled quotes inside).
 * The column count must match exactly (RR_ERR_DECODE otherwise). A header is recognised by its
 * first column name (taobao has none, but "user_id"/"user" is skipped as one).
 * - taobao/movielens/ml100k/caixin: seconds -> ts_ms. movielens/ml100k: value = rating.
 * - ml100k: no header, and the file is not sorted by time (eval sorts it, keeping file order
 *   among equal times).
 * - rees46: event_time "YYYY-MM-DD HH:MM:SS UTC" (also 'T', fractions, "Z"); category =
 *   category_code, else category_id; a purchase's value is its price; remove_from_cart has no
 *   event type in rtrec, so it yields RR_ERR_NOT_FOUND (skipped like a header); other unknown
 *   event types are RR_ERR_BAD_TYPE.
 * - amazon: time in seconds, or in ms when above 1e11 (year 5138 in seconds). */

/* Streams events from a file of any format. Owns its FILE and buffers. */
typedef struct rr_reader_s rr_reader_t;
/* path "-" reads stdin (not closed by rr_reader_free). */
rr_reader_t *rr_reader_open(const char *path, rr_format_t fmt, char *errstr, size_t errlen);
/* RR_OK with *ev filled; RR_ERR_EOF at the end; any other code = this record is bad (the
 * reader stays usable: call again for the next one). */
rr_err_t rr_reader_next(rr_reader_t *rd, rr_event_t *ev);
/* 1-based line (text formats) or frame number (pb) of the record last returned. */
long rr_reader_position(const rr_reader_t *rd);
void rr_reader_free(rr_reader_t *rd); /* NULL is a no-op */

/* ---- Frame files: each record is a base-128 varint length, then that many bytes ---- */
rr_err_t rr_frame_write(FILE *fp, const void *buf, size_t len); /* RR_ERR_IO on failure */
/* RR_ERR_EOF at a clean end, RR_ERR_TRUNCATED mid-frame (or mid-length), RR_ERR_TOO_LONG if
 * len > cap (*out_len = len; the frame is skipped, so the next read is in sync), RR_ERR_DECODE
 * for a length varint longer than 10 bytes, RR_ERR_IO on a read error. */
rr_err_t rr_frame_read(FILE *fp, void *buf, size_t cap, size_t *out_len);

#endif
