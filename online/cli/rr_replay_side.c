/* rr_replay_side.c — side files to the items and users topics; see rr_replay_side.h. */
#include <stdio.h>
#include <string.h>
#include "rr_codec.h"
#include "rr_replay_side.h"
#include "rr_side.h"

typedef struct side_out_s {
    rr_producer_t *rp;
    const char *topic;
    uint64_t sent;
} side_out_t;

static rr_err_t send(side_out_t *so, const char *key, const uint8_t *buf, size_t len)
{
    rr_produce_msg_t pm = {
        .topic = so->topic, .key = key, .key_len = strlen(key), .value = buf, .len = len};
    rr_err_t err = rr_producer_send_wait(so->rp, &pm);
    so->sent += err == RR_OK;
    rr_producer_poll(so->rp);
    return err;
}

static rr_err_t send_item(void *opaque, const rr_item_msg_t *item)
{
    uint8_t buf[2048];
    size_t len;
    rr_err_t err = rr_item_encode_pb(item, buf, sizeof(buf), &len);
    return err ? err : send(opaque, item->item_id, buf, len);
}

static rr_err_t send_user(void *opaque, const rr_user_msg_t *user)
{
    uint8_t buf[1024];
    size_t len;
    rr_err_t err = rr_user_encode_pb(user, buf, sizeof(buf), &len);
    return err ? err : send(opaque, user->user_id, buf, len);
}

int rr_replay_side(rr_producer_t *rp, const rr_config_t *cfg, const char *items_path,
                   const char *users_path)
{
    char errstr[512] = "";
    size_t n = 0;
    side_out_t items = {rp, cfg->topic_items, 0}, users = {rp, cfg->topic_users, 0};
    rr_err_t err = RR_OK;
    if (items_path) err = rr_side_items(items_path, send_item, &items, &n, errstr, sizeof(errstr));
    if (!err && users_path)
        err = rr_side_users(users_path, send_user, &users, &n, errstr, sizeof(errstr));
    size_t undelivered = rr_producer_flush(rp, 30000);
    if (err || undelivered) {
        fprintf(stderr, "rtrec replay: side files: %s\n",
                errstr[0] ? errstr
                : err     ? rr_strerror(err)
                          : "undelivered messages");
        return 1;
    }
    fprintf(stderr, "replay: %llu items to %s, %llu users to %s\n", (unsigned long long)items.sent,
            items.topic, (unsigned long long)users.sent, users.topic);
    return 0;
}
