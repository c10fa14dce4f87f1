/*
 * libFuzzer target for the transport-map reader (probes/sources/transport.c): the input is
 * one line per entry, as sources.postfix.transport_maps lists them, and a line starting with
 * '?' is a recipient domain looked up once the entries are in. Besides the sanitizers'
 * checks it holds the promises of transport.h: an entry is added (0) or refused (-1) with an
 * error and the map unchanged; a lookup answers the domain itself or a lower-case host name.
 * Built by `make fuzz`; its corpus replays in tests/unit/sources/test_fuzz_sources.c.
 */
#include "fuzz.h"
#include "transport.h"
#include "util.h"

#include <ctype.h>

static void transport_check_lookup(const struct transport_map *m, const char *domain)
{
    const char *d = transport_lookup(m, domain);
    FUZZ_CHECK(d != NULL);
    if (d == domain)
        return;
    FUZZ_CHECK(mxw_valid_domain(d) == 0);
    for (const char *c = d; *c; c++)
        FUZZ_CHECK(!isupper((unsigned char)*c));
}

FUZZ_ENTRY(transport)
{
    char *text = fuzz_str(data, size), *end = text + size;
    struct transport_map *m = transport_new();
    for (int pass = 0; pass < 2; pass++) { /* the entries, then the lookups */
        const char *p = text, *line;
        size_t len;
        while ((line = fuzz_field(&p, end, '\n', &len))) {
            char *one = strndup(line, len), err[512] = "";
            size_t before = transport_count(m);
            if (pass == 1 && one[0] == '?')
                transport_check_lookup(m, one + 1);
            if (pass == 0 && one[0] != '?' && transport_add(m, one, err, sizeof err) < 0)
                FUZZ_CHECK(err[0] != '\0' && transport_count(m) == before);
            free(one);
        }
    }
    transport_free(m);
    free(text);
    return 0;
}
