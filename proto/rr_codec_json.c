/* rr_codec_json.c — flat JSON objects -> rr_event_t / rr_item_msg_t / rr_user_msg_t. One typed
 * field table per message drives the decoding; cJSON parses into a per-call stack arena. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "rr_arena.h"
#include "rr_codec.h"
#include "rr_num.h"

/* ---- cJSON on the arena ----
 * cJSON has one process-wide allocator (cJSON_InitHooks). We install ours once: it serves the
 * calling thread's arena while one of our decoders runs, and is plain malloc/free otherwise, so
 * other cJSON users in the process are unaffected. An input too big for the arena falls back to
 * malloc rather than failing (only unusually large messages pay for it). Every parse still ends
 * with cJSON_Delete, which stays correct even if someone replaces the hooks after us. */
static _Thread_local rr_arena_t *json_arena;
static pthread_once_t json_hooks_once = PTHREAD_ONCE_INIT;

static void *json_malloc(size_t size)
{
    if (json_arena) {
        void *ptr = rr_arena_alloc(json_arena, size);
        if (ptr) return ptr;
    }
    return malloc(size);
}

static void json_free(void *ptr)
{
    if (json_arena && rr_arena_owns(json_arena, ptr)) {
        rr_arena_free(json_arena, ptr);
        return;
    }
    free(ptr);
}

static void json_hooks_install(void)
{
    cJSON_Hooks hooks = {json_malloc, json_free};
    cJSON_InitHooks(&hooks);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses exactly one JSON object (trailing blanks allowed) with the arena active. On success
 * the caller must json_close(). */
static rr_err_t json_open(rr_arena_t *arena, const char *text, size_t len, cJSON **root)
{
    const char *end = NULL;

    pthread_once(&json_hooks_once, json_hooks_install);
    json_arena = arena;
    *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!*root) {
        json_arena = NULL;
        return RR_E(DECODE);
    }
    while (end < text + len && is_blank(*end)) end++;
    if (end != text + len || !cJSON_IsObject(*root)) {
        cJSON_Delete(*root);
        json_arena = NULL;
        return RR_E(DECODE);
    }
    return RR_OK;
}

static void json_close(cJSON *root)
{
    cJSON_Delete(root);
    json_arena = NULL;
}

/* ---- the field tables ---- */
typedef enum {
    JF_STR,  /* string, or an integral number written as decimal ("user_id": 42) */
    JF_TYPE, /* event type name (aliases allowed) or its wire number */
    JF_I64,  /* integer or numeric string */
    JF_I32,  /* integer or numeric string, int32 range */
    JF_F32,  /* number or numeric string */
    JF_BOOL, /* true/false, 0/1, "true"/"false" */
    JF_TAGS, /* array of strings joined with ',', or one already-joined string */
} json_kind_t;

typedef struct json_field_s {
    const char *name;
    const char *alt; /* proto3 JSON mapping (lowerCamelCase), or NULL */
    json_kind_t kind;
    size_t off;
    size_t cap;    /* JF_STR/JF_TAGS: size of the char array */
    uint32_t flag; /* set in *flags when present */
} json_field_t;

#define JS(type, field, name, alt)                                                                 \
    {                                                                                              \
        name, alt, JF_STR, offsetof(type, field), sizeof(((type *)0)->field), 0                    \
    }

static const json_field_t event_fields[] = {
    JS(rr_event_t, event_id, "event_id", "eventId"),
    JS(rr_event_t, user_id, "user_id", "userId"),
    JS(rr_event_t, item_id, "item_id", "itemId"),
    JS(rr_event_t, category, "category", NULL),
    JS(rr_event_t, brand, "brand", NULL),
    JS(rr_event_t, session_id, "session_id", "sessionId"),
    JS(rr_event_t, query, "query", NULL),
    {"type", NULL, JF_TYPE, offsetof(rr_event_t, type), 0, 0},
    {"ts_ms", "tsMs", JF_I64, offsetof(rr_event_t, ts_ms), 0, RR_EVF_TS},
    {"value", NULL, JF_F32, offsetof(rr_event_t, value), 0, RR_EVF_VALUE},
    {"price", NULL, JF_F32, offsetof(rr_event_t, price), 0, RR_EVF_PRICE},
};

static const json_field_t item_fields[] = {
    JS(rr_item_msg_t, item_id, "item_id", "itemId"),
    JS(rr_item_msg_t, category, "category", NULL),
    JS(rr_item_msg_t, brand, "brand", NULL),
    JS(rr_item_msg_t, title, "title", NULL),
    {"tags", NULL, JF_TAGS, offsetof(rr_item_msg_t, tags), sizeof(((rr_item_msg_t *)0)->tags), 0},
    {"price", NULL, JF_F32, offsetof(rr_item_msg_t, price), 0, RR_EVF_PRICE},
    {"available", NULL, JF_BOOL, offsetof(rr_item_msg_t, available), 0, 0},
    {"available_from_ms", "availableFromMs", JF_I64, offsetof(rr_item_msg_t, available_from_ms), 0,
     0},
};

static const json_field_t user_fields[] = {
    JS(rr_user_msg_t, user_id, "user_id", "userId"),
    JS(rr_user_msg_t, gender, "gender", NULL),
    JS(rr_user_msg_t, occupation, "occupation", NULL),
    JS(rr_user_msg_t, region, "region", NULL),
    {"age", NULL, JF_I32, offsetof(rr_user_msg_t, age), 0, 0},
};

#define NFIELDS(table) (sizeof(table) / sizeof((table)[0]))

/* ---- one value per kind ---- */
static rr_err_t get_str(const cJSON *val, char *dst, size_t cap)
{
    int64_t num;
    if (cJSON_IsString(val))
        return rr_field_set(dst, cap, val->valuestring, strlen(val->valuestring));
    if (!cJSON_IsNumber(val) || rr_num_exact_i64(val->valuedouble, &num) != 0) return RR_E(DECODE);
    char text[24];
    int len = snprintf(text, sizeof text, "%lld", (long long)num);
    return rr_field_set(dst, cap, text, (size_t)len);
}

static rr_err_t get_type(const cJSON *val, rr_event_type_t *type)
{
    int64_t num;
    if (cJSON_IsString(val)) {
        *type = rr_event_type_parse_alias(val->valuestring, strlen(val->valuestring));
    } else if (cJSON_IsNumber(val) && rr_num_exact_i64(val->valuedouble, &num) == 0) {
        *type = (num > RR_EV_NONE && num < RR_EV__COUNT) ? (rr_event_type_t)num : RR_EV_NONE;
    } else {
        return RR_E(DECODE);
    }
    return *type == RR_EV_NONE ? RR_E(BAD_TYPE) : RR_OK;
}

static rr_err_t get_i64(const cJSON *val, int64_t *out)
{
    if (cJSON_IsString(val)) {
        return rr_num_i64(val->valuestring, strlen(val->valuestring), out) ? RR_E(DECODE) : RR_OK;
    }
    if (!cJSON_IsNumber(val) || rr_num_exact_i64(val->valuedouble, out) != 0) return RR_E(DECODE);
    return RR_OK;
}

static rr_err_t get_i32(const cJSON *val, int32_t *out)
{
    int64_t num;
    rr_err_t err = get_i64(val, &num);
    if (err) return err;
    if (num < INT32_MIN || num > INT32_MAX) return RR_E(DECODE);
    *out = (int32_t)num;
    return RR_OK;
}

static rr_err_t get_f32(const cJSON *val, float *out)
{
    if (cJSON_IsString(val)) {
        return rr_num_f32(val->valuestring, strlen(val->valuestring), out) ? RR_E(DECODE) : RR_OK;
    }
    if (!cJSON_IsNumber(val)) return RR_E(DECODE);
    *out = rr_num_to_f32(val->valuedouble);
    return RR_OK;
}

static rr_err_t get_bool(const cJSON *val, int *out)
{
    if (cJSON_IsBool(val)) {
        *out = cJSON_IsTrue(val) ? 1 : 0;
    } else if (cJSON_IsNumber(val)) {
        *out = val->valuedouble != 0.0;
    } else if (cJSON_IsString(val) &&
               (!strcmp(val->valuestring, "true") || !strcmp(val->valuestring, "1"))) {
        *out = 1;
    } else if (cJSON_IsString(val) &&
               (!strcmp(val->valuestring, "false") || !strcmp(val->valuestring, "0"))) {
        *out = 0;
    } else {
        return RR_E(DECODE);
    }
    return RR_OK;
}

static rr_err_t get_tags(const cJSON *val, char *dst, size_t cap)
{
    size_t pos = 0;
    const cJSON *tag;

    if (cJSON_IsString(val)) return get_str(val, dst, cap);
    if (!cJSON_IsArray(val)) return RR_E(DECODE);
    dst[0] = '\0';
    cJSON_ArrayForEach(tag, val)
    {
        if (!cJSON_IsString(tag)) return RR_E(DECODE);
        size_t len = strlen(tag->valuestring);
        if (len == 0) continue;
        if (pos > 0) {
            if (pos + 1 >= cap) return RR_E(TOO_LONG);
            dst[pos++] = ',';
        }
        rr_err_t err = rr_field_set(dst + pos, cap - pos, tag->valuestring, len);
        if (err) return err;
        pos += len;
    }
    return RR_OK;
}

/* Numeric fields given as "" mean "not given" (CSV-to-JSON converters write that). */
static int empty_string(const cJSON *val)
{
    return cJSON_IsString(val) && val->valuestring[0] == '\0';
}

static rr_err_t get_field(const json_field_t *f, const cJSON *val, void *obj, uint32_t *flags)
{
    char *base = obj;
    rr_err_t err;

    if (cJSON_IsNull(val)) return RR_OK;
    if (f->kind != JF_STR && f->kind != JF_TAGS && empty_string(val)) return RR_OK;
    switch (f->kind) {
    case JF_STR: err = get_str(val, base + f->off, f->cap); break;
    case JF_TYPE: err = get_type(val, (rr_event_type_t *)(void *)(base + f->off)); break;
    case JF_I64: err = get_i64(val, (int64_t *)(void *)(base + f->off)); break;
    case JF_I32: err = get_i32(val, (int32_t *)(void *)(base + f->off)); break;
    case JF_F32: err = get_f32(val, (float *)(void *)(base + f->off)); break;
    case JF_BOOL: err = get_bool(val, (int *)(void *)(base + f->off)); break;
    case JF_TAGS: err = get_tags(val, base + f->off, f->cap); break;
    default: err = RR_E(INVAL); break;
    }
    if (!err && flags) *flags |= f->flag;
    return err;
}

static const json_field_t *find_field(const json_field_t *table, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(key, table[i].name) || (table[i].alt && !strcmp(key, table[i].alt)))
            return &table[i];
    }
    return NULL;
}

/* Unknown keys are ignored: producers may carry more than rtrec reads. */
static rr_err_t decode_object(const cJSON *root, const json_field_t *table, size_t n, void *obj,
                              uint32_t *flags)
{
    const cJSON *val;
    cJSON_ArrayForEach(val, root)
    {
        const json_field_t *f = val->string ? find_field(table, n, val->string) : NULL;
        if (!f) continue;
        rr_err_t err = get_field(f, val, obj, flags);
        if (err) return err;
    }
    return RR_OK;
}

static rr_err_t decode_json(const void *buf, size_t len, const json_field_t *table, size_t n,
                            void *obj, uint32_t *flags)
{
    _Alignas(max_align_t) unsigned char mem[RR_ARENA_STACK];
    rr_arena_t arena;
    cJSON *root;

    rr_arena_init(&arena, mem, sizeof mem);
    rr_err_t err = json_open(&arena, buf, len, &root);
    if (err) return err;
    err = decode_object(root, table, n, obj, flags);
    json_close(root);
    return err;
}

rr_err_t rr_event_decode_json(const void *buf, size_t len, rr_event_t *ev)
{
    if (!ev || (!buf && len)) return RR_E(INVAL);
    memset(ev, 0, sizeof *ev);
    return decode_json(buf, len, event_fields, NFIELDS(event_fields), ev, &ev->flags);
}

rr_err_t rr_item_decode_json(const void *buf, size_t len, rr_item_msg_t *item)
{
    if (!item || (!buf && len)) return RR_E(INVAL);
    memset(item, 0, sizeof *item);
    item->available = 1;
    return decode_json(buf, len, item_fields, NFIELDS(item_fields), item, &item->flags);
}

rr_err_t rr_user_decode_json(const void *buf, size_t len, rr_user_msg_t *user)
{
    if (!user || (!buf && len)) return RR_E(INVAL);
    memset(user, 0, sizeof *user);
    return decode_json(buf, len, user_fields, NFIELDS(user_fields), user, NULL);
}
