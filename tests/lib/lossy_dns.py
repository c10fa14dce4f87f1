#!/usr/bin/env python3
"""lossy_dns.py: a UDP DNS relay on loopback that loses a share of the answers, as a
resolver under load or rate limiting does.

Queries to LISTEN_PORT go to the server at UPSTREAM_PORT (both on 127.0.0.1); each answer
is dropped with probability LOSS (a fixed seed, so runs repeat). Every 0.5 s it writes
"answered=N dropped=M" to STATS_FILE. Runs until killed.
Usage: lossy_dns.py LISTEN_PORT UPSTREAM_PORT LOSS STATS_FILE
"""
import random
import select
import socket
import sys
import time


def main():
    listen_port, upstream_port, loss, stats = (
        int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
    rng = random.Random(7)
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    front.bind(("127.0.0.1", listen_port))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    back.bind(("127.0.0.1", 0))
    clients = {}  # (query id) -> client address; ids are unique enough for one client
    answered = dropped = 0
    last = 0.0
    while True:
        ready, _, _ = select.select([front, back], [], [], 0.5)
        for s in ready:
            data, addr = s.recvfrom(65535)
            if len(data) < 2:
                continue
            if s is front:
                clients[data[:2]] = addr
                back.sendto(data, ("127.0.0.1", upstream_port))
                continue
            client = clients.pop(data[:2], None)
            if client is None:
                continue
            if rng.random() < loss:
                dropped += 1
                continue
            answered += 1
            front.sendto(data, client)
        now = time.monotonic()
        if now - last >= 0.5:
            last = now
            with open(stats, "w") as f:
                f.write(f"answered={answered} dropped={dropped}\n")


if __name__ == "__main__":
    main()
