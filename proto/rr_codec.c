/* rr_codec.c — picks the codec of a Kafka value: JSON when the first non-blank byte is '{',
 * protobuf otherwise. */
#include "rr_codec.h"

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int looks_like_json(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    size_t i = 0;
    while (i < len && is_blank(p[i])) i++;
    return i < len && p[i] == '{';
}

/* Blank bytes are also valid protobuf (0x0A is the key of field 1, 0x20 of field 4), so a
 * protobuf value can look like JSON after them. If such a value fails as JSON it gets a second
 * chance as protobuf; if that fails too, the JSON error is the one reported. */
static int retry_as_pb(rr_err_t json_err, const void *buf, size_t len)
{
    return json_err == RR_E(DECODE) && len > 0 && is_blank(*(const unsigned char *)buf);
}

rr_err_t rr_event_decode(const void *buf, size_t len, rr_event_t *ev)
{
    if (!buf && len) return RR_E(INVAL);
    if (!looks_like_json(buf, len)) return rr_event_decode_pb(buf, len, ev);
    rr_err_t err = rr_event_decode_json(buf, len, ev);
    if (retry_as_pb(err, buf, len) && rr_event_decode_pb(buf, len, ev) == RR_OK) return RR_OK;
    return err;
}

rr_err_t rr_item_decode(const void *buf, size_t len, rr_item_msg_t *item)
{
    if (!buf && len) return RR_E(INVAL);
    if (!looks_like_json(buf, len)) return rr_item_decode_pb(buf, len, item);
    rr_err_t err = rr_item_decode_json(buf, len, item);
    if (retry_as_pb(err, buf, len) && rr_item_decode_pb(buf, len, item) == RR_OK) return RR_OK;
    return err;
}

rr_err_t rr_user_decode(const void *buf, size_t len, rr_user_msg_t *user)
{
    if (!buf && len) return RR_E(INVAL);
    if (!looks_like_json(buf, len)) return rr_user_decode_pb(buf, len, user);
    rr_err_t err = rr_user_decode_json(buf, len, user);
    if (retry_as_pb(err, buf, len) && rr_user_decode_pb(buf, len, user) == RR_OK) return RR_OK;
    return err;
}
