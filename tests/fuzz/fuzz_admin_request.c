/*
 * libFuzzer target for the delivernow request body parser (admin_parse_request in
 * exporters/web/admin.c): any bytes as the body of POST /api/v1/delivernow. Besides the
 * sanitizers' checks it holds the promises of admin.h: 0 or -1 with an error; on 0 either
 * all with no destination, or a destination that is a valid lower-case domain name without
 * a trailing dot, within its buffer.
 * Built by `make fuzz`; its corpus replays in tests/unit/web/test_fuzz_web.c.
 */
#include "admin.h"
#include "fuzz.h"
#include "store.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>

FUZZ_ENTRY(admin_request)
{
    char dest[STORE_DOMAIN_MAX], err[256] = "";
    bool all = false;
    if (size > INT_MAX)
        return 0;
    memset(dest, 'x', sizeof dest);
    int rc =
        admin_parse_request((const char *)data, size, dest, sizeof dest, &all, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        FUZZ_CHECK(err[0] != '\0');
        return 0;
    }
    size_t n = strnlen(dest, sizeof dest);
    FUZZ_CHECK(n < sizeof dest);
    FUZZ_CHECK(all ? n == 0 : n > 0);
    if (all)
        return 0;
    FUZZ_CHECK(mxw_valid_domain(dest) == 0 && dest[n - 1] != '.');
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(!isupper((unsigned char)dest[i]));
    return 0;
}
