#!/usr/bin/env python3
"""Misbehaving servers that mxw-smtpd has no mode for, for the probe engine's tests.

    hostile.py dns-silent ADDR PORT     a UDP "DNS server" that reads queries and never answers
    hostile.py backlog ADDR PORT        a TCP listener whose accept queue is full: SYNs are
                                        dropped, so a connect times out (on loopback)
    hostile.py noquit ADDR PORT [LOG]   SMTP that greets and answers EHLO but never QUIT;
                                        LOG gets one line per connect, command and close
    hostile.py badtls ADDR PORT         SMTP that offers STARTTLS, says 220 to it, then
                                        answers the TLS ClientHello with plain text

Each prints "ready" on stdout once listening and runs until killed. Loopback only; one
thread; every connection is closed after at most IDLE seconds.
"""
import selectors
import socket
import sys
import time

IDLE = 60


def log_line(path, text):
    if path:
        with open(path, "a") as f:
            f.write("ts=%.3f %s\n" % (time.time(), text))


def dns_silent(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("ready", flush=True)
    while True:
        s.recvfrom(4096)  # read and drop: the resolver must time out


def backlog(addr, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(0)
    # Fill the accept queue ourselves; later SYNs are dropped while nobody accepts.
    fillers = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect((addr, port))
        except BlockingIOError:
            pass
        fillers.append(c)
    print("ready", flush=True)
    while True:
        time.sleep(3600)


def smtp_server(addr, port, logpath, on_line):
    """A tiny line-based SMTP server: on_line(conn, line) returns the reply or None."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(64)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    conns = {}
    print("ready", flush=True)
    while True:
        for key, _ in sel.select(timeout=1):
            if key.fileobj is ls:
                c, peer = ls.accept()
                c.setblocking(False)
                conns[c] = [b"", time.time()]
                sel.register(c, selectors.EVENT_READ)
                log_line(logpath, "event=connect peer=%s:%d" % peer)
                c.send(b"220 hostile.test ESMTP\r\n")
                continue
            c = key.fileobj
            try:
                data = c.recv(4096)
            except OSError:
                data = b""
            if not data:
                log_line(logpath, "event=close")
                sel.unregister(c)
                del conns[c]
                c.close()
                continue
            conns[c][0] += data
            if conns[c][0].startswith(b"\x16"):  # a TLS ClientHello: answer in plain text
                log_line(logpath, "event=tls_hello")
                c.send(b"this is not TLS\r\n")
                conns[c][0] = b""
                continue
            while b"\n" in conns[c][0]:
                line, conns[c][0] = conns[c][0].split(b"\n", 1)
                line = line.rstrip(b"\r").decode("latin-1")
                log_line(logpath, "verb=%s" % (line.split(" ")[0].upper() or "-"))
                reply = on_line(line)
                if reply:
                    c.send(reply)
        now = time.time()
        for c in [c for c, st in conns.items() if now - st[1] > IDLE]:
            sel.unregister(c)
            del conns[c]
            c.close()


def noquit_line(line):
    verb = line.split(" ")[0].upper()
    if verb in ("EHLO", "HELO"):
        return b"250-hostile.test\r\n250 8BITMIME\r\n"
    if verb == "QUIT":
        return None  # the point of this server
    return b"250 ok\r\n"


def badtls_line(line):
    verb = line.split(" ")[0].upper()
    if verb in ("EHLO", "HELO"):
        return b"250-hostile.test\r\n250 STARTTLS\r\n"
    if verb == "STARTTLS":
        return b"220 go ahead\r\n"
    return b"250 ok\r\n"


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    mode, addr, port = argv[1], argv[2], int(argv[3])
    logpath = argv[4] if len(argv) > 4 else None
    if mode == "dns-silent":
        dns_silent(addr, port)
    elif mode == "backlog":
        backlog(addr, port)
    elif mode == "noquit":
        smtp_server(addr, port, logpath, noquit_line)
    elif mode == "badtls":
        smtp_server(addr, port, logpath, badtls_line)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main(sys.argv)
