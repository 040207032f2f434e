#!/usr/bin/env python3
"""load.py - post events to ledgerd front ends concurrently, record every
answer (tests/e2e-pg.sh).

usage: load.py OUT TOKEN PREFIX COUNT CONCURRENCY URL [URL ...]

Event i (0 <= i < COUNT) goes to URL[i % len(URLs)] with Idempotency-Key
PREFIX-i; each answer is a line of OUT: "key status seq" (seq -1 when the
answer carries none; status 0 when the connection failed).  Prints
"sent N: 201 a, 200 b, 503 c, other d".
"""
import json
import sys
import threading
import urllib.error
import urllib.request

out, token, prefix, count, conc, *urls = sys.argv[1:]
count, conc = int(count), int(conc)
lines, lock, nxt = [], threading.Lock(), [0]


def post(url, key, i):
    body = json.dumps({"kind": "build", "subject": {
        "run": "%s-%d" % (prefix, i), "service": "svc%d" % (i % 7)}}).encode()
    req = urllib.request.Request(url + "/v1/events", data=body, method="POST",
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": "application/json",
                                          "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read()).get("seq", -1)
    except urllib.error.HTTPError as e:
        return e.code, -1
    except (OSError, ValueError):
        return 0, -1


def worker():
    while True:
        with lock:
            i = nxt[0]
            nxt[0] += 1
        if i >= count:
            return
        key = "%s-%d" % (prefix, i)
        status, seq = post(urls[i % len(urls)], key, i)
        with lock:
            lines.append("%s %d %d\n" % (key, status, seq))


ts = [threading.Thread(target=worker) for _ in range(conc)]
for t in ts:
    t.start()
for t in ts:
    t.join()
with open(out, "w") as f:
    f.writelines(lines)
by = {}
for ln in lines:
    s = ln.split()[1]
    by[s] = by.get(s, 0) + 1
print("sent %d: 201 %d, 200 %d, 503 %d, other %d" % (
    count, by.get("201", 0), by.get("200", 0), by.get("503", 0),
    count - by.get("201", 0) - by.get("200", 0) - by.get("503", 0)))
