/* rr_varint.h — private to proto/: protobuf base-128 varints, shared by the frame files and the
 * hand-scanned top level of Recommendations. */
#ifndef RR_VARINT_H
#define RR_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define RR_VARINT_MAX 10 /* bytes of the longest 64-bit varint */

/* Writes v to out (RR_VARINT_MAX bytes available); returns the bytes used. */
static inline size_t rr_varint_encode(uint64_t v, unsigned char *out)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (unsigned char)v;
    return n;
}

static inline size_t rr_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Reads a varint from p[0..len). Returns the bytes consumed, 0 when the input ends inside it,
 * or -1 when it runs past RR_VARINT_MAX bytes or overflows 64 bits. */
static inline int rr_varint_decode(const unsigned char *p, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < RR_VARINT_MAX; i++) {
        if (i == len) return 0;
        if (i == RR_VARINT_MAX - 1 && p[i] > 1) return -1;
        v |= (uint64_t)(p[i] & 0x7F) << (7 * i);
        if (!(p[i] & 0x80)) {
            *out = v;
            return (int)i + 1;
        }
    }
    return -1;
}

#endif
