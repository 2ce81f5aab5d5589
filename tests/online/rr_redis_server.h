/* rr_redis_server.h — a throwaway redis-server on a free loopback port for tests: no persistence,
 * started with posix_spawn, ready once it answers PING, stopped or killed by PID. Header-only;
 * includes a synchronous hiredis client to check what the code under test wrote. */
#ifndef RR_REDIS_SERVER_H
#define RR_REDIS_SERVER_H

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <hiredis/hiredis.h>

extern char **environ;

typedef struct rr_redis_server_s {
    pid_t pid; /* 0 when not running */
    int port;
    char password[64]; /* "" = none */
} rr_redis_server_t;

/* A loopback TCP port nobody listens on right now (bind port 0, read it back, close). */
static inline int rr_free_port(void)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
        port = ntohs(sin.sin_port);
    close(fd);
    return port;
}

/* Synchronous client (1 s timeouts), authenticated if the server has a password. NULL if the
 * server does not answer. Free with redisFree(). */
static inline redisContext *rr_redis_server_connect(const rr_redis_server_t *srv)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", srv->port, tv);
    if (!c || c->err) {
        if (c) redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (srv->password[0]) {
        redisReply *reply = redisCommand(c, "AUTH %s", srv->password);
        if (reply) freeReplyObject(reply);
    }
    return c;
}

/* Any answer to PING (even NOAUTH) means the server accepts commands. */
static inline int rr_redis_server_answers(const rr_redis_server_t *srv)
{
    redisContext *c = rr_redis_server_connect(srv);
    if (!c) return 0;
    redisReply *reply = redisCommand(c, "PING");
    int ok = reply != NULL;
    if (reply) freeReplyObject(reply);
    redisFree(c);
    return ok;
}

/* Stops the server by PID: SIGTERM (clean) or SIGKILL (crash), then reaps it. */
static inline void rr_redis_server_signal(rr_redis_server_t *srv, int sig)
{
    if (srv->pid <= 0) return;
    kill(srv->pid, sig);
    waitpid(srv->pid, NULL, 0);
    srv->pid = 0;
}

static inline void rr_redis_server_stop(rr_redis_server_t *srv)
{
    rr_redis_server_signal(srv, SIGTERM);
}

static inline void rr_redis_server_kill(rr_redis_server_t *srv)
{
    rr_redis_server_signal(srv, SIGKILL);
}

/* Starts redis-server on port (0 = a free one) and waits up to 10 s until it answers.
 * password NULL or "" = none. 0 on success, -1 on failure (nothing left running). */
static inline int rr_redis_server_start(rr_redis_server_t *srv, int port, const char *password)
{
    char port_s[16];
    memset(srv, 0, sizeof(*srv));
    srv->port = port ? port : rr_free_port();
    if (srv->port <= 0) return -1;
    snprintf(port_s, sizeof(port_s), "%d", srv->port);
    snprintf(srv->password, sizeof(srv->password), "%s", password ? password : "");
    char *argv[] = {"redis-server", "--port", port_s,        "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no",     "--daemonize", "no",     NULL,        NULL,     NULL};
    if (srv->password[0]) {
        argv[11] = "--requirepass";
        argv[12] = srv->password;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&srv->pid, "redis-server", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        srv->pid = 0;
        return -1;
    }
    struct timespec nap = {0, 10 * 1000 * 1000};
    for (int i = 0; i < 1000; i++) {
        if (waitpid(srv->pid, NULL, WNOHANG) == srv->pid) { /* died: port taken, bad flag... */
            srv->pid = 0;
            return -1;
        }
        if (rr_redis_server_answers(srv)) return 0;
        nanosleep(&nap, NULL);
    }
    rr_redis_server_kill(srv);
    return -1;
}

#endif
