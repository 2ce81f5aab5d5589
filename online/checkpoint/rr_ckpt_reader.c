/* rr_ckpt_reader.c — the checkpoint reader: maps a file read-only and verifies all of it (header,
 * every section's header, checksum and padding, the trailer) before handing out sections, found
 * by (tag, sub) or in file order. Layout: see rr_ckpt.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rr_ckpt.h"
#include "rr_ckpt_format.h"
#include "rr_xxh64.h"

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
    return rr_ckpt_cmp_u64(&((const sec_key_t *)a)->key, &((const sec_key_t *)b)->key);
}

static rr_err_t read_header(rr_ckpt_reader_t *r, char *errstr, size_t errlen)
{
    const uint8_t *p = r->map;
    if (r->size < RR_CKPT_HDR_LEN) {
        rr_ckpt_set_err(errstr, errlen, "%s: %zu bytes, shorter than the header", r->path, r->size);
        return RR_E(TRUNCATED);
    }
    if (memcmp(p, RR_CKPT_MAGIC, 8) != 0) {
        rr_ckpt_set_err(errstr, errlen, "%s: not a checkpoint (bad magic)", r->path);
        return RR_E(DECODE);
    }
    if (rr_xxh64(p, 32, 0) != rr_ckpt_get_le64(p + 32)) {
        rr_ckpt_set_err(errstr, errlen, "%s: header: checksum mismatch", r->path);
        return RR_E(CHECKSUM);
    }
    r->info.version = rr_ckpt_get_le32(p + 8);
    r->info.flags = rr_ckpt_get_le32(p + 12);
    r->info.created_ms = rr_ckpt_get_le64(p + 16);
    r->info.seq = rr_ckpt_get_le64(p + 24);
    if (r->info.version != RR_CKPT_VERSION) {
        rr_ckpt_set_err(errstr, errlen, "%s: unsupported format version %" PRIu32, r->path,
                        r->info.version);
        return RR_E(DECODE);
    }
    return RR_OK;
}

/* Checks the trailer's payload and that it ends the file. */
static rr_err_t check_trailer(rr_ckpt_reader_t *r, const rr_ckpt_section_t *s, uint64_t end,
                              char *errstr, size_t errlen)
{
    uint64_t at = s->offset - RR_CKPT_SEC_HDR_LEN;
    if (s->sub != 0 || s->len != 8)
        return RR_CKPT_FAIL(RR_E(DECODE), "%s: trailer at offset %" PRIu64 ": malformed", r->path,
                            at);
    uint64_t count = rr_ckpt_get_le64(s->data);
    if (count != r->n)
        return RR_CKPT_FAIL(RR_E(DECODE),
                            "%s: trailer at offset %" PRIu64 ": counts %" PRIu64
                            " sections, found %zu",
                            r->path, at, count, r->n);
    if (end != r->size)
        return RR_CKPT_FAIL(RR_E(DECODE), "%s: %" PRIu64 " bytes after the trailer", r->path,
                            (uint64_t)r->size - end);
    return RR_OK;
}

/* Verifies the section at off; fills *s and *next. */
static rr_err_t read_section(rr_ckpt_reader_t *r, uint64_t off, rr_ckpt_section_t *s,
                             uint64_t *next, char *errstr, size_t errlen)
{
    if (r->size - off < RR_CKPT_SEC_HDR_LEN)
        return RR_CKPT_FAIL(RR_E(TRUNCATED), "%s: truncated at offset %" PRIu64 ": no trailer",
                            r->path, off);
    const uint8_t *p = r->map + off;
    if (rr_xxh64(p, 24, 0) != rr_ckpt_get_le64(p + 24))
        return RR_CKPT_FAIL(RR_E(CHECKSUM),
                            "%s: section header at offset %" PRIu64 ": checksum mismatch", r->path,
                            off);
    s->tag = rr_ckpt_get_le32(p);
    s->sub = rr_ckpt_get_le32(p + 4);
    s->len = rr_ckpt_get_le64(p + 8);
    s->digest = rr_ckpt_get_le64(p + 16);
    s->offset = off + RR_CKPT_SEC_HDR_LEN;
    s->data = p + RR_CKPT_SEC_HDR_LEN;
    char t[5];
    rr_ckpt_tag_str(s->tag, t);
    if (!rr_ckpt_tag_valid(s->tag))
        return RR_CKPT_FAIL(RR_E(DECODE), "%s: section at offset %" PRIu64 ": invalid tag", r->path,
                            off);
    uint64_t room = r->size - s->offset;
    if (s->len > room || rr_ckpt_pad8(s->len) > room - s->len)
        return RR_CKPT_FAIL(RR_E(TRUNCATED),
                            "%s: section %s/%" PRIu32 " at offset %" PRIu64 ": %" PRIu64
                            "-byte payload runs past the end of the file",
                            r->path, t, s->sub, off, s->len);
    if (rr_xxh64(s->data, (size_t)s->len, 0) != s->digest)
        return RR_CKPT_FAIL(RR_E(CHECKSUM),
                            "%s: section %s/%" PRIu32 " at offset %" PRIu64 ": checksum mismatch",
                            r->path, t, s->sub, off);
    for (size_t i = 0; i < rr_ckpt_pad8(s->len); i++)
        if (((const uint8_t *)s->data)[s->len + i] != 0)
            return RR_CKPT_FAIL(RR_E(DECODE),
                                "%s: section %s/%" PRIu32 " at offset %" PRIu64 ": nonzero padding",
                                r->path, t, s->sub, off);
    *next = s->offset + s->len + rr_ckpt_pad8(s->len);
    return RR_OK;
}

static rr_err_t walk_sections(rr_ckpt_reader_t *r, char *errstr, size_t errlen)
{
    size_t cap = 0;
    for (uint64_t off = RR_CKPT_HDR_LEN;;) {
        rr_ckpt_section_t s;
        uint64_t next;
        rr_err_t err = read_section(r, off, &s, &next, errstr, errlen);
        if (err) return err;
        if (s.tag == RR_CKPT_END) return check_trailer(r, &s, next, errstr, errlen);
        if (r->n == cap) {
            cap = cap ? 2 * cap : 32;
            rr_ckpt_section_t *grown = realloc(r->secs, cap * sizeof(*grown));
            if (!grown) return RR_CKPT_FAIL(RR_E(NOMEM), "%s: out of memory", r->path);
            r->secs = grown;
        }
        r->secs[r->n++] = s;
        off = next;
    }
}

static rr_err_t build_index(rr_ckpt_reader_t *r, char *errstr, size_t errlen)
{
    r->index = malloc((r->n ? r->n : 1) * sizeof(*r->index));
    if (!r->index) return RR_CKPT_FAIL(RR_E(NOMEM), "%s: out of memory", r->path);
    for (size_t i = 0; i < r->n; i++)
        r->index[i] = (sec_key_t){(uint64_t)r->secs[i].tag << 32 | r->secs[i].sub, i};
    if (r->n) qsort(r->index, r->n, sizeof(*r->index), cmp_key);
    for (size_t i = 1; i < r->n; i++) {
        if (r->index[i].key != r->index[i - 1].key) continue;
        const rr_ckpt_section_t *s = &r->secs[r->index[i].idx];
        char t[5];
        rr_ckpt_tag_str(s->tag, t);
        return RR_CKPT_FAIL(RR_E(DECODE), "%s: section %s/%" PRIu32 " appears twice", r->path, t,
                            s->sub);
    }
    return RR_OK;
}

static rr_err_t map_file(rr_ckpt_reader_t *r, char *errstr, size_t errlen)
{
    int fd = open(r->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        rr_ckpt_set_err(errstr, errlen, "%s: %s", r->path, strerror(errno));
        if (fd >= 0) close(fd);
        return RR_E(IO);
    }
    r->size = (size_t)st.st_size;
    if (r->size > 0) {
        void *m = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            rr_ckpt_set_err(errstr, errlen, "%s: mmap: %s", r->path, strerror(errno));
            close(fd);
            return RR_E(IO);
        }
        r->map = m;
        madvise(m, r->size, MADV_SEQUENTIAL); /* verification reads it front to back */
    }
    close(fd); /* the mapping keeps the file alive */
    return RR_OK;
}

rr_err_t rr_ckpt_open_checked(const char *path, rr_ckpt_reader_t **out, char *errstr, size_t errlen)
{
    *out = NULL;
    rr_ckpt_reader_t *r = calloc(1, sizeof(*r));
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return RR_CKPT_FAIL(RR_E(NOMEM), "%s: out of memory", path);
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
    rr_ckpt_open_checked(path, &r, errstr, errlen);
    return r;
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
