#!/usr/bin/env python3
"""A stand-in for a commercial mail gateway's HTTPS status page, for integration tests.

Serves GET /xml/status behind HTTP Basic auth and misbehaves on demand, so tests can point
the agent at it and switch the failure between polls. Python standard library only; binds
loopback only; never logs the password. Started by start_gateway_server in
tests/lib/gateway.sh.

  gateway_server.py --listen 127.0.0.1:PORT --cert C --key K --user U --password P
                    --dir FIXTURES_DIR [--state-dir D] [--huge-bytes N] [--stall-seconds S]
                    [--redirect-host H]

The mode of each request is the query parameter ?mode=M if given, else the first line of
the file D/mode if it exists, else "ok":
  ok          200, status.xml from the fixtures dir
  403, 500    that status with a short HTML body
  login       200 text/html, login.html (a session that expired)
  truncated   200, truncated.xml (a complete response whose document is cut)
  malformed   200, malformed.xml
  huge        200, a well-formed document of exactly --huge-bytes bytes (default 5 MiB)
  stall       200 headers announcing status.xml, then no body until the client leaves
              or --stall-seconds (default 300) pass
  cut         200 announcing all of status.xml, half of it sent, then the connection closes
  redirect    302 to https://REDIRECT_HOST:PORT/xml/status (default host 127.0.0.2)
  fixture:F   200, the file F from the fixtures dir (a bare name, e.g. unknown.xml)
An unknown mode answers 400 so a typo in a test is loud. GET /-/ready answers 200 without
auth, for start-up checks. Each request is logged to stderr on one line: client, method,
path, auth user, mode, status and body bytes.
"""

import argparse
import base64
import hmac
import http.server
import os
import select
import ssl
import sys
import time
import urllib.parse

STATUS_PATH = "/xml/status"
XML_TYPE = "text/xml"
HTML_TYPE = "text/html; charset=utf-8"
CHUNK = 64 * 1024


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True, help="HOST:PORT (loopback)")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--dir", required=True, help="fixtures: status.xml, login.html, ...")
    ap.add_argument("--state-dir", help="where the test writes the file 'mode'")
    ap.add_argument("--huge-bytes", type=int, default=5 * 1024 * 1024)
    ap.add_argument("--stall-seconds", type=float, default=300.0)
    ap.add_argument("--redirect-host", default="127.0.0.2")
    args = ap.parse_args()
    host, _, port = args.listen.rpartition(":")
    if not host.startswith("127.") and host not in ("::1", "[::1]"):
        ap.error("--listen must be a loopback address")
    args.host, args.port = host.strip("[]"), int(port)
    return args


def huge_document(status_xml, size):
    """status.xml padded with comments to exactly `size` bytes, still well-formed."""
    end = status_xml.rindex(b"</status>")
    head, tail = status_xml[:end], b"</status>\n"
    line = b"<!-- padding to make the document large" + b"." * 40 + b" -->\n"
    room = size - len(head) - len(tail)
    if room < 0:
        raise ValueError("--huge-bytes is smaller than status.xml")
    pad = b" " * (room % len(line)) + line * (room // len(line))
    return head + pad + tail


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "MailGateway/1.0"
    protocol_version = "HTTP/1.1"
    timeout = 30  # a client that connects and says nothing is dropped

    def log_message(self, fmt, *args):  # one line per request is written by log_request_line
        pass

    def do_GET(self):
        self.auth_user, self.mode, self.code, self.sent = "-", "-", 0, 0
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, TimeoutError):
            self.close_connection = True
        finally:
            self.log_request_line()

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/-/ready":
            return self.reply(200, "text/plain", b"ready\n")
        if url.path != STATUS_PATH:
            return self.reply(404, HTML_TYPE, b"<html><body>Not found</body></html>\n")
        if not self.authorized():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="gateway"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.code = 401
            return None
        query = urllib.parse.parse_qs(url.query)
        self.mode = query["mode"][0] if "mode" in query else self.state_mode()
        return self.serve_mode(self.mode)

    def authorized(self):
        header = self.headers.get("Authorization", "")
        scheme, _, blob = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(blob, validate=True).decode().partition(":")
        except ValueError:
            return False
        self.auth_user = user
        cfg = self.server.cfg
        return hmac.compare_digest(user, cfg.user) and hmac.compare_digest(password, cfg.password)

    def state_mode(self):
        if not self.server.cfg.state_dir:
            return "ok"
        try:
            with open(os.path.join(self.server.cfg.state_dir, "mode"), encoding="utf-8") as f:
                return (f.readline().strip() or "ok")
        except FileNotFoundError:
            return "ok"

    def fixture(self, name):
        with open(os.path.join(self.server.cfg.dir, name), "rb") as f:
            return f.read()

    def serve_mode(self, mode):
        cfg = self.server.cfg
        simple = {"ok": "status.xml", "truncated": "truncated.xml", "malformed": "malformed.xml"}
        if mode in simple:
            return self.reply(200, XML_TYPE, self.fixture(simple[mode]))
        if mode in ("403", "500"):
            body = b"<html><body>Error %s</body></html>\n" % mode.encode()
            return self.reply(int(mode), HTML_TYPE, body)
        if mode == "login":
            return self.reply(200, HTML_TYPE, self.fixture("login.html"))
        if mode == "huge":
            body = huge_document(self.fixture("status.xml"), cfg.huge_bytes)
            return self.reply(200, XML_TYPE, body)
        if mode == "stall":
            return self.stall()
        if mode == "cut":
            body = self.fixture("status.xml")
            self.close_connection = True
            return self.reply(200, XML_TYPE, body[: len(body) // 2], length=len(body))
        if mode == "redirect":
            self.send_response(302)
            target = "https://%s:%d%s" % (cfg.redirect_host, cfg.port, STATUS_PATH)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.code = 302
            return None
        if mode.startswith("fixture:"):
            return self.serve_named(mode[len("fixture:"):])
        return self.reply(400, "text/plain", b"unknown mode %s\n" % mode.encode())

    def serve_named(self, name):
        path = os.path.join(self.server.cfg.dir, name)
        if name != os.path.basename(name) or name.startswith(".") or not os.path.isfile(path):
            return self.reply(404, "text/plain", b"no such fixture\n")
        ctype = HTML_TYPE if name.endswith(".html") else XML_TYPE
        return self.reply(200, ctype, self.fixture(name))

    def reply(self, code, ctype, body, length=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.code = code
        for i in range(0, len(body), CHUNK):
            self.wfile.write(body[i : i + CHUNK])
            self.sent += len(body[i : i + CHUNK])
        self.wfile.flush()

    def stall(self):
        """Headers now, body never: hold the connection until the client gives up."""
        self.send_response(200)
        self.send_header("Content-Type", XML_TYPE)
        self.send_header("Content-Length", str(len(self.fixture("status.xml"))))
        self.end_headers()
        self.wfile.flush()
        self.code = 200
        self.close_connection = True
        deadline = time.monotonic() + self.server.cfg.stall_seconds
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.connection], [], [], 0.2)
            if readable:
                try:
                    if not self.connection.recv(1):
                        return
                except (OSError, ssl.SSLError):
                    return

    def log_request_line(self):
        path = urllib.parse.urlsplit(self.path).path
        fields = (self.client_address[0], self.command, path, self.auth_user, self.mode)
        sys.stderr.write(
            "gateway_server client=%s method=%s path=%s user=%s mode=%s status=%d bytes=%d\n"
            % (fields + (self.code, self.sent))
        )
        sys.stderr.flush()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, cfg):
        self.cfg = cfg
        super().__init__((cfg.host, cfg.port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cfg.cert, cfg.key)
        # The handshake happens in the request's thread, so a silent client blocks nobody.
        self.socket = ctx.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)


def main():
    cfg = parse_args()
    with open(os.path.join(cfg.dir, "status.xml"), "rb") as f:
        huge_document(f.read(), cfg.huge_bytes)  # a bad --huge-bytes fails now, not mid-test
    server = Server(cfg)
    sys.stderr.write("gateway_server listening=%s:%d dir=%s\n" % (cfg.host, cfg.port, cfg.dir))
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
