/* rr_log.h — level-gated logging with a settable sink, for the I/O layers (consumer/, online/).
 * proto/ and model/ never log: they return rr_err_t. */
#ifndef RR_LOG_H
#define RR_LOG_H

typedef enum { RR_LOG_ERROR = 0, RR_LOG_WARN, RR_LOG_INFO, RR_LOG_DEBUG } rr_log_level_t;

typedef void (*rr_log_sink_t)(void *opaque, rr_log_level_t level, const char *msg);

/* Default: INFO and above (or RTREC_LOG_LEVEL=error|warn|info|debug, read at first use) to
 * stderr as "rtrec LEVEL: msg". sink NULL restores the default. Thread-safe: the sink runs under
 * one lock, on whichever thread logs (librdkafka's own threads may), so it must not log itself.
 * Messages longer than 1023 bytes are truncated. */
void rr_log_set_sink(rr_log_sink_t sink, void *opaque);
void rr_log_set_level(rr_log_level_t level);
int rr_log_enabled(rr_log_level_t level);
void rr_log_write(rr_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define RR_LOG(level, ...)                                                                         \
    do {                                                                                           \
        if (rr_log_enabled(level)) rr_log_write(level, __VA_ARGS__);                               \
    } while (0)
#define RR_ERROR(...) RR_LOG(RR_LOG_ERROR, __VA_ARGS__)
#define RR_WARN(...)  RR_LOG(RR_LOG_WARN, __VA_ARGS__)
#define RR_INFO(...)  RR_LOG(RR_LOG_INFO, __VA_ARGS__)
#define RR_DEBUG(...) RR_LOG(RR_LOG_DEBUG, __VA_ARGS__)

#endif
