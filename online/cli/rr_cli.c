/* rr_cli.c — shared argument handling of the subcommands; `rtrec conf`. */
#include <stdio.h>
#include <string.h>
#include "rr_cli.h"
#include <librdkafka/rdkafka.h>
#include "rr_log.h"

int rr_cli_config(int argc, char **argv, rr_config_t *cfg, char **rest, int *nrest)
{
    char errstr[512];
    *nrest = 0;
    for (int i = 1; i < argc; i++) {
        int is_c = strcmp(argv[i], "-c") == 0, is_x = strcmp(argv[i], "-X") == 0;
        if (!is_c && !is_x) {
            rest[(*nrest)++] = argv[i];
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "rtrec: %s needs an argument\n", argv[i]);
            return 2;
        }
        rr_err_t err = is_c ? rr_config_load(cfg, argv[++i], errstr, sizeof(errstr))
                            : rr_config_set_kv(cfg, argv[++i], errstr, sizeof(errstr));
        if (err) {
            fprintf(stderr, "rtrec: %s\n", errstr);
            return 2;
        }
    }
    return 0;
}

rd_kafka_conf_t *rr_cli_kafka_conf(const rr_config_t *cfg)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *kv[2 * RR_CONFIG_KAFKA_MAX + 4];
    size_t n = rr_config_kafka(cfg, kv, sizeof(kv) / sizeof(kv[0]));
    for (size_t i = 0; i < n; i += 2) {
        if (strcmp(kv[i], "group.id") == 0) continue;
        if (rd_kafka_conf_set(conf, kv[i], kv[i + 1], errstr, sizeof(errstr))) {
            fprintf(stderr, "rtrec: %s\n", errstr);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    return conf;
}

void rr_cli_log_level(const rr_config_t *cfg)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcmp(cfg->log_level, names[i]) == 0) rr_log_set_level((rr_log_level_t)i);
}

int rr_cmd_conf(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    rr_config_print_table(stdout);
    return 0;
}
