#!/usr/bin/env python3
"""smtpc.py: a small raw SMTP client for integration tests of mxw-smtpd and the SMTP probe.

Each subcommand connects to HOST PORT on loopback, does one thing and prints key=value
lines (then, after a '---' line, the text it received) for the calling shell test to
assert on. Every wait is bounded: SMTPC_WAIT seconds (default 5) for one reply. Exit
status 0 unless the arguments are wrong or the connection fails.

  greet HOST PORT              time to the first byte and to the complete first reply
  chat HOST PORT CMD...        greeting, then each CMD (\\r\\n appended; '|' joins commands
                               sent in one write, i.e. pipelined; a leading '<' marks a
                               line that gets no reply, as in a DATA body), replies collected
  drain HOST PORT SECS         read until EOF, RST or SECS: bytes, NULs, CR/LF, how it ended
  trickle HOST PORT SECS       read for SECS: bytes and the largest single read
  flood HOST PORT SECS         write NOOPs for SECS without ever reading
  starttls HOST PORT           EHLO, STARTTLS pipelined with NOOP, handshake, MAIL, EHLO
"""
import os
import socket
import ssl
import sys
import time

WAIT = float(os.environ.get("SMTPC_WAIT", "5"))  # seconds to wait for one reply


def connect(host, port, timeout=5.0):
    s = socket.create_connection((host, int(port)), timeout=timeout)
    return s


def read_reply(s, deadline):
    """Reads one complete (possibly multi-line) reply; returns (text, closed)."""
    buf = b""
    while True:
        lines = buf.split(b"\r\n")
        for ln in lines[:-1]:
            if len(ln) >= 4 and ln[3:4] == b" ":
                end = buf.index(ln + b"\r\n") + len(ln) + 2
                return buf[:end], buf[end:], False
        left = deadline - time.monotonic()
        if left <= 0:
            return buf, b"", False
        s.settimeout(left)
        try:
            b = s.recv(65536)
        except socket.timeout:
            return buf, b"", False
        except ConnectionResetError:
            return buf, b"", True
        if not b:
            return buf, b"", True
        buf += b


def out(kv, text=b""):
    for k, v in kv.items():
        print(f"{k}={v}")
    print("---")
    sys.stdout.write(text.decode("latin1"))
    sys.stdout.flush()


def cmd_greet(host, port):
    t0 = time.monotonic()
    s = connect(host, port)
    s.settimeout(30)
    try:
        first = s.recv(1)
    except ConnectionResetError:
        first = b""
    t1 = time.monotonic()
    text, _, closed = (read_reply_from(s, first, time.monotonic() + 30) if first
                       else (b"", b"", True))
    t2 = time.monotonic()
    if not closed:  # after the reply: does the server close?
        _, _, closed = read_reply(s, time.monotonic() + 0.3)
    out({"first_byte": f"{t1 - t0:.3f}", "done": f"{t2 - t0:.3f}", "bytes": len(text),
         "closed": int(closed)}, text)


def cmd_chat(host, port, cmds):
    s = connect(host, port)
    text, pending, closed = read_reply(s, time.monotonic() + WAIT)
    for c in cmds:
        if closed:
            break
        parts = c.split("|")
        s.sendall(b"".join(p.lstrip("<").encode("latin1") + b"\r\n" for p in parts))
        for _ in [p for p in parts if not p.startswith("<")]:
            r, pending2, closed = read_reply_from(s, pending, time.monotonic() + WAIT)
            pending = pending2
            text += r
            if closed:
                break
    end = time.monotonic() + 0.5
    while not closed and time.monotonic() < end:  # whatever else comes, and a close
        r, pending, closed = read_reply_from(s, pending, end)
        text += r
    out({"closed": int(closed)}, text)


def read_reply_from(s, pending, deadline):
    """Like read_reply, but starts with bytes already received."""
    class Pre:
        def __init__(self, sock, data):
            self.sock, self.data = sock, data

        def recv(self, n):
            if self.data:
                d, self.data = self.data, b""
                return d
            return self.sock.recv(n)

        def settimeout(self, t):
            self.sock.settimeout(t)
    return read_reply(Pre(s, pending), deadline)


def cmd_drain(host, port, secs):
    t0 = time.monotonic()
    try:
        s = connect(host, port)
    except ConnectionResetError:  # an RST may beat connect() home on loopback
        out({"bytes": 0, "nul": 0, "cr": 0, "lf": 0, "end": "reset", "secs": "0"})
        return
    data, how = b"", "timeout"
    deadline = t0 + float(secs)
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            how = "reset"
            break
        if not b:
            how = "eof"
            break
        data += b
    out({"bytes": len(data), "nul": data.count(b"\0"), "cr": data.count(b"\r"),
         "lf": data.count(b"\n"), "end": how, "secs": f"{time.monotonic() - t0:.3f}"})


def cmd_trickle(host, port, secs):
    s = connect(host, port)
    data, biggest = b"", 0
    deadline = time.monotonic() + float(secs)
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        if not b:
            break
        biggest = max(biggest, len(b))
        data += b
    out({"bytes": len(data), "biggest_read": biggest}, data)


def cmd_flood(host, port, secs):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the server's replies pile up
    s.settimeout(5)
    s.connect((host, int(port)))
    s.setblocking(False)
    chunk = b"NOOP\r\n" * 1000
    sent = 0
    deadline = time.monotonic() + float(secs)
    while time.monotonic() < deadline:
        try:
            sent += s.send(chunk)
        except BlockingIOError:
            time.sleep(0.01)
    out({"sent": sent})
    s.close()


def cmd_starttls(host, port):
    s = connect(host, port)
    text, _, _ = read_reply(s, time.monotonic() + 5)
    s.sendall(b"EHLO client.test\r\n")
    r, _, _ = read_reply(s, time.monotonic() + 5)
    text += r
    # Pipelined after STARTTLS, in clear: the server must throw it away (RFC 3207 sec. 6).
    s.sendall(b"STARTTLS\r\nINJECTED\r\n")
    r, extra, _ = read_reply(s, time.monotonic() + 5)
    text += r
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    t = ctx.wrap_socket(s, server_hostname="mx.test")
    for c in (b"MAIL FROM:<a@client.test>", b"EHLO client.test", b"QUIT"):
        t.sendall(c + b"\r\n")
        r, _, _ = read_reply(t, time.monotonic() + 5)
        text += r
    out({"tls": t.version(), "leftover": len(extra)}, text)


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    cmd, host, port = argv[1], argv[2], argv[3]
    if cmd == "greet":
        cmd_greet(host, port)
    elif cmd == "chat":
        cmd_chat(host, port, argv[4:])
    elif cmd == "drain":
        cmd_drain(host, port, argv[4])
    elif cmd == "trickle":
        cmd_trickle(host, port, argv[4])
    elif cmd == "flood":
        cmd_flood(host, port, argv[4])
    elif cmd == "starttls":
        cmd_starttls(host, port)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
