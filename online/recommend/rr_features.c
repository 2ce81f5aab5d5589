/* rr_features.c — feature names and the trend grid; see rr_features.h. */
#include "rr_features.h"

const double rr_trend_half_life_s[RR_NTRENDS] = {3600.0, 86400.0, 7 * 86400.0, 30 * 86400.0};

const char *rr_feature_name(rr_feature_t f)
{
    static const char *const names[] = {
#define RR_F_NAME(name, doc) #name,
        RR_FEATURES(RR_F_NAME)
#undef RR_F_NAME
    };
    return (unsigned)f < RR_F__COUNT ? names[f] : "?";
}
