/* rr_codec_recs.c — rtrec.v1.Recommendations <-> rr_recs_t without the heap, for any list length:
 * the top level is written and scanned by hand (repeated field 2 = one Rec each), and protobuf-c
 * packs/unpacks one Rec at a time, so the stack cost does not grow with n. */
#include <string.h>
#include "rr_arena.h"
#include "rr_codec.h"
#include "rr_varint.h"
#include "rtrec.pb-c.h"

#define RECS_FIELD_USER_ID       1
#define RECS_FIELD_RECS          2
#define RECS_FIELD_MODEL_VERSION 3
#define RECS_FIELD_GENERATED_AT  4
#define RECS_FIELD_TRIGGER_TS    5

enum { WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5 };

static char *str_or_null(const char *field, size_t cap)
{
    if (!memchr(field, '\0', cap) || field[0] == '\0') return NULL;
    return (char *)field;
}

static void rec_to_msg(const rr_rec_t *rec, Rtrec__V1__Recommendations__Rec *msg)
{
    msg->item_id = str_or_null(rec->item_id, sizeof rec->item_id);
    msg->has_score = 1;
    msg->score = rec->score;
    msg->reason = str_or_null(rec->reason, sizeof rec->reason);
    msg->reason_detail = str_or_null(rec->reason_detail, sizeof rec->reason_detail);
}

/* Bytes of one Rec as a field-2 entry: key, length, body. */
static size_t rec_entry_size(const rr_rec_t *rec)
{
    Rtrec__V1__Recommendations__Rec msg = RTREC__V1__RECOMMENDATIONS__REC__INIT;
    rec_to_msg(rec, &msg);
    size_t body = protobuf_c_message_get_packed_size(&msg.base);
    return 1 + rr_varint_size(body) + body;
}

static size_t rec_entry_pack(const rr_rec_t *rec, unsigned char *out)
{
    Rtrec__V1__Recommendations__Rec msg = RTREC__V1__RECOMMENDATIONS__REC__INIT;
    rec_to_msg(rec, &msg);
    size_t body = protobuf_c_message_get_packed_size(&msg.base);
    size_t pos = 0;
    out[pos++] = (RECS_FIELD_RECS << 3) | WIRE_LEN;
    pos += rr_varint_encode(body, out + pos);
    pos += protobuf_c_message_pack(&msg.base, out + pos);
    return pos;
}

rr_err_t rr_recs_encode_pb(const rr_recs_t *recs, void *buf, size_t cap, size_t *out_len)
{
    Rtrec__V1__Recommendations top = RTREC__V1__RECOMMENDATIONS__INIT;

    if (!recs || !out_len || (!buf && cap) || (recs->n && !recs->recs)) return RR_E(INVAL);
    if (!memchr(recs->user_id, '\0', sizeof recs->user_id)) return RR_E(INVAL);
    top.user_id = (char *)recs->user_id;
    top.model_version = str_or_null(recs->model_version, sizeof recs->model_version);
    top.has_generated_at_ms = 1;
    top.generated_at_ms = recs->generated_at_ms;
    top.has_trigger_ts_ms = 1;
    top.trigger_ts_ms = recs->trigger_ts_ms;

    size_t need = rtrec__v1__recommendations__get_packed_size(&top);
    for (size_t i = 0; i < recs->n; i++) need += rec_entry_size(&recs->recs[i]);
    *out_len = need;
    if (need > cap) return RR_E(FULL);

    unsigned char *out = buf;
    size_t pos = rtrec__v1__recommendations__pack(&top, out);
    for (size_t i = 0; i < recs->n; i++) pos += rec_entry_pack(&recs->recs[i], out + pos);
    return RR_OK;
}

static rr_err_t rec_decode(const unsigned char *p, size_t len, rr_rec_t *rec)
{
    _Alignas(max_align_t) unsigned char mem[RR_ARENA_STACK];
    rr_arena_t arena;
    rr_err_t err;

    memset(rec, 0, sizeof *rec);
    rr_arena_init(&arena, mem, sizeof mem);
    ProtobufCAllocator allocator = rr_arena_pb_allocator(&arena);
    /* protoc-c generates no unpack for nested messages: use the descriptor. */
    Rtrec__V1__Recommendations__Rec *msg =
        (Rtrec__V1__Recommendations__Rec *)protobuf_c_message_unpack(
            &rtrec__v1__recommendations__rec__descriptor, &allocator, len, p);
    if (!msg) return arena.overflow ? RR_E(TOO_LONG) : RR_E(DECODE);
    if (msg->has_score) rec->score = msg->score;
    if (msg->item_id &&
        (err = rr_field_set(rec->item_id, sizeof rec->item_id, msg->item_id, strlen(msg->item_id))))
        return err;
    if (msg->reason &&
        (err = rr_field_set(rec->reason, sizeof rec->reason, msg->reason, strlen(msg->reason))))
        return err;
    if (msg->reason_detail && (err = rr_field_set(rec->reason_detail, sizeof rec->reason_detail,
                                                  msg->reason_detail, strlen(msg->reason_detail))))
        return err;
    return RR_OK;
}

/* Skips a field of an unknown number; groups (wire types 3/4) are not valid here. */
static int skip_len(int wire, const unsigned char *p, size_t left, size_t *len)
{
    uint64_t v;
    int n;
    switch (wire) {
    case WIRE_VARINT:
        n = rr_varint_decode(p, left, &v);
        if (n <= 0) return -1;
        *len = (size_t)n;
        return 0;
    case WIRE_I64: *len = 8; return left >= 8 ? 0 : -1;
    case WIRE_I32: *len = 4; return left >= 4 ? 0 : -1;
    case WIRE_LEN:
        n = rr_varint_decode(p, left, &v);
        if (n <= 0 || v > left - (size_t)n) return -1;
        *len = (size_t)n + (size_t)v;
        return 0;
    default: return -1;
    }
}

typedef struct recs_scan_s {
    rr_recs_t *recs;
    rr_rec_t *store;
    size_t cap;
} recs_scan_t;

static rr_err_t scan_len_field(recs_scan_t *scan, uint64_t field, const unsigned char *p,
                               size_t len)
{
    rr_recs_t *recs = scan->recs;
    if (field == RECS_FIELD_USER_ID)
        return rr_field_set(recs->user_id, sizeof recs->user_id, (const char *)p, len);
    if (field == RECS_FIELD_MODEL_VERSION)
        return rr_field_set(recs->model_version, sizeof recs->model_version, (const char *)p, len);
    if (recs->n == scan->cap) return RR_E(FULL);
    rr_err_t err = rec_decode(p, len, &scan->store[recs->n]);
    if (err) return err;
    recs->n++;
    return RR_OK;
}

static int known_field_wire(uint64_t field)
{
    return field <= RECS_FIELD_MODEL_VERSION ? WIRE_LEN : WIRE_VARINT;
}

/* One top-level field at p; *used gets its size. Unknown fields are skipped, like protobuf. */
static rr_err_t scan_field(recs_scan_t *scan, const unsigned char *p, size_t left, size_t *used)
{
    uint64_t key, v = 0; /* set by every successful varint read */
    size_t len;
    int n = rr_varint_decode(p, left, &key);
    if (n <= 0 || (key >> 3) == 0) return RR_E(DECODE);
    uint64_t field = key >> 3;
    int wire = (int)(key & 7);
    p += n;
    left -= (size_t)n;
    if (skip_len(wire, p, left, &len) != 0) return RR_E(DECODE);
    *used = (size_t)n + len;

    if (field > RECS_FIELD_TRIGGER_TS) return RR_OK;
    if (wire != known_field_wire(field)) return RR_E(DECODE);
    n = rr_varint_decode(p, left, &v); /* cannot fail: skip_len read it */
    if (field == RECS_FIELD_GENERATED_AT) {
        scan->recs->generated_at_ms = (int64_t)v;
        return RR_OK;
    }
    if (field == RECS_FIELD_TRIGGER_TS) {
        scan->recs->trigger_ts_ms = (int64_t)v;
        return RR_OK;
    }
    return scan_len_field(scan, field, p + n, (size_t)v);
}

rr_err_t rr_recs_decode_pb(const void *buf, size_t len, rr_recs_t *recs, rr_rec_t *store,
                           size_t cap)
{
    const unsigned char *p = buf;
    recs_scan_t scan = {recs, store, cap};

    if (!recs || (!buf && len) || (!store && cap)) return RR_E(INVAL);
    memset(recs, 0, sizeof *recs);
    recs->recs = store;
    while (len > 0) {
        size_t used = 0;
        rr_err_t err = scan_field(&scan, p, len, &used);
        if (err) return err;
        p += used;
        len -= used;
    }
    return RR_OK;
}
