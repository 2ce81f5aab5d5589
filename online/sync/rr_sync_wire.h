/* rr_sync_wire.h — the byte level of a sync delta: a growing writer and a bounds-checked reader
 * of unsigned/zig-zag varints, raw bytes and weight vectors in f32, f16 or int8 (one f32 scale
 * per vector). Encoding a vector also yields the values a reader will decode, so the sender can
 * keep the quantisation error for its next delta instead of losing it. Not API outside sync/. */
#ifndef RR_SYNC_WIRE_H
#define RR_SYNC_WIRE_H
#include <stddef.h>
#include <stdint.h>
#include "rr_err.h"

typedef enum { RR_SYNC_F32 = 0, RR_SYNC_F16 = 1, RR_SYNC_INT8 = 2 } rr_sync_quant_t;

typedef struct rr_sync_writer_s {
    uint8_t *buf; /* owned; grows by doubling */
    size_t len, cap;
    int failed; /* an allocation failed: the buffer is incomplete */
} rr_sync_writer_t;

typedef struct rr_sync_reader_s {
    const uint8_t *p, *end;
    int failed; /* read past the end or a malformed varint: every later read returns 0 */
} rr_sync_reader_t;

void rr_sync_w_free(rr_sync_writer_t *w);
void rr_sync_w_bytes(rr_sync_writer_t *w, const void *data, size_t n);
void rr_sync_w_u8(rr_sync_writer_t *w, uint8_t v);
void rr_sync_w_var(rr_sync_writer_t *w, uint64_t v);
void rr_sync_w_svar(rr_sync_writer_t *w, int64_t v); /* zig-zag */
void rr_sync_w_f32(rr_sync_writer_t *w, float v);
void rr_sync_w_f64(rr_sync_writer_t *w, double v);
/* Writes n values in q; decoded[k] gets what rr_sync_r_vec will read back (may alias v). */
void rr_sync_w_vec(rr_sync_writer_t *w, rr_sync_quant_t q, const float *v, size_t n,
                   float *decoded);

uint8_t rr_sync_r_u8(rr_sync_reader_t *r);
uint64_t rr_sync_r_var(rr_sync_reader_t *r);
int64_t rr_sync_r_svar(rr_sync_reader_t *r);
float rr_sync_r_f32(rr_sync_reader_t *r);
double rr_sync_r_f64(rr_sync_reader_t *r);
/* n bytes in place (NULL when fewer remain). */
const uint8_t *rr_sync_r_bytes(rr_sync_reader_t *r, size_t n);
/* Reads n values written by rr_sync_w_vec in q into out. */
void rr_sync_r_vec(rr_sync_reader_t *r, rr_sync_quant_t q, float *out, size_t n);
/* Bytes one value takes in q (int8's scale aside). */
size_t rr_sync_quant_bytes(rr_sync_quant_t q);

/* IEEE half precision, round to nearest even; exposed for the tests. */
uint16_t rr_sync_f16_of(float f);
float rr_sync_f32_of_f16(uint16_t h);

/* CRC-32 (IEEE, zlib's): what librdkafka's default partitioner hashes a message key with. */
uint32_t rr_sync_crc32(const void *data, size_t n);

#endif
