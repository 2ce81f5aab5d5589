/* test_eval.c — `rtrec eval` on fixtures small enough to work out by hand: which events are
 * targets, the popularity and item-kNN hits and ranks, merge order of two files, equal times in
 * an unsorted ml100k file, JSON keys with the anchors (test_anchors.c checks their lists). */
#include <stdint.h>
#include <unistd.h>
#include "rr_baseline.h"
#include "rr_eval.h"
#include "rr_pipeline.h"
#include "rr_test.h"

/* Taobao CSV: user,item,category,behavior,ts. Counts after each line drive the comments. */
static const char *fixture_a = "1,A,c,pv,100\n"  /* u1 new: no target */
                               "2,A,c,pv,101\n"  /* u2 new */
                               "2,B,c,pv,102\n"  /* u2 known, B new: target 1 */
                               "1,B,c,pv,103\n"  /* target 2 */
                               "3,C,c,pv,104\n"  /* u3 new */
                               "1,C,c,pv,105\n"  /* target 3 */
                               "1,A,c,buy,106\n" /* repeat: not a target */
                               "2,D,c,pv,107\n"  /* target 4: D unseen, a miss for all */
                               "3,B,c,pv,108\n"  /* target 5 */
                               "2,C,c,pv,109\n"; /* target 6 */
/* Sorted after fixture_a although it comes second: ts 109 ties keep file order. */
static const char *fixture_b = "4,D,c,pv,111\n"  /* target 7 */
                               "4,A,c,pv,109\n"; /* u4 new */

/* Creates the file named by the template (its XXXXXX filled in), empty. */
static void make_temp(char *tmpl)
{
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    if (fd >= 0) close(fd);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    if (!fp) return;
    fputs(text, fp);
    fclose(fp);
}

static void json_of(const rr_eval_result_t *res, const char *const *files, size_t nfiles,
                    rr_format_t fmt, char *buf, size_t cap)
{
    memset(buf, 0, cap);
    FILE *fp = tmpfile();
    CHECK(fp != NULL);
    if (!fp) return;
    rr_eval_print_json(fp, res, files, nfiles, fmt);
    rewind(fp);
    CHECK(fread(buf, 1, cap - 1, fp) > 0);
    fclose(fp);
}

/* Every anchor's HR@10 and NDCG@10 under "anchors", cat_trend's only with categories, and the
 * best anchor with rtrec's ratio to it. */
static void check_anchor_keys(const char *json, int categories)
{
    char key[64];
    CHECK(strstr(json, "\"anchors\":{\"trend_5m\":{\"hr10\":"));
    for (int a = 0; a < RR_ANCHOR__COUNT; a++) {
        snprintf(key, sizeof(key), "\"%s\":{\"hr10\":", rr_anchor_name(a));
        int cat = strcmp(rr_anchor_family(a), "cat_trend") == 0;
        CHECK(!strstr(json, key) == (cat && !categories));
    }
    const char *keys[] = {"},\"best_trend\":\"trend_", "\"best_anchor\":\"",
                          "\"best_anchor_hr10\":",     "\"best_anchor_ndcg10\":",
                          "\"ratio_vs_best_anchor\":", "\"anchors_s\":"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) CHECK(strstr(json, keys[i]));
    CHECK(strstr(json, "\"ndcg10\":")); /* rtrec's keys are unchanged */
}

/* Hand-worked ranks (counts so far; ties: first-seen item first):
 * t1 u2 B: pop A1 -> excl A -> [] miss; kNN u2 [A], row A empty -> fill [] miss.
 * t2 u1 B: pop A2 B1 excl A -> [B] r0; kNN [A]: A-B 1 -> [B] r0.
 * t3 u1 C: pop A2 B2 C1 excl A,B -> [C] r0; kNN [A,B] rows hold only A,B -> fill [C] r0.
 * t4 u2 D: unseen, miss.
 * t5 u3 B: pop A3 B2 C2 D1 excl C -> [A,B,D] r1; kNN [C]: C-A 1, C-B 1 -> [A,B] r1.
 * t6 u2 C: pop A3 B3 C2 D1 excl A,B,D -> [C] r0; kNN: C scores A-C 1 + B-C 2 = 3 -> r0.
 * t7 u4 D: pop A4 B3 C3 D1 excl A -> [B,C,D] r2; kNN [A]: B 2, C 2, D 1 -> [B,C,D] r2. */
static void test_fixture(void)
{
    char a[] = "/tmp/rr_test_eval_aXXXXXX", b[] = "/tmp/rr_test_eval_bXXXXXX";
    make_temp(a);
    make_temp(b);
    write_file(a, fixture_a);
    write_file(b, fixture_b);
    const char *files[] = {a, b};
    rr_config_t cfg;
    rr_config_init(&cfg);
    rr_eval_result_t res;
    char errstr[256];
    CHECK_INT(rr_eval_run(&cfg, files, 2, RR_FMT_TAOBAO, NULL, &res, errstr, sizeof(errstr)),
              RR_OK);
    CHECK_INT(res.events, 12);
    CHECK_INT(res.users, 4);
    CHECK_INT(res.items, 4);
    CHECK_INT(res.targets, 7);
    double ndcg = 1 + 1 + 1 / log2(3.0) + 1 + 1 / log2(4.0);
    CHECK_INT(res.hits[RR_EVAL_POP], 5);
    CHECK_INT(res.hits[RR_EVAL_KNN], 5);
    CHECK(fabs(rr_eval_hr(&res, RR_EVAL_POP) - 5.0 / 7) < 1e-12);
    CHECK(fabs(res.ndcg_sum[RR_EVAL_POP] - ndcg) < 1e-9);
    CHECK(fabs(res.ndcg_sum[RR_EVAL_KNN] - ndcg) < 1e-9);
    CHECK(res.hits[RR_EVAL_RTREC] <= res.targets);
    CHECK(res.covered <= res.items);

    for (int m = 0; m < RR_EVAL__METHODS; m++) {
        CHECK(res.ran[m]); /* the fixture has categories: cat_trend runs too */
        CHECK(res.hits[m] <= res.targets);
    }
    char buf[8192];
    json_of(&res, files, 2, RR_FMT_TAOBAO, buf, sizeof(buf));
    const char *keys[] = {"\"events\":12,",
                          "\"targets\":7,",
                          "\"hr10\":",
                          "\"ndcg10\":",
                          "\"pop_hr10\":0.714286",
                          "\"knn_hr10\":0.714286",
                          "\"pop_ndcg10\":",
                          "\"knn_ndcg10\":",
                          "\"logloss\":",
                          "\"auc\":",
                          "\"events_per_s\":",
                          "\"coverage\":",
                          "\"best_cat_trend\":\"cat_trend_"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) CHECK(strstr(buf, keys[i]));
    check_anchor_keys(buf, 1);
    CHECK(!strstr(buf, "null")); /* the model is on by default: logloss and AUC are numbers */
    unlink(a);
    unlink(b);
}

/* u.data is not sorted: eval sorts by time and keeps file order among equal times. The two
 * events at 100 of user 2 come in file order (A, then B), then user 3's:
 *   t1 u2 B: pop C1 A1, own A -> [C], a miss.   t2 u3 A: pop C1 A1 B1, own C -> [A, B], rank 0.
 * Any other order of the three misses both. No categories: no cat_trend. */
static void test_ml100k_order(void)
{
    char path[] = "/tmp/rr_test_eval_mlXXXXXX";
    make_temp(path);
    write_file(path, "1\tA\t5\t200\n"
                     "3\tC\t4\t50\n"
                     "2\tA\t5\t100\n"
                     "2\tB\t3\t100\n"
                     "3\tA\t4\t100\n");
    const char *files[] = {path};
    rr_config_t cfg;
    rr_config_init(&cfg);
    rr_eval_result_t res;
    char errstr[256], buf[8192];
    CHECK_INT(rr_eval_run(&cfg, files, 1, RR_FMT_ML100K, NULL, &res, errstr, sizeof(errstr)),
              RR_OK);
    CHECK_INT(res.events, 5);
    CHECK_INT(res.targets, 2);
    CHECK_INT(res.hits[RR_EVAL_POP], 1);
    CHECK(fabs(res.ndcg_sum[RR_EVAL_POP] - 1.0) < 1e-12);
    CHECK(!res.ran[RR_EVAL_ANCHOR0 + RR_ANCHOR_CAT_TREND_1D]);
    json_of(&res, files, 1, RR_FMT_ML100K, buf, sizeof(buf));
    CHECK(strstr(buf, "\"format\":\"ml100k\""));
    CHECK(strstr(buf, "\"best_cat_trend\":null,"));
    check_anchor_keys(buf, 0);
    unlink(path);
}

/* Side files go to rtrec's pipeline before the events (counted), and the cold-start slice holds
 * the targets after a user's 1st to 3rd event: user 1's 2nd-4th events, not its 5th, and user
 * 2's 2nd. A missing side file fails the run and names the file. */
static void test_side_files_and_cold_slice(void)
{
    char data[] = "/tmp/rr_test_eval_sdXXXXXX", items[] = "/tmp/rr_test_eval_siXXXXXX",
         users[] = "/tmp/rr_test_eval_suXXXXXX";
    char *paths[] = {data, items, users};
    for (int i = 0; i < 3; i++) make_temp(paths[i]);
    write_file(data, "1\t1\t5\t10\n1\t2\t5\t20\n1\t3\t5\t30\n1\t4\t5\t40\n1\t5\t5\t50\n"
                     "2\t1\t4\t15\n2\t3\t4\t35\n");
    write_file(items, "1|One (1995)|||u|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                      "2|Two (1995)|||u|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                      "9|Never rated|||u|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n");
    write_file(users, "1|24|M|technician|85711\n2|53|F|other|94043\n3|30|F|writer|10001\n");
    const char *files[] = {data};
    rr_config_t cfg;
    rr_config_init(&cfg);
    rr_eval_result_t res;
    char errstr[256], buf[8192];
    rr_eval_side_t side = {items, users};
    CHECK_INT(
        rr_eval_run_side(&cfg, files, 1, RR_FMT_ML100K, &side, NULL, &res, errstr, sizeof(errstr)),
        RR_OK);
    CHECK_INT(res.side_items, 3);
    CHECK_INT(res.side_users, 3);
    CHECK_INT(res.targets, 5);
    CHECK_INT(res.cold_targets, 4);
    for (int m = 0; m < RR_EVAL__METHODS; m++) CHECK(res.cold_hits[m] <= res.hits[m]);
    json_of(&res, files, 1, RR_FMT_ML100K, buf, sizeof(buf));
    CHECK(strstr(buf, "\"cold_targets\":4,"));
    CHECK(strstr(buf, "\"side_items\":3,\"side_users\":3,"));
    CHECK(strstr(buf, "\"cold_hr10\":"));
    side.users = "/nonexistent/u.user";
    CHECK(rr_eval_run_side(&cfg, files, 1, RR_FMT_ML100K, &side, NULL, &res, errstr,
                           sizeof(errstr)) != RR_OK);
    CHECK(strstr(errstr, "/nonexistent/u.user") != NULL);
    for (int i = 0; i < 3; i++) unlink(paths[i]);
}

/* --no-side (strip): rtrec's pipeline sees no category or brand of the events, on the same
 * targets; without it, it sees them all. */
static void test_strip_side(void)
{
    char data[] = "/tmp/rr_test_eval_nsXXXXXX";
    make_temp(data);
    write_file(data, "event_time,event_type,product_id,category_id,category_code,brand,price,"
                     "user_id,user_session\n"
                     "2019-10-01 00:00:00 UTC,view,1,11,shoes.running,acme,35.79,7,s\n"
                     "2019-10-01 00:00:01 UTC,view,2,12,,zeta,3.20,7,s\n"
                     "2019-10-01 00:00:02 UTC,view,3,11,shoes.running,acme,12.00,8,s\n"
                     "2019-10-01 00:00:03 UTC,view,1,11,shoes.running,acme,35.79,8,s\n");
    const char *files[] = {data};
    rr_config_t cfg;
    rr_config_init(&cfg);
    rr_eval_result_t whole, stripped;
    char errstr[256];
    rr_eval_side_t side = {NULL, NULL, 0};
    CHECK_INT(rr_eval_run_side(&cfg, files, 1, RR_FMT_REES46, &side, NULL, &whole, errstr,
                               sizeof(errstr)),
              RR_OK);
    side.strip = 1;
    CHECK_INT(rr_eval_run_side(&cfg, files, 1, RR_FMT_REES46, &side, NULL, &stripped, errstr,
                               sizeof(errstr)),
              RR_OK);
    CHECK_INT(whole.categories, 2);
    CHECK_INT(whole.brands, 2);
    CHECK_INT(stripped.categories, 0);
    CHECK_INT(stripped.brands, 0);
    CHECK_INT(stripped.targets, whole.targets);
    CHECK(whole.targets > 0);
    unlink(data);
}

/* A taobao stream of n events in time order: 24 users, 40 items, the low ids popular (a
 * fixed LCG), so lists hit and miss. */
static void write_stream(const char *path, int n)
{
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    if (!fp) return;
    uint64_t x = 12345;
    for (int i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned user = (unsigned)(x >> 33) % 24, a = (unsigned)(x >> 40) % 40;
        unsigned item = a * ((unsigned)(x >> 50) % 40) / 40; /* skewed toward 0 */
        fprintf(fp, "%u,i%u,c%u,pv,%d\n", user, item, item % 5, 1000 + i);
    }
    fclose(fp);
}

/* The reference for --lists held on one instance: a plain pipeline (configured as eval does
 * for a recorded stream) fed the file in order, each user's list refreshed right after each of
 * that user's events. */
static void held_reference(const char *path, rr_preq_t *out)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    cfg.users_ttl_s = 0;
    cfg.users_max_events_per_s = 0;
    rr_pipeline_t pl;
    CHECK_INT(rr_pipeline_init(&pl, &cfg), RR_OK);
    char errstr[256];
    rr_reader_t *rd = rr_reader_open(path, RR_FMT_TAOBAO, errstr, sizeof(errstr));
    CHECK(rd != NULL);
    rr_event_t e;
    uint32_t uid;
    while (rd && rr_reader_next(rd, &e) == RR_OK)
        if (rr_pipeline_apply(&pl, &e, &uid) == RR_OK) rr_pipeline_refresh(&pl, uid);
    rr_reader_free(rd);
    *out = pl.preq;
    rr_pipeline_free(&pl);
}

/* --lists held counts with the pipeline's own rule what a pipeline refreshed after every event
 * counts; the harness's targets and the default protocol's lists do not move. */
static void test_lists_held(void)
{
    char path[] = "/tmp/rr_test_eval_hdXXXXXX";
    make_temp(path);
    write_stream(path, 600);
    const char *files[] = {path};
    rr_config_t cfg;
    rr_config_init(&cfg);
    rr_eval_result_t fresh, held;
    char errstr[256], buf[8192];
    CHECK_INT(rr_eval_run(&cfg, files, 1, RR_FMT_TAOBAO, NULL, &fresh, errstr, sizeof(errstr)),
              RR_OK);
    CHECK_INT(rr_eval_run_lists(&cfg, files, 1, RR_FMT_TAOBAO, NULL, NULL, RR_EVAL_LISTS_HELD, NULL,
                                &held, errstr, sizeof(errstr)),
              RR_OK);
    rr_preq_t ref;
    held_reference(path, &ref);
    CHECK(ref.targets > 100 && ref.hits10 > 10 && ref.hits10 < ref.targets);
    CHECK_INT(held.engine_targets, ref.targets);
    CHECK_INT(held.engine_hits10, ref.hits10);
    CHECK(fabs(held.engine_ndcg10 - ref.ndcg10) < 1e-9);
    CHECK_INT(held.targets, fresh.targets);
    CHECK(held.hits[RR_EVAL_RTREC] != fresh.hits[RR_EVAL_RTREC] ||
          held.ndcg_sum[RR_EVAL_RTREC] != fresh.ndcg_sum[RR_EVAL_RTREC]); /* other lists */
    CHECK_INT(fresh.lists, RR_EVAL_LISTS_FRESH);
    json_of(&held, files, 1, RR_FMT_TAOBAO, buf, sizeof(buf));
    CHECK(strstr(buf, "\"lists\":\"held\",\"engine_targets\":"));
    CHECK(strstr(buf, "\"engine_hr10\":"));
    unlink(path);
}

/* --sync-events: a round after every K events (each has something to send: every event
 * teaches). --assign: every partition to instance 1 leaves instance 0 without events, so the
 * engine counters are one instance's (a peer's merged deltas reach instance 0 only); an
 * instance past --instances is refused. */
static void test_sync_events_and_assign(void)
{
    char path[] = "/tmp/rr_test_eval_seXXXXXX";
    make_temp(path);
    write_stream(path, 600);
    const char *files[] = {path};
    rr_config_t cfg;
    rr_config_init(&cfg);
    rr_eval_result_t one, two;
    char errstr[256];
    rr_eval_sync_t s1 = {1, 0, 0, NULL};
    CHECK_INT(rr_eval_run_lists(&cfg, files, 1, RR_FMT_TAOBAO, NULL, &s1, RR_EVAL_LISTS_HELD, NULL,
                                &one, errstr, sizeof(errstr)),
              RR_OK);
    uint8_t all_to_1[4] = {1, 1, 1, 1};
    rr_eval_sync_t s2 = {2, 1000, 50, all_to_1};
    CHECK_INT(cfg.broker_partitions, 4);
    CHECK_INT(rr_eval_run_lists(&cfg, files, 1, RR_FMT_TAOBAO, NULL, &s2, RR_EVAL_LISTS_HELD, NULL,
                                &two, errstr, sizeof(errstr)),
              RR_OK);
    CHECK_INT(two.sync_rounds, 600 / 50 - 1); /* before events 50, 100, ..., 550 */
    CHECK_INT(two.sync_ms, 0);
    CHECK_INT(two.sync_events, 50);
    CHECK_INT(two.engine_targets, one.engine_targets);
    CHECK_INT(two.engine_hits10, one.engine_hits10);
    uint8_t bad[4] = {0, 1, 2, 0};
    s2.assign = bad;
    CHECK_INT(rr_eval_run_lists(&cfg, files, 1, RR_FMT_TAOBAO, NULL, &s2, RR_EVAL_LISTS_HELD, NULL,
                                &two, errstr, sizeof(errstr)),
              RR_E(CONFIG));
    CHECK(strstr(errstr, "--assign"));
    unlink(path);
}

/* Popularity skips the caller's items and breaks ties by the lower (first-seen) id. */
static void test_pop_order(void)
{
    rr_pop_t pop;
    CHECK_INT(rr_pop_init(&pop, 5), RR_OK);
    uint32_t adds[] = {3, 1, 3, 4, 1, 0}, out[8];
    for (size_t i = 0; i < 6; i++) rr_pop_add(&pop, adds[i]);
    size_t n = rr_pop_top(&pop, out, 8, NULL, NULL);
    CHECK_INT(n, 4); /* item 2 was never seen */
    CHECK(out[0] == 1 && out[1] == 3 && out[2] == 0 && out[3] == 4);
    rr_pop_free(&pop);
    rr_pop_free(&pop); /* a zeroed object is a no-op */
}

int main(void)
{
    test_pop_order();
    test_fixture();
    test_ml100k_order();
    test_side_files_and_cold_slice();
    test_strip_side();
    test_lists_held();
    test_sync_events_and_assign();
    if (rr_test_failures_) fprintf(stderr, "%d failure(s)\n", rr_test_failures_);
    return rr_test_failures_ != 0;
}
