/* rr_config.c — the configuration table and what it drives: parsing, validation, `rtrec conf`
 * and CONFIGURATION.md; see rr_config.h. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rr_config.h"

typedef enum { RR_CT_STR, RR_CT_CHOICE, RR_CT_INT, RR_CT_INT64, RR_CT_DOUBLE } rr_config_type_t;

#define RR_CONFIG_CHOICES_MAX 8 /* allowed values of one choice key, NULL-terminated */

typedef struct rr_config_prop_s {
    const char *name;
    rr_config_type_t type;
    size_t offset;
    const char *choices[RR_CONFIG_CHOICES_MAX]; /* RR_CT_CHOICE only */
    const char *def;
    double min, max; /* numbers only, inclusive */
    int secret;      /* never printed with its value */
    const char *doc;
} rr_config_prop_t;

#define S(field)                                                                                   \
    RR_CT_STR, offsetof(rr_config_t, field),                                                       \
    {                                                                                              \
        NULL                                                                                       \
    }
#define C(field, ...)                                                                              \
    RR_CT_CHOICE, offsetof(rr_config_t, field),                                                    \
    {                                                                                              \
        __VA_ARGS__, NULL                                                                          \
    }
#define N(field)                                                                                   \
    RR_CT_INT, offsetof(rr_config_t, field),                                                       \
    {                                                                                              \
        NULL                                                                                       \
    }
#define L(field)                                                                                   \
    RR_CT_INT64, offsetof(rr_config_t, field),                                                     \
    {                                                                                              \
        NULL                                                                                       \
    }
#define D(field)                                                                                   \
    RR_CT_DOUBLE, offsetof(rr_config_t, field),                                                    \
    {                                                                                              \
        NULL                                                                                       \
    }

static const rr_config_prop_t props[] = {
    {"kafka.bootstrap.servers", S(kafka_bootstrap), "", 0, 0, 0,
     "Kafka brokers host:port,...; empty starts the embedded broker in-process"},
    {"kafka.group.id", S(kafka_group), "rtrec", 0, 0, 0,
     "consumer group; instances in one group split the events topic by partition"},
    {"topics.events", S(topic_events), "rtrec.events", 0, 0, 0, "clickstream input (key = user)"},
    {"topics.items", S(topic_items), "rtrec.items", 0, 0, 0, "catalog updates input"},
    {"topics.users", S(topic_users), "rtrec.users", 0, 0, 0, "user attributes input"},
    {"topics.recs", S(topic_recs), "rtrec.recs", 0, 0, 0, "recommendations output (key = user)"},
    {"topics.dlq", S(topic_dlq), "rtrec.dlq", 0, 0, 0,
     "dead letters: original bytes, reason in header rtrec.reason"},
    {"topics.sync", S(topic_sync), "rtrec.sync", 0, 0, 0,
     "shared-state deltas between the instances of a group (key = sync.instance), with "
     "sync.enabled=1; every instance reads every partition"},
    {"broker.partitions", N(broker_partitions), "4", 1, 1024, 0,
     "partitions per topic created by the embedded broker"},
    {"broker.count", N(broker_count), "1", 1, 16, 0, "brokers in the embedded cluster"},
    {"redis.host", S(redis_host), "127.0.0.1", 0, 0, 0, "Redis server"},
    {"redis.port", N(redis_port), "6379", 1, 65535, 0, "Redis port"},
    {"redis.password", S(redis_password), "", 0, 0, 1,
     "Redis AUTH password (or env RTREC_REDIS_PASSWORD); never printed"},
    {"redis.prefix", S(redis_prefix), "rtrec:", 0, 0, 0, "prefix of every Redis key and channel"},
    {"redis.ttl_s", N(redis_ttl_s), "86400", 0, 1e9, 0,
     "TTL of per-user keys (rec:, why:, portrait:); 0 = none"},
    {"redis.max_inflight", N(redis_max_inflight), "512", 1, 1e6, 0,
     "users being written to Redis at once (pipeline depth)"},
    {"recs.n", N(recs_n), "10", 1, 100, 0, "length of each user's list"},
    {"recs.coalesce_ms", N(recs_coalesce_ms), "0", 0, 10000, 0,
     "a user's refresh waits this long so a burst of events publishes once"},
    {"recs.max_staleness_ms", N(recs_max_staleness_ms), "250", 0, 3600000, 0,
     "while input is backlogged, lists are refreshed only once the oldest waiting user has "
     "waited this long (then in 1 ms slices between consumer budgets)"},
    {"recs.refresh_threads", N(recs_refresh_threads), "2", 1, 2, 0,
     "threads computing lists: 2 = the loop thread and a worker split each refresh batch (the "
     "lists are the same); 1 = the loop thread alone"},
    {"recs.recent", N(recs_recent), "28", 1, 64, 0,
     "recent items per user that seed co-occurrence candidates and pair with each new one; 4 "
     "bytes per user each"},
    {"recs.category_cap", N(recs_category_cap), "0", 0, 100, 0,
     "at most this many items of one category per list; 0 = no cap"},
    {"recs.recency_decay", D(recs_recency_decay), "0.5", 0.01, 1, 0,
     "weight ratio between a user's successive recent items (1 = all alike)"},
    {"recs.w_category", D(recs_w_category), "0.5", 0, 100, 0,
     "weight of the category-affinity source against co-occurrence (1 = the strongest pair)"},
    {"recs.w_trending", D(recs_w_trending), "0.001", 0, 100, 0,
     "weight of the trending prior against co-occurrence"},
    {"trending.half_life_s", D(trending_half_life_s), "86400", 1, 1e9, 0,
     "half-life of trending (`rtrec:trending`, the categories' top items), in event time"},
    {"model.seed", L(model_seed), "42", 0, 9e18, 0, "seed of every random choice"},
    {"model.enabled", N(model_enabled), "1", 0, 1, 0,
     "1 = train the MLP ranker on every event and re-rank with it; 0 = sources only"},
    {"model.dim", N(model_dim), "32", 4, 256, 0, "width of the learned user and item embeddings"},
    {"model.demo_rows", N(model_demo_rows), "256", 1, 1 << 20, 0,
     "hashed rows of the demographic embeddings (age band, gender, occupation, region share them)"},
    {"model.demo_dim", N(model_demo_dim), "4", 0, 64, 0,
     "width of each demographic row in the MLP input; 0 = demographics are no MLP input"},
    {"model.text_rows", N(model_text_rows), "16384", 1, 1 << 24, 0,
     "hashed rows of the item-text token embeddings"},
    {"model.text_dim", N(model_text_dim), "8", 0, 64, 0,
     "width of the token rows: an item's text vector is the mean of its tokens' rows; 0 = text "
     "is no MLP input"},
    {"model.optimizer", C(model_optimizer, "sgd", "adagrad", "adam"), "adagrad", 0, 0, 0,
     "optimizer of the MLP and the embeddings"},
    {"model.lr", D(model_lr), "0.05", 1e-6, 10, 0, "learning rate of the MLP and the embeddings"},
    {"model.batch", N(model_batch), "32", 1, 256, 0,
     "events per SGD step: their rows go through the MLP together (1 = a step per event)"},
    {"model.negatives", N(model_negatives), "4", 0, 16, 0,
     "negatives per positive: shown-but-ignored items first, else popularity^0.75 samples"},
    {"recs.w_model", D(recs_w_model), "1", 0, 100, 0,
     "weight of the MLP probability when re-ranking the best candidates"},
    {"recs.ranker", N(recs_ranker), "1", 0, 1, 0,
     "1: a learned ranker over every source's named features orders the candidates; 0: the "
     "hand-weighted blend of recs.w_* re-ranked by the embedding MLP"},
    {"recs.ranker_lr", D(recs_ranker_lr), "0.1", 1e-6, 10, 0,
     "Adagrad learning rate of the learned ranker"},
    {"recs.ranker_mlp", N(recs_ranker_mlp), "0", 0, 1, 0,
     "1: the learned ranker also reads the embedding MLP's logit of every candidate (feature "
     "mlp, which carries the MLP's demographic and text rows into the order); rtrec eval on "
     "ml-100k runs at about 0.6 times the events/s with it"},
    {"recs.ranker_train_every", N(recs_ranker_train_every), "4", 1, 1000, 0,
     "the learned ranker trains on one target event in this many (chosen by a hash of user, "
     "item and event count, so runs repeat); each training gathers the user's whole pool"},
    {"recs.ranker_train_all", N(recs_ranker_train_all), "20000", 0, 1e9, 0,
     "the learned ranker trains on every target event until it has taken this many steps, and "
     "on one in recs.ranker_train_every after that (0: recs.ranker_train_every from the start)"},
    {"recs.retrieve_k", N(recs_retrieve_k), "0", 0, 400, 0,
     "candidates from learned-embedding retrieval (dot product over the catalog); 0 = off"},
    {"recs.w_retrieve", D(recs_w_retrieve), "0.02", 0, 100, 0,
     "weight of embedding retrieval in the blend (1 = the user's nearest item)"},
    {"portrait.half_life_s", D(portrait_half_life_s), "604800", 1, 1e10, 0,
     "half-life of a portrait's category, brand and price affinities (event time)"},
    {"checkpoint.dir", S(checkpoint_dir), "", 0, 0, 0,
     "where checkpoints go, created at start if missing (mkdir -p); empty = none"},
    {"checkpoint.interval_s", N(checkpoint_interval_s), "60", 1, 1e6, 0,
     "seconds between checkpoints"},
    {"metrics.port", N(metrics_port), "0", 0, 65535, 0,
     "HTTP port of /metrics, /healthz, the dashboard (/) and /users/{id}; 0 = off"},
    {"http.bind", S(http_bind), "127.0.0.1", 0, 0, 0,
     "address the HTTP port listens on; beyond loopback, the dashboard and /users/{id} need the "
     "token in env RTREC_HTTP_TOKEN"},
    {"users.max", N(users_max), "1000000", 16, 1e8, 0,
     "hard cap on users held; the least recently active are evicted"},
    {"users.seen_pool", N(users_seen_pool), "65536", 0, 1e8, 0,
     "blocks of 2,048 bits (256 bytes) by which users' seen-items filters grow: one past ~26 "
     "items, another every ~126, so lists stop skipping items the user never saw (0.2% of the "
     "catalog at 100 items and 1% at 600, against 9% and 96% with 512 bits); 0 = none"},
    {"users.ttl_s", N(users_ttl_s), "7776000", 0, 2e9, 0,
     "users idle this long (event time) are forgotten, in memory and Redis; 0 = never"},
    {"users.max_events_per_s", N(users_max_events_per_s), "100", 0, 1e9, 0,
     "events of one user beyond this in one second are counted and not learned; 0 = no cap"},
    {"dedupe.window", N(dedupe_window), "100000", 0, 1e8, 0,
     "an event_id seen within this many events is a duplicate and skipped; 0 = off"},
    {"items.max", N(items_max), "1000000", 16, 1e8, 0, "hard cap on catalog items"},
    {"cooc.max_neighbors", N(cooc_max_neighbors), "512", 8, 65536, 0,
     "co-occurrence neighbours kept per item (the weakest are dropped)"},
    {"cooc.weighted", N(cooc_weighted), "1", 0, 1, 0,
     "1 = a pair counts by how close the two interactions were in the user's sequence (8 next to "
     "each other, 1 at the far end of recs.recent); 0 = every pair counts 1, as the item-kNN "
     "baseline"},
    {"consumer.budget", N(consumer_budget), "64", 1, 1e6, 0,
     "messages handled per loop turn before yielding"},
    {"consumer.assignment", C(consumer_assignment, "cooperative", "eager"), "cooperative", 0, 0, 0,
     "rebalance protocol: cooperative (cooperative-sticky: only moving partitions stop) or eager "
     "(range: every partition is revoked and reassigned)"},
    {"consumer.session_timeout_ms", N(consumer_session_timeout_ms), "6000", 1000, 3600000, 0,
     "a member silent this long (killed, hung) loses its partitions: bounds how long a dead "
     "instance's users go without fresh lists; a real cluster requires it within its "
     "group.min/max.session.timeout.ms"},
    {"replay.max_lag", N(replay_max_lag), "20000", 0, 1e9, 0,
     "rtrec replay waits while kafka.group.id's committed offsets trail the events topic's end "
     "by more than this many messages (its own undelivered ones included), so a size- or "
     "time-capped topic cannot drop what the group has not read; keep it well under what the "
     "topic retains per partition; 0 = no pacing"},
    {"replay.max_lag_bytes", N(replay_max_lag_bytes), "2097152", 0, 2e9, 0,
     "with replay.max_lag, the same bound in bytes (keys and values, at the average size of the "
     "messages sent): the embedded broker keeps 5 MiB per partition; 0 = messages only"},
    {"stats.interval_ms", N(stats_interval_ms), "1000", 10, 1e7, 0,
     "period of rtrec:stats and rtrec:trending updates"},
    {"sync.interval_ms", N(sync_interval_ms), "1000", 0, 1e9, 0,
     "period at which instances exchange what they learned (the shared model, co-occurrence, "
     "trending, catalog): event time in `rtrec eval --instances`, wall-clock time in `rtrec "
     "run` with sync.enabled=1; 0 = never (the engine then neither publishes nor applies)"},
    {"sync.enabled", N(sync_enabled), "0", 0, 1, 0,
     "1: `rtrec run` publishes its delta to topics.sync every sync.interval_ms (and at a "
     "graceful stop) and merges its peers' (see DESIGN.md, Shared state synced); 0: every "
     "instance learns its own model"},
    {"sync.instance", S(sync_instance), "", 0, 0, 0,
     "this instance's name, the key of its deltas (its own are skipped when read back, a "
     "restarted instance's earlier ones too): unique in the group and the same across "
     "restarts; empty = kafka.group.instance.id if set, else the host name"},
    {"sync.merge", C(sync_merge, "sum", "mean", "dense_mean"), "sum", 0, 0, 0,
     "how weight deltas merge: sum (each update applied once everywhere), mean (averaged over "
     "the instances), dense_mean (the MLPs averaged, item and hashed rows summed); counts "
     "always add. `rtrec run` merges with sum only (it does not know the instance count)"},
    {"sync.quant", C(sync_quant, "f32", "f16", "int8"), "f32", 0, 0, 0,
     "encoding of weight deltas in a sync delta (int8: one f32 scale per row or run)"},
    {"log.level", C(log_level, "error", "warn", "info", "debug"), "info", 0, 0, 0,
     "least severe level of the log lines printed"},
};

#undef S
#undef C
#undef N
#undef L
#undef D

#define NPROPS (sizeof(props) / sizeof(props[0]))

static const rr_config_prop_t *prop_find(const char *name)
{
    for (size_t i = 0; i < NPROPS; i++)
        if (strcmp(props[i].name, name) == 0) return &props[i];
    return NULL;
}

static int is_text(const rr_config_prop_t *p)
{
    return p->type == RR_CT_STR || p->type == RR_CT_CHOICE;
}

/* A bound as people write it: "1000000000", not "1e+09"; "1e-06" stays. */
static int bound_text(double v, char *buf, size_t cap)
{
    if (v >= -9.2e18 && v <= 9.2e18 && v == (double)(long long)v) /* range first: the cast */
        return snprintf(buf, cap, "%.0f", v);
    return snprintf(buf, cap, "%g", v);
}

/* "1..100" or "0.01..1": the inclusive range of a number key. */
static void range_text(const rr_config_prop_t *p, char *buf, size_t cap)
{
    int n = bound_text(p->min, buf, cap);
    if (n > 0 && (size_t)n + 2 < cap) {
        memcpy(buf + n, "..", 3);
        bound_text(p->max, buf + n + 2, cap - (size_t)n - 2);
    }
}

/* "sgd, adagrad, adam", each value between two quote strings ("`" for markdown). */
static void choices_text(const rr_config_prop_t *p, const char *quote, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; p->choices[i] && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s%s%s", i ? ", " : "", quote, p->choices[i],
                              quote);
}

/* Every configuration error reads "key=value: why". A secret's value is never shown (a wrong
 * one still is a password), and a long value is cut short. */
__attribute__((format(printf, 5, 6))) static rr_err_t prop_fail(const rr_config_prop_t *p,
                                                                const char *value, char *errstr,
                                                                size_t errlen, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (p->secret)
        snprintf(errstr, errlen, "%s=(secret): %s", p->name, why);
    else if (strlen(value) > 64)
        snprintf(errstr, errlen, "%s=%.60s...: %s", p->name, value, why);
    else
        snprintf(errstr, errlen, "%s=%s: %s", p->name, value, why);
    return RR_E(CONFIG);
}

static rr_err_t text_parse(const rr_config_prop_t *p, const char *value, char *errstr,
                           size_t errlen)
{
    if (strlen(value) >= RR_CONFIG_STR_MAX)
        return prop_fail(p, value, errstr, errlen, "longer than %d bytes", RR_CONFIG_STR_MAX - 1);
    if (p->type != RR_CT_CHOICE) return RR_OK;
    for (int i = 0; p->choices[i]; i++)
        if (strcmp(value, p->choices[i]) == 0) return RR_OK;
    char allowed[128];
    choices_text(p, "", allowed, sizeof(allowed));
    return prop_fail(p, value, errstr, errlen, "must be one of %s", allowed);
}

/* Validates a number against the row's type and range; *v (and *i64 for int64 keys, exact
 * where a double is not) gets the value. */
static rr_err_t number_parse(const rr_config_prop_t *p, const char *value, double *v,
                             long long *i64, char *errstr, size_t errlen)
{
    char *end;
    errno = 0;
    *v = strtod(value, &end);
    int ok = end != value && *end == '\0' && errno != ERANGE;
    /* Range first: casting an out-of-range double to an integer is undefined (fuzz_config
     * found "recs.n=+402e33"). NaN fails both comparisons. */
    ok = ok && *v >= p->min && *v <= p->max;
    ok = ok && (p->type == RR_CT_DOUBLE || *v == (double)(long long)*v);
    if (ok && p->type == RR_CT_INT64) { /* exact where the double is not; "1e3" is not strtoll's */
        errno = 0;
        *i64 = strtoll(value, &end, 10);
        if (*end != '\0' || errno == ERANGE) *i64 = (long long)*v;
        ok = *i64 >= (long long)p->min && *i64 <= (long long)p->max;
    }
    if (ok) return RR_OK;
    char range[96];
    range_text(p, range, sizeof(range));
    return prop_fail(p, value, errstr, errlen, "must be %s in %s",
                     p->type == RR_CT_DOUBLE ? "a number" : "an integer", range);
}

static rr_err_t prop_set(rr_config_t *cfg, const rr_config_prop_t *p, const char *value,
                         char *errstr, size_t errlen)
{
    char *field = (char *)cfg + p->offset;
    if (is_text(p)) {
        rr_err_t err = text_parse(p, value, errstr, errlen);
        if (!err) strcpy(field, value);
        return err;
    }
    double v;
    long long i64 = 0;
    rr_err_t err = number_parse(p, value, &v, &i64, errstr, errlen);
    if (err) return err;
    if (p->type == RR_CT_INT)
        *(int *)field = (int)v;
    else if (p->type == RR_CT_INT64)
        *(long long *)field = i64;
    else
        *(double *)field = v;
    return RR_OK;
}

/* A field's value as text, through the same checks as rr_config_set: a config filled by hand
 * (tests, benchmarks) is held to the table too. */
static rr_err_t prop_check(const rr_config_t *cfg, const rr_config_prop_t *p, char *errstr,
                           size_t errlen)
{
    const char *field = (const char *)cfg + p->offset;
    char text[64];
    double v;
    long long i64;
    switch (p->type) {
    case RR_CT_STR:
    case RR_CT_CHOICE:
        if (!memchr(field, '\0', RR_CONFIG_STR_MAX))
            return prop_fail(p, "", errstr, errlen, "not a terminated string");
        return text_parse(p, field, errstr, errlen);
    case RR_CT_INT: snprintf(text, sizeof(text), "%d", *(const int *)field); break;
    case RR_CT_INT64: snprintf(text, sizeof(text), "%lld", *(const long long *)field); break;
    case RR_CT_DOUBLE: snprintf(text, sizeof(text), "%.17g", *(const double *)field); break;
    }
    return number_parse(p, text, &v, &i64, errstr, errlen);
}

rr_err_t rr_config_check(const rr_config_t *cfg, char *errstr, size_t errlen)
{
    for (size_t i = 0; i < NPROPS; i++) {
        rr_err_t err = prop_check(cfg, &props[i], errstr, errlen);
        if (err) return err;
    }
    return RR_OK;
}

void rr_config_init(rr_config_t *cfg)
{
    char errstr[256];
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NPROPS; i++) prop_set(cfg, &props[i], props[i].def, errstr, 0);
    const char *pw = getenv("RTREC_REDIS_PASSWORD");
    if (pw && strlen(pw) < RR_CONFIG_STR_MAX) strcpy(cfg->redis_password, pw);
}

static rr_err_t kafka_passthrough(rr_config_t *cfg, const char *name, const char *value,
                                  char *errstr, size_t errlen)
{
    if (strlen(name) >= RR_CONFIG_STR_MAX || strlen(value) >= RR_CONFIG_STR_MAX) {
        snprintf(errstr, errlen, "kafka.%.60s: name or value longer than %d bytes", name,
                 RR_CONFIG_STR_MAX - 1);
        return RR_E(CONFIG);
    }
    for (int i = 0; i < cfg->nkafka; i++) {
        if (strcmp(cfg->kafka_kv[2 * i], name) == 0) {
            strcpy(cfg->kafka_kv[2 * i + 1], value);
            return RR_OK;
        }
    }
    if (cfg->nkafka == RR_CONFIG_KAFKA_MAX) {
        snprintf(errstr, errlen, "kafka.%s: more than %d kafka.* properties", name,
                 RR_CONFIG_KAFKA_MAX);
        return RR_E(CONFIG);
    }
    strcpy(cfg->kafka_kv[2 * cfg->nkafka], name);
    strcpy(cfg->kafka_kv[2 * cfg->nkafka + 1], value);
    cfg->nkafka++;
    return RR_OK;
}

/* Levenshtein distance; SIZE_MAX for strings longer than any key, which are no near miss. */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 64 };
    size_t na = strlen(a), nb = strlen(b), row[MAXLEN + 1];
    if (na > MAXLEN || nb > MAXLEN) return SIZE_MAX;
    for (size_t j = 0; j <= nb; j++) row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

/* The key a typo most likely meant: within 2 edits (3 for long keys), else NULL. */
static const char *nearest_key(const char *key)
{
    const char *best = NULL;
    size_t best_d = strlen(key) < 12 ? 3 : 4;
    for (size_t i = 0; i < NPROPS; i++) {
        size_t d = edit_distance(key, props[i].name);
        if (d < best_d) {
            best_d = d;
            best = props[i].name;
        }
    }
    return best;
}

rr_err_t rr_config_set(rr_config_t *cfg, const char *key, const char *value, char *errstr,
                       size_t errlen)
{
    const rr_config_prop_t *p = prop_find(key);
    if (p) return prop_set(cfg, p, value, errstr, errlen);
    if (strncmp(key, "kafka.", 6) == 0 && key[6] != '\0')
        return kafka_passthrough(cfg, key + 6, value, errstr, errlen);
    /* No value: a mistyped key may well be a password's. */
    const char *guess = nearest_key(key);
    if (guess)
        snprintf(errstr, errlen, "unknown key \"%s\"; did you mean %s? (`rtrec conf` lists them)",
                 key, guess);
    else
        snprintf(errstr, errlen, "unknown key \"%s\" (`rtrec conf` lists them)", key);
    return RR_E(CONFIG);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1])) *--end = '\0';
    return s;
}

rr_err_t rr_config_set_kv(rr_config_t *cfg, const char *kv, char *errstr, size_t errlen)
{
    char buf[2 * RR_CONFIG_STR_MAX];
    if (strlen(kv) >= sizeof(buf)) {
        snprintf(errstr, errlen, "configuration entry too long");
        return RR_E(CONFIG);
    }
    strcpy(buf, kv);
    char *eq = strchr(buf, '=');
    if (!eq) {
        snprintf(errstr, errlen, "expected key=value, got \"%s\"", kv);
        return RR_E(CONFIG);
    }
    *eq = '\0';
    return rr_config_set(cfg, trim(buf), trim(eq + 1), errstr, errlen);
}

rr_err_t rr_config_load(rr_config_t *cfg, const char *path, char *errstr, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(errstr, errlen, "%s: %s", path, strerror(errno));
        return RR_E(IO);
    }
    char line[2 * RR_CONFIG_STR_MAX];
    int lineno = 0;
    rr_err_t err = RR_OK;
    while (err == RR_OK && fgets(line, sizeof(line), fp)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *s = trim(line);
        if (*s == '\0') continue;
        char why[256];
        err = rr_config_set_kv(cfg, s, why, sizeof(why));
        if (err) snprintf(errstr, errlen, "%s:%d: %s", path, lineno, why);
    }
    fclose(fp);
    return err;
}

static const char *type_name(rr_config_type_t t)
{
    switch (t) {
    case RR_CT_STR: return "string";
    case RR_CT_CHOICE: return "enum";
    case RR_CT_INT: return "int";
    case RR_CT_INT64: return "int64";
    case RR_CT_DOUBLE: return "double";
    }
    return "?";
}

/* A row's range or allowed values, each choice between two quote strings; "" for strings. */
static void allowed_text(const rr_config_prop_t *p, const char *quote, char *buf, size_t cap)
{
    if (p->type == RR_CT_CHOICE)
        choices_text(p, quote, buf, cap);
    else if (p->type == RR_CT_STR)
        buf[0] = '\0';
    else
        range_text(p, buf, cap);
}

static const char *const kafka_doc =
    "any other librdkafka property, passed through with the prefix removed";

void rr_config_print_table(FILE *fp)
{
    const char *fmt = "%-26s %-7s %-14s %-24s %s\n";
    fprintf(fp, fmt, "key", "type", "default", "range or values", "meaning");
    for (size_t i = 0; i < NPROPS; i++) {
        const rr_config_prop_t *p = &props[i];
        char allowed[128];
        allowed_text(p, "", allowed, sizeof(allowed));
        fprintf(fp, fmt, p->name, type_name(p->type), p->def[0] ? p->def : "\"\"",
                allowed[0] ? allowed : "-", p->doc);
    }
    fprintf(fp, fmt, "kafka.*", "string", "-", "-", kafka_doc);
}

/* Table cells may not hold a bare '|'. */
static void md_cell(FILE *fp, const char *text)
{
    for (; *text; text++) {
        if (*text == '|') fputc('\\', fp);
        fputc(*text, fp);
    }
}

static const char *const md_intro =
    "# rtrec configuration\n"
    "\n"
    "<!-- Generated by `rtrec conf --markdown` from online/config/rr_config.c; do not edit. -->\n"
    "\n"
    "Every `rtrec` command takes `-c FILE` (lines `key=value`; `#` starts a comment) and\n"
    "`-X key=value`, in order, later settings winning. Any other `kafka.*` key is passed to\n"
    "librdkafka with the `kafka.` prefix removed, so every property of librdkafka's\n"
    "[CONFIGURATION.md](https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md)\n"
    "can be set (`-X kafka.security.protocol=SASL_SSL`). A wrong key or value stops `rtrec`\n"
    "before it starts anything, with a message naming the key, the value and what is allowed.\n"
    "The defaults below hold everywhere: the environment changes none but `redis.password`\n"
    "(from `RTREC_REDIS_PASSWORD`, never printed). `rtrec conf` prints this table as text.\n"
    "\n"
    "| key | type | default | range or allowed values | meaning |\n"
    "|---|---|---|---|---|\n";

void rr_config_print_markdown(FILE *fp)
{
    fputs(md_intro, fp);
    for (size_t i = 0; i < NPROPS; i++) {
        const rr_config_prop_t *p = &props[i];
        char allowed[160];
        allowed_text(p, "`", allowed, sizeof(allowed));
        fprintf(fp, "| `%s` | %s | ", p->name, type_name(p->type));
        if (p->def[0]) {
            fputc('`', fp);
            md_cell(fp, p->def);
            fputc('`', fp);
        } else {
            fputs("(empty)", fp);
        }
        fputs(" | ", fp);
        md_cell(fp, allowed);
        fputs(" | ", fp);
        md_cell(fp, p->doc);
        fputs(" |\n", fp);
    }
    fprintf(fp, "| `kafka.*` | string | | | %s |\n", kafka_doc);
}

size_t rr_config_kafka(const rr_config_t *cfg, const char **kv, size_t cap)
{
    size_t n = 0;
    if (cfg->kafka_bootstrap[0] && n + 2 <= cap) {
        kv[n++] = "bootstrap.servers";
        kv[n++] = cfg->kafka_bootstrap;
    }
    if (n + 2 <= cap) {
        kv[n++] = "group.id";
        kv[n++] = cfg->kafka_group;
    }
    for (int i = 0; i < cfg->nkafka && n + 2 <= cap; i++) {
        kv[n++] = cfg->kafka_kv[2 * i];
        kv[n++] = cfg->kafka_kv[2 * i + 1];
    }
    return n;
}
