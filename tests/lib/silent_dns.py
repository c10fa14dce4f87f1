#!/usr/bin/env python3
"""silent_dns.py: a UDP "DNS server" on loopback that reads every query and never answers,
so a resolver pointed at it must time out (dead.test of the probe world, web_ready).

Not an SMTP server, so not a mode of mxw-smtpd. Prints "ready" on stdout once bound and runs
until killed. Usage: silent_dns.py ADDR PORT
"""
import socket
import sys


def main(argv):
    if len(argv) != 3 or not argv[1].startswith("127."):
        sys.exit(__doc__)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((argv[1], int(argv[2])))
    print("ready", flush=True)
    while True:
        s.recvfrom(4096)  # read and drop


if __name__ == "__main__":
    main(sys.argv)
