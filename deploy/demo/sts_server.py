#!/usr/bin/env python3
"""An MTA-STS policy host for the demo world and the tests: HTTPS on 127.0.0.1:PORT with the given certificate,
answering GET /.well-known/mta-sts.txt by the Host header from DIR/HOST (the file's bytes).
A file named HOST.redirect holds a Location to answer 302 with; HOST.type a media type to
use instead of text/plain. Anything else is 404. Loopback only; for the demo and the tests, never for use.

usage: sts_server.py PORT CERT KEY DIR
"""
import http.server
import os
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        base = os.path.join(self.server.root, os.path.basename(host))
        if self.path != "/.well-known/mta-sts.txt" or not host:
            self.send_error(404)
        elif os.path.exists(base + ".redirect"):
            self.send_response(302)
            self.send_header("Location", open(base + ".redirect").read().strip())
            self.end_headers()
        elif os.path.exists(base):
            body = open(base, "rb").read()
            ctype = "text/plain"
            if os.path.exists(base + ".type"):
                ctype = open(base + ".type").read().strip()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, fmt, *args):
        sys.stderr.write("sts_server: " + (fmt % args) + "\n")


def main():
    port, cert, key, root = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.root = root
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
