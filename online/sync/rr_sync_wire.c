/* rr_sync_wire.c — varints, raw values and quantised vectors; see rr_sync_wire.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rr_sync_wire.h"

void rr_sync_w_free(rr_sync_writer_t *w)
{
    free(w->buf);
    memset(w, 0, sizeof(*w));
}

static int w_room(rr_sync_writer_t *w, size_t n)
{
    if (w->failed) return 0;
    if (w->len + n <= w->cap) return 1;
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < w->len + n) cap *= 2;
    uint8_t *buf = realloc(w->buf, cap);
    if (!buf) {
        w->failed = 1;
        return 0;
    }
    w->buf = buf;
    w->cap = cap;
    return 1;
}

void rr_sync_w_bytes(rr_sync_writer_t *w, const void *data, size_t n)
{
    if (!n || !w_room(w, n)) return;
    memcpy(w->buf + w->len, data, n);
    w->len += n;
}

void rr_sync_w_u8(rr_sync_writer_t *w, uint8_t v)
{
    rr_sync_w_bytes(w, &v, 1);
}

void rr_sync_w_var(rr_sync_writer_t *w, uint64_t v)
{
    uint8_t b[10];
    size_t n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    rr_sync_w_bytes(w, b, n);
}

void rr_sync_w_svar(rr_sync_writer_t *w, int64_t v)
{
    rr_sync_w_var(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* Little-endian on the wire whatever the host. */
void rr_sync_w_f32(rr_sync_writer_t *w, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    uint8_t b[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
    rr_sync_w_bytes(w, b, 4);
}

void rr_sync_w_f64(rr_sync_writer_t *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    uint8_t b[8];
    for (int k = 0; k < 8; k++) b[k] = (uint8_t)(u >> (8 * k));
    rr_sync_w_bytes(w, b, 8);
}

uint16_t rr_sync_f16_of(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, mant = x & 0x7fffffu;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    if (((x >> 23) & 0xff) == 0xff) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
    if (exp >= 31) return (uint16_t)(sign | 0x7c00u); /* overflow: infinity */
    if (exp <= 0) {                                   /* subnormal or zero */
        if (exp < -10) return (uint16_t)sign;
        mant |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t half = mant >> shift, rest = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rest > mid || (rest == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = (uint32_t)exp << 10 | mant >> 13, rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1))) half++; /* may carry into exp */
    return (uint16_t)(sign | half);
}

float rr_sync_f32_of_f16(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    float f;
    if (exp == 0) {
        f = ldexpf((float)mant, -24);
        return sign ? -f : f;
    }
    uint32_t x = sign | (exp == 31 ? 0x7f800000u | mant << 13 : (exp + 112) << 23 | mant << 13);
    memcpy(&f, &x, 4);
    return f;
}

size_t rr_sync_quant_bytes(rr_sync_quant_t q)
{
    return q == RR_SYNC_F16 ? 2 : q == RR_SYNC_INT8 ? 1 : 4;
}

/* int8: v ≈ scale · k, k in [-127, 127], scale = max|v| / 127. */
static void w_vec_int8(rr_sync_writer_t *w, const float *v, size_t n, float *decoded)
{
    float amax = 0;
    for (size_t k = 0; k < n; k++) amax = fabsf(v[k]) > amax ? fabsf(v[k]) : amax;
    float scale = amax / 127.0f;
    rr_sync_w_f32(w, scale);
    if (!w_room(w, n)) return;
    for (size_t k = 0; k < n; k++) {
        long i = scale > 0 ? lrintf(v[k] / scale) : 0;
        i = i > 127 ? 127 : i < -127 ? -127 : i;
        w->buf[w->len++] = (uint8_t)(int8_t)i;
        decoded[k] = scale * (float)i;
    }
}

void rr_sync_w_vec(rr_sync_writer_t *w, rr_sync_quant_t q, const float *v, size_t n, float *decoded)
{
    if (q == RR_SYNC_INT8) {
        w_vec_int8(w, v, n, decoded);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        if (q == RR_SYNC_F16) {
            uint16_t h = rr_sync_f16_of(v[k]);
            uint8_t b[2] = {(uint8_t)h, (uint8_t)(h >> 8)};
            rr_sync_w_bytes(w, b, 2);
            decoded[k] = rr_sync_f32_of_f16(h);
        } else {
            float x = v[k];
            rr_sync_w_f32(w, x);
            decoded[k] = x;
        }
    }
}

const uint8_t *rr_sync_r_bytes(rr_sync_reader_t *r, size_t n)
{
    if (r->failed || (size_t)(r->end - r->p) < n) {
        r->failed = 1;
        return NULL;
    }
    const uint8_t *at = r->p;
    r->p += n;
    return at;
}

uint8_t rr_sync_r_u8(rr_sync_reader_t *r)
{
    const uint8_t *b = rr_sync_r_bytes(r, 1);
    return b ? b[0] : 0;
}

uint64_t rr_sync_r_var(rr_sync_reader_t *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        const uint8_t *b = rr_sync_r_bytes(r, 1);
        if (!b) return 0;
        v |= (uint64_t)(b[0] & 0x7f) << shift;
        if (!(b[0] & 0x80)) return v;
    }
    r->failed = 1; /* more than 10 bytes */
    return 0;
}

int64_t rr_sync_r_svar(rr_sync_reader_t *r)
{
    uint64_t u = rr_sync_r_var(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

float rr_sync_r_f32(rr_sync_reader_t *r)
{
    const uint8_t *b = rr_sync_r_bytes(r, 4);
    if (!b) return 0;
    uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

double rr_sync_r_f64(rr_sync_reader_t *r)
{
    const uint8_t *b = rr_sync_r_bytes(r, 8);
    if (!b) return 0;
    uint64_t u = 0;
    for (int k = 0; k < 8; k++) u |= (uint64_t)b[k] << (8 * k);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

void rr_sync_r_vec(rr_sync_reader_t *r, rr_sync_quant_t q, float *out, size_t n)
{
    float scale = q == RR_SYNC_INT8 ? rr_sync_r_f32(r) : 0;
    const uint8_t *b = rr_sync_r_bytes(r, n * rr_sync_quant_bytes(q));
    if (!b) {
        memset(out, 0, n * sizeof(*out));
        return;
    }
    for (size_t k = 0; k < n; k++) {
        if (q == RR_SYNC_INT8)
            out[k] = scale * (float)(int8_t)b[k];
        else if (q == RR_SYNC_F16)
            out[k] = rr_sync_f32_of_f16((uint16_t)(b[2 * k] | b[2 * k + 1] << 8));
        else {
            uint32_t u = (uint32_t)b[4 * k] | (uint32_t)b[4 * k + 1] << 8 |
                         (uint32_t)b[4 * k + 2] << 16 | (uint32_t)b[4 * k + 3] << 24;
            memcpy(&out[k], &u, 4);
        }
    }
}

uint32_t rr_sync_crc32(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}
