/* rr_err.c — names and messages of the error table in rr_err.h. */
#include "rr_err.h"

static const char *const names[] = {
#define RR_ERR_NAME_(name, msg) #name,
    RR_ERR_MAP(RR_ERR_NAME_)
#undef RR_ERR_NAME_
};

static const char *const messages[] = {
#define RR_ERR_MSG_(name, msg) msg,
    RR_ERR_MAP(RR_ERR_MSG_)
#undef RR_ERR_MSG_
};

static int err_index(rr_err_t err)
{
    int idx = -err;
    if (idx < 0 || idx >= (int)(sizeof(names) / sizeof(names[0]))) return -1;
    return idx;
}

const char *rr_err_name(rr_err_t err)
{
    int idx = err_index(err);
    return idx < 0 ? "UNKNOWN" : names[idx];
}

const char *rr_strerror(rr_err_t err)
{
    int idx = err_index(err);
    return idx < 0 ? "unknown error" : messages[idx];
}
