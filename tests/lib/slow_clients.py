#!/usr/bin/env python3
"""slow_clients.py PORT SECONDS IDLE SLOW_ADDRS SLOW_PER_ADDR IDLE_ADDRS: holds IDLE idle
connections (spread over IDLE_ADDRS source addresses 127.0.1.1..) and SLOW_PER_ADDR
slowloris connections from each of SLOW_ADDRS source addresses (127.0.0.11..), each sending
one more header line every second and never ending its header, against 127.0.0.1:PORT for
SECONDS. A connection the server closes is opened again 0.2 s later. Prints, at the end,
how many connections were opened, how many the server closed, and the longest life of a
slowloris connection that the server closed. Loopback only; bounded in time."""
import errno
import resource
import selectors
import socket
import sys
import time

port, seconds, n_idle, n_slow_addrs, per_addr, n_idle_addrs = map(int, sys.argv[1:7])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
sel = selectors.DefaultSelector()
opened = closed = 0
longest_slow = 0.0
pending = []  # (when, kind, source address)
conns = {}  # socket -> [kind, source, opened_at, next_line_at]


def open_one(kind, src):
    global opened
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.bind((src, 0))
        s.connect_ex(("127.0.0.1", port))
    except OSError:
        s.close()
        pending.append((time.monotonic() + 0.2, kind, src))
        return
    opened += 1
    now = time.monotonic()
    conns[s] = [kind, src, now, now if kind == "slow" else None]
    sel.register(s, selectors.EVENT_READ)


def drop(s):
    global closed, longest_slow
    kind, src, born, _ = conns.pop(s)
    sel.unregister(s)
    s.close()
    closed += 1
    if kind == "slow":
        longest_slow = max(longest_slow, time.monotonic() - born)
    pending.append((time.monotonic() + 0.2, kind, src))


for i in range(n_slow_addrs):
    for _ in range(per_addr):
        open_one("slow", "127.0.0.%d" % (11 + i))
for i in range(n_idle):
    open_one("idle", "127.0.1.%d" % (1 + i % n_idle_addrs))

end = time.monotonic() + seconds
while time.monotonic() < end:
    for key, _ in sel.select(timeout=0.1):
        s = key.fileobj
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            drop(s)
    now = time.monotonic()
    for s, st in list(conns.items()):
        if st[0] == "slow" and st[3] <= now:
            line = b"GET /metrics HTTP/1.1\r\n" if st[3] == st[2] else b"X-Slow: 1\r\n"
            try:
                s.send(line)
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.ENOTCONN):
                    drop(s)
                    continue
            st[3] = now + 1.0
    due = [p for p in pending if p[0] <= now]
    pending[:] = [p for p in pending if p[0] > now]
    for _, kind, src in due:
        open_one(kind, src)
print("opened=%d closed_by_server=%d open_at_end=%d longest_slowloris_life=%.1f" %
      (opened, closed, len(conns), longest_slow))
