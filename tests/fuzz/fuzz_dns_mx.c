/*
 * libFuzzer target for dns_parse_mx (probes/dns.c): any bytes as a DNS answer. Besides the
 * sanitizers' checks it aborts when a promise of dns.h is broken: the result is 0 or -1,
 * at most DNS_MX_MAX records, every host terminated, printable and under 256 bytes.
 * Built by `make fuzz` (clang); its corpus is replayed by tests/unit/test_fuzz_corpus.c.
 */
#include "dns.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_mx_answer a;
    if (size > 65535)
        return 0; /* a DNS message is at most 64 KiB */
    int rc = dns_parse_mx(data, (int)size, &a);
    if ((rc != 0 && rc != -1) || a.n > DNS_MX_MAX)
        abort();
    for (size_t i = 0; i < a.n; i++) {
        if (!memchr(a.mx[i].host, '\0', sizeof a.mx[i].host))
            abort();
        for (const char *p = a.mx[i].host; *p; p++)
            if (!isprint((unsigned char)*p) || isupper((unsigned char)*p))
                abort();
    }
    return 0;
}
