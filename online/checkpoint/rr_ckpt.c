/* rr_ckpt.c — checkpoint container: the streaming writer (temp file, fsync, rename), the
 * verifying mmap reader, newest-valid selection and pruning. Layout: see rr_ckpt.h. */
#include "rr_ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "rr_log.h"
#include "rr_xxh64.h"

#define HDR_LEN     40
#define SEC_HDR_LEN 32
#define WBUF_LEN    (1u << 20)
static const char MAGIC[8] = {'R', 'T', 'R', 'E', 'C', 'K', 'P', 'T'};

/* ---- Shared helpers ---------------------------------------------------------------------- */

void rr_ckpt_tag_str(uint32_t tag, char buf[5])
{
    for (int i = 0; i < 4; i++) buf[i] = (char)(tag >> (8 * i));
    buf[4] = '\0';
}

static int tag_valid(uint32_t tag)
{
    for (int i = 0; i < 4; i++) {
        int c = (int)(uint8_t)(tag >> (8 * i));
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == ' ';
        if (!ok) return 0;
    }
    return 1;
}

static void set_err(char *errstr, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *errstr, size_t errlen, const char *fmt, ...)
{
    if (!errstr || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errstr, errlen, fmt, ap);
    va_end(ap);
}

static char *path_join(const char *dir, uint64_t seq, const char *ext)
{
    int n = snprintf(NULL, 0, "%s/ckpt-%" PRIu64 ".%s", dir, seq, ext);
    char *p = malloc((size_t)n + 1);
    if (p) snprintf(p, (size_t)n + 1, "%s/ckpt-%" PRIu64 ".%s", dir, seq, ext);
    return p;
}

static void encode_header(uint8_t out[HDR_LEN], uint32_t flags, uint64_t created, uint64_t seq)
{
    memcpy(out, MAGIC, 8);
    rr_ckpt_put_le32(out + 8, RR_CKPT_VERSION);
    rr_ckpt_put_le32(out + 12, flags);
    rr_ckpt_put_le64(out + 16, created);
    rr_ckpt_put_le64(out + 24, seq);
    rr_ckpt_put_le64(out + 32, rr_xxh64(out, 32, 0));
}

static void encode_sec_header(uint8_t out[SEC_HDR_LEN], uint32_t tag, uint32_t sub, uint64_t len,
                              uint64_t digest)
{
    rr_ckpt_put_le32(out, tag);
    rr_ckpt_put_le32(out + 4, sub);
    rr_ckpt_put_le64(out + 8, len);
    rr_ckpt_put_le64(out + 16, digest);
    rr_ckpt_put_le64(out + 24, rr_xxh64(out, 24, 0));
}

static size_t pad8(uint64_t len)
{
    return (size_t)((8 - len % 8) % 8);
}

/* ---- Writer ------------------------------------------------------------------------------ */

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

#define WFAIL(w, code, ...) (set_err((w)->errstr, (w)->errlen, __VA_ARGS__), (w)->err = (code))

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
        set_err(errstr, errlen, "checkpoint writer: out of memory");
        return NULL;
    }
    w->fd = -1;
    w->seq = seq;
    w->created_ms = now_ms();
    w->errstr = errstr;
    w->errlen = errlen;
    w->dir = strdup(dir);
    w->tmp_path = path_join(dir, seq, "tmp");
    w->final_path = path_join(dir, seq, "rrc");
    w->buf = malloc(WBUF_LEN);
    if (!w->dir || !w->tmp_path || !w->final_path || !w->buf) {
        set_err(errstr, errlen, "checkpoint writer: out of memory");
        writer_free(w);
        return NULL;
    }
    w->fd = open(w->tmp_path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (w->fd < 0 && errno == EEXIST) { /* left by a writer that crashed before commit */
        unlink(w->tmp_path);
        w->fd = open(w->tmp_path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    }
    if (w->fd < 0) {
        set_err(errstr, errlen, "%s: %s", w->tmp_path, strerror(errno));
        writer_free(w);
        return NULL;
    }
    uint8_t zero[HDR_LEN] = {0}; /* the real header goes in at commit */
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
    if (!tag_valid(tag)) return WFAIL(w, RR_E(INVAL), "checkpoint: invalid section tag");
    w->in_section = 1;
    w->tag = tag;
    w->sub = sub;
    w->sec_off = w->off;
    w->sec_len = 0;
    rr_xxh64_init(&w->hash, 0);
    uint8_t zero[SEC_HDR_LEN] = {0};
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
    if (append(w, zero, pad8(w->sec_len))) return w->err;
    uint8_t hdr[SEC_HDR_LEN];
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

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static rr_err_t check_unique(rr_ckpt_writer_t *w)
{
    if (w->nkeys) qsort(w->keys, w->nkeys, sizeof(*w->keys), cmp_u64);
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
    uint8_t hdr[HDR_LEN];
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

/* ---- Directory: listing and pruning ------------------------------------------------------ */

/* Parses "ckpt-<digits>.<ext>"; 1 and *seq on a match. */
static int parse_name(const char *name, const char *ext, uint64_t *seq)
{
    if (strncmp(name, "ckpt-", 5) != 0) return 0;
    const char *p = name + 5, *q = p;
    uint64_t v = 0;
    for (; *q >= '0' && *q <= '9'; q++) {
        if (v > (UINT64_MAX - (uint64_t)(*q - '0')) / 10) return 0;
        v = v * 10 + (uint64_t)(*q - '0');
    }
    if (q == p || *q != '.' || strcmp(q + 1, ext) != 0) return 0;
    *seq = v;
    return 1;
}

static int cmp_u64_desc(const void *a, const void *b)
{
    return cmp_u64(b, a);
}

/* Sequence numbers of dir's files with extension ext, newest first. *seqs is malloc'd. */
static rr_err_t list_seqs(const char *dir, const char *ext, uint64_t **seqs, size_t *n)
{
    *seqs = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return RR_E(IO);
    size_t cap = 0;
    rr_err_t err = RR_OK;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        uint64_t seq;
        if (!parse_name(de->d_name, ext, &seq)) continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            uint64_t *grown = realloc(*seqs, cap * sizeof(**seqs));
            if (!grown) {
                err = RR_E(NOMEM);
                break;
            }
            *seqs = grown;
        }
        (*seqs)[(*n)++] = seq;
    }
    closedir(d);
    if (*n) qsort(*seqs, *n, sizeof(**seqs), cmp_u64_desc);
    return err;
}

static void unlink_seq(const char *dir, uint64_t seq, const char *ext)
{
    char *path = path_join(dir, seq, ext);
    if (path && unlink(path) != 0 && errno != ENOENT)
        RR_WARN("checkpoint prune: %s: %s", path, strerror(errno));
    free(path);
}

rr_err_t rr_ckpt_prune(const char *dir, unsigned keep)
{
    if (keep < 2) keep = 2;
    uint64_t *seqs, *tmps = NULL;
    size_t n, ntmp;
    rr_err_t err = list_seqs(dir, "rrc", &seqs, &n);
    if (!err) err = list_seqs(dir, "tmp", &tmps, &ntmp);
    if (err) {
        free(seqs);
        free(tmps);
        return err;
    }
    for (size_t i = keep; i < n; i++) unlink_seq(dir, seqs[i], "rrc");
    /* A temp not newer than a committed checkpoint is a crashed writer's leftover. */
    for (size_t i = 0; n > 0 && i < ntmp; i++)
        if (tmps[i] <= seqs[0]) unlink_seq(dir, tmps[i], "tmp");
    free(seqs);
    free(tmps);
    return RR_OK;
}

/* ---- Reader ------------------------------------------------------------------------------ */

typedef struct sec_key_s {
    uint64_t key; /* tag << 32 | sub */
    size_t idx;
} sec_key_t;

struct rr_ckpt_reader_s {
    rr_ckpt_info_t info;
    char *path;
    const uint8_t *map;
    size_t size;
    rr_ckpt_section_t *secs; /* file order */
    sec_key_t *index;        /* sorted by key, for find */
    size_t n;
};

static int cmp_key(const void *a, const void *b)
{
    return cmp_u64(&((const sec_key_t *)a)->key, &((const sec_key_t *)b)->key);
}

static rr_err_t read_header(rr_ckpt_reader_t *r, char *errstr, size_t errlen)
{
    const uint8_t *p = r->map;
    if (r->size < HDR_LEN) {
        set_err(errstr, errlen, "%s: %zu bytes, shorter than the header", r->path, r->size);
        return RR_E(TRUNCATED);
    }
    if (memcmp(p, MAGIC, 8) != 0) {
        set_err(errstr, errlen, "%s: not a checkpoint (bad magic)", r->path);
        return RR_E(DECODE);
    }
    if (rr_xxh64(p, 32, 0) != rr_ckpt_get_le64(p + 32)) {
        set_err(errstr, errlen, "%s: header: checksum mismatch", r->path);
        return RR_E(CHECKSUM);
    }
    r->info.version = rr_ckpt_get_le32(p + 8);
    r->info.flags = rr_ckpt_get_le32(p + 12);
    r->info.created_ms = rr_ckpt_get_le64(p + 16);
    r->info.seq = rr_ckpt_get_le64(p + 24);
    if (r->info.version != RR_CKPT_VERSION) {
        set_err(errstr, errlen, "%s: unsupported format version %" PRIu32, r->path,
                r->info.version);
        return RR_E(DECODE);
    }
    return RR_OK;
}

#define RFAIL(code, ...) (set_err(errstr, errlen, __VA_ARGS__), (code))

/* Checks the trailer's payload and that it ends the file. */
static rr_err_t check_trailer(rr_ckpt_reader_t *r, const rr_ckpt_section_t *s, uint64_t end,
                              char *errstr, size_t errlen)
{
    uint64_t at = s->offset - SEC_HDR_LEN;
    if (s->sub != 0 || s->len != 8)
        return RFAIL(RR_E(DECODE), "%s: trailer at offset %" PRIu64 ": malformed", r->path, at);
    uint64_t count = rr_ckpt_get_le64(s->data);
    if (count != r->n)
        return RFAIL(RR_E(DECODE),
                     "%s: trailer at offset %" PRIu64 ": counts %" PRIu64 " sections, found %zu",
                     r->path, at, count, r->n);
    if (end != r->size)
        return RFAIL(RR_E(DECODE), "%s: %" PRIu64 " bytes after the trailer", r->path,
                     (uint64_t)r->size - end);
    return RR_OK;
}

/* Verifies the section at off; fills *s and *next. */
static rr_err_t read_section(rr_ckpt_reader_t *r, uint64_t off, rr_ckpt_section_t *s,
                             uint64_t *next, char *errstr, size_t errlen)
{
    if (r->size - off < SEC_HDR_LEN)
        return RFAIL(RR_E(TRUNCATED), "%s: truncated at offset %" PRIu64 ": no trailer", r->path,
                     off);
    const uint8_t *p = r->map + off;
    if (rr_xxh64(p, 24, 0) != rr_ckpt_get_le64(p + 24))
        return RFAIL(RR_E(CHECKSUM), "%s: section header at offset %" PRIu64 ": checksum mismatch",
                     r->path, off);
    s->tag = rr_ckpt_get_le32(p);
    s->sub = rr_ckpt_get_le32(p + 4);
    s->len = rr_ckpt_get_le64(p + 8);
    s->digest = rr_ckpt_get_le64(p + 16);
    s->offset = off + SEC_HDR_LEN;
    s->data = p + SEC_HDR_LEN;
    char t[5];
    rr_ckpt_tag_str(s->tag, t);
    if (!tag_valid(s->tag))
        return RFAIL(RR_E(DECODE), "%s: section at offset %" PRIu64 ": invalid tag", r->path, off);
    uint64_t room = r->size - s->offset;
    if (s->len > room || pad8(s->len) > room - s->len)
        return RFAIL(RR_E(TRUNCATED),
                     "%s: section %s/%" PRIu32 " at offset %" PRIu64 ": %" PRIu64
                     "-byte payload runs past the end of the file",
                     r->path, t, s->sub, off, s->len);
    if (rr_xxh64(s->data, (size_t)s->len, 0) != s->digest)
        return RFAIL(RR_E(CHECKSUM),
                     "%s: section %s/%" PRIu32 " at offset %" PRIu64 ": checksum mismatch", r->path,
                     t, s->sub, off);
    for (size_t i = 0; i < pad8(s->len); i++)
        if (((const uint8_t *)s->data)[s->len + i] != 0)
            return RFAIL(RR_E(DECODE),
                         "%s: section %s/%" PRIu32 " at offset %" PRIu64 ": nonzero padding",
                         r->path, t, s->sub, off);
    *next = s->offset + s->len + pad8(s->len);
    return RR_OK;
}

static rr_err_t walk_sections(rr_ckpt_reader_t *r, char *errstr, size_t errlen)
{
    size_t cap = 0;
    for (uint64_t off = HDR_LEN;;) {
        rr_ckpt_section_t s;
        uint64_t next;
        rr_err_t err = read_section(r, off, &s, &next, errstr, errlen);
        if (err) return err;
        if (s.tag == RR_CKPT_END) return check_trailer(r, &s, next, errstr, errlen);
        if (r->n == cap) {
            cap = cap ? 2 * cap : 32;
            rr_ckpt_section_t *grown = realloc(r->secs, cap * sizeof(*grown));
            if (!grown) return RFAIL(RR_E(NOMEM), "%s: out of memory", r->path);
            r->secs = grown;
        }
        r->secs[r->n++] = s;
        off = next;
    }
}

static rr_err_t build_index(rr_ckpt_reader_t *r, char *errstr, size_t errlen)
{
    r->index = malloc((r->n ? r->n : 1) * sizeof(*r->index));
    if (!r->index) return RFAIL(RR_E(NOMEM), "%s: out of memory", r->path);
    for (size_t i = 0; i < r->n; i++)
        r->index[i] = (sec_key_t){(uint64_t)r->secs[i].tag << 32 | r->secs[i].sub, i};
    if (r->n) qsort(r->index, r->n, sizeof(*r->index), cmp_key);
    for (size_t i = 1; i < r->n; i++) {
        if (r->index[i].key != r->index[i - 1].key) continue;
        const rr_ckpt_section_t *s = &r->secs[r->index[i].idx];
        char t[5];
        rr_ckpt_tag_str(s->tag, t);
        return RFAIL(RR_E(DECODE), "%s: section %s/%" PRIu32 " appears twice", r->path, t, s->sub);
    }
    return RR_OK;
}

static rr_err_t map_file(rr_ckpt_reader_t *r, char *errstr, size_t errlen)
{
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        set_err(errstr, errlen, "%s: %s", r->path, strerror(errno));
        if (fd >= 0) close(fd);
        return RR_E(IO);
    }
    r->size = (size_t)st.st_size;
    if (r->size > 0) {
        void *m = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            set_err(errstr, errlen, "%s: mmap: %s", r->path, strerror(errno));
            close(fd);
            return RR_E(IO);
        }
        r->map = m;
        madvise(m, r->size, MADV_SEQUENTIAL); /* verification reads it front to back */
    }
    close(fd); /* the mapping keeps the file alive */
    return RR_OK;
}

static rr_err_t open_checked(const char *path, rr_ckpt_reader_t **out, char *errstr, size_t errlen)
{
    *out = NULL;
    rr_ckpt_reader_t *r = calloc(1, sizeof(*r));
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return RFAIL(RR_E(NOMEM), "%s: out of memory", path);
    }
    rr_err_t err = map_file(r, errstr, errlen);
    if (!err) err = read_header(r, errstr, errlen);
    if (!err) err = walk_sections(r, errstr, errlen);
    if (!err) err = build_index(r, errstr, errlen);
    r->info.path = r->path;
    r->info.file_size = r->size;
    r->info.count = r->n;
    if (err) {
        rr_ckpt_close(r);
        return err;
    }
    if (r->size) madvise((void *)r->map, r->size, MADV_NORMAL);
    *out = r;
    return RR_OK;
}

rr_ckpt_reader_t *rr_ckpt_open(const char *path, char *errstr, size_t errlen)
{
    rr_ckpt_reader_t *r;
    open_checked(path, &r, errstr, errlen);
    return r;
}

static void append_err(char *errstr, size_t errlen, const char *why)
{
    if (!errstr || errlen == 0) return;
    size_t used = strlen(errstr);
    if (used + 1 >= errlen) return;
    snprintf(errstr + used, errlen - used, "%s%s", used ? "; " : "", why);
}

rr_err_t rr_ckpt_open_latest(const char *dir, rr_ckpt_reader_t **out, rr_ckpt_skip_fn on_skip,
                             void *opaque, char *errstr, size_t errlen)
{
    *out = NULL;
    uint64_t *seqs;
    size_t n;
    if (errstr && errlen) errstr[0] = '\0';
    if (list_seqs(dir, "rrc", &seqs, &n) != RR_OK) {
        free(seqs);
        return RFAIL(RR_E(IO), "%s: cannot list: %s", dir, strerror(errno));
    }
    if (n == 0) {
        free(seqs);
        return RFAIL(RR_E(NOT_FOUND), "%s: no checkpoint", dir);
    }
    rr_err_t err = RR_OK;
    char why[512];
    for (size_t i = 0; i < n && !*out; i++) {
        char *path = path_join(dir, seqs[i], "rrc");
        err = path ? open_checked(path, out, why, sizeof(why)) : RR_E(NOMEM);
        if (!path) snprintf(why, sizeof(why), "out of memory");
        if (err && on_skip) on_skip(opaque, path ? path : dir, why);
        if (err && !on_skip) RR_WARN("skipping checkpoint: %s", why);
        if (err) append_err(errstr, errlen, why);
        free(path);
    }
    free(seqs);
    if (*out && errstr && errlen) errstr[0] = '\0';
    return *out ? RR_OK : err;
}

void rr_ckpt_close(rr_ckpt_reader_t *r)
{
    if (!r) return;
    if (r->map) munmap((void *)r->map, r->size);
    free(r->secs);
    free(r->index);
    free(r->path);
    free(r);
}

const rr_ckpt_info_t *rr_ckpt_info(const rr_ckpt_reader_t *r)
{
    return &r->info;
}

rr_err_t rr_ckpt_find(const rr_ckpt_reader_t *r, uint32_t tag, uint32_t sub, const void **data,
                      size_t *len)
{
    sec_key_t key = {(uint64_t)tag << 32 | sub, 0};
    const sec_key_t *hit = r->n ? bsearch(&key, r->index, r->n, sizeof(key), cmp_key) : NULL;
    if (!hit) return RR_E(NOT_FOUND);
    *data = r->secs[hit->idx].data;
    *len = (size_t)r->secs[hit->idx].len;
    return RR_OK;
}

const rr_ckpt_section_t *rr_ckpt_section(const rr_ckpt_reader_t *r, size_t i)
{
    return i < r->n ? &r->secs[i] : NULL;
}
