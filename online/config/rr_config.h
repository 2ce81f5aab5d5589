/* rr_config.h — the one configuration table of rtrec. Every key has a type, default, range or
 * allowed values, and doc line in rr_config.c; parsing (-c FILE, -X key=value), validation,
 * `rtrec conf` and CONFIGURATION.md are all driven by it. `kafka.*` keys pass through to
 * librdkafka with the prefix stripped. Errors name the key, the value and what is allowed:
 * "model.optimizer=nosuch: must be one of sgd, adagrad, adam". */
#ifndef RR_CONFIG_H
#define RR_CONFIG_H

#include <stdio.h>
#include "rr_err.h"

#define RR_CONFIG_STR_MAX   256
#define RR_CONFIG_KAFKA_MAX 64 /* pass-through kafka.* properties */

typedef char rr_config_str_t[RR_CONFIG_STR_MAX];

typedef struct rr_config_s {
    rr_config_str_t kafka_bootstrap; /* empty = embedded broker */
    rr_config_str_t kafka_group;
    rr_config_str_t topic_events, topic_items, topic_users, topic_recs, topic_dlq, topic_sync;
    int broker_partitions;
    int broker_count;
    rr_config_str_t redis_host;
    int redis_port;
    rr_config_str_t redis_password;
    rr_config_str_t redis_prefix;
    int redis_ttl_s;
    int redis_max_inflight;
    int recs_n;
    int recs_coalesce_ms;
    int recs_max_staleness_ms;
    int recs_refresh_threads;
    int recs_recent;
    int recs_category_cap;
    double recs_recency_decay;
    double recs_w_category;
    double recs_w_trending;
    double trending_half_life_s;
    long long model_seed;
    int model_enabled;
    int model_dim;
    int model_demo_rows, model_demo_dim, model_text_rows, model_text_dim;
    rr_config_str_t model_optimizer;
    double model_lr;
    int model_negatives;
    int model_batch;
    double recs_w_model;
    double recs_w_retrieve;
    int recs_retrieve_k;
    int recs_ranker;
    double recs_ranker_lr;
    int recs_ranker_train_every;
    int recs_ranker_train_all;
    int recs_ranker_mlp;
    double portrait_half_life_s;
    rr_config_str_t checkpoint_dir;
    int checkpoint_interval_s;
    int metrics_port;
    rr_config_str_t http_bind;
    int users_max;
    int users_seen_pool;
    int users_ttl_s;
    int users_max_events_per_s;
    int dedupe_window;
    int items_max;
    int cooc_max_neighbors;
    int cooc_weighted;
    int consumer_budget;
    rr_config_str_t consumer_assignment;
    int consumer_session_timeout_ms;
    int replay_max_lag;
    int replay_max_lag_bytes;
    int stats_interval_ms;
    int sync_interval_ms;
    int sync_enabled;
    rr_config_str_t sync_instance;
    rr_config_str_t sync_merge;
    rr_config_str_t sync_quant;
    rr_config_str_t log_level;
    /* kafka.* properties not in the table, "name" without the prefix, then value. */
    int nkafka;
    char kafka_kv[RR_CONFIG_KAFKA_MAX * 2][RR_CONFIG_STR_MAX];
} rr_config_t;

/* Fills every key with its default, then reads RTREC_REDIS_PASSWORD if set (secrets stay out
 * of command lines). */
void rr_config_init(rr_config_t *cfg);
/* Sets one key from text; on failure errstr says "key=value: must be ..." (a secret's value is
 * never shown) and cfg is unchanged. */
rr_err_t rr_config_set(rr_config_t *cfg, const char *key, const char *value, char *errstr,
                       size_t errlen);
/* "key=value" as given to -X. */
rr_err_t rr_config_set_kv(rr_config_t *cfg, const char *kv, char *errstr, size_t errlen);
/* A file of key=value lines; '#' starts a comment; blank lines ignored. */
rr_err_t rr_config_load(rr_config_t *cfg, const char *path, char *errstr, size_t errlen);
/* Checks every key of a config filled by hand against the table, as rr_config_set would;
 * errstr names the first key that is off. The engine checks its config with this. */
rr_err_t rr_config_check(const rr_config_t *cfg, char *errstr, size_t errlen);
/* Prints the table: key, type, default, range or allowed values, meaning (`rtrec conf`). */
void rr_config_print_table(FILE *fp);
/* Prints CONFIGURATION.md (`rtrec conf --markdown`). Only the table goes in, never the
 * environment (RTREC_REDIS_PASSWORD), so the output is the same everywhere. */
void rr_config_print_markdown(FILE *fp);
/* librdkafka properties: bootstrap/group plus every kafka.* pass-through, as key,value,...
 * Returns the count of strings written to kv (2 per property). */
size_t rr_config_kafka(const rr_config_t *cfg, const char **kv, size_t cap);

#endif
