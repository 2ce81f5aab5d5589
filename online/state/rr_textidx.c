/* rr_textidx.c — item tokens, the token index and users' search terms; see rr_textidx.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rr_textidx.h"

rr_err_t rr_text_init(rr_text_table_t *tt, size_t users_max, size_t items_max)
{
    memset(tt, 0, sizeof(*tt));
    size_t nb = 1024; /* about two buckets per item: a bucket rarely mixes frequent tokens */
    while (nb < items_max / 2) nb *= 2;
    tt->item_tok = calloc(items_max * RR_TEXT_ITEM_TOKENS, sizeof(uint32_t));
    tt->listed_ms = calloc(items_max ? items_max : 1, sizeof(int64_t));
    tt->bucket = calloc(nb * RR_TEXT_BUCKET, sizeof(uint32_t));
    tt->head = calloc(nb, 1);
    size_t ns = 16, want = users_max < RR_TEXT_USERS_MAX ? users_max : RR_TEXT_USERS_MAX;
    while (ns < want) ns *= 2;
    tt->user = calloc(ns, sizeof(rr_text_user_t));
    tt->nslots = ns;
    tt->nbuckets = nb;
    tt->users_max = users_max;
    tt->items_max = items_max;
    if (!tt->item_tok || !tt->listed_ms || !tt->bucket || !tt->head || !tt->user) {
        rr_text_free(tt);
        return RR_E(NOMEM);
    }
    return RR_OK;
}

void rr_text_free(rr_text_table_t *tt)
{
    free(tt->item_tok);
    free(tt->listed_ms);
    free(tt->bucket);
    free(tt->head);
    free(tt->user);
    memset(tt, 0, sizeof(*tt));
}

void rr_text_item_listed(rr_text_table_t *tt, uint32_t iid, int64_t now_ms)
{
    if (iid < tt->items_max && tt->listed_ms[iid] == 0)
        tt->listed_ms[iid] = now_ms > 0 ? now_ms : -1;
}

int rr_text_item_is_new(const rr_text_table_t *tt, uint32_t iid, int64_t now_ms, int64_t within_ms)
{
    if (iid >= tt->items_max || tt->listed_ms[iid] <= 0) return 0;
    return now_ms - tt->listed_ms[iid] <= within_ms;
}

void rr_text_index_add(rr_text_table_t *tt, uint32_t hash, uint32_t iid)
{
    size_t b = hash & (tt->nbuckets - 1);
    uint32_t *slots = &tt->bucket[b * RR_TEXT_BUCKET];
    for (int k = 0; k < RR_TEXT_BUCKET; k++)
        if (slots[k] == iid + 1) return;
    slots[tt->head[b]] = iid + 1;
    tt->head[b] = (uint8_t)((tt->head[b] + 1) % RR_TEXT_BUCKET);
}

/* Appends the tokens of s not yet in tok[0..n); returns the new count. */
static size_t add_tokens(uint32_t *tok, size_t n, const char *s)
{
    rr_text_token_t t[RR_TEXT_ITEM_TOKENS];
    size_t m = rr_text_tokenize(s, strlen(s), t, RR_TEXT_ITEM_TOKENS - n);
    for (size_t i = 0; i < m; i++) {
        size_t k = 0;
        while (k < n && tok[k] != t[i].hash) k++;
        if (k == n) tok[n++] = t[i].hash;
    }
    return n;
}

void rr_text_item_set(rr_text_table_t *tt, uint32_t iid, const rr_item_msg_t *msg)
{
    if (iid >= tt->items_max || !(msg->title[0] || msg->tags[0] || msg->category[0])) return;
    uint32_t tok[RR_TEXT_ITEM_TOKENS] = {0};
    size_t n = add_tokens(tok, 0, msg->title);
    n = add_tokens(tok, n, msg->tags);
    n = add_tokens(tok, n, msg->category);
    /* Entries of tokens the item no longer has stay in the index: lookups check the item. */
    memcpy(&tt->item_tok[(size_t)iid * RR_TEXT_ITEM_TOKENS], tok, sizeof(tok));
    for (size_t k = 0; k < n; k++) rr_text_index_add(tt, tok[k], iid);
}

static float decay(int64_t from_ms, int64_t to_ms)
{
    if (to_ms <= from_ms) return 1.0f;
    return (float)exp2(-(double)(to_ms - from_ms) / (RR_TEXT_HALF_LIFE_S * 1000.0));
}

/* The slot of hash in u, else the lightest slot (emptied). */
static int term_slot(rr_text_user_t *u, uint32_t hash)
{
    int light = 0;
    for (int k = 0; k < RR_TEXT_TERMS; k++) {
        if (u->hash[k] == hash) return k;
        if (u->w[k] < u->w[light] || (u->hash[k] == 0 && u->hash[light] != 0)) light = k;
    }
    u->hash[light] = 0;
    u->w[light] = 0;
    return light;
}

/* The query cut to RR_TEXT_QUERY_MAX - 1 bytes at a UTF-8 character boundary. */
static void keep_query(char *dst, const char *query)
{
    size_t n = strlen(query);
    if (n > RR_TEXT_QUERY_MAX - 1) {
        n = RR_TEXT_QUERY_MAX - 1;
        while (n > 0 && ((uint8_t)query[n] & 0xC0) == 0x80) n--;
    }
    memset(dst, 0, RR_TEXT_QUERY_MAX); /* no bytes of a longer query left behind the NUL */
    memcpy(dst, query, n);
}

/* The first slot of uid's probe window (a multiplicative hash: consecutive ids spread). */
static size_t slot_of(const rr_text_table_t *tt, uint32_t uid)
{
    return (size_t)((uid * 2654435761u) >> 8) & (tt->nslots - 1);
}

const rr_text_user_t *rr_text_user_find(const rr_text_table_t *tt, uint32_t uid)
{
    size_t s = slot_of(tt, uid);
    for (int k = 0; k < RR_TEXT_PROBE; k++) {
        const rr_text_user_t *u = &tt->user[(s + (size_t)k) & (tt->nslots - 1)];
        if (u->uid1 == uid + 1) return u;
    }
    return NULL;
}

rr_text_user_t *rr_text_user_claim(rr_text_table_t *tt, uint32_t uid)
{
    if (uid >= tt->users_max) return NULL;
    rr_text_user_t *found = (rr_text_user_t *)rr_text_user_find(tt, uid);
    if (found) return found;
    size_t s = slot_of(tt, uid);
    rr_text_user_t *pick = NULL;
    for (int k = 0; k < RR_TEXT_PROBE; k++) {
        rr_text_user_t *u = &tt->user[(s + (size_t)k) & (tt->nslots - 1)];
        if (!u->uid1) {
            pick = u;
            break;
        }
        if (!pick || u->ts_ms < pick->ts_ms) pick = u;
    }
    memset(pick, 0, sizeof(*pick));
    pick->uid1 = uid + 1;
    return pick;
}

const char *rr_text_last_query(const rr_text_table_t *tt, uint32_t uid)
{
    const rr_text_user_t *u = rr_text_user_find(tt, uid);
    return u ? u->query : "";
}

void rr_text_search(rr_text_table_t *tt, uint32_t uid, const char *query, int64_t ts_ms)
{
    rr_text_token_t t[RR_TEXT_TERMS];
    size_t n = rr_text_tokenize(query, strlen(query), t, RR_TEXT_TERMS);
    rr_text_user_t *u = n ? rr_text_user_claim(tt, uid) : NULL;
    if (!u) return;
    float d = decay(u->ts_ms, ts_ms);
    for (int k = 0; k < RR_TEXT_TERMS; k++) u->w[k] *= d;
    if (ts_ms > u->ts_ms) u->ts_ms = ts_ms;
    for (size_t i = 0; i < n; i++) {
        int k = term_slot(u, t[i].hash);
        u->hash[k] = t[i].hash;
        u->w[k] = u->w[k] + 1.0f < 8.0f ? u->w[k] + 1.0f : 8.0f;
        memcpy(u->term[k], t[i].text, RR_TEXT_TOKEN_MAX);
    }
    keep_query(u->query, query);
}

void rr_text_user_forget(rr_text_table_t *tt, uint32_t uid)
{
    rr_text_user_t *u = (rr_text_user_t *)rr_text_user_find(tt, uid);
    if (u) memset(u, 0, sizeof(*u));
}

size_t rr_text_intent(const rr_text_table_t *tt, uint32_t uid, int64_t now_ms, uint32_t *hash,
                      float *w, int *idx)
{
    const rr_text_user_t *u = rr_text_user_find(tt, uid);
    if (!u || !u->ts_ms) return 0;
    float d = decay(u->ts_ms, now_ms);
    size_t n = 0;
    for (int k = 0; k < RR_TEXT_TERMS; k++) {
        float x = u->w[k] * d;
        if (!u->hash[k] || x < RR_TEXT_ACTIVE_W) continue;
        size_t at = n++; /* insertion keeps heaviest first; ties by slot */
        while (at > 0 && w[at - 1] < x) {
            hash[at] = hash[at - 1], w[at] = w[at - 1];
            if (idx) idx[at] = idx[at - 1];
            at--;
        }
        hash[at] = u->hash[k], w[at] = x;
        if (idx) idx[at] = k;
    }
    return n;
}

size_t rr_text_query_terms(const char *query, uint32_t hash[RR_TEXT_TERMS], float w[RR_TEXT_TERMS])
{
    rr_text_token_t t[RR_TEXT_TERMS];
    size_t n = rr_text_tokenize(query, strlen(query), t, RR_TEXT_TERMS);
    for (size_t i = 0; i < n; i++) hash[i] = t[i].hash, w[i] = 1.0f;
    return n;
}

float rr_text_match(const rr_text_table_t *tt, uint32_t iid, const uint32_t *hash, const float *w,
                    size_t n)
{
    if (iid >= tt->items_max || n == 0) return 0;
    const uint32_t *tok = rr_text_item_tokens(tt, iid);
    float hit = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        total += w[i];
        for (int k = 0; k < RR_TEXT_ITEM_TOKENS && tok[k]; k++)
            if (tok[k] == hash[i]) {
                hit += w[i];
                break;
            }
    }
    return total > 0 ? hit / total : 0;
}

size_t rr_text_lookup(const rr_text_table_t *tt, const uint32_t *hash, const float *w, size_t n,
                      uint32_t *ids, float *scores, size_t cap)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const uint32_t *slots = &tt->bucket[(hash[i] & (tt->nbuckets - 1)) * RR_TEXT_BUCKET];
        for (int k = 0; k < RR_TEXT_BUCKET && m < cap; k++) {
            if (!slots[k]) continue;
            uint32_t iid = slots[k] - 1;
            size_t j = 0;
            while (j < m && ids[j] != iid) j++;
            if (j < m) continue;
            float s = rr_text_match(tt, iid, hash, w, n);
            if (s > 0) ids[m] = iid, scores[m++] = s;
        }
    }
    return m;
}

void rr_text_terms_text(const rr_text_table_t *tt, uint32_t uid, int64_t now_ms, char *buf,
                        size_t cap)
{
    uint32_t hash[RR_TEXT_TERMS];
    float w[RR_TEXT_TERMS];
    int idx[RR_TEXT_TERMS];
    size_t n = rr_text_intent(tt, uid, now_ms, hash, w, idx), at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && at < cap; i++) {
        int len = snprintf(buf + at, cap - at, "%s%s:%.2f", i ? "," : "",
                           rr_text_user_find(tt, uid)->term[idx[i]], (double)w[i]);
        if (len < 0 || (size_t)len >= cap - at) {
            buf[at] = '\0'; /* a term that does not fit is left out whole */
            break;
        }
        at += (size_t)len;
    }
}
