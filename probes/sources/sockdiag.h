/*
 * sockdiag.h - reading one datagram of a NETLINK_SOCK_DIAG dump of TCP sockets (what `ss`
 * reads): the messages of the dump's sequence number, each checked against the datagram's
 * length before a byte of it is read, turned into the few facts the connections source
 * counts. Used by src_connections.c on the loop thread and by its fuzz target. Pure: no
 * I/O, no allocation, no logging; alignment-safe on any buffer.
 */
#ifndef MXW_SOCKDIAG_H
#define MXW_SOCKDIAG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* One socket of the dump. */
struct sockdiag_sock {
    unsigned dport;                /* remote port, host order */
    unsigned state;                /* TCP_ESTABLISHED, TCP_SYN_SENT... */
    unsigned long inode;           /* the socket's inode: tells the agent's own sockets */
    char remote[INET6_ADDRSTRLEN]; /* remote address; an IPv4-mapped IPv6 one as IPv4 */
};

typedef void sockdiag_fn(void *arg, const struct sockdiag_sock *s);

/* Hands fn every socket of the datagram's messages with sequence number seq (others are
 * skipped, and so are sockets of a family other than IPv4 and IPv6). Returns 1 when the dump
 * is done (NLMSG_DONE), 0 when more datagrams follow, -1 for an error message (err filled). A
 * message whose length does not fit the datagram ends it. O(len). */
int sockdiag_datagram(const void *buf, size_t len, uint32_t seq, sockdiag_fn *fn, void *arg,
                      char *err, size_t errlen);

#endif
