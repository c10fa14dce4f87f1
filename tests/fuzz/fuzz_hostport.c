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

/* The host part of "host:port" / "[v6]:port" as the input writes it. */
static void hostport_expect(const char *s, const char **h, size_t *n)
{
    const char *colon = strrchr(s, ':');
    if (s[0] == '[') {
        *h = s + 1;
        *n = (size_t)(strchr(s, ']') - s - 1);
    } else if (strchr(s, ':') == colon || !colon) {
        *h = s;
        *n = colon ? (size_t)(colon - s) : strlen(s);
    } else { /* a bare IPv6 address (dns_servers) or host:port with colons in the host */
        *h = s;
        *n = strlen(s);
    }
}

static void hostport_check_split(const char *s)
{
    char host[128];
    unsigned port = 70000;
    int rc = hostport_split(s, host, sizeof host, &port);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0)
        return;
    FUZZ_CHECK(port <= 65535 && strnlen(host, sizeof host) < sizeof host);
    const char *h = s + (s[0] == '[');
    size_t n = s[0] == '[' ? (size_t)(strchr(s, ']') - h) : (size_t)(strrchr(s, ':') - s);
    FUZZ_CHECK(strlen(host) == n && memcmp(host, h, n) == 0);
}

static void hostport_check_ip_port(const char *s)
{
    char host[64];
    unsigned port = 70000;
    int rc = hostport_ip_port(s, host, sizeof host, &port);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0)
        return;
    FUZZ_CHECK(port <= 65535 && hostport_is_ip(host));
    const char *h;
    size_t n;
    hostport_expect(s, &h, &n);
    FUZZ_CHECK(strlen(host) == n && memcmp(host, h, n) == 0);
}

FUZZ_ENTRY(hostport)
{
    char *s = fuzz_str(data, size);
    hostport_check_split(s);
    hostport_check_ip_port(s);
    free(s);
    return 0;
}
