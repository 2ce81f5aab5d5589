/* rr_cli.c — shared argument handling of the subcommands; `rtrec conf`. */
#include <stdio.h>
#include <string.h>
#include "rr_cli.h"
#include "rr_kafka_check.h"
#include "rr_log.h"

/* librdkafka judges the kafka.* pass-through keys now, on a scratch configuration, so a bad one
 * stops the command before it starts a broker or a client. */
static int kafka_check(const char *cmd, const rr_config_t *cfg)
{
    char errstr[512];
    int status = 0;
    for (int i = 0; i < cfg->nkafka && !status; i++) {
        const char *name = cfg->kafka_kv[2 * i], *value = cfg->kafka_kv[2 * i + 1];
        if (rr_kafka_conf_check(name, value, errstr, sizeof(errstr)) == 0) continue;
        /* librdkafka's message may quote the value: keep secrets out of the terminal. */
        int secret = strstr(name, "password") || strstr(name, "secret");
        fprintf(stderr, "rtrec %s: config: kafka.%s=%s: %s (librdkafka)\n", cmd, name,
                secret ? "(secret)" : value, secret ? "rejected" : errstr);
        return 2;
    }
    return status;
}

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
            fprintf(stderr, "rtrec %s: %s needs an argument\n", argv[0], argv[i]);
            return 2;
        }
        rr_err_t err = is_c ? rr_config_load(cfg, argv[++i], errstr, sizeof(errstr))
                            : rr_config_set_kv(cfg, argv[++i], errstr, sizeof(errstr));
        if (err) {
            fprintf(stderr, "rtrec %s: config: %s\n", argv[0], errstr);
            return 2;
        }
    }
    return kafka_check(argv[0], cfg);
}

void rr_cli_log_level(const rr_config_t *cfg)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcmp(cfg->log_level, names[i]) == 0) rr_log_set_level((rr_log_level_t)i);
}

int rr_cmd_conf(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--markdown") == 0) {
        rr_config_print_markdown(stdout);
        return 0;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: rtrec conf [--markdown]\n");
        return 2;
    }
    rr_config_print_table(stdout);
    return 0;
}
