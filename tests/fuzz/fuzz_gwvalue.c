/*
 * libFuzzer target for the gateway's number and time texts (gwxml_parse_value and
 * gwxml_parse_birth in probes/sources/gwxml.c): any bytes as an attribute's text. Besides the
 * sanitizers' checks it holds the promises of gwxml.h: 0 or -1; an accepted value is finite,
 * below 2^64 in magnitude, negative only after a leading '-', from at most
 * GWXML_VALUE_MAX_LEN bytes; a plain decimal that gwxml.h says is read exactly is what strtod
 * (correctly rounded) reads; an accepted birth time is finite.
 * Built by `make fuzz`; its corpus replays in tests/unit/sources/test_fuzz_sources.c.
 */
#include "fuzz.h"
#include "gwxml.h"

#include <ctype.h>
#include <math.h>

/* Whether s is -?DIGITS(.DIGITS)? that gwxml.h promises to read exactly: a whole number of
 * at most 19 significant digits, or at most 15 (below 2^53) with at most 22 decimals. */
static int gwvalue_plain(const char *s)
{
    const char *p = s + (*s == '-');
    size_t sig = 0, n = 0, decimals = 0;
    int seen_nonzero = 0, dot = 0;
    for (; *p; p++, n++) {
        if (*p == '.' && !dot && n > 0 && p[1]) {
            dot = 1;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            return 0;
        seen_nonzero |= *p != '0';
        sig += seen_nonzero;
        decimals += dot;
    }
    return n > 0 && (dot ? sig <= 15 && decimals <= 22 : sig <= 19);
}

FUZZ_ENTRY(gwvalue)
{
    char *s = fuzz_str(data, size);
    double v = 12345;
    int rc = gwxml_parse_value(s, &v);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        FUZZ_CHECK(strlen(s) <= GWXML_VALUE_MAX_LEN);
        FUZZ_CHECK(isfinite(v) && fabs(v) < 18446744073709551616.0);
        FUZZ_CHECK(v >= 0 || s[0] == '-');
        if (gwvalue_plain(s))
            FUZZ_CHECK(v == strtod(s, NULL));
    }
    double t = 0;
    rc = gwxml_parse_birth((const char *)data, size, &t);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(rc != 0 || isfinite(t));
    free(s);
    return 0;
}
