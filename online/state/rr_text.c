/* rr_text.c — UTF-8 tokens of titles, tags and queries; see rr_text.h. */
#include <string.h>
#include "rr_text.h"

/* FNV-1a over the bytes from a seeded basis, then murmur3's finaliser (FNV alone leaves short
 * tokens' low bits, which pick index buckets, poorly mixed). */
uint32_t rr_text_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u ^ RR_TEXT_SEED;
    for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h ? h : 1u;
}

/* The code point at s[*i] (advancing *i), or -1 for an invalid sequence (one byte consumed):
 * overlong forms, surrogates and values past U+10FFFF are invalid. */
static int32_t utf8_next(const uint8_t *s, size_t len, size_t *i)
{
    uint8_t b = s[*i];
    int n = b < 0x80             ? 0
            : (b & 0xE0) == 0xC0 ? 1
            : (b & 0xF0) == 0xE0 ? 2
            : (b & 0xF8) == 0xF0 ? 3
                                 : -1;
    static const int32_t min[4] = {0, 0x80, 0x800, 0x10000};
    if (n < 0 || *i + (size_t)n >= len) { /* a lead byte cut by the end is invalid too */
        (*i)++;
        return -1;
    }
    int32_t cp = n == 0 ? b : b & (0x3F >> n);
    for (int k = 1; k <= n; k++) {
        uint8_t c = s[*i + (size_t)k];
        if ((c & 0xC0) != 0x80) {
            (*i)++;
            return -1;
        }
        cp = cp << 6 | (c & 0x3F);
    }
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        (*i)++;
        return -1;
    }
    *i += (size_t)n + 1;
    return cp;
}

static int is_cjk(int32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
           (cp >= 0xF900 && cp <= 0xFAFF);
}

/* A letter or digit of a word, lower-cased; -1 if cp is no word character. Latin-1 and Latin
 * Extended-A letters are kept (with their accents: "café" is not "cafe"). */
static int32_t word_char(int32_t cp)
{
    if ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z')) return cp;
    if (cp >= 'A' && cp <= 'Z') return cp + 32;
    if (cp < 0xC0 || cp > 0x17F || cp == 0xD7 || cp == 0xF7)
        return cp == 0xAA || cp == 0xB5 || cp == 0xBA ? cp : -1;
    if (cp <= 0xDE) return cp + 32;
    if (cp <= 0xFF) return cp;
    if (cp == 0x178) return 0xFF;
    /* Extended-A pairs upper/lower as even/odd, except 0x139..0x148 and 0x179..0x17E (odd/even). */
    int odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (cp == 0x138 || cp == 0x149 || cp == 0x17F) return cp;
    return (cp & 1) == odd_upper ? cp + 1 : cp;
}

static size_t utf8_put(char *dst, int32_t cp)
{
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | cp >> 6);
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    dst[0] = (char)(0xE0 | cp >> 12);
    dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[2] = (char)(0x80 | (cp & 0x3F));
    return 3; /* word and CJK characters are all in the BMP */
}

typedef struct emit_s {
    rr_text_token_t *out;
    size_t cap, n;
} emit_t;

/* Adds a token unless already there; the display text is cut at a character boundary. */
static void emit(emit_t *em, const char *tok, size_t len)
{
    if (em->n == em->cap) return;
    uint32_t h = rr_text_hash(tok, len);
    for (size_t k = 0; k < em->n; k++)
        if (em->out[k].hash == h) return;
    rr_text_token_t *t = &em->out[em->n++];
    size_t keep = len < RR_TEXT_TOKEN_MAX - 1 ? len : RR_TEXT_TOKEN_MAX - 1;
    while (keep > 0 && keep < len && ((uint8_t)tok[keep] & 0xC0) == 0x80) keep--;
    t->hash = h;
    memset(t->text, 0, sizeof(t->text)); /* whole bytes: tables holding it compare and save */
    memcpy(t->text, tok, keep);
    t->text[keep] = '\0';
}

/* The tokenizer's state between code points. */
typedef struct scan_s {
    emit_t em;
    char word[RR_TEXT_WORD_MAX];
    size_t wlen;
    char prev[4]; /* the previous CJK character of the current run */
    size_t prev_len, run;
} scan_t;

/* One code point, or -1 (a separator: invalid byte, or the end of the text). */
static void scan_step(scan_t *sc, int32_t cp)
{
    int32_t wc = cp >= 0 ? word_char(cp) : -1;
    if (wc >= 0) {
        if (sc->wlen + 3 <= RR_TEXT_WORD_MAX) sc->wlen += utf8_put(sc->word + sc->wlen, wc);
    } else if (sc->wlen) {
        if (sc->wlen > 1) emit(&sc->em, sc->word, sc->wlen);
        sc->wlen = 0;
    }
    if (cp >= 0 && is_cjk(cp)) {
        char cur[4];
        size_t cur_len = utf8_put(cur, cp);
        if (sc->run) {
            char pair[8];
            memcpy(pair, sc->prev, sc->prev_len);
            memcpy(pair + sc->prev_len, cur, cur_len);
            emit(&sc->em, pair, sc->prev_len + cur_len);
        }
        memcpy(sc->prev, cur, cur_len);
        sc->prev_len = cur_len;
        sc->run++;
    } else {
        if (sc->run == 1) emit(&sc->em, sc->prev, sc->prev_len); /* a lone character */
        sc->run = 0;
    }
}

size_t rr_text_tokenize(const char *s, size_t len, rr_text_token_t *out, size_t cap)
{
    scan_t sc = {{out, cap, 0}, {0}, 0, {0}, 0, 0};
    size_t i = 0;
    while (i < len && sc.em.n < cap) scan_step(&sc, utf8_next((const uint8_t *)s, len, &i));
    scan_step(&sc, -1);
    return sc.em.n;
}
