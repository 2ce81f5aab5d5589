/* fuzz_csv.c — libFuzzer target: rr_line_decode of every text dialect on arbitrary bytes (the
 * first byte picks the dialect). */
#include <stdint.h>
#include "rr_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const rr_format_t fmts[] = {RR_FMT_TAOBAO, RR_FMT_REES46, RR_FMT_MOVIELENS,
                                       RR_FMT_AMAZON, RR_FMT_JSONL,  RR_FMT_ML100K,
                                       RR_FMT_CAIXIN};
    rr_event_t ev;
    if (size == 0) return 0;
    rr_format_t fmt = fmts[data[0] % (sizeof fmts / sizeof fmts[0])];
    rr_line_decode(fmt, (const char *)data + 1, size - 1, &ev);
    return 0;
}
