/* fuzz_text.c — libFuzzer target: the tokenizer of titles and queries on arbitrary bytes, and the
 * text table fed with them as an item title and a search. Every token must be distinct, hashed
 * (never 0), and display as valid, lower-case UTF-8 of at most RR_TEXT_TOKEN_MAX - 1 bytes;
 * the table's texts must stay terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rr_text.h"
#include "rr_textidx.h"

/* 1 if s is valid UTF-8 (shortest forms, no surrogates) with no upper-case ASCII. */
static int valid_lower_utf8(const char *s)
{
    const uint8_t *p = (const uint8_t *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : -1;
        if (n < 0 || (*p >= 'A' && *p <= 'Z') || (n == 1 && *p < 0xC2)) return 0;
        for (int k = 1; k <= n; k++)
            if ((p[k] & 0xC0) != 0x80) return 0;
        if (n == 2 && ((*p == 0xE0 && p[1] < 0xA0) || (*p == 0xED && p[1] >= 0xA0))) return 0;
        p += n + 1;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rr_text_token_t t[32];
    size_t n = rr_text_tokenize((const char *)data, size, t, 32);
    if (n > 32) abort();
    for (size_t i = 0; i < n; i++) {
        if (!t[i].hash || !memchr(t[i].text, '\0', RR_TEXT_TOKEN_MAX) || !t[i].text[0]) abort();
        if (!valid_lower_utf8(t[i].text)) abort();
        for (size_t j = 0; j < i; j++)
            if (t[j].hash == t[i].hash) abort();
    }
    static rr_text_table_t tt;
    if (!tt.user && rr_text_init(&tt, 64, 64) != RR_OK) abort();
    rr_item_msg_t msg;
    memset(&msg, 0, sizeof(msg));
    size_t len = size < sizeof(msg.title) - 1 ? size : sizeof(msg.title) - 1;
    memcpy(msg.title, data, len);
    msg.title[strnlen(msg.title, len)] = '\0';
    uint32_t iid = size % 64, uid = (uint32_t)(size * 7 % 64);
    rr_text_item_set(&tt, iid, &msg);
    rr_text_search(&tt, uid, msg.title, 1700000000000LL + (int64_t)size);
    char buf[256];
    rr_text_terms_text(&tt, uid, 1700000000000LL + (int64_t)size, buf, sizeof(buf));
    if (!memchr(buf, '\0', sizeof(buf))) abort();
    const char *q = rr_text_last_query(&tt, uid);
    if (strlen(q) >= RR_TEXT_QUERY_MAX) abort();
    uint32_t hash[RR_TEXT_TERMS], ids[RR_TEXT_TERMS * RR_TEXT_BUCKET];
    float w[RR_TEXT_TERMS], sc[RR_TEXT_TERMS * RR_TEXT_BUCKET];
    size_t nt = rr_text_intent(&tt, uid, 1700000000000LL + (int64_t)size, hash, w, NULL);
    size_t m = rr_text_lookup(&tt, hash, w, nt, ids, sc, RR_TEXT_TERMS * RR_TEXT_BUCKET);
    for (size_t i = 0; i < m; i++)
        if (ids[i] >= 64 || !(sc[i] > 0 && sc[i] <= 1.0001f)) abort();
    return 0;
}
