/* test_proto_side.c — side files: each dialect written here (ml-100k u.user/u.item in latin-1,
 * movies.csv with quoted titles and a tags.csv beside it, Amazon item_meta.csv, JSON lines),
 * read back as Item/User messages; malformed lines fail with their line number; the Item and
 * User encoders round-trip through the decoders. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "rr_codec.h"
#include "rr_side.h"
#include "rr_test.h"

typedef struct got_s {
    rr_item_msg_t items[8];
    rr_user_msg_t users[8];
    size_t nitems, nusers;
} got_t;

static rr_err_t on_item(void *opaque, const rr_item_msg_t *item)
{
    got_t *g = opaque;
    if (g->nitems < 8) g->items[g->nitems++] = *item;
    return RR_OK;
}

static rr_err_t on_user(void *opaque, const rr_user_msg_t *user)
{
    got_t *g = opaque;
    if (g->nusers < 8) g->users[g->nusers++] = *user;
    return RR_OK;
}

static char dir[] = "/tmp/rr_side_test.XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char paths[8][256]; /* a few stay valid at once */
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, 256, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    fputs(text, fp);
    fclose(fp);
    return path;
}

static void test_ml100k(void)
{
    got_t g = {0};
    size_t n;
    char err[256];
    const char *users = write_file("u.user", "1|24|M|technician|85711\n2|53|F|other|T8H1N\n");
    CHECK_INT(rr_side_users(users, on_user, &g, &n, err, sizeof(err)), RR_OK);
    CHECK_INT(n, 2);
    CHECK_STR(g.users[0].user_id, "1");
    CHECK_INT(g.users[0].age, 24);
    CHECK_STR(g.users[0].gender, "M");
    CHECK_STR(g.users[0].occupation, "technician");
    CHECK_STR(g.users[0].region, "8");
    CHECK_STR(g.users[1].region, "T");
    /* "Misérables" in latin-1; genres Animation, Children's, Comedy. */
    const char *items = write_file(
        "u.item", "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                  "2|Mis\xe9rables|||http://y|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n");
    CHECK_INT(rr_side_items(items, on_item, &g, &n, err, sizeof(err)), RR_OK);
    CHECK_INT(n, 2);
    CHECK_STR(g.items[0].item_id, "1");
    CHECK_STR(g.items[0].title, "Toy Story (1995)");
    CHECK_STR(g.items[0].category, "Animation");
    CHECK_STR(g.items[0].tags, "Animation,Children's,Comedy");
    CHECK_STR(g.items[1].title, "Mis\xc3\xa9rables");
    CHECK_STR(g.items[1].category, ""); /* "unknown" alone is no category */
    CHECK_STR(g.items[1].tags, "unknown");
    CHECK(g.items[0].available == 1);
    write_file("u.user", "1|24|M|technician|85711\n3|x|M|writer|1\n");
    CHECK_INT(rr_side_users(users, on_user, &g, &n, err, sizeof(err)), RR_E(DECODE));
    CHECK(strstr(err, "u.user:2:") != NULL);
    CHECK_INT(n, 1);
}

static void test_movielens(void)
{
    got_t g = {0};
    size_t n;
    char err[256];
    write_file("tags.csv", "userId,movieId,tag,timestamp\n2,11,Funny,1\n3,11,\"pixar, good\",2\n"
                           "4,11,funny,3\n5,1,dark,4\n");
    const char *movies = write_file("movies.csv", "movieId,title,genres\n"
                                                  "11,\"American President, The (1995)\","
                                                  "Comedy|Drama|Romance\n"
                                                  "12,\"Say \"\"Hi\"\"\",(no genres listed)\n");
    CHECK_INT(rr_side_items(movies, on_item, &g, &n, err, sizeof(err)), RR_OK);
    CHECK_INT(n, 2);
    CHECK_STR(g.items[0].item_id, "11");
    CHECK_STR(g.items[0].title, "American President, The (1995)");
    CHECK_STR(g.items[0].category, "Comedy");
    CHECK_STR(g.items[0].tags, "Comedy,Drama,Romance,funny,pixar  good");
    CHECK_STR(g.items[1].title, "Say \"Hi\"");
    CHECK_STR(g.items[1].category, "");
    CHECK_STR(g.items[1].tags, "");
    unlink(write_file("tags.csv", ""));
    g.nitems = 0;
    CHECK_INT(rr_side_items(movies, on_item, &g, &n, err, sizeof(err)), RR_OK);
    CHECK_STR(g.items[0].tags, "Comedy,Drama,Romance"); /* no tags.csv: genres alone */
}

static void test_amazon_and_json(void)
{
    got_t g = {0};
    size_t n;
    char err[256];
    const char *meta =
        write_file("item_meta.csv", "item_id\ti_category\tr_complement\tr_substitute\n"
                                    "1\t0\t[6285, 194]\t[6285]\n2\t7\t[]\t[]\n");
    CHECK_INT(rr_side_items(meta, on_item, &g, &n, err, sizeof(err)), RR_OK);
    CHECK_INT(n, 2);
    CHECK_STR(g.items[1].item_id, "2");
    CHECK_STR(g.items[1].category, "7");
    g.nitems = 0;
    const char *cx = write_file("items.tsv", "item_id\ttitle\tpublish_day_march2014\n"
                                             "100624617\t许善达：我为何反对房产税\t3\n");
    CHECK_INT(rr_side_items(cx, on_item, &g, &n, err, sizeof(err)), RR_OK);
    CHECK_INT(n, 1);
    CHECK_STR(g.items[0].item_id, "100624617");
    CHECK_STR(g.items[0].title, "许善达：我为何反对房产税");
    CHECK_STR(g.items[0].category, ""); /* not the title, as the amazon dialect would read it */
    CHECK(g.items[0].available_from_ms == 1393776000000LL); /* 2014-03-03 00:00 +08:00 */
    g.nitems = 0;
    const char *jl = write_file(
        "items.jsonl", "{\"item_id\":\"sku1\",\"title\":\"Running shoes\",\"category\":\"shoes\"}\n"
                       "{\"title\":\"no id\"}\n");
    CHECK_INT(rr_side_items(jl, on_item, &g, &n, err, sizeof(err)), RR_E(NO_ITEM));
    CHECK_INT(n, 1);
    CHECK_STR(g.items[0].title, "Running shoes");
    CHECK(strstr(err, "items.jsonl:2:") != NULL);
    const char *ul =
        write_file("users.jsonl", "{\"user_id\":\"u7\",\"age\":41,\"region\":\"CA\"}\n");
    CHECK_INT(rr_side_users(ul, on_user, &g, &n, err, sizeof(err)), RR_OK);
    CHECK_STR(g.users[g.nusers - 1].region, "CA");
    CHECK_INT(rr_side_users("/nonexistent/u.user", on_user, &g, &n, err, sizeof(err)), RR_E(IO));
}

static void test_encoders_round_trip(void)
{
    rr_item_msg_t it, back;
    memset(&it, 0, sizeof(it));
    snprintf(it.item_id, sizeof(it.item_id), "11");
    snprintf(it.title, sizeof(it.title), "Toy Story");
    snprintf(it.category, sizeof(it.category), "Animation");
    snprintf(it.tags, sizeof(it.tags), "Animation,Comedy");
    it.available = 1;
    it.available_from_ms = 1393776000000LL;
    uint8_t buf[1024];
    size_t len;
    CHECK_INT(rr_item_encode_pb(&it, buf, sizeof(buf), &len), RR_OK);
    CHECK_INT(rr_item_decode_pb(buf, len, &back), RR_OK);
    CHECK(memcmp(&it, &back, sizeof(it)) == 0);
    CHECK_INT(rr_item_encode_pb(&it, buf, 4, &len), RR_E(FULL));
    rr_user_msg_t u, ub;
    memset(&u, 0, sizeof(u));
    snprintf(u.user_id, sizeof(u.user_id), "u1");
    u.age = 30;
    snprintf(u.gender, sizeof(u.gender), "F");
    snprintf(u.occupation, sizeof(u.occupation), "writer");
    snprintf(u.region, sizeof(u.region), "9");
    CHECK_INT(rr_user_encode_pb(&u, buf, sizeof(buf), &len), RR_OK);
    CHECK_INT(rr_user_decode_pb(buf, len, &ub), RR_OK);
    CHECK(memcmp(&u, &ub, sizeof(u)) == 0);
}

static void cleanup(void)
{
    static const char *const names[] = {"u.user",      "u.item",        "movies.csv", "tags.csv",
                                        "items.jsonl", "item_meta.csv", "users.jsonl"};
    char path[256];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void test_all(void)
{
    CHECK(mkdtemp(dir) != NULL);
    test_ml100k();
    test_movielens();
    test_amazon_and_json();
    test_encoders_round_trip();
    cleanup();
}

RR_TEST_MAIN(RR_TEST(test_all))
