/* rr_cli.h — the `rtrec` subcommands. Each returns a process exit status. */
#ifndef RR_CLI_H
#define RR_CLI_H

#include "rr_config.h"

/* Parses -c FILE and -X key=value (in order: later wins) into cfg, leaving other arguments in
 * rest[] (argv order). Returns 0, or prints why and returns 2. */
int rr_cli_config(int argc, char **argv, rr_config_t *cfg, char **rest, int *nrest);
/* Applies log.level. */
void rr_cli_log_level(const rr_config_t *cfg);

int rr_cmd_run(int argc, char **argv);
int rr_cmd_broker(int argc, char **argv);
int rr_cmd_replay(int argc, char **argv);
int rr_cmd_record(int argc, char **argv);
int rr_cmd_conf(int argc, char **argv);
int rr_cmd_eval(int argc, char **argv);
int rr_cmd_inspect(int argc, char **argv);

#endif
