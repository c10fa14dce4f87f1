/*
 * libFuzzer target for dns_parse_mx (probes/dns.c): any bytes as a DNS answer. Besides the
 * sanitizers' checks it holds the promises of dns.h: the result is 0 or -1, at most
 * DNS_MX_MAX records, every host terminated, printable, lower case and under 256 bytes.
 * Built by `make fuzz`; its corpus replays in tests/unit/probes/test_fuzz_probes.c.
 */
#include "dns.h"
#include "fuzz.h"

#include <ctype.h>

FUZZ_ENTRY(dns_mx)
{
    static struct dns_mx_answer a;
    if (size > 65535)
        return 0; /* a DNS message is at most 64 KiB */
    int rc = dns_parse_mx(data, (int)size, &a);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(a.n <= DNS_MX_MAX);
    for (size_t i = 0; i < a.n; i++) {
        FUZZ_CHECK(memchr(a.mx[i].host, '\0', sizeof a.mx[i].host));
        for (const char *p = a.mx[i].host; *p; p++)
            FUZZ_CHECK(isprint((unsigned char)*p) && !isupper((unsigned char)*p));
    }
    return 0;
}
