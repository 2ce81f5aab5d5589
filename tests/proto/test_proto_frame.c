/* test_proto_frame.c — length-delimited frame files (clean end, truncation, oversize resync,
 * bad varints) and rr_reader over text and frame files. */
#include <unistd.h>
#include "proto_fixtures.h"
#include "rr_test.h"

static void test_roundtrip(void)
{
    FILE *fp = tmpfile();
    unsigned char big[300], buf[512];
    size_t len;
    memset(big, 0xAB, sizeof big);
    CHECK_INT(rr_frame_write(fp, "hello", 5), RR_OK);
    CHECK_INT(rr_frame_write(fp, NULL, 0), RR_OK);
    CHECK_INT(rr_frame_write(fp, big, sizeof big), RR_OK); /* 2-byte length */
    rewind(fp);
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_OK);
    CHECK_INT(len, 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_OK);
    CHECK_INT(len, 0);
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_OK);
    CHECK_INT(len, sizeof big);
    CHECK(memcmp(buf, big, sizeof big) == 0);
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_E(EOF));
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_E(EOF));
    /* The layout is protobuf's writeDelimitedTo: varint 300 = AC 02. */
    rewind(fp);
    unsigned char raw[9];
    CHECK_INT(fread(raw, 1, sizeof raw, fp), sizeof raw);
    CHECK(raw[0] == 5 && raw[6] == 0 && raw[7] == 0xAC && raw[8] == 0x02);
    fclose(fp);
}

static FILE *file_of(const void *bytes, size_t n)
{
    FILE *fp = tmpfile();
    fwrite(bytes, 1, n, fp);
    rewind(fp);
    return fp;
}

static void test_truncated(void)
{
    unsigned char buf[64];
    size_t len;
    FILE *fp = file_of("\x0A"
                       "abcde",
                       6); /* says 10 bytes, has 5 */
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_E(TRUNCATED));
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_E(EOF));
    fclose(fp);
    fp = file_of("\x03"
                 "abc"
                 "\x80",
                 5); /* a good frame, then half a varint */
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_OK);
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_E(TRUNCATED));
    fclose(fp);
    fp = file_of("", 0);
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_E(EOF));
    fclose(fp);
}

static void test_too_long_resyncs(void)
{
    unsigned char payload[100], buf[50];
    size_t len = 0;
    FILE *fp = tmpfile();
    memset(payload, 'p', sizeof payload);
    CHECK_INT(rr_frame_write(fp, payload, sizeof payload), RR_OK);
    CHECK_INT(rr_frame_write(fp, "next", 4), RR_OK);
    rewind(fp);
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_E(TOO_LONG));
    CHECK_INT(len, 100);
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_OK);
    CHECK_INT(len, 4);
    CHECK(memcmp(buf, "next", 4) == 0);
    fclose(fp);
    /* A huge garbage length skips to the end instead of looping or allocating. */
    fp = file_of("\xFF\xFF\xFF\xFF\x0F"
                 "abc",
                 8);
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_E(TOO_LONG));
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_E(EOF));
    fclose(fp);
}

static void test_bad_varint(void)
{
    unsigned char buf[16];
    size_t len;
    FILE *fp = file_of("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 11); /* 11 bytes */
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_E(DECODE));
    fclose(fp);
    fp = file_of("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x02", 10); /* > 64 bits */
    CHECK_INT(rr_frame_read(fp, buf, sizeof buf, &len), RR_E(DECODE));
    fclose(fp);
}

/* Writes text to a fresh temporary file; returns its path (static buffer). */
static const char *temp_file(const void *bytes, size_t n)
{
    static char path[64];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/rr_proto_XXXXXX", dir ? dir : "/tmp");
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    CHECK_INT(write(fd, bytes, n), (long long)n);
    close(fd);
    return path;
}

static void test_reader_text(void)
{
    const char *text = "1,10,100,pv,1511544070\r\n"
                       "\n"
                       "2,20,200,nope,1511544070\n"
                       "3,30,300,buy\n"
                       "user_id,item_id,category_id,behavior,ts\n"
                       "4,40,400,cart,1511544071"; /* no final newline */
    const char *path = temp_file(text, strlen(text));
    char errstr[256];
    rr_event_t ev;
    rr_reader_t *rd = rr_reader_open(path, RR_FMT_TAOBAO, errstr, sizeof errstr);
    CHECK(rd != NULL);
    if (!rd) return;
    CHECK_INT(rr_reader_next(rd, &ev), RR_OK);
    CHECK_STR(ev.user_id, "1");
    CHECK_INT(rr_reader_position(rd), 1);
    CHECK_INT(rr_reader_next(rd, &ev), RR_E(BAD_TYPE)); /* the blank line was skipped */
    CHECK_INT(rr_reader_position(rd), 3);
    CHECK_INT(rr_reader_next(rd, &ev), RR_E(DECODE)); /* bad lines do not stop the reader */
    CHECK_INT(rr_reader_position(rd), 4);
    CHECK_INT(rr_reader_next(rd, &ev), RR_OK); /* the header-like line was skipped */
    CHECK_STR(ev.user_id, "4");
    CHECK_INT(ev.type, RR_EV_ADD_TO_CART);
    CHECK_INT(rr_reader_position(rd), 6);
    CHECK_INT(rr_reader_next(rd, &ev), RR_E(EOF));
    CHECK_INT(rr_reader_next(rd, &ev), RR_E(EOF));
    rr_reader_free(rd);
    unlink(path);
}

/* A JSONL line much longer than the initial line buffer. */
static void test_reader_long_line(void)
{
    size_t pad = 50000;
    char *text = malloc(pad + 128);
    strcpy(text, "{\"user_id\":\"u\",\"pad\":\"");
    size_t pos = strlen(text);
    memset(text + pos, 'x', pad);
    strcpy(text + pos + pad, "\",\"item_id\":\"i\",\"type\":\"view\"}\n{\"user_id\":\"v\"}\n");
    const char *path = temp_file(text, strlen(text));
    free(text);
    rr_event_t ev;
    rr_reader_t *rd = rr_reader_open(path, RR_FMT_JSONL, NULL, 0);
    CHECK(rd != NULL);
    if (!rd) return;
    CHECK_INT(rr_reader_next(rd, &ev), RR_OK);
    CHECK_STR(ev.item_id, "i");
    CHECK_INT(rr_reader_next(rd, &ev), RR_OK);
    CHECK_STR(ev.user_id, "v");
    CHECK_INT(rr_reader_next(rd, &ev), RR_E(EOF));
    rr_reader_free(rd);
    unlink(path);
}

static void test_reader_pb(void)
{
    char path[64];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/rr_proto_XXXXXX", dir ? dir : "/tmp");
    int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "wb");
    unsigned char buf[1024];
    size_t len;
    rr_event_t ev = fixture_event(), out;

    CHECK_INT(rr_event_encode_pb(&ev, buf, sizeof buf, &len), RR_OK);
    CHECK_INT(rr_frame_write(fp, buf, len), RR_OK);
    CHECK_INT(rr_frame_write(fp, "\xFF\xFF\xFF", 3), RR_OK); /* not an Event */
    strcpy(ev.user_id, "second");
    CHECK_INT(rr_event_encode_pb(&ev, buf, sizeof buf, &len), RR_OK);
    CHECK_INT(rr_frame_write(fp, buf, len), RR_OK);
    fwrite("\x20\x01", 1, 2, fp); /* a frame of 32 bytes with only 1 */
    fclose(fp);

    rr_reader_t *rd = rr_reader_open(path, RR_FMT_PB, NULL, 0);
    CHECK(rd != NULL);
    if (!rd) return;
    CHECK_INT(rr_reader_next(rd, &out), RR_OK);
    CHECK_STR(out.user_id, "541312140");
    CHECK_INT(rr_reader_next(rd, &out), RR_E(DECODE));
    CHECK_INT(rr_reader_position(rd), 2);
    CHECK_INT(rr_reader_next(rd, &out), RR_OK);
    CHECK(events_equal(&ev, &out));
    CHECK_INT(rr_reader_next(rd, &out), RR_E(TRUNCATED));
    CHECK_INT(rr_reader_position(rd), 4);
    CHECK_INT(rr_reader_next(rd, &out), RR_E(EOF));
    rr_reader_free(rd);
    unlink(path);
}

static void test_reader_open_errors(void)
{
    char errstr[256] = "";
    CHECK(rr_reader_open("/nonexistent/rr.csv", RR_FMT_TAOBAO, errstr, sizeof errstr) == NULL);
    CHECK(strstr(errstr, "/nonexistent/rr.csv") != NULL);
    CHECK(strstr(errstr, "No such file") != NULL);
    errstr[0] = '\0';
    CHECK(rr_reader_open("/dev/null", RR_FMT_NONE, errstr, sizeof errstr) == NULL);
    CHECK(errstr[0] != '\0');
    rr_reader_free(NULL);
    rr_reader_t *rd = rr_reader_open("/dev/null", RR_FMT_REES46, NULL, 0);
    rr_event_t ev;
    CHECK(rd != NULL);
    CHECK_INT(rr_reader_next(rd, &ev), RR_E(EOF));
    rr_reader_free(rd);
}

RR_TEST_MAIN(RR_TEST(test_roundtrip), RR_TEST(test_truncated), RR_TEST(test_too_long_resyncs),
             RR_TEST(test_bad_varint), RR_TEST(test_reader_text), RR_TEST(test_reader_long_line),
             RR_TEST(test_reader_pb), RR_TEST(test_reader_open_errors))
