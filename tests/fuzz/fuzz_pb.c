/* fuzz_pb.c — libFuzzer target: every protobuf decoder of proto/ on arbitrary bytes. A decoded
 * event must re-encode, and decode again to the same event. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rr_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rr_event_t ev, again;
    rr_item_msg_t item;
    rr_user_msg_t user;
    rr_rec_t store[16];
    rr_recs_t recs;
    unsigned char buf[2048];
    size_t len;

    if (rr_event_decode_pb(data, size, &ev) == RR_OK) {
        if (rr_event_encode_pb(&ev, buf, sizeof buf, &len) != RR_OK) abort();
        if (rr_event_decode_pb(buf, len, &again) != RR_OK) abort();
        if (memcmp(ev.user_id, again.user_id, sizeof ev.user_id) != 0) abort();
        rr_event_validate(&ev, 1700000000000LL);
    }
    rr_event_decode(data, size, &ev);
    rr_item_decode_pb(data, size, &item);
    rr_user_decode_pb(data, size, &user);
    if (rr_recs_decode_pb(data, size, &recs, store, 16) == RR_OK) {
        if (rr_recs_encode_pb(&recs, buf, sizeof buf, &len) == RR_E(INVAL)) abort();
    }
    return 0;
}
