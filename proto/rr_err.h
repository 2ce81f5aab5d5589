/* rr_err.h — the one error table of rtrec: every fallible function returns rr_err_t.
 * Lives in proto/, the bottom layer, so every other folder (but model/, which cannot fail)
 * can name the same codes. Add a code here and nowhere else. */
#ifndef RR_ERR_H
#define RR_ERR_H

/* X(NAME, message). Codes are 0 (OK) or negative, like libuv's. */
#define RR_ERR_MAP(X)                                                                              \
    X(OK, "success")                                                                               \
    X(NOMEM, "out of memory")                                                                      \
    X(INVAL, "invalid argument")                                                                   \
    X(DECODE, "undecodable message")                                                               \
    X(TRUNCATED, "truncated input")                                                                \
    X(NO_USER, "missing user_id")                                                                  \
    X(NO_ITEM, "missing item_id")                                                                  \
    X(BAD_TYPE, "unknown event type")                                                              \
    X(BAD_PRICE, "price or value is NaN, infinite or negative")                                    \
    X(BAD_TS, "timestamp outside the accepted window")                                             \
    X(TOO_LONG, "field longer than allowed")                                                       \
    X(BAD_UTF8, "field is not valid UTF-8")                                                        \
    X(EOF, "end of input")                                                                         \
    X(IO, "I/O error")                                                                             \
    X(CONFIG, "invalid configuration")                                                             \
    X(KAFKA, "Kafka client error")                                                                 \
    X(REDIS, "Redis error")                                                                        \
    X(FULL, "capacity reached")                                                                    \
    X(NOT_FOUND, "not found")                                                                      \
    X(CHECKSUM, "checksum mismatch")                                                               \
    X(DUPLICATE, "duplicate event id")                                                             \
    X(FLOOD, "user over its event rate cap")

typedef enum {
#define RR_ERR_ENUM_(name, msg) RR_ERR_##name,
    RR_ERR__FIRST_ = 1, /* so that the list below counts down from 0 */
    RR_ERR_MAP(RR_ERR_ENUM_)
#undef RR_ERR_ENUM_
        RR_ERR__END_
} rr_err_code_list_t_;

/* Public codes are the negated list positions: RR_OK == 0, errors < 0. */
typedef int rr_err_t;
#define RR_OK      0
#define RR_E(name) (-(RR_ERR_##name - RR_ERR_OK))

/* "DECODE", "BAD_TS"...: stable identifiers, used in DLQ headers and metrics labels. */
const char *rr_err_name(rr_err_t err);
/* Human-readable message; never NULL. */
const char *rr_strerror(rr_err_t err);

#endif
