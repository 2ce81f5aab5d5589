/* test_config.c — the configuration table: choice keys, ranges, unknown keys, the exact error
 * messages users read, checks of hand-filled configs, and the generated CONFIGURATION.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rr_config.h"
#include "rr_test.h"

static char errstr[512];

/* Sets key=value and returns the error message, or "" on success. */
static const char *set(rr_config_t *cfg, const char *key, const char *value)
{
    errstr[0] = '\0';
    if (rr_config_set(cfg, key, value, errstr, sizeof(errstr)) == RR_OK) errstr[0] = '\0';
    return errstr;
}

static void test_defaults_pass_check(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    CHECK_INT(rr_config_check(&cfg, errstr, sizeof(errstr)), RR_OK);
    CHECK_STR(cfg.model_optimizer, "adagrad");
    CHECK_STR(cfg.log_level, "info");
}

static void test_choice_accepted(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    const char *optimizers[] = {"sgd", "adagrad", "adam"};
    for (int i = 0; i < 3; i++) {
        CHECK_STR(set(&cfg, "model.optimizer", optimizers[i]), "");
        CHECK_STR(cfg.model_optimizer, optimizers[i]);
    }
    const char *levels[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        CHECK_STR(set(&cfg, "log.level", levels[i]), "");
        CHECK_STR(cfg.log_level, levels[i]);
    }
}

static void test_choice_rejected(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    CHECK_INT(rr_config_set(&cfg, "model.optimizer", "nosuch", errstr, sizeof(errstr)),
              RR_E(CONFIG));
    CHECK_STR(errstr, "model.optimizer=nosuch: must be one of sgd, adagrad, adam");
    CHECK_STR(set(&cfg, "log.level", "verbos"),
              "log.level=verbos: must be one of error, warn, info, debug");
    CHECK_STR(set(&cfg, "model.optimizer", "SGD"),
              "model.optimizer=SGD: must be one of sgd, adagrad, adam");
    CHECK_STR(set(&cfg, "log.level", ""), "log.level=: must be one of error, warn, info, debug");
    CHECK_STR(cfg.model_optimizer, "adagrad"); /* a rejected value leaves the key as it was */
    CHECK_STR(cfg.log_level, "info");
}

static void test_number_ranges(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    CHECK_STR(set(&cfg, "recs.n", "500"), "recs.n=500: must be an integer in 1..100");
    CHECK_STR(set(&cfg, "recs.n", "0"), "recs.n=0: must be an integer in 1..100");
    CHECK_STR(set(&cfg, "recs.n", "1.5"), "recs.n=1.5: must be an integer in 1..100");
    CHECK_STR(set(&cfg, "recs.n", "abc"), "recs.n=abc: must be an integer in 1..100");
    CHECK_STR(set(&cfg, "recs.n", "+402e33"), "recs.n=+402e33: must be an integer in 1..100");
    CHECK_STR(set(&cfg, "recs.n", ""), "recs.n=: must be an integer in 1..100");
    CHECK_INT(cfg.recs_n, 10);
    CHECK_STR(set(&cfg, "recs.n", "1"), "");
    CHECK_STR(set(&cfg, "recs.n", "100"), "");
    CHECK_INT(cfg.recs_n, 100);
    CHECK_STR(set(&cfg, "model.lr", "0"), "model.lr=0: must be a number in 1e-06..10");
    CHECK_STR(set(&cfg, "model.lr", "nan"), "model.lr=nan: must be a number in 1e-06..10");
    CHECK_STR(set(&cfg, "trending.half_life_s", "0.5"),
              "trending.half_life_s=0.5: must be a number in 1..1000000000");
    CHECK_STR(set(&cfg, "model.lr", "0.25"), "");
    CHECK_NEAR(cfg.model_lr, 0.25, 0);
    CHECK_STR(set(&cfg, "model.seed", "-1"),
              "model.seed=-1: must be an integer in 0..9000000000000000000");
    CHECK_STR(set(&cfg, "model.seed", "12345678901234567"), ""); /* beyond a double's 2^53 */
    CHECK(cfg.model_seed == 12345678901234567LL);
    CHECK_STR(set(&cfg, "model.seed", "1e3"), "");
    CHECK(cfg.model_seed == 1000);
}

static void test_unknown_key(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    CHECK_STR(set(&cfg, "recs.nn", "5"),
              "unknown key \"recs.nn\"; did you mean recs.n? (`rtrec conf` lists them)");
    CHECK_STR(set(&cfg, "model.optimiser", "adam"),
              "unknown key \"model.optimiser\"; did you mean model.optimizer? (`rtrec conf` lists "
              "them)");
    CHECK_STR(set(&cfg, "nosuch", "1"), "unknown key \"nosuch\" (`rtrec conf` lists them)");
    CHECK_STR(set(&cfg, "kafka.", "1"), "unknown key \"kafka.\" (`rtrec conf` lists them)");
    /* A mistyped key may hold a password: its value is not repeated. */
    CHECK(strstr(set(&cfg, "redis.pasword", "hunter2"), "did you mean redis.password?"));
    CHECK(!strstr(errstr, "hunter2"));
}

static void test_secret_never_shown(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    char value[300];
    memset(value, 'p', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    CHECK_STR(set(&cfg, "redis.password", value), "redis.password=(secret): longer than 255 bytes");
    CHECK_STR(set(&cfg, "redis.password", "pppp"), "");
    memset(value, 't', sizeof(value) - 1);
    CHECK(strstr(set(&cfg, "topics.events", value), ": longer than 255 bytes"));
    CHECK(strlen(errstr) < 120); /* a long value is cut short */
}

static void test_kv_and_file(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    CHECK_INT(rr_config_set_kv(&cfg, "  model.optimizer = adam ", errstr, sizeof(errstr)), RR_OK);
    CHECK_STR(cfg.model_optimizer, "adam");
    CHECK_INT(rr_config_set_kv(&cfg, "model.optimizer", errstr, sizeof(errstr)), RR_E(CONFIG));
    CHECK_STR(errstr, "expected key=value, got \"model.optimizer\"");

    char path[] = "/tmp/test_config_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs("# a comment\nrecs.n = 20\nlog.level=loud\n", fp);
    fclose(fp);
    CHECK_INT(rr_config_load(&cfg, path, errstr, sizeof(errstr)), RR_E(CONFIG));
    char want[600];
    snprintf(want, sizeof(want), "%s:3: log.level=loud: must be one of error, warn, info, debug",
             path);
    CHECK_STR(errstr, want);
    CHECK_INT(cfg.recs_n, 20);
    unlink(path);
}

static void test_check_hand_filled(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    snprintf(cfg.model_optimizer, sizeof(cfg.model_optimizer), "foo");
    CHECK_INT(rr_config_check(&cfg, errstr, sizeof(errstr)), RR_E(CONFIG));
    CHECK_STR(errstr, "model.optimizer=foo: must be one of sgd, adagrad, adam");
    rr_config_init(&cfg);
    cfg.users_max = 3;
    CHECK_INT(rr_config_check(&cfg, errstr, sizeof(errstr)), RR_E(CONFIG));
    CHECK_STR(errstr, "users.max=3: must be an integer in 16..100000000");
    rr_config_init(&cfg);
    cfg.model_lr = NAN;
    CHECK_INT(rr_config_check(&cfg, errstr, sizeof(errstr)), RR_E(CONFIG));
    CHECK_STR(errstr, "model.lr=nan: must be a number in 1e-06..10");
    rr_config_init(&cfg);
    cfg.model_lr = 10; /* bounds are inclusive, also after the round trip through text */
    cfg.recs_recency_decay = 0.01;
    CHECK_INT(rr_config_check(&cfg, errstr, sizeof(errstr)), RR_OK);
}

static void test_kafka_passthrough(void)
{
    rr_config_t cfg;
    rr_config_init(&cfg);
    CHECK_STR(set(&cfg, "kafka.linger.ms", "5"), "");
    CHECK_STR(set(&cfg, "kafka.linger.ms", "7"), ""); /* the same property again replaces it */
    CHECK_INT(cfg.nkafka, 1);
    CHECK_STR(cfg.kafka_kv[1], "7");
    char key[64];
    for (int i = 1; i < RR_CONFIG_KAFKA_MAX; i++) {
        snprintf(key, sizeof(key), "kafka.p%d", i);
        CHECK_STR(set(&cfg, key, "1"), "");
    }
    CHECK_STR(set(&cfg, "kafka.one.more", "1"), "kafka.one.more: more than 64 kafka.* properties");
}

/* Text the printers write, in a malloc'ed string. */
static char *printed(void (*print)(FILE *))
{
    FILE *fp = tmpfile();
    print(fp);
    long len = ftell(fp);
    char *text = calloc((size_t)len + 1, 1);
    rewind(fp);
    CHECK_INT(fread(text, 1, (size_t)len, fp), len);
    fclose(fp);
    return text;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = hay; (s = strstr(s, needle)) != NULL; s++) n++;
    return n;
}

/* Every key of `rtrec conf` has exactly one row in the markdown, and its documented default is
 * one the parser accepts. */
static void test_markdown_every_key_once(void)
{
    setenv("RTREC_REDIS_PASSWORD", "env-secret-never-printed", 1);
    char *table = printed(rr_config_print_table), *md = printed(rr_config_print_markdown);
    char *again = printed(rr_config_print_markdown);
    CHECK_STR(md, again);
    CHECK(!strstr(md, "env-secret-never-printed") && !strstr(table, "env-secret-never-printed"));
    CHECK(strncmp(md, "# rtrec configuration\n", 22) == 0);
    CHECK(strstr(md, "`-c FILE`") && strstr(md, "`-X key=value`") && strstr(md, "librdkafka"));
    CHECK_INT(count(md, "\n| key | type | default | range or allowed values | meaning |\n"), 1);
    CHECK_INT(count(md, "| `sgd`, `adagrad`, `adam` |"), 1);
    CHECK_INT(count(md, "| `error`, `warn`, `info`, `debug` |"), 1);
    CHECK_INT(count(table, " sgd, adagrad, adam "), 1);

    rr_config_t cfg;
    rr_config_init(&cfg);
    int keys = 0;
    char *save = NULL;
    strtok_r(table, "\n", &save); /* the header */
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char key[128], row[160];
        CHECK(sscanf(line, "%127s", key) == 1);
        snprintf(row, sizeof(row), "\n| `%s` | ", key);
        CHECK_INT(count(md, row), 1);
        keys++;
        if (strcmp(key, "kafka.*") == 0) continue;
        const char *def = strstr(md, row) + strlen(row);
        def = strchr(def, '|') + 2; /* past the type */
        char value[RR_CONFIG_STR_MAX] = "";
        if (*def == '`') sscanf(def + 1, "%255[^`]", value);
        CHECK_STR(set(&cfg, key, value), "");
    }
    CHECK(keys > 40);
    CHECK_INT(count(md, "\n| `"), keys); /* no row but the keys' */
    free(table);
    free(md);
    free(again);
}

RR_TEST_MAIN(RR_TEST(test_defaults_pass_check), RR_TEST(test_choice_accepted),
             RR_TEST(test_choice_rejected), RR_TEST(test_number_ranges), RR_TEST(test_unknown_key),
             RR_TEST(test_secret_never_shown), RR_TEST(test_kv_and_file),
             RR_TEST(test_check_hand_filled), RR_TEST(test_kafka_passthrough),
             RR_TEST(test_markdown_every_key_once))
