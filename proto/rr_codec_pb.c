/* rr_codec_pb.c — protobuf Event, Item and User <-> rr structs. protobuf-c unpacks into a
 * stack arena (no heap); every string goes through rr_field_set, because protobuf-c accepts
 * invalid UTF-8 and unknown enum values. Encoders point protobuf-c structs at the rr strings. */
#include <stdio.h>
#include <string.h>
#include "rr_arena.h"
#include "rr_codec.h"
#include "rtrec.pb-c.h"

/* Why an unpack returned NULL: an arena too small for the input, or bytes that are not the
 * message. */
static rr_err_t unpack_error(const rr_arena_t *arena)
{
    return arena->overflow ? RR_E(TOO_LONG) : RR_E(DECODE);
}

/* Copies an optional protobuf-c string (NULL = absent). */
static rr_err_t copy_str(char *dst, size_t cap, const char *src)
{
    return src ? rr_field_set(dst, cap, src, strlen(src)) : RR_OK;
}

/* A fixed field as an optional protobuf-c string: NULL when empty. RR_ERR_INVAL when it lacks
 * its NUL, as protobuf-c would otherwise read past it. */
static rr_err_t field_ref(const char *field, size_t cap, char **out)
{
    if (!memchr(field, '\0', cap)) return RR_E(INVAL);
    *out = field[0] ? (char *)field : NULL;
    return RR_OK;
}

static rr_err_t event_copy_strings(const Rtrec__V1__Event *msg, rr_event_t *ev)
{
    rr_err_t err;
    if ((err = copy_str(ev->event_id, sizeof ev->event_id, msg->event_id))) return err;
    if ((err = copy_str(ev->user_id, sizeof ev->user_id, msg->user_id))) return err;
    if ((err = copy_str(ev->item_id, sizeof ev->item_id, msg->item_id))) return err;
    if ((err = copy_str(ev->category, sizeof ev->category, msg->category))) return err;
    if ((err = copy_str(ev->brand, sizeof ev->brand, msg->brand))) return err;
    if ((err = copy_str(ev->session_id, sizeof ev->session_id, msg->session_id))) return err;
    return copy_str(ev->query, sizeof ev->query, msg->query);
}

static rr_err_t event_from_msg(const Rtrec__V1__Event *msg, rr_event_t *ev)
{
    if (msg->has_type) {
        int type = (int)msg->type;
        if (type <= RR_EV_NONE || type >= RR_EV__COUNT) return RR_E(BAD_TYPE);
        ev->type = (rr_event_type_t)type;
    }
    if (msg->has_ts_ms) {
        ev->ts_ms = msg->ts_ms;
        ev->flags |= RR_EVF_TS;
    }
    if (msg->has_value) {
        ev->value = msg->value;
        ev->flags |= RR_EVF_VALUE;
    }
    if (msg->has_price) {
        ev->price = msg->price;
        ev->flags |= RR_EVF_PRICE;
    }
    return event_copy_strings(msg, ev);
}

rr_err_t rr_event_decode_pb(const void *buf, size_t len, rr_event_t *ev)
{
    _Alignas(max_align_t) unsigned char mem[RR_ARENA_STACK];
    rr_arena_t arena;

    if (!ev || (!buf && len)) return RR_E(INVAL);
    memset(ev, 0, sizeof *ev);
    rr_arena_init(&arena, mem, sizeof mem);
    ProtobufCAllocator allocator = rr_arena_pb_allocator(&arena);
    Rtrec__V1__Event *msg = rtrec__v1__event__unpack(&allocator, len, buf);
    if (!msg) return unpack_error(&arena);
    /* Nothing to free: the message lives in mem. */
    return event_from_msg(msg, ev);
}

static rr_err_t event_to_msg(const rr_event_t *ev, Rtrec__V1__Event *msg)
{
    rr_err_t err;
    if ((err = field_ref(ev->event_id, sizeof ev->event_id, &msg->event_id))) return err;
    if ((err = field_ref(ev->user_id, sizeof ev->user_id, &msg->user_id))) return err;
    if ((err = field_ref(ev->item_id, sizeof ev->item_id, &msg->item_id))) return err;
    if ((err = field_ref(ev->category, sizeof ev->category, &msg->category))) return err;
    if ((err = field_ref(ev->brand, sizeof ev->brand, &msg->brand))) return err;
    if ((err = field_ref(ev->session_id, sizeof ev->session_id, &msg->session_id))) return err;
    if ((err = field_ref(ev->query, sizeof ev->query, &msg->query))) return err;
    msg->has_type = ev->type != RR_EV_NONE;
    msg->type = (Rtrec__V1__Event__Type)ev->type;
    msg->has_ts_ms = (ev->flags & RR_EVF_TS) != 0;
    msg->ts_ms = ev->ts_ms;
    msg->has_value = (ev->flags & RR_EVF_VALUE) != 0;
    msg->value = ev->value;
    msg->has_price = (ev->flags & RR_EVF_PRICE) != 0;
    msg->price = ev->price;
    return RR_OK;
}

rr_err_t rr_event_encode_pb(const rr_event_t *ev, void *buf, size_t cap, size_t *out_len)
{
    Rtrec__V1__Event msg = RTREC__V1__EVENT__INIT;
    rr_err_t err;

    if (!ev || !out_len || (!buf && cap)) return RR_E(INVAL);
    if ((err = event_to_msg(ev, &msg))) return err;
    size_t need = rtrec__v1__event__get_packed_size(&msg);
    *out_len = need;
    if (need > cap) return RR_E(FULL);
    rtrec__v1__event__pack(&msg, buf);
    return RR_OK;
}

/* Joins the tags with ',' into dst; empty tags are dropped. */
static rr_err_t join_tags(char *dst, size_t cap, char *const *tags, size_t n)
{
    size_t pos = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(tags[i]);
        if (len == 0) continue;
        if (pos > 0) {
            if (pos + 1 >= cap) return RR_E(TOO_LONG);
            dst[pos++] = ',';
        }
        rr_err_t err = rr_field_set(dst + pos, cap - pos, tags[i], len);
        if (err) return err;
        pos += len;
    }
    return RR_OK;
}

static rr_err_t item_from_msg(const Rtrec__V1__Item *msg, rr_item_msg_t *item)
{
    rr_err_t err;
    /* protobuf-c fills the schema default (true) when the field is absent. */
    item->available = msg->available ? 1 : 0;
    if (msg->has_available_from_ms) item->available_from_ms = msg->available_from_ms;
    if (msg->has_price) {
        item->price = msg->price;
        item->flags |= RR_EVF_PRICE;
    }
    if ((err = copy_str(item->item_id, sizeof item->item_id, msg->item_id))) return err;
    if ((err = copy_str(item->category, sizeof item->category, msg->category))) return err;
    if ((err = copy_str(item->brand, sizeof item->brand, msg->brand))) return err;
    if ((err = copy_str(item->title, sizeof item->title, msg->title))) return err;
    return join_tags(item->tags, sizeof item->tags, msg->tags, msg->n_tags);
}

#define ITEM_TAGS_MAX 64 /* tags an encoded Item carries; RR_TEXT_MAX bytes hold fewer */

/* Splits item->tags (comma-joined) into tags[] pointing into copy. */
static size_t split_tags(const char *joined, char *copy, size_t cap, char **tags)
{
    size_t n = 0;
    snprintf(copy, cap, "%s", joined);
    for (char *p = copy; *p && n < ITEM_TAGS_MAX;) {
        tags[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma) break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

rr_err_t rr_item_encode_pb(const rr_item_msg_t *item, void *buf, size_t cap, size_t *out_len)
{
    Rtrec__V1__Item msg = RTREC__V1__ITEM__INIT;
    char copy[RR_TEXT_MAX], *tags[ITEM_TAGS_MAX];
    if (!item || !out_len || (!buf && cap)) return RR_E(INVAL);
    msg.item_id = (char *)item->item_id;
    msg.category = item->category[0] ? (char *)item->category : NULL;
    msg.brand = item->brand[0] ? (char *)item->brand : NULL;
    msg.title = item->title[0] ? (char *)item->title : NULL;
    msg.has_price = (item->flags & RR_EVF_PRICE) != 0;
    msg.price = item->price;
    msg.has_available = !item->available;
    msg.available = item->available != 0;
    msg.has_available_from_ms = item->available_from_ms != 0;
    msg.available_from_ms = item->available_from_ms;
    msg.n_tags = split_tags(item->tags, copy, sizeof(copy), tags);
    msg.tags = tags;
    size_t need = rtrec__v1__item__get_packed_size(&msg);
    *out_len = need;
    if (need > cap) return RR_E(FULL);
    rtrec__v1__item__pack(&msg, buf);
    return RR_OK;
}

rr_err_t rr_user_encode_pb(const rr_user_msg_t *user, void *buf, size_t cap, size_t *out_len)
{
    Rtrec__V1__User msg = RTREC__V1__USER__INIT;
    if (!user || !out_len || (!buf && cap)) return RR_E(INVAL);
    msg.user_id = (char *)user->user_id;
    msg.has_age = user->age != 0;
    msg.age = user->age;
    msg.gender = user->gender[0] ? (char *)user->gender : NULL;
    msg.occupation = user->occupation[0] ? (char *)user->occupation : NULL;
    msg.region = user->region[0] ? (char *)user->region : NULL;
    size_t need = rtrec__v1__user__get_packed_size(&msg);
    *out_len = need;
    if (need > cap) return RR_E(FULL);
    rtrec__v1__user__pack(&msg, buf);
    return RR_OK;
}

rr_err_t rr_item_decode_pb(const void *buf, size_t len, rr_item_msg_t *item)
{
    _Alignas(max_align_t) unsigned char mem[RR_ARENA_STACK];
    rr_arena_t arena;

    if (!item || (!buf && len)) return RR_E(INVAL);
    memset(item, 0, sizeof *item);
    item->available = 1;
    rr_arena_init(&arena, mem, sizeof mem);
    ProtobufCAllocator allocator = rr_arena_pb_allocator(&arena);
    Rtrec__V1__Item *msg = rtrec__v1__item__unpack(&allocator, len, buf);
    if (!msg) return unpack_error(&arena);
    return item_from_msg(msg, item);
}

static rr_err_t user_from_msg(const Rtrec__V1__User *msg, rr_user_msg_t *user)
{
    rr_err_t err;
    if (msg->has_age) user->age = msg->age;
    if ((err = copy_str(user->user_id, sizeof user->user_id, msg->user_id))) return err;
    if ((err = copy_str(user->gender, sizeof user->gender, msg->gender))) return err;
    if ((err = copy_str(user->occupation, sizeof user->occupation, msg->occupation))) return err;
    return copy_str(user->region, sizeof user->region, msg->region);
}

rr_err_t rr_user_decode_pb(const void *buf, size_t len, rr_user_msg_t *user)
{
    _Alignas(max_align_t) unsigned char mem[RR_ARENA_STACK];
    rr_arena_t arena;

    if (!user || (!buf && len)) return RR_E(INVAL);
    memset(user, 0, sizeof *user);
    rr_arena_init(&arena, mem, sizeof mem);
    ProtobufCAllocator allocator = rr_arena_pb_allocator(&arena);
    Rtrec__V1__User *msg = rtrec__v1__user__unpack(&allocator, len, buf);
    if (!msg) return unpack_error(&arena);
    return user_from_msg(msg, user);
}
