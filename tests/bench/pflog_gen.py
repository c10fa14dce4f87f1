#!/usr/bin/env python3
"""Writes a realistic synthetic Postfix log of N lines, for the pflog bench
(build/pflog-bench) and for comparing with prometheus-postfix-exporter.

    tests/bench/pflog_gen.py N OUT [--seed S] [--format syslog|rfc3339]

Each message goes through the shapes Postfix 3.7 logs (checked against the private
instance of tests/lib/postfix.sh): smtpd connect/client/disconnect, cleanup message-id,
qmgr from=/removed, one smtp status line per recipient with TLS lines, and bounce
notices. Recipients are spread over a few thousand domains with a Zipf-like weight
(a few big mailbox providers, a long tail). Outcomes per attempt: about 85% sent, 10%
deferred (retried later), 5% bounced (5xx, DNS, filter and other causes). A few smtpd
NOQUEUE rejects and warnings are mixed in. Deterministic for a given seed; standard
library only; writes only OUT.
"""
import argparse
import bisect
import itertools
import random
import time
import zlib

BIG = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com",
       "gmx.de", "web.de", "orange.fr", "mail.ru", "yandex.ru", "qq.com", "comcast.net"]
WORDS = ["north", "blue", "acme", "river", "alpha", "stone", "delta", "pixel", "maple",
         "cloud", "metro", "lumen", "harbor", "cedar", "nova", "orbit", "summit", "vertex"]
TLDS = ["com", "net", "org", "de", "fr", "co.uk", "nl", "io", "example"]
USERS = ["john", "mary", "info", "sales", "support", "a.smith", "noreply", "billing",
         "hr", "team", "contact", "admin", "jobs", "news"]

DEFER_REASONS = [
    "connect to {mx}[{ip}]:25: Connection timed out",
    "connect to {mx}[{ip}]:25: Connection refused",
    "host {mx}[{ip}] said: 421 4.7.0 Try again later, closing connection. "
    "(in reply to MAIL FROM command)",
    "host {mx}[{ip}] said: 450 4.2.0 <{rcpt}>: Recipient address rejected: Greylisted, "
    "see https://postgrey.schweikert.ch/help/{dom}.html (in reply to RCPT TO command)",
    "lost connection with {mx}[{ip}] while receiving the initial server greeting",
    "Host or domain name not found. Name service error for name={dom} type=MX: "
    "Host not found, try again",
]
BOUNCES = [  # (weight, dsn, reason)
    (60, "5.1.1", "host {mx}[{ip}] said: 550 5.1.1 <{rcpt}>: Recipient address rejected: "
                  "User unknown in virtual mailbox table (in reply to RCPT TO command)"),
    (15, "5.4.4", "Host or domain name not found. Name service error for name={dom} "
                  "type=A: Host not found"),
    (15, "5.7.1", "host {mx}[{ip}] said: 554 5.7.1 Service unavailable; Client host "
                  "[203.0.113.9] blocked using zen.spamhaus.org (in reply to RCPT TO command)"),
    (5, "5.7.1", "host {mx}[{ip}] said: 550 5.7.1 Message rejected as spam by Content "
                 "Filtering. (in reply to end of DATA command)"),
    (5, "5.2.2", "host {mx}[{ip}] said: 552 5.2.2 <{rcpt}>: mailbox full (in reply to "
                 "RCPT TO command)"),
]


class Gen:
    def __init__(self, seed, fmt, ndomains=5000):
        self.r = random.Random(seed)
        self.fmt = fmt
        self.t = time.mktime((2026, 11, 29, 0, 0, 0, 0, 0, -1))
        self.qid = itertools.count(0x4A2F1B000)
        self.pids = {s: self.r.randint(1000, 60000) for s in
                     ("smtpd", "cleanup", "qmgr", "smtp", "bounce")}
        tail = ["%s%s%d.%s" % (self.r.choice(WORDS), self.r.choice(WORDS), i,
                               self.r.choice(TLDS)) for i in range(ndomains - len(BIG))]
        self.domains = BIG + tail
        weights = [1.0 / (rank + 1) ** 1.1 for rank in range(len(self.domains))]
        self.cum = list(itertools.accumulate(weights))
        self.bounce_cum = list(itertools.accumulate(b[0] for b in BOUNCES))
        self.deferred = []  # (due time, qid, rcpt, domain)
        self.sec, self.head = None, ""

    def stamp(self, service):
        self.t += self.r.expovariate(400.0)  # ~400 lines per second of log time
        sec = int(self.t)
        if sec != self.sec:  # strftime once per logged second
            self.sec, tm = sec, time.localtime(sec)
            if self.fmt == "rfc3339":
                self.head = time.strftime("%Y-%m-%dT%H:%M:%S", tm)
            else:
                self.head = (time.strftime("%b ", tm) + "%2d" % tm.tm_mday +
                             time.strftime(" %H:%M:%S", tm))
        head = self.head
        if self.fmt == "rfc3339":
            head += ".%06d+00:00" % (int(self.t * 1e6) % 1000000)
        return "%s mx1 postfix/%s[%d]: " % (head, service, self.pids[service])

    def domain(self):
        return self.domains[bisect.bisect(self.cum, self.r.random() * self.cum[-1])]

    def mx_of(self, dom):
        h = zlib.crc32(dom.encode()) & 0xFFFF
        return "mx%d.%s" % (h % 3, dom), "198.51.%d.%d" % (h >> 8, h & 0xFF)

    def status(self, qid, rcpt, dom, delay):
        mx, ip = self.mx_of(dom)
        x = self.r.random()
        relay = "%s[%s]:25" % (mx, ip)
        if x < 0.85:
            st, dsn, why = "sent", "2.0.0", "250 2.0.0 Ok: queued as %X" % self.r.getrandbits(40)
        elif x < 0.95:
            st, dsn = "deferred", "4.4.1"
            why = self.r.choice(DEFER_REASONS)
            if " said: " in why:
                dsn = why.split(" said: ")[1][4:9]
            elif why.startswith("lost"):
                dsn = "4.4.2"
            else:
                relay, dsn = "none", "4.4.3" if why.startswith("Host") else "4.4.1"
            self.deferred.append((self.t + self.r.uniform(300, 3600), qid, rcpt, dom))
        else:
            pick = bisect.bisect(self.bounce_cum, self.r.random() * self.bounce_cum[-1])
            _, dsn, why = BOUNCES[pick]
            st = "bounced"
            relay = "none" if dsn == "5.4.4" else relay
        why = why.format(mx=mx, ip=ip, rcpt=rcpt, dom=dom)
        return ("%s%s: to=<%s>, relay=%s, delay=%.1f, delays=%.2f/0.01/%.2f/%.2f, dsn=%s, "
                "status=%s (%s)" % (self.stamp("smtp"), qid, rcpt, relay, delay, delay / 3,
                                    delay / 3, delay / 3, dsn, st, why)), st

    def message(self):
        qid = "%X" % next(self.qid)
        cip = "203.0.113.%d" % self.r.randint(1, 254)
        client = "client%d.example.net[%s]" % (self.r.randint(1, 300), cip)
        out = [self.stamp("smtpd") + "connect from " + client]
        if self.r.random() < 0.03:
            out.append(self.stamp("smtpd") + "NOQUEUE: reject: RCPT from %s: 554 5.7.1 "
                       "<x@%s>: Relay access denied; from=<spam@%s> to=<x@%s> proto=ESMTP "
                       "helo=<%s>" % (client, self.domain(), self.domain(), self.domain(), cip))
            out.append(self.stamp("smtpd") + "disconnect from %s ehlo=1 mail=1 rcpt=0/1 "
                       "quit=1 commands=3/4" % client)
            return out
        sender = "%s@%s" % (self.r.choice(USERS), self.domain())
        rcpts = [(("%s@%s" % (self.r.choice(USERS), d)), d)
                 for d in (self.domain() for _ in range(1 if self.r.random() < 0.8 else
                                                        self.r.randint(2, 5)))]
        out += [self.stamp("smtpd") + "%s: client=%s" % (qid, client),
                self.stamp("cleanup") + "%s: message-id=<%x@%s>" % (
                    qid, self.r.getrandbits(48), sender.split("@")[1]),
                self.stamp("qmgr") + "%s: from=<%s>, size=%d, nrcpt=%d (queue active)" % (
                    qid, sender, self.r.randint(800, 90000), len(rcpts)),
                self.stamp("smtpd") + "disconnect from %s ehlo=2 starttls=1 mail=1 rcpt=%d "
                "data=1 quit=1 commands=%d" % (client, len(rcpts), 6 + len(rcpts))]
        final = True
        for rcpt, dom in rcpts:
            mx, ip = self.mx_of(dom)
            if self.r.random() < 0.6:
                out.append(self.stamp("smtp") + "Trusted TLS connection established to "
                           "%s[%s]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 "
                           "bits)" % (mx, ip))
            line, st = self.status(qid, rcpt, dom, self.r.uniform(0.2, 3))
            out.append(line)
            final = final and st != "deferred"
            if st == "bounced":
                out.append(self.stamp("bounce") + "%s: sender non-delivery notification: %X"
                           % (qid, next(self.qid)))
        if final:
            out.append(self.stamp("qmgr") + "%s: removed" % qid)
        return out

    def retries(self):
        out = []
        while self.deferred and self.deferred[0][0] < self.t:
            _, qid, rcpt, dom = self.deferred.pop(0)
            line, _ = self.status(qid, rcpt, dom, self.r.uniform(300, 4000))
            out.append(line)
        self.deferred.sort()
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("lines", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=("syslog", "rfc3339"), default="syslog")
    a = ap.parse_args()
    g = Gen(a.seed, a.format)
    n = 0
    with open(a.out, "w") as f:
        while n < a.lines:
            for line in g.message() + g.retries():
                if n == a.lines:
                    break
                f.write(line + "\n")
                n += 1


if __name__ == "__main__":
    main()
