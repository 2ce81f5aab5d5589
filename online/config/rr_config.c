/* rr_config.c — the configuration table and its parser; see rr_config.h. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "rr_config.h"

typedef enum { RR_CT_STR, RR_CT_INT, RR_CT_INT64, RR_CT_DOUBLE } rr_config_type_t;

typedef struct rr_config_prop_s {
    const char *name;
    rr_config_type_t type;
    size_t offset;
    const char *def;
    double min, max;
    int secret; /* never printed with its value */
    const char *doc;
} rr_config_prop_t;

#define S(field) RR_CT_STR, offsetof(rr_config_t, field)
#define N(field) RR_CT_INT, offsetof(rr_config_t, field)
#define L(field) RR_CT_INT64, offsetof(rr_config_t, field)
#define D(field) RR_CT_DOUBLE, offsetof(rr_config_t, field)

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
    {"recs.recent", N(recs_recent), "20", 1, 64, 0,
     "recent items per user that seed co-occurrence candidates"},
    {"recs.category_cap", N(recs_category_cap), "0", 0, 100, 0,
     "at most this many items of one category per list; 0 = no cap"},
    {"recs.recency_decay", D(recs_recency_decay), "0.5", 0.01, 1, 0,
     "weight ratio between a user's successive recent items (1 = all alike)"},
    {"recs.w_category", D(recs_w_category), "0.5", 0, 100, 0,
     "weight of the category-affinity source against co-occurrence (1 = the strongest pair)"},
    {"recs.w_trending", D(recs_w_trending), "0.001", 0, 100, 0,
     "weight of the trending prior against co-occurrence"},
    {"trending.half_life_s", D(trending_half_life_s), "3600", 1, 1e9, 0,
     "half-life of the trending score, in event time"},
    {"model.seed", L(model_seed), "42", 0, 9e18, 0, "seed of every random choice"},
    {"model.enabled", N(model_enabled), "1", 0, 1, 0,
     "1 = train the MLP ranker on every event and re-rank with it; 0 = sources only"},
    {"model.dim", N(model_dim), "32", 4, 256, 0, "width of the learned user and item embeddings"},
    {"model.optimizer", S(model_optimizer), "adagrad", 0, 0, 0, "sgd, adagrad or adam"},
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
    {"recs.retrieve_k", N(recs_retrieve_k), "20", 0, 400, 0,
     "candidates from learned-embedding retrieval (dot product over the catalog); 0 = off"},
    {"recs.w_retrieve", D(recs_w_retrieve), "0.02", 0, 100, 0,
     "weight of embedding retrieval in the blend (1 = the user's nearest item)"},
    {"portrait.half_life_s", D(portrait_half_life_s), "604800", 1, 1e10, 0,
     "half-life of a portrait's category, brand and price affinities (event time)"},
    {"checkpoint.dir", S(checkpoint_dir), "", 0, 0, 0, "where checkpoints go; empty = none"},
    {"checkpoint.interval_s", N(checkpoint_interval_s), "60", 1, 1e6, 0,
     "seconds between checkpoints"},
    {"metrics.port", N(metrics_port), "0", 0, 65535, 0, "HTTP /metrics port; 0 = off"},
    {"users.max", N(users_max), "1000000", 16, 1e8, 0,
     "hard cap on users held; the least recently active are evicted"},
    {"users.ttl_s", N(users_ttl_s), "7776000", 0, 2e9, 0,
     "users idle this long (event time) are forgotten, in memory and Redis; 0 = never"},
    {"users.max_events_per_s", N(users_max_events_per_s), "100", 0, 1e9, 0,
     "events of one user beyond this in one second are counted and not learned; 0 = no cap"},
    {"dedupe.window", N(dedupe_window), "100000", 0, 1e8, 0,
     "an event_id seen within this many events is a duplicate and skipped; 0 = off"},
    {"items.max", N(items_max), "1000000", 16, 1e8, 0, "hard cap on catalog items"},
    {"cooc.max_neighbors", N(cooc_max_neighbors), "256", 8, 65536, 0,
     "co-occurrence neighbours kept per item (the weakest are dropped)"},
    {"consumer.budget", N(consumer_budget), "64", 1, 1e6, 0,
     "messages handled per loop turn before yielding"},
    {"stats.interval_ms", N(stats_interval_ms), "1000", 10, 1e7, 0,
     "period of rtrec:stats and rtrec:trending updates"},
    {"log.level", S(log_level), "info", 0, 0, 0, "error, warn, info or debug"},
};

#undef S
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

static rr_err_t prop_set(rr_config_t *cfg, const rr_config_prop_t *p, const char *value,
                         char *errstr, size_t errlen)
{
    char *field = (char *)cfg + p->offset;
    if (p->type == RR_CT_STR) {
        if (strlen(value) >= RR_CONFIG_STR_MAX) {
            snprintf(errstr, errlen, "%s: value longer than %d bytes", p->name,
                     RR_CONFIG_STR_MAX - 1);
            return RR_E(CONFIG);
        }
        strcpy(field, value);
        return RR_OK;
    }
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (end == value || *end != '\0' || errno == ERANGE) {
        snprintf(errstr, errlen, "%s: \"%s\" is not a number", p->name, value);
        return RR_E(CONFIG);
    }
    /* Range first: casting an out-of-range double to an integer is undefined (fuzz_config
     * found "recs.n=+402e33"). NaN fails both comparisons. */
    if (!(v >= p->min && v <= p->max)) {
        snprintf(errstr, errlen, "%s: %s outside [%g, %g]", p->name, value, p->min, p->max);
        return RR_E(CONFIG);
    }
    if (p->type != RR_CT_DOUBLE && v != (double)(long long)v) {
        snprintf(errstr, errlen, "%s: \"%s\" is not an integer", p->name, value);
        return RR_E(CONFIG);
    }
    if (p->type == RR_CT_INT)
        *(int *)field = (int)v;
    else if (p->type == RR_CT_INT64)
        *(long long *)field = strtoll(value, NULL, 10);
    else
        *(double *)field = v;
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
        snprintf(errstr, errlen, "kafka.%s: too long", name);
        return RR_E(CONFIG);
    }
    for (int i = 0; i < cfg->nkafka; i++) {
        if (strcmp(cfg->kafka_kv[2 * i], name) == 0) {
            strcpy(cfg->kafka_kv[2 * i + 1], value);
            return RR_OK;
        }
    }
    if (cfg->nkafka == RR_CONFIG_KAFKA_MAX) {
        snprintf(errstr, errlen, "more than %d kafka.* properties", RR_CONFIG_KAFKA_MAX);
        return RR_E(CONFIG);
    }
    strcpy(cfg->kafka_kv[2 * cfg->nkafka], name);
    strcpy(cfg->kafka_kv[2 * cfg->nkafka + 1], value);
    cfg->nkafka++;
    return RR_OK;
}

rr_err_t rr_config_set(rr_config_t *cfg, const char *key, const char *value, char *errstr,
                       size_t errlen)
{
    const rr_config_prop_t *p = prop_find(key);
    if (p) return prop_set(cfg, p, value, errstr, errlen);
    if (strncmp(key, "kafka.", 6) == 0 && key[6] != '\0')
        return kafka_passthrough(cfg, key + 6, value, errstr, errlen);
    snprintf(errstr, errlen, "unknown configuration key \"%s\" (see `rtrec conf`)", key);
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
    case RR_CT_INT: return "int";
    case RR_CT_INT64: return "int64";
    case RR_CT_DOUBLE: return "double";
    }
    return "?";
}

void rr_config_print_table(FILE *fp)
{
    fprintf(fp, "%-26s %-7s %-14s %-18s %s\n", "key", "type", "default", "range", "meaning");
    for (size_t i = 0; i < NPROPS; i++) {
        const rr_config_prop_t *p = &props[i];
        char range[64] = "-";
        if (p->type != RR_CT_STR) snprintf(range, sizeof(range), "%g..%g", p->min, p->max);
        const char *def = p->def[0] ? p->def : "\"\"";
        fprintf(fp, "%-26s %-7s %-14s %-18s %s\n", p->name, type_name(p->type), def, range, p->doc);
    }
    fprintf(fp, "%-26s %-7s %-14s %-18s %s\n", "kafka.*", "string", "-", "-",
            "any other librdkafka property, passed through with the prefix removed");
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
