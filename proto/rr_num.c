/* rr_num.c — strict span-based number parsing shared by the JSON and CSV decoders. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rr_num.h"

#define NUM_TEXT_MAX 64 /* longer "numbers" are not numbers we accept */

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) (*s)++, (*len)--;
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) (*len)--;
}

int rr_num_i64(const char *s, size_t len, int64_t *out)
{
    int neg = 0;
    uint64_t v = 0;

    trim(&s, &len);
    if (len > 0 && (*s == '-' || *s == '+')) {
        neg = *s == '-';
        s++, len--;
    }
    if (len == 0) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned digit = (unsigned)(s[i] - '0');
        if (v > (UINT64_C(9223372036854775808) - digit) / 10) return -1;
        v = v * 10 + digit;
    }
    if (!neg && v > INT64_MAX) return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int rr_num_f32(const char *s, size_t len, float *out)
{
    char text[NUM_TEXT_MAX];
    char *end;

    trim(&s, &len);
    if (len == 0 || len >= sizeof text || memchr(s, '\0', len)) return -1;
    memcpy(text, s, len);
    text[len] = '\0';
    double d = strtod(text, &end);
    if (end != text + len) return -1;
    *out = rr_num_to_f32(d);
    return 0;
}

float rr_num_to_f32(double d)
{
    /* Out-of-range double -> float is undefined behaviour; make it an explicit infinity. */
    if (d > FLT_MAX) return INFINITY;
    if (d < -FLT_MAX) return -INFINITY;
    return (float)d;
}

int rr_num_exact_i64(double d, int64_t *out)
{
    const double limit = 9007199254740992.0; /* 2^53 */
    if (!(d >= -limit && d <= limit) || d != floor(d)) return -1;
    *out = (int64_t)d;
    return 0;
}
