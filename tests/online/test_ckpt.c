/* test_ckpt.c — the checkpoint container: round trips (large, empty, unaligned sections), every
 * single-byte corruption and every truncation rejected at open, crash leftovers ignored,
 * fallback from a corrupt newest, pruning, and byte-identical files for identical input. */
#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rr_ckpt.h"
#include "rr_test.h"
#include "rr_xxh64.h"

static char *make_dir(char *buf)
{
    strcpy(buf, "/tmp/rr_ckpt_test.XXXXXX");
    return mkdtemp(buf);
}

static int file_exists(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    *len = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc(*len ? *len : 1);
    if (fread(buf, 1, *len, fp) != *len) *len = 0;
    fclose(fp);
    return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    if (len) CHECK(fwrite(data, 1, len, fp) == len);
    fclose(fp);
}

/* A small checkpoint with a few sections of odd sizes; seq and created_ms are pinned. */
static void write_small(const char *dir, uint64_t seq)
{
    char errstr[256];
    rr_ckpt_writer_t *w = rr_ckpt_begin(dir, seq, errstr, sizeof(errstr));
    CHECK(w != NULL);
    if (!w) return;
    rr_ckpt_set_created_ms(w, 1700000000000ull);
    float params[5] = {1.5f, -2.0f, 0.25f, 3.0f, (float)seq};
    CHECK_INT(rr_ckpt_section_begin(w, RR_CKPT_MODL, 0), RR_OK);
    CHECK_INT(rr_ckpt_write_f32s(w, params, 5), RR_OK);
    CHECK_INT(rr_ckpt_section_end(w), RR_OK);
    CHECK_INT(rr_ckpt_put(w, RR_CKPT_USRS, 3, NULL, 0), RR_OK);
    CHECK_INT(rr_ckpt_put(w, RR_CKPT_RNG, 0, "seedxyz", 7), RR_OK);
    CHECK_INT(rr_ckpt_section_begin(w, RR_CKPT_OFFS, 0), RR_OK);
    CHECK_INT(rr_ckpt_write_u32(w, 2), RR_OK);
    CHECK_INT(rr_ckpt_write_u64(w, 12345), RR_OK);
    CHECK_INT(rr_ckpt_write_u64(w, 678), RR_OK);
    CHECK_INT(rr_ckpt_section_end(w), RR_OK);
    CHECK_INT(rr_ckpt_commit(w), RR_OK);
}

static void test_xxh64(void)
{
    CHECK(rr_xxh64("", 0, 0) == 0xEF46DB3751D8E999ull);
    CHECK(rr_xxh64("abc", 3, 0) == 0x44BC2CF5AD770999ull);
    unsigned char buf[1000];
    for (size_t i = 0; i < sizeof(buf); i++) buf[i] = (unsigned char)(i * 31 + 7);
    for (size_t len = 0; len <= sizeof(buf); len += 37) {
        uint64_t one = rr_xxh64(buf, len, 99);
        rr_xxh64_t h;
        rr_xxh64_init(&h, 99);
        for (size_t off = 0, step = 1; off < len; off += step, step = step * 3 % 41 + 1)
            rr_xxh64_update(&h, buf + off, off + step <= len ? step : len - off);
        CHECK(rr_xxh64_digest(&h) == one);
    }
}

static void test_roundtrip(void)
{
    char dbuf[64], errstr[256];
    const char *dir = make_dir(dbuf);
    CHECK(dir != NULL);
    size_t big_len = 8u << 20;
    unsigned char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++) big[i] = (unsigned char)((i * 2654435761u) >> 13);
    write_small(dir, 1); /* sections of the small file plus a big streamed one below */
    rr_ckpt_writer_t *w = rr_ckpt_begin(dir, 2, errstr, sizeof(errstr));
    CHECK(w != NULL);
    CHECK_INT(rr_ckpt_put(w, RR_CKPT_USRS, 0, NULL, 0), RR_OK);
    CHECK_INT(rr_ckpt_section_begin(w, RR_CKPT_PORT, 7), RR_OK);
    size_t off = 0, piece = 4097;
    while (off < big_len) { /* small pieces, then one larger than the writer's buffer */
        size_t n = off >= big_len / 2 ? big_len - off : piece;
        CHECK_INT(rr_ckpt_write(w, big + off, n), RR_OK);
        off += n;
    }
    CHECK_INT(rr_ckpt_section_end(w), RR_OK);
    CHECK_INT(rr_ckpt_put(w, RR_CKPT_META, 0, "v=1", 3), RR_OK);
    CHECK_INT(rr_ckpt_commit(w), RR_OK);
    CHECK(!file_exists(dir, "ckpt-2.tmp"));

    char path[512];
    snprintf(path, sizeof(path), "%s/ckpt-2.rrc", dir);
    rr_ckpt_reader_t *r = rr_ckpt_open(path, errstr, sizeof(errstr));
    CHECK(r != NULL);
    if (!r) fprintf(stderr, "open: %s\n", errstr);
    if (!r) goto out;
    CHECK_INT(rr_ckpt_info(r)->seq, 2);
    CHECK_INT(rr_ckpt_info(r)->version, RR_CKPT_VERSION);
    CHECK_INT(rr_ckpt_info(r)->count, 3);
    const void *data;
    size_t len;
    CHECK_INT(rr_ckpt_find(r, RR_CKPT_PORT, 7, &data, &len), RR_OK);
    CHECK_INT(len, big_len);
    CHECK(memcmp(data, big, big_len) == 0);
    CHECK(((uintptr_t)data & 7) == 0);
    CHECK_INT(rr_ckpt_find(r, RR_CKPT_USRS, 0, &data, &len), RR_OK);
    CHECK_INT(len, 0);
    CHECK_INT(rr_ckpt_find(r, RR_CKPT_META, 0, &data, &len), RR_OK);
    CHECK(len == 3 && memcmp(data, "v=1", 3) == 0);
    CHECK_INT(rr_ckpt_find(r, RR_CKPT_PORT, 6, &data, &len), RR_E(NOT_FOUND));
    const rr_ckpt_section_t *s = rr_ckpt_section(r, 1);
    CHECK(s && s->tag == RR_CKPT_PORT && s->sub == 7 && s->digest == rr_xxh64(big, big_len, 0));
    CHECK(rr_ckpt_section(r, 3) == NULL);
    rr_ckpt_close(r);

    snprintf(path, sizeof(path), "%s/ckpt-1.rrc", dir);
    r = rr_ckpt_open(path, errstr, sizeof(errstr));
    CHECK(r != NULL);
    if (!r) goto out;
    CHECK_INT(rr_ckpt_find(r, RR_CKPT_MODL, 0, &data, &len), RR_OK);
    rr_ckpt_cursor_t c;
    float params[5];
    rr_ckpt_cursor_init(&c, data, len);
    rr_ckpt_read_f32s(&c, params, 5);
    CHECK_INT(c.err, RR_OK);
    CHECK(params[0] == 1.5f && params[1] == -2.0f && params[4] == 1.0f && c.left == 0);
    CHECK_INT(rr_ckpt_find(r, RR_CKPT_OFFS, 0, &data, &len), RR_OK);
    rr_ckpt_cursor_init(&c, data, len);
    CHECK_INT(rr_ckpt_read_u32(&c), 2);
    CHECK_INT(rr_ckpt_read_u64(&c), 12345);
    CHECK_INT(rr_ckpt_read_u64(&c), 678);
    CHECK_INT(c.err, RR_OK);
    CHECK_INT(rr_ckpt_read_u32(&c), 0); /* past the end */
    CHECK_INT(c.err, RR_E(TRUNCATED));
    CHECK_INT(rr_ckpt_find(r, RR_CKPT_RNG, 0, &data, &len), RR_OK);
    CHECK(len == 7 && memcmp(data, "seedxyz", 7) == 0);
    rr_ckpt_close(r);
out:
    free(big);
    rr_test_remove_dir(dir);
}

/* Every byte flipped (two ways), every truncation and one appended byte must fail open. */
static void test_corruption(void)
{
    char dbuf[64], errstr[256], path[512], bad[512];
    const char *dir = make_dir(dbuf);
    write_small(dir, 1);
    snprintf(path, sizeof(path), "%s/ckpt-1.rrc", dir);
    snprintf(bad, sizeof(bad), "%s/bad.rrc", dir);
    size_t len;
    unsigned char *file = slurp(path, &len);
    CHECK(file != NULL && len > 100);
    if (!file) return;
    int undetected = 0;
    for (size_t i = 0; i < len; i++) {
        for (int k = 0; k < 2; k++) {
            unsigned char saved = file[i];
            file[i] ^= k ? 0xFF : 0x01;
            spit(bad, file, len);
            file[i] = saved;
            rr_ckpt_reader_t *r = rr_ckpt_open(bad, errstr, sizeof(errstr));
            if (r) fprintf(stderr, "flip at %zu undetected\n", i);
            undetected += r != NULL;
            rr_ckpt_close(r);
        }
    }
    CHECK_INT(undetected, 0);
    for (size_t cut = 0; cut < len; cut++) {
        spit(bad, file, cut);
        rr_ckpt_reader_t *r = rr_ckpt_open(bad, errstr, sizeof(errstr));
        if (r) fprintf(stderr, "truncation at %zu undetected\n", cut);
        undetected += r != NULL;
        rr_ckpt_close(r);
    }
    CHECK_INT(undetected, 0);
    unsigned char *longer = malloc(len + 1);
    memcpy(longer, file, len);
    longer[len] = 0;
    spit(bad, longer, len + 1);
    CHECK(rr_ckpt_open(bad, errstr, sizeof(errstr)) == NULL);
    free(longer);

    /* The message names the section and its offset: the MODL payload is at byte 40+32. */
    file[40 + 32] ^= 1;
    spit(bad, file, len);
    CHECK(rr_ckpt_open(bad, errstr, sizeof(errstr)) == NULL);
    CHECK(strstr(errstr, "section MODL/0 at offset 40: checksum mismatch") != NULL);
    free(file);
    rr_test_remove_dir(dir);
}

static void skip_count(void *opaque, const char *path, const char *why)
{
    (void)why;
    CHECK(strstr(path, "ckpt-3.rrc") != NULL);
    (*(int *)opaque)++;
}

static void skip_any(void *opaque, const char *path, const char *why)
{
    (void)path, (void)why;
    (*(int *)opaque)++;
}

static void test_open_latest(void)
{
    char dbuf[64], errstr[512], path[512];
    const char *dir = make_dir(dbuf);
    rr_ckpt_reader_t *r = NULL;
    CHECK_INT(rr_ckpt_open_latest(dir, &r, NULL, NULL, errstr, sizeof(errstr)), RR_E(NOT_FOUND));
    for (uint64_t seq = 1; seq <= 3; seq++) write_small(dir, seq);
    /* A crash before commit leaves a newer temp file: ignored. */
    snprintf(path, sizeof(path), "%s/ckpt-4.tmp", dir);
    spit(path, "RTRECKPT partial", 16);
    CHECK_INT(rr_ckpt_open_latest(dir, &r, NULL, NULL, errstr, sizeof(errstr)), RR_OK);
    CHECK(r && rr_ckpt_info(r)->seq == 3);
    rr_ckpt_close(r);
    /* The crashed writer's seq can be written again: the stale temp is replaced. */
    rr_ckpt_writer_t *w = rr_ckpt_begin(dir, 4, errstr, sizeof(errstr));
    CHECK(w != NULL);
    rr_ckpt_abort(w);
    CHECK(!file_exists(dir, "ckpt-4.tmp"));

    /* Corrupt newest: fall back to 2, reporting the skip. */
    snprintf(path, sizeof(path), "%s/ckpt-3.rrc", dir);
    size_t len = 0;
    unsigned char *file = slurp(path, &len);
    file[len / 2] ^= 0x10;
    spit(path, file, len);
    free(file);
    int skipped = 0;
    CHECK_INT(rr_ckpt_open_latest(dir, &r, skip_count, &skipped, errstr, sizeof(errstr)), RR_OK);
    CHECK(r && rr_ckpt_info(r)->seq == 2);
    CHECK_INT(skipped, 1);
    rr_ckpt_close(r);

    /* All corrupt: an error that is not NOT_FOUND, naming each file. */
    for (uint64_t seq = 1; seq <= 2; seq++) {
        snprintf(path, sizeof(path), "%s/ckpt-%llu.rrc", dir, (unsigned long long)seq);
        spit(path, "junk", 4);
    }
    skipped = 0;
    rr_err_t err = rr_ckpt_open_latest(dir, &r, skip_any, &skipped, errstr, sizeof(errstr));
    CHECK_INT(skipped, 3);
    CHECK(err != RR_OK && err != RR_E(NOT_FOUND) && r == NULL);
    CHECK(strstr(errstr, "ckpt-3.rrc") && strstr(errstr, "ckpt-1.rrc"));
    rr_test_remove_dir(dir);
}

static void test_prune(void)
{
    char dbuf[64], path[512];
    const char *dir = make_dir(dbuf);
    for (uint64_t seq = 1; seq <= 5; seq++) write_small(dir, seq);
    snprintf(path, sizeof(path), "%s/ckpt-2.tmp", dir);
    spit(path, "x", 1); /* stale: older than the newest committed */
    snprintf(path, sizeof(path), "%s/ckpt-9.tmp", dir);
    spit(path, "x", 1); /* maybe in progress: kept */
    CHECK_INT(rr_ckpt_prune(dir, 3), RR_OK);
    CHECK(!file_exists(dir, "ckpt-1.rrc") && !file_exists(dir, "ckpt-2.rrc"));
    CHECK(file_exists(dir, "ckpt-3.rrc") && file_exists(dir, "ckpt-4.rrc"));
    CHECK(file_exists(dir, "ckpt-5.rrc"));
    CHECK(!file_exists(dir, "ckpt-2.tmp") && file_exists(dir, "ckpt-9.tmp"));
    CHECK_INT(rr_ckpt_prune(dir, 1), RR_OK); /* clamped to 2 */
    CHECK(!file_exists(dir, "ckpt-3.rrc"));
    CHECK(file_exists(dir, "ckpt-4.rrc") && file_exists(dir, "ckpt-5.rrc"));
    rr_test_remove_dir(dir);
}

static void test_deterministic(void)
{
    char d1[64], d2[64], p1[512], p2[512];
    make_dir(d1);
    make_dir(d2);
    write_small(d1, 7);
    write_small(d2, 7);
    snprintf(p1, sizeof(p1), "%s/ckpt-7.rrc", d1);
    snprintf(p2, sizeof(p2), "%s/ckpt-7.rrc", d2);
    size_t n1 = 0, n2 = 0;
    unsigned char *a = slurp(p1, &n1), *b = slurp(p2, &n2);
    CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
    free(a);
    free(b);
    rr_test_remove_dir(d1);
    rr_test_remove_dir(d2);
}

static void test_misuse(void)
{
    char dbuf[64], errstr[256];
    const char *dir = make_dir(dbuf);
    rr_ckpt_writer_t *w = rr_ckpt_begin(dir, 1, errstr, sizeof(errstr));
    CHECK_INT(rr_ckpt_section_begin(w, RR_CKPT_END, 0), RR_E(INVAL));
    rr_ckpt_abort(w);
    w = rr_ckpt_begin(dir, 1, errstr, sizeof(errstr));
    CHECK_INT(rr_ckpt_write(w, "x", 1), RR_E(INVAL));                /* outside a section */
    CHECK_INT(rr_ckpt_put(w, RR_CKPT_MODL, 0, "x", 1), RR_E(INVAL)); /* the error sticks */
    rr_ckpt_abort(w);
    w = rr_ckpt_begin(dir, 1, errstr, sizeof(errstr));
    CHECK_INT(rr_ckpt_section_begin(w, RR_CKPT_TAG('a', '-', 'b', 'c'), 0), RR_E(INVAL));
    rr_ckpt_abort(w);
    w = rr_ckpt_begin(dir, 1, errstr, sizeof(errstr));
    CHECK_INT(rr_ckpt_put(w, RR_CKPT_PORT, 2, "a", 1), RR_OK);
    CHECK_INT(rr_ckpt_put(w, RR_CKPT_PORT, 2, "b", 1), RR_OK);
    CHECK_INT(rr_ckpt_commit(w), RR_E(INVAL));
    CHECK(strstr(errstr, "PORT/2 written twice") != NULL);
    CHECK(!file_exists(dir, "ckpt-1.rrc") && !file_exists(dir, "ckpt-1.tmp"));
    CHECK(rr_ckpt_begin("/nonexistent/dir", 1, errstr, sizeof(errstr)) == NULL);
    rr_ckpt_abort(NULL);
    rr_ckpt_close(NULL);
    rr_test_remove_dir(dir);
}

RR_TEST_MAIN(RR_TEST(test_xxh64), RR_TEST(test_roundtrip), RR_TEST(test_corruption),
             RR_TEST(test_open_latest), RR_TEST(test_prune), RR_TEST(test_deterministic),
             RR_TEST(test_misuse))
