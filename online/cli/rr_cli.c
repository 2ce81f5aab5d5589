/* rr_cli.c — shared argument handling of the subcommands; `rtrec conf`. */
#include <stdio.h>
#include <string.h>
#include "rr_cli.h"
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
