/*
 * libFuzzer target for the sock_diag datagram reader (probes/sources/sockdiag.c): any bytes
 * as one datagram of the kernel's dump for request number 1. Besides the sanitizers' checks
 * it holds the promises of sockdiag.h: 1, 0 or -1 with an error; every socket handed over
 * has a remote address that reads back as an IPv4 or IPv6 address.
 * Built by `make fuzz`; its corpus replays in tests/unit/sources/test_fuzz_sources.c.
 */
#include "fuzz.h"
#include "sockdiag.h"

#include <arpa/inet.h>

static void sockdiag_count(void *arg, const struct sockdiag_sock *s)
{
    unsigned char bin[16];
    size_t *count = arg;
    FUZZ_CHECK(strnlen(s->remote, sizeof s->remote) < sizeof s->remote);
    FUZZ_CHECK(inet_pton(AF_INET, s->remote, bin) == 1 || inet_pton(AF_INET6, s->remote, bin) == 1);
    FUZZ_CHECK(s->dport <= 65535);
    (*count)++;
}

FUZZ_ENTRY(sockdiag)
{
    char err[256] = "";
    size_t count = 0;
    int rc = sockdiag_datagram(data, size, 1, sockdiag_count, &count, err, sizeof err);
    FUZZ_CHECK(rc >= -1 && rc <= 1);
    FUZZ_CHECK(rc != -1 || err[0] != '\0');
    FUZZ_CHECK(count <= size / 16);
    return 0;
}
