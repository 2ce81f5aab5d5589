/* fuzz_json.c — libFuzzer target: the JSON decoders of proto/ on arbitrary bytes. A decoded event
 * must encode to JSON that decodes again to the same user and type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "rr_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rr_event_t ev, again;
    rr_item_msg_t item;
    rr_user_msg_t user;
    char buf[8192];
    size_t len;

    if (rr_event_decode_json(data, size, &ev) == RR_OK) {
        if (rr_event_encode_json(&ev, buf, sizeof buf, &len) != RR_OK) abort();
        if (rr_event_decode_json(buf, len, &again) != RR_OK) abort();
        if (strcmp(ev.user_id, again.user_id) != 0 || ev.type != again.type) abort();
    }
    rr_item_decode_json(data, size, &item);
    rr_user_decode_json(data, size, &user);
    return 0;
}
