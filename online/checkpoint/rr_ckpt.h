/* rr_ckpt.h — the checkpoint container: a versioned file of tagged, checksummed sections, written
 * to a temp file, fsynced and renamed so a crash leaves either the old or the new checkpoint.
 * It knows nothing of engine state: callers encode each section's payload (little-endian). */
#ifndef RR_CKPT_H
#define RR_CKPT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "rr_err.h"

/* File layout, all integers little-endian:
 *   header   "RTRECKPT" u32 version u32 flags u64 created_ms u64 seq u64 xxh64(previous 32 bytes)
 *   section* u32 tag u32 sub u64 len u64 xxh64(payload) u64 xxh64(previous 24 bytes)
 *            payload[len], then zero padding to a multiple of 8
 *   trailer  a section tagged "END " (sub 0) whose payload is u64 count of sections before it;
 *            it ends the file.
 * xxh64 is rr_xxh64 (rr_xxh64.h) with seed 0.
 * Headers are 40 bytes and section headers 32, so every payload starts 8-byte aligned in the
 * file and in the reader's mapping. */
#define RR_CKPT_VERSION 1u

/* 'M','O','D','L' -> a u32 whose little-endian bytes read "MODL" in the file. Tags are 4
 * characters from [A-Za-z0-9_ ]; "END " is reserved. */
#define RR_CKPT_TAG(a, b, c, d)                                                                    \
    ((uint32_t)(uint8_t)(a) | (uint32_t)(uint8_t)(b) << 8 | (uint32_t)(uint8_t)(c) << 16 |         \
     (uint32_t)(uint8_t)(d) << 24)

/* Suggested tags; sub is the input partition for per-user state, else 0. */
#define RR_CKPT_MODL RR_CKPT_TAG('M', 'O', 'D', 'L') /* model parameters */
#define RR_CKPT_OPTS RR_CKPT_TAG('O', 'P', 'T', 'S') /* optimiser state */
#define RR_CKPT_USRS RR_CKPT_TAG('U', 'S', 'R', 'S') /* user ids of a partition */
#define RR_CKPT_PORT RR_CKPT_TAG('P', 'O', 'R', 'T') /* portraits of a partition */
#define RR_CKPT_ITEM RR_CKPT_TAG('I', 'T', 'E', 'M') /* item catalog and statistics */
#define RR_CKPT_COOC RR_CKPT_TAG('C', 'O', 'O', 'C') /* co-occurrence */
#define RR_CKPT_TRND RR_CKPT_TAG('T', 'R', 'N', 'D') /* trending */
#define RR_CKPT_RNG  RR_CKPT_TAG('R', 'N', 'G', ' ') /* RNG state */
#define RR_CKPT_OFFS RR_CKPT_TAG('O', 'F', 'F', 'S') /* consumed input offsets */
#define RR_CKPT_META RR_CKPT_TAG('M', 'E', 'T', 'A') /* config fingerprint, versions */
#define RR_CKPT_SYNC RR_CKPT_TAG('S', 'Y', 'N', 'C') /* sync-topic offsets merged */
#define RR_CKPT_END  RR_CKPT_TAG('E', 'N', 'D', ' ')

/* Writes "MODL" (NUL-terminated) into buf. */
void rr_ckpt_tag_str(uint32_t tag, char buf[5]);

/* Little-endian stores and loads, for encoding payloads portably. */
static inline void rr_ckpt_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void rr_ckpt_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t rr_ckpt_get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t rr_ckpt_get_le64(const uint8_t *p)
{
    return (uint64_t)rr_ckpt_get_le32(p) | (uint64_t)rr_ckpt_get_le32(p + 4) << 32;
}

/* ---- Writer (rr_ckpt_writer.c) --------------------------------------------------------------- */

typedef struct rr_ckpt_writer_s rr_ckpt_writer_t;

/* Creates dir/ckpt-<seq>.tmp (a stale temp of the same seq, left by a crash, is replaced).
 * errstr (may be NULL) receives the reason for this and any later failure of the writer, so it
 * must outlive the writer. Every call after the first failure returns that failure; the caller
 * then calls rr_ckpt_abort. Sequence numbers must grow: open_latest picks the largest. */
rr_ckpt_writer_t *rr_ckpt_begin(const char *dir, uint64_t seq, char *errstr, size_t errlen);
/* created_ms defaults to the wall clock at begin; tests pin it to get byte-identical files. */
void rr_ckpt_set_created_ms(rr_ckpt_writer_t *w, uint64_t created_ms);
/* One section at a time: begin, any number of writes (streamed through a buffer, hashed on the
 * way), end. A (tag, sub) pair may appear once per checkpoint (checked at commit). */
rr_err_t rr_ckpt_section_begin(rr_ckpt_writer_t *w, uint32_t tag, uint32_t sub);
rr_err_t rr_ckpt_write(rr_ckpt_writer_t *w, const void *data, size_t len);
rr_err_t rr_ckpt_section_end(rr_ckpt_writer_t *w);
/* begin + write + end. */
rr_err_t rr_ckpt_put(rr_ckpt_writer_t *w, uint32_t tag, uint32_t sub, const void *data, size_t len);
/* Little-endian encoders inside an open section. */
static inline rr_err_t rr_ckpt_write_u32(rr_ckpt_writer_t *w, uint32_t v)
{
    uint8_t b[4];
    rr_ckpt_put_le32(b, v);
    return rr_ckpt_write(w, b, sizeof(b));
}
static inline rr_err_t rr_ckpt_write_u64(rr_ckpt_writer_t *w, uint64_t v)
{
    uint8_t b[8];
    rr_ckpt_put_le64(b, v);
    return rr_ckpt_write(w, b, sizeof(b));
}
/* Through a small block, so the byte order is explicit on any host. */
static inline rr_err_t rr_ckpt_write_f32s(rr_ckpt_writer_t *w, const float *v, size_t n)
{
    uint8_t b[4 * 256];
    rr_err_t err = RR_OK;
    while (n > 0 && !err) {
        size_t k = n < 256 ? n : 256;
        for (size_t i = 0; i < k; i++) {
            uint32_t u;
            memcpy(&u, &v[i], 4);
            rr_ckpt_put_le32(b + 4 * i, u);
        }
        err = rr_ckpt_write(w, b, 4 * k);
        v += k, n -= k;
    }
    return err;
}
/* Writes the trailer and the final header, fsyncs the file, renames it to dir/ckpt-<seq>.rrc and
 * fsyncs dir. Frees w whatever happens; on failure the temp file is removed. */
rr_err_t rr_ckpt_commit(rr_ckpt_writer_t *w);
/* Removes the temp file and frees w. NULL is a no-op. */
void rr_ckpt_abort(rr_ckpt_writer_t *w);

/* ---- Reader (rr_ckpt_reader.c) --------------------------------------------------------------- */

typedef struct rr_ckpt_reader_s rr_ckpt_reader_t;

typedef struct rr_ckpt_section_s {
    uint32_t tag;
    uint32_t sub;
    uint64_t offset; /* of the payload in the file */
    uint64_t len;
    uint64_t digest;  /* xxh64 of the payload */
    const void *data; /* into the reader's mapping: valid until rr_ckpt_close, 8-byte aligned */
} rr_ckpt_section_t;

/* Maps path read-only and verifies everything: header, every section header and payload
 * checksum, padding, trailer count, no bytes after the trailer, no duplicate (tag, sub). NULL
 * with a precise errstr otherwise ("section USRS/3 at offset 1234: checksum mismatch"). */
rr_ckpt_reader_t *rr_ckpt_open(const char *path, char *errstr, size_t errlen);
/* NULL is a no-op. */
void rr_ckpt_close(rr_ckpt_reader_t *r);

typedef struct rr_ckpt_info_s {
    const char *path;
    uint32_t version;
    uint32_t flags;
    uint64_t created_ms;
    uint64_t seq;
    uint64_t file_size;
    size_t count; /* sections, trailer excluded */
} rr_ckpt_info_t;
/* Valid until rr_ckpt_close. */
const rr_ckpt_info_t *rr_ckpt_info(const rr_ckpt_reader_t *r);

/* RR_OK with the payload (8-byte aligned, valid until close), or RR_E(NOT_FOUND). */
rr_err_t rr_ckpt_find(const rr_ckpt_reader_t *r, uint32_t tag, uint32_t sub, const void **data,
                      size_t *len);
/* Sections in file order, trailer excluded: i in [0, info->count); NULL past the end. */
const rr_ckpt_section_t *rr_ckpt_section(const rr_ckpt_reader_t *r, size_t i);

/* A bounds-checked little-endian decoder over a payload: reads past the end set err to
 * RR_E(TRUNCATED) and return zeros, so a decoder checks err once at the end. */
typedef struct rr_ckpt_cursor_s {
    const uint8_t *p;
    size_t left;
    rr_err_t err;
} rr_ckpt_cursor_t;
static inline void rr_ckpt_cursor_init(rr_ckpt_cursor_t *c, const void *data, size_t len)
{
    c->p = data;
    c->left = len;
    c->err = RR_OK;
}
/* A pointer to the next n bytes (no copy), or NULL and err set. */
static inline const void *rr_ckpt_read_bytes(rr_ckpt_cursor_t *c, size_t n)
{
    if (c->err || n > c->left) {
        c->err = RR_E(TRUNCATED);
        return NULL;
    }
    c->p += n;
    c->left -= n;
    return c->p - n;
}
static inline uint32_t rr_ckpt_read_u32(rr_ckpt_cursor_t *c)
{
    const uint8_t *p = (const uint8_t *)rr_ckpt_read_bytes(c, 4);
    return p ? rr_ckpt_get_le32(p) : 0;
}
static inline uint64_t rr_ckpt_read_u64(rr_ckpt_cursor_t *c)
{
    const uint8_t *p = (const uint8_t *)rr_ckpt_read_bytes(c, 8);
    return p ? rr_ckpt_get_le64(p) : 0;
}
/* n floats; zeros if the payload is short. */
static inline void rr_ckpt_read_f32s(rr_ckpt_cursor_t *c, float *v, size_t n)
{
    const uint8_t *p = n <= SIZE_MAX / 4 ? (const uint8_t *)rr_ckpt_read_bytes(c, 4 * n) : NULL;
    if (!p) c->err = RR_E(TRUNCATED);
    for (size_t i = 0; i < n; i++) {
        uint32_t u = p ? rr_ckpt_get_le32(p + 4 * i) : 0;
        memcpy(&v[i], &u, 4);
    }
}

/* ---- Directory (rr_ckpt_dir.c): the checkpoints of one folder, by sequence number ------------ */

/* Called for each checkpoint open_latest skips; NULL logs a warning instead. */
typedef void (*rr_ckpt_skip_fn)(void *opaque, const char *path, const char *why);
/* Opens the valid dir/ckpt-<seq>.rrc with the largest seq, skipping newer invalid ones; temp
 * files are ignored. RR_OK and *out; RR_E(NOT_FOUND) if dir holds no checkpoint at all (a fresh
 * start); otherwise the error of the oldest candidate with errstr naming every failure. */
rr_err_t rr_ckpt_open_latest(const char *dir, rr_ckpt_reader_t **out, rr_ckpt_skip_fn on_skip,
                             void *opaque, char *errstr, size_t errlen);
/* The largest seq among dir's ckpt-<seq>.rrc names (not opened: it may be invalid).
 * RR_E(NOT_FOUND) if none or no such dir, RR_E(IO) if dir cannot be read. */
rr_err_t rr_ckpt_newest_seq(const char *dir, uint64_t *seq);
/* Deletes all but the newest `keep` checkpoints of dir by sequence number (keep < 2 counts as 2,
 * so a corrupt newest always has a predecessor), and temp files older than the newest kept. */
rr_err_t rr_ckpt_prune(const char *dir, unsigned keep);

#endif
