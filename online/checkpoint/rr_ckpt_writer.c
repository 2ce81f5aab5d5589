/* rr_ckpt_writer.c — the checkpoint writer: sections streamed through a buffer into
 * dir/ckpt-<seq>.tmp and hashed on the way, headers patched in once their lengths and digests
 * are known, then fsync, rename to .rrc and fsync of the directory. Layout: see rr_ckpt.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "rr_ckpt.h"
#include "rr_ckpt_format.h"
#include "rr_xxh64.h"

#define WBUF_LEN (1u << 20)

struct rr_ckpt_writer_s {
    int fd;
    char *dir, *tmp_path, *final_path;
    uint64_t seq, created_ms;
    uint64_t off; /* logical file size: flushed bytes + buffered bytes */
    uint8_t *buf;
    size_t buflen;
    int in_section;
    uint32_t tag, sub;
    uint64_t sec_off, sec_len;
    rr_xxh64_t hash;
    uint64_t *keys; /* (tag << 32 | sub) of finished sections, for the duplicate check */
    size_t nkeys, capkeys;
    rr_err_t err; /* sticky: the first failure */
    char *errstr;
    size_t errlen;
};

#define WFAIL(w, code, ...)                                                                        \
    (rr_ckpt_set_err((w)->errstr, (w)->errlen, __VA_ARGS__), (w)->err = (code))

static rr_err_t write_all(rr_ckpt_writer_t *w, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(w->fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return WFAIL(w, RR_E(IO), "%s: write: %s", w->tmp_path, strerror(errno));
        p += n, len -= (size_t)n;
    }
    return RR_OK;
}

static rr_err_t flush_buf(rr_ckpt_writer_t *w)
{
    rr_err_t err = write_all(w, w->buf, w->buflen);
    w->buflen = 0;
    return err;
}

/* Appends raw bytes (no hashing); large writes bypass the buffer. */
static rr_err_t append(rr_ckpt_writer_t *w, const void *data, size_t len)
{
    if (w->err) return w->err;
    w->off += len;
    if (w->buflen + len <= WBUF_LEN) {
        if (len) memcpy(w->buf + w->buflen, data, len);
        w->buflen += len;
        return RR_OK;
    }
    if (flush_buf(w)) return w->err;
    if (len >= WBUF_LEN) return write_all(w, data, len);
    memcpy(w->buf, data, len);
    w->buflen = len;
    return RR_OK;
}

/* Writes bytes at an earlier file offset: in the buffer if still there, else with pwrite. */
static rr_err_t patch(rr_ckpt_writer_t *w, uint64_t at, const uint8_t *p, size_t len)
{
    uint64_t buf_start = w->off - w->buflen;
    if (at >= buf_start) {
        memcpy(w->buf + (at - buf_start), p, len);
        return RR_OK;
    }
    if (at + len > buf_start) { /* straddles: flush first so pwrite covers it all */
        if (flush_buf(w)) return w->err;
    }
    while (len > 0) {
        ssize_t n = pwrite(w->fd, p, len, (off_t)at);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return WFAIL(w, RR_E(IO), "%s: pwrite: %s", w->tmp_path, strerror(errno));
        p += n, len -= (size_t)n, at += (uint64_t)n;
    }
    return RR_OK;
}

/* The headers as the file holds them, each closed by the xxh64 of the bytes before it. */
static void encode_header(uint8_t out[RR_CKPT_HDR_LEN], uint32_t flags, uint64_t created,
                          uint64_t seq)
{
    memcpy(out, RR_CKPT_MAGIC, 8);
    rr_ckpt_put_le32(out + 8, RR_CKPT_VERSION);
    rr_ckpt_put_le32(out + 12, flags);
    rr_ckpt_put_le64(out + 16, created);
    rr_ckpt_put_le64(out + 24, seq);
    rr_ckpt_put_le64(out + 32, rr_xxh64(out, 32, 0));
}

static void encode_sec_header(uint8_t out[RR_CKPT_SEC_HDR_LEN], uint32_t tag, uint32_t sub,
                              uint64_t len, uint64_t digest)
{
    rr_ckpt_put_le32(out, tag);
    rr_ckpt_put_le32(out + 4, sub);
    rr_ckpt_put_le64(out + 8, len);
    rr_ckpt_put_le64(out + 16, digest);
    rr_ckpt_put_le64(out + 24, rr_xxh64(out, 24, 0));
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void writer_free(rr_ckpt_writer_t *w)
{
    if (w->fd >= 0) close(w->fd);
    free(w->dir);
    free(w->tmp_path);
    free(w->final_path);
    free(w->buf);
    free(w->keys);
    free(w);
}

rr_ckpt_writer_t *rr_ckpt_begin(const char *dir, uint64_t seq, char *errstr, size_t errlen)
{
    rr_ckpt_writer_t *w = calloc(1, sizeof(*w));
    if (!w) {
        rr_ckpt_set_err(errstr, errlen, "checkpoint writer: out of memory");
        return NULL;
    }
    w->fd = -1;
    w->seq = seq;
    w->created_ms = now_ms();
    w->errstr = errstr;
    w->errlen = errlen;
    w->dir = strdup(dir);
    w->tmp_path = rr_ckpt_path(dir, seq, "tmp");
    w->final_path = rr_ckpt_path(dir, seq, "rrc");
    w->buf = malloc(WBUF_LEN);
    if (!w->dir || !w->tmp_path || !w->final_path || !w->buf) {
        rr_ckpt_set_err(errstr, errlen, "checkpoint writer: out of memory");
        writer_free(w);
        return NULL;
    }
    w->fd = open(w->tmp_path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (w->fd < 0 && errno == EEXIST) { /* left by a writer that crashed before commit */
        unlink(w->tmp_path);
        w->fd = open(w->tmp_path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    }
    if (w->fd < 0) {
        rr_ckpt_set_err(errstr, errlen, "%s: %s", w->tmp_path, strerror(errno));
        writer_free(w);
        return NULL;
    }
    uint8_t zero[RR_CKPT_HDR_LEN] = {0}; /* the real header goes in at commit */
    append(w, zero, sizeof(zero));
    return w;
}

void rr_ckpt_set_created_ms(rr_ckpt_writer_t *w, uint64_t created_ms)
{
    w->created_ms = created_ms;
}

static rr_err_t section_open(rr_ckpt_writer_t *w, uint32_t tag, uint32_t sub)
{
    if (w->err) return w->err;
    if (w->in_section) return WFAIL(w, RR_E(INVAL), "checkpoint: section_begin inside a section");
    if (!rr_ckpt_tag_valid(tag)) return WFAIL(w, RR_E(INVAL), "checkpoint: invalid section tag");
    w->in_section = 1;
    w->tag = tag;
    w->sub = sub;
    w->sec_off = w->off;
    w->sec_len = 0;
    rr_xxh64_init(&w->hash, 0);
    uint8_t zero[RR_CKPT_SEC_HDR_LEN] = {0};
    return append(w, zero, sizeof(zero));
}

rr_err_t rr_ckpt_section_begin(rr_ckpt_writer_t *w, uint32_t tag, uint32_t sub)
{
    if (!w->err && tag == RR_CKPT_END)
        return WFAIL(w, RR_E(INVAL), "checkpoint: tag \"END \" is reserved");
    return section_open(w, tag, sub);
}

rr_err_t rr_ckpt_write(rr_ckpt_writer_t *w, const void *data, size_t len)
{
    if (w->err) return w->err;
    if (!w->in_section) return WFAIL(w, RR_E(INVAL), "checkpoint: write outside a section");
    rr_xxh64_update(&w->hash, data, len);
    w->sec_len += len;
    return append(w, data, len);
}

static rr_err_t remember_key(rr_ckpt_writer_t *w)
{
    if (w->nkeys == w->capkeys) {
        size_t cap = w->capkeys ? 2 * w->capkeys : 64;
        uint64_t *keys = realloc(w->keys, cap * sizeof(*keys));
        if (!keys) return WFAIL(w, RR_E(NOMEM), "checkpoint writer: out of memory");
        w->keys = keys;
        w->capkeys = cap;
    }
    w->keys[w->nkeys++] = (uint64_t)w->tag << 32 | w->sub;
    return RR_OK;
}

rr_err_t rr_ckpt_section_end(rr_ckpt_writer_t *w)
{
    if (w->err) return w->err;
    if (!w->in_section) return WFAIL(w, RR_E(INVAL), "checkpoint: section_end without begin");
    static const uint8_t zero[8] = {0};
    if (append(w, zero, rr_ckpt_pad8(w->sec_len))) return w->err;
    uint8_t hdr[RR_CKPT_SEC_HDR_LEN];
    encode_sec_header(hdr, w->tag, w->sub, w->sec_len, rr_xxh64_digest(&w->hash));
    w->in_section = 0;
    if (patch(w, w->sec_off, hdr, sizeof(hdr))) return w->err;
    return w->tag == RR_CKPT_END ? RR_OK : remember_key(w);
}

rr_err_t rr_ckpt_put(rr_ckpt_writer_t *w, uint32_t tag, uint32_t sub, const void *data, size_t len)
{
    if (rr_ckpt_section_begin(w, tag, sub) || rr_ckpt_write(w, data, len)) return w->err;
    return rr_ckpt_section_end(w);
}

static rr_err_t check_unique(rr_ckpt_writer_t *w)
{
    if (w->nkeys) qsort(w->keys, w->nkeys, sizeof(*w->keys), rr_ckpt_cmp_u64);
    for (size_t i = 1; i < w->nkeys; i++) {
        if (w->keys[i] != w->keys[i - 1]) continue;
        char t[5];
        rr_ckpt_tag_str((uint32_t)(w->keys[i] >> 32), t);
        return WFAIL(w, RR_E(INVAL), "checkpoint: section %s/%u written twice", t,
                     (unsigned)(uint32_t)w->keys[i]);
    }
    return RR_OK;
}

static rr_err_t fsync_dir(rr_ckpt_writer_t *w)
{
    int fd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        WFAIL(w, RR_E(IO), "%s: fsync: %s", w->dir, strerror(errno));
        if (fd >= 0) close(fd);
        return w->err;
    }
    close(fd);
    return RR_OK;
}

static rr_err_t commit_steps(rr_ckpt_writer_t *w)
{
    if (w->err) return w->err;
    if (w->in_section) return WFAIL(w, RR_E(INVAL), "checkpoint: commit inside a section");
    if (check_unique(w) || section_open(w, RR_CKPT_END, 0) || rr_ckpt_write_u64(w, w->nkeys) ||
        rr_ckpt_section_end(w) || flush_buf(w))
        return w->err;
    uint8_t hdr[RR_CKPT_HDR_LEN];
    encode_header(hdr, 0, w->created_ms, w->seq);
    if (patch(w, 0, hdr, sizeof(hdr))) return w->err;
    if (fsync(w->fd) != 0) return WFAIL(w, RR_E(IO), "%s: fsync: %s", w->tmp_path, strerror(errno));
    int rc = close(w->fd);
    w->fd = -1;
    if (rc != 0) return WFAIL(w, RR_E(IO), "%s: close: %s", w->tmp_path, strerror(errno));
    if (rename(w->tmp_path, w->final_path) != 0)
        return WFAIL(w, RR_E(IO), "rename %s: %s", w->tmp_path, strerror(errno));
    return fsync_dir(w); /* makes the rename itself durable */
}

rr_err_t rr_ckpt_commit(rr_ckpt_writer_t *w)
{
    rr_err_t err = commit_steps(w);
    if (err) unlink(w->tmp_path); /* a failed rename leaves the temp: never a half file */
    writer_free(w);
    return err;
}

void rr_ckpt_abort(rr_ckpt_writer_t *w)
{
    if (!w) return;
    unlink(w->tmp_path);
    writer_free(w);
}
