/*
 * libFuzzer target for the header checks of the admin endpoints (exporters/web/admin.c):
 * the input is up to six header values, one per line - Content-Type, X-Mxwatch-Request,
 * Origin, Sec-Fetch-Site, Host, Authorization - a missing line being a header not sent. Each
 * goes through the forgery checks of a POST (admin_check_forgery) and the bearer parser
 * (admin_bearer_token). Besides the sanitizers' checks it holds the promises of admin.h: 0,
 * 403 or 415, with a reason unless 0; a POST with no X-Mxwatch-Request is refused; a
 * cross-site Sec-Fetch-Site is refused; a bearer token lies inside its header, after
 * "Bearer " and the spaces that follow.
 * Built by `make fuzz`; its corpus replays in tests/unit/web/test_fuzz_web.c.
 */
#include "admin.h"
#include "fuzz.h"

#include <strings.h>

enum { HDR_TYPE, HDR_MARKER, HDR_ORIGIN, HDR_SITE, HDR_HOST, HDR_AUTH, HDR_COUNT };

static void admin_check_bearer(const char *auth)
{
    const char *t = admin_bearer_token(auth);
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0) {
        FUZZ_CHECK(t == NULL);
        return;
    }
    FUZZ_CHECK(t >= auth + 7 && t <= auth + strlen(auth) && *t != ' ');
    for (const char *c = auth + 7; c < t; c++)
        FUZZ_CHECK(*c == ' ');
}

FUZZ_ENTRY(admin_headers)
{
    char *text = fuzz_str(data, size), *h[HDR_COUNT] = {0};
    const char *p = text, *end = text + size, *f;
    size_t len;
    for (int i = 0; i < HDR_COUNT && (f = fuzz_field(&p, end, '\n', &len)); i++)
        h[i] = strndup(f, len);
    char why[160] = "";
    unsigned st = admin_check_forgery(h[HDR_TYPE], h[HDR_MARKER], h[HDR_ORIGIN], h[HDR_SITE],
                                      h[HDR_HOST], why, sizeof why);
    FUZZ_CHECK(st == 0 || st == 403 || st == 415);
    FUZZ_CHECK(st == 0 || why[0] != '\0');
    FUZZ_CHECK(st != 0 || (h[HDR_MARKER] && h[HDR_MARKER][0]));
    FUZZ_CHECK(st != 0 || !h[HDR_SITE] || !strcmp(h[HDR_SITE], "same-origin") ||
               !strcmp(h[HDR_SITE], "none"));
    admin_check_bearer(h[HDR_AUTH]);
    for (int i = 0; i < HDR_COUNT; i++)
        free(h[i]);
    free(text);
    return 0;
}
