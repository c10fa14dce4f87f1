/*
 * libFuzzer target for the address forms of the configuration (agent/lib/hostport.c): any
 * bytes (up to the first NUL) as a web.listen_address and as a dns_servers entry, with the
 * host buffers their callers use. Besides the sanitizers' checks it holds the promises of
 * hostport.h: 0 or -1; on 0 a port of 0 to 65535 and a host that is exactly the text
 * between the delimiters (never cut to fit), and for a DNS server a numeric address.
 * Built by `make fuzz`; its corpus replays in tests/unit/lib/test_fuzz_lib.c.
 */
#include "fuzz.h"
#include "hostport.h"

#include <stdbool.h>

/* The host part of the input as it writes it: inside [brackets]; else, for host:port
 * (listen), before the last colon; else (ip_port) before a lone colon, or all of it (a bare
 * IPv6 address or IPv4 one). */
static void hostport_expect(const char *s, bool listen, const char **h, size_t *n)
{
    const char *colon = strrchr(s, ':');
    *h = s + (s[0] == '[');
    if (s[0] == '[')
        *n = (size_t)(strchr(s, ']') - *h);
    else if (colon && (listen || strchr(s, ':') == colon))
        *n = (size_t)(colon - s);
    else
        *n = strlen(s);
}

/* One call's result: 0 or -1; on 0 a port of 0 to 65535 and exactly the host written. */
static bool hostport_accepted(int rc, const char *s, bool listen, const char *host, unsigned port)
{
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0)
        return false;
    const char *h;
    size_t n;
    hostport_expect(s, listen, &h, &n);
    FUZZ_CHECK(port <= 65535 && strlen(host) == n && memcmp(host, h, n) == 0);
    return true;
}

FUZZ_ENTRY(hostport)
{
    char *s = fuzz_str(data, size), listen[128], dns[64]; /* as the configuration's checks */
    unsigned lport = 70000, dport = 70000;
    int rc = hostport_split(s, listen, sizeof listen, &lport);
    hostport_accepted(rc, s, true, listen, lport);
    rc = hostport_ip_port(s, dns, sizeof dns, &dport);
    if (hostport_accepted(rc, s, false, dns, dport))
        FUZZ_CHECK(hostport_is_ip(dns));
    free(s);
    return 0;
}
