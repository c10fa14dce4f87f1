/*
 * hostport.h - reading "host:port" forms the way the configuration writes addresses: the
 * HTTP listener ("host:port", "[v6]:port", ":port") and DNS servers ("ip", "ip:port",
 * "[v6]:port", or a bare IPv6 address). Pure, any thread; no name resolution.
 */
#ifndef MXW_HOSTPORT_H
#define MXW_HOSTPORT_H

#include <stdbool.h>
#include <stddef.h>

/* "host:port", "[v6]:port" or ":port" (host empty = every address) into host and port.
 * 0, or -1 when the form is wrong, the host does not fit hostlen (it is never cut), or the
 * port is not 0 to 65535. */
int hostport_split(const char *addr, char *host, size_t hostlen, unsigned *port);

/* "ip", "ip:port", "[v6]:port" or a bare IPv6 address into host and port (0 when none is
 * given). 0, or -1 when the form is wrong, the port is out of range, or the host is not a
 * numeric IPv4 or IPv6 address. */
int hostport_ip_port(const char *s, char *host, size_t hostlen, unsigned *port);

/* Whether s is a numeric IPv4 or IPv6 address. */
bool hostport_is_ip(const char *s);

#endif
