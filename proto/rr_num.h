/* rr_num.h — private to proto/: strict number parsing of length-delimited text (CSV columns,
 * JSON numeric strings). The whole span must be the number; surrounding blanks are allowed. */
#ifndef RR_NUM_H
#define RR_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Optional sign and decimal digits, no overflow. 0 on success, -1 otherwise. */
int rr_num_i64(const char *s, size_t len, int64_t *out);
/* Anything strtod accepts, "nan" and "inf" included (validation rejects those later, with a
 * better reason than "undecodable"). 0 on success, -1 otherwise. */
int rr_num_f32(const char *s, size_t len, float *out);
/* double -> float, saturating to +-inf instead of the undefined out-of-range conversion. */
float rr_num_to_f32(double d);
/* An integral double within +-2^53 (exactly representable) -> 0 and *out, else -1. */
int rr_num_exact_i64(double d, int64_t *out);

#endif
