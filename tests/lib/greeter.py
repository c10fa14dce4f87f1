#!/usr/bin/env python3
"""greeter.py: a hostile SMTP greeter for the status page's XSS test.

Listens on HOST PORT (loopback only), greets every connection with the banner given on the
command line, answers EHLO with a multi-line reply carrying the same hostile text, QUIT
with 221, and anything else with 502. One thread per connection; each connection ends
after 10 s idle. Runs until killed. Usage: greeter.py HOST PORT BANNER_TEXT
"""
import socket
import sys
import threading


def serve(conn, text):
    conn.settimeout(10)
    try:
        conn.sendall(("220 " + text + "\r\n").encode())
        buf = b""
        while True:
            data = conn.recv(4096)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                verb = line.strip().split(b" ")[0].upper()
                if verb in (b"EHLO", b"HELO"):
                    conn.sendall(("250-" + text + "\r\n250 PIPELINING\r\n").encode())
                elif verb == b"QUIT":
                    conn.sendall(b"221 2.0.0 bye\r\n")
                    return
                else:
                    conn.sendall(b"502 5.5.1 not here\r\n")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    host, port, text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if not host.startswith("127."):
        sys.exit("greeter.py: loopback addresses only")
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((host, port))
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, text), daemon=True).start()


if __name__ == "__main__":
    main()
