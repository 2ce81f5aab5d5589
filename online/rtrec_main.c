/* rtrec_main.c — the `rtrec` binary: dispatches to a subcommand. */
#include <stdio.h>
#include <string.h>
#include "rr_blas.h"
#include "rr_cli.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"run", rr_cmd_run, "run the engine (embedded broker unless kafka.bootstrap.servers is set)"},
    {"broker", rr_cmd_broker,
     "run the embedded Kafka-protocol broker alone (SIGUSR1: brokers down, SIGUSR2: up)"},
    {"replay", rr_cmd_replay, "produce a recorded stream into the events topic"},
    {"record", rr_cmd_record, "dump a topic to a file of length-delimited frames"},
    {"conf", rr_cmd_conf, "list every configuration key"},
    {"eval", rr_cmd_eval, "prequential HR@10/NDCG@10 of rtrec vs baselines on recorded files"},
    {"inspect", rr_cmd_inspect, "print each section of a checkpoint with its size and digest"},
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: rtrec <command> [-c FILE] [-X key=value]... [args]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(fp, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(fp,
            "\n  rtrec replay FILE --format taobao|rees46|movielens|ml100k|amazon|caixin|jsonl|pb "
            "[--rate EPS|--speedup X] [--topic T]\n"
            "  rtrec record --topic T --out FILE\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    rr_blas_set_threads(1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "rtrec: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
