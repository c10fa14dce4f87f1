/*
 * libFuzzer target for dns_parse_records (probes/dns.c): the first byte picks the record type
 * (TXT, PTR or TLSA, by its value modulo 3), the rest is any bytes as a DNS answer. Besides
 * the sanitizers' checks it holds the promises of dns.h: the result is 0 or -1, at most
 * DNS_RECORDS_MAX records, every text NUL-terminated inside its buffer with no NUL before
 * that, a PTR name lower case and printable, TLSA data never longer than its buffer.
 * Built by `make fuzz`; its corpus replays in tests/unit/probes/test_fuzz_probes.c.
 */
#include "dns.h"
#include "fuzz.h"

#include <ctype.h>

FUZZ_ENTRY(dns_records)
{
    static const unsigned types[] = {DNS_T_TXT, DNS_T_PTR, DNS_T_TLSA};
    static struct dns_records_answer a;
    if (size < 1 || size > 65536)
        return 0; /* a type byte and a DNS message of at most 64 KiB */
    unsigned type = types[data[0] % 3];
    int rc = dns_parse_records(data + 1, (int)(size - 1), type, &a);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(a.n <= DNS_RECORDS_MAX);
    FUZZ_CHECK(a.type == type);
    for (size_t i = 0; i < a.n; i++) {
        const struct dns_record *r = &a.rec[i];
        FUZZ_CHECK(memchr(r->text, '\0', sizeof r->text));
        FUZZ_CHECK(r->data_len <= sizeof r->data);
        if (type != DNS_T_PTR)
            continue;
        for (const char *p = r->text; *p; p++)
            FUZZ_CHECK(isprint((unsigned char)*p) && !isupper((unsigned char)*p));
    }
    return 0;
}
