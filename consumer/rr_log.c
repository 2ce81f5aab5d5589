/* rr_log.c — level-gated logging with a settable sink. Safe to call from any thread (librdkafka's
 * broker threads log too): the level is atomic and the sink runs under one mutex. */
#include "rr_log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static rr_log_sink_t sink_fn;
static void *sink_opaque;
static atomic_int log_level = RR_LOG_INFO;
static atomic_int level_set_explicitly;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

/* RTREC_LOG_LEVEL is read once, at first use, unless rr_log_set_level() came first. */
static void level_from_env(void)
{
    const char *env = getenv("RTREC_LOG_LEVEL");
    if (!env || atomic_load(&level_set_explicitly)) return;
    static const char *const lower[] = {"error", "warn", "info", "debug"};
    for (int lvl = RR_LOG_ERROR; lvl <= RR_LOG_DEBUG; lvl++) {
        if (strcmp(env, lower[lvl]) == 0) atomic_store(&log_level, lvl);
    }
}

void rr_log_set_sink(rr_log_sink_t sink, void *opaque)
{
    pthread_mutex_lock(&sink_lock);
    sink_fn = sink;
    sink_opaque = opaque;
    pthread_mutex_unlock(&sink_lock);
}

void rr_log_set_level(rr_log_level_t level)
{
    atomic_store(&level_set_explicitly, 1);
    atomic_store(&log_level, (int)level);
}

int rr_log_enabled(rr_log_level_t level)
{
    pthread_once(&env_once, level_from_env);
    return (int)level <= atomic_load(&log_level);
}

void rr_log_write(rr_log_level_t level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if ((unsigned)level > RR_LOG_DEBUG) level = RR_LOG_DEBUG;

    pthread_mutex_lock(&sink_lock);
    if (sink_fn)
        sink_fn(sink_opaque, level, msg);
    else
        fprintf(stderr, "rtrec %s: %s\n", level_names[level], msg);
    pthread_mutex_unlock(&sink_lock);
}
