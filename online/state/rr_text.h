/* rr_text.h — the tokenizer of item titles, tags, category paths and search queries: lower-cased
 * words of ASCII and Latin letters and digits, CJK runs (Han, kana, Hangul) as character bigrams,
 * everything else a separator (so "electronics.smartphone" gives its two parts). Each token is
 * hashed with a fixed seed, so its id is stable across runs and instances. Pure: no allocation,
 * no state; the caller owns every buffer. */
#ifndef RR_TEXT_H
#define RR_TEXT_H

#include <stddef.h>
#include <stdint.h>

#define RR_TEXT_TOKEN_MAX 16          /* bytes of a token's text kept for display, with the NUL */
#define RR_TEXT_WORD_MAX  64          /* longer words are cut here (bytes) before hashing */
#define RR_TEXT_SEED      0x72747263u /* "rtrc": changing it renumbers every stored token */

typedef struct rr_text_token_s {
    uint32_t hash;                /* never 0: 0 marks an empty slot in the tables */
    char text[RR_TEXT_TOKEN_MAX]; /* the normalised token, cut at a UTF-8 boundary */
} rr_text_token_t;

/* The distinct tokens of s[0..len) in order of first appearance, at most cap, into out; returns
 * the count. Invalid UTF-8 bytes are separators. One-byte words ("a", "s") are dropped. */
size_t rr_text_tokenize(const char *s, size_t len, rr_text_token_t *out, size_t cap);

/* The seeded 32-bit hash of a normalised token (what rr_text_tokenize puts in .hash). */
uint32_t rr_text_hash(const char *s, size_t len);

#endif
