/*
 * hostport.c - "host:port" forms (hostport.h). Pure, any thread.
 */
#include "hostport.h"

#include "util.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *s, unsigned *port)
{
    char *end;
    unsigned long p = strtoul(s, &end, 10);
    if (end == s || *end || p > 65535 || *s == '-' || *s == '+')
        return -1;
    *port = (unsigned)p;
    return 0;
}

/* The n bytes at s into host; -1 when they do not fit (a host is never cut to fit). */
static int copy_host(char *host, size_t hostlen, const char *s, size_t n)
{
    if (n >= hostlen)
        return -1;
    mxw_strncpy0(host, hostlen, s, n);
    return 0;
}

int hostport_split(const char *addr, char *host, size_t hostlen, unsigned *port)
{
    const char *colon;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':' ||
            copy_host(host, hostlen, addr + 1, (size_t)(close - addr - 1)) < 0)
            return -1;
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || copy_host(host, hostlen, addr, (size_t)(colon - addr)) < 0)
            return -1;
    }
    return parse_port(colon + 1, port);
}

bool hostport_is_ip(const char *s)
{
    unsigned char tmp[16];
    return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

int hostport_ip_port(const char *s, char *host, size_t hostlen, unsigned *port)
{
    *port = 0;
    const char *colon = strchr(s, ':');
    if (s[0] == '[') {
        if (hostport_split(s, host, hostlen, port) < 0)
            return -1;
    } else if (colon && !strchr(colon + 1, ':')) { /* one colon: ip:port */
        if (copy_host(host, hostlen, s, (size_t)(colon - s)) < 0 || parse_port(colon + 1, port) < 0)
            return -1;
    } else if (mxw_strlcpy(host, s, hostlen) >= hostlen) {
        return -1;
    }
    return hostport_is_ip(host) ? 0 : -1;
}
