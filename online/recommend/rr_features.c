/* rr_features.c — feature names and the trend grid; see rr_features.h. */
#include "rr_features.h"
#include "rr_store.h"

const double rr_trend_half_life_s[RR_NTRENDS] = {3600.0, 86400.0, 7 * 86400.0, 30 * 86400.0};

const char *rr_feature_name(rr_feature_t f)
{
    static const char *const names[] = {
#define RR_F_NAME(name, reason, doc) #name,
        RR_FEATURES(RR_F_NAME)
#undef RR_F_NAME
    };
    return (unsigned)f < RR_F__COUNT ? names[f] : "?";
}

int rr_feature_reason(rr_feature_t f)
{
    static const int reasons[] = {
#define RR_F_REASON(name, reason, doc) RR_REASON_##reason,
        RR_FEATURES(RR_F_REASON)
#undef RR_F_REASON
    };
    return (unsigned)f < RR_F__COUNT ? reasons[f] : RR_REASON_NONE;
}
