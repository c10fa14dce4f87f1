/*
 * sockdiag.c - one datagram of a sock_diag dump (sockdiag.h). Loop thread (the connections
 * source) or any thread: pure. The kernel writes these datagrams, but the reader still
 * trusts no length in them: every message and payload is bounded by what was received, and
 * copied out before it is read, so a short or odd datagram cannot make it read past the end.
 */
#include "sockdiag.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <limits.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define HDR_LEN NLMSG_ALIGN(sizeof(struct nlmsghdr)) /* where a message's payload starts */

/* The remote address as text; an IPv4-mapped IPv6 address as IPv4. -1 for another family. */
static int remote_addr(const struct inet_diag_msg *m, char *out, size_t cap)
{
    const unsigned char *b = (const unsigned char *)m->id.idiag_dst;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const char *s = NULL;
    if (m->idiag_family == AF_INET6 && !memcmp(b, mapped, sizeof mapped))
        s = inet_ntop(AF_INET, b + 12, out, (socklen_t)cap);
    else if (m->idiag_family == AF_INET || m->idiag_family == AF_INET6)
        s = inet_ntop(m->idiag_family, b, out, (socklen_t)cap);
    return s ? 0 : -1;
}

/* One message's payload (plen bytes at p) of type type. */
static int message(uint16_t type, const unsigned char *p, size_t plen, sockdiag_fn *fn, void *arg,
                   char *err, size_t errlen)
{
    if (type == NLMSG_DONE)
        return 1;
    if (type == NLMSG_ERROR) {
        struct nlmsgerr e;
        if (plen < sizeof e.error) {
            snprintf(err, errlen, "sock_diag dump: a truncated error message");
            return -1;
        }
        memcpy(&e.error, p, sizeof e.error);
        int code = e.error < 0 && e.error != INT_MIN ? -e.error : 0; /* -INT_MIN overflows */
        snprintf(err, errlen, "sock_diag dump: %s", code ? strerror(code) : "error without a code");
        return -1;
    }
    struct inet_diag_msg m;
    if (plen < sizeof m)
        return 0;
    memcpy(&m, p, sizeof m);
    struct sockdiag_sock s = {
        .dport = ntohs(m.id.idiag_dport), .state = m.idiag_state, .inode = m.idiag_inode};
    if (remote_addr(&m, s.remote, sizeof s.remote) == 0)
        fn(arg, &s);
    return 0;
}

int sockdiag_datagram(const void *buf, size_t len, uint32_t seq, sockdiag_fn *fn, void *arg,
                      char *err, size_t errlen)
{
    const unsigned char *p = buf;
    struct nlmsghdr h;
    while (len >= HDR_LEN) {
        memcpy(&h, p, sizeof h);
        if (h.nlmsg_len < HDR_LEN || h.nlmsg_len > len)
            break;
        if (h.nlmsg_seq == seq) {
            int rc =
                message(h.nlmsg_type, p + HDR_LEN, h.nlmsg_len - HDR_LEN, fn, arg, err, errlen);
            if (rc)
                return rc;
        }
        size_t step = ((size_t)h.nlmsg_len + NLMSG_ALIGNTO - 1) & ~(size_t)(NLMSG_ALIGNTO - 1);
        if (step >= len)
            break;
        p += step;
        len -= step;
    }
    return 0;
}
