#!/usr/bin/env python3
"""Failover measurement for bench/failover/run.sh.

Polls the balancer's admin API for one server's attempt counter while a load runs, SIGKILLs the server's process at
a given time, and reports how long after the kill the balancer still sent attempts to it (the last time its counter
moved) and when the "failed" event was raised. Prints one JSON object.
"""
import argparse, json, os, signal, time, urllib.request
from datetime import datetime, timezone

p = argparse.ArgumentParser()
p.add_argument("--admin", required=True)
p.add_argument("--farm", required=True)
p.add_argument("--server", required=True)
p.add_argument("--pid", type=int, required=True)
p.add_argument("--kill-at", type=float, required=True)
p.add_argument("--duration", type=float, required=True)
a = p.parse_args()

def get(path):
    with urllib.request.urlopen(a.admin + path, timeout=5) as r:
        return json.load(r)

def attempts():
    stats = get(f"/api/farms/{a.farm}/stats")
    for s in stats["servers"]:
        if s["server"] == a.server:
            return s["requests"]
    raise SystemExit(f"server {a.server} not in stats")

start = time.monotonic()
since = get("/api/events?max=1000")
last_seq = max([e["sequence"] for e in since] or [0])
killed_mono = None
killed_wall = None
last_value = None
last_change = None
at_kill = None
polls = 0
while time.monotonic() - start < a.duration:
    now = time.monotonic()
    if killed_mono is None and now - start >= a.kill_at:
        at_kill = attempts()
        os.kill(a.pid, signal.SIGKILL)
        killed_mono = time.monotonic()
        killed_wall = datetime.now(timezone.utc)
        last_value, last_change = at_kill, killed_mono
    value = attempts()
    polls += 1
    if killed_mono is not None and value != last_value:
        last_value, last_change = value, time.monotonic()
    time.sleep(0.002)

failed_ms, failed_msg = None, None
for e in get(f"/api/events?since={last_seq}&max=1000"):
    if e["kind"] == "failed" and e.get("server") == a.server:
        t = datetime.fromisoformat(e["time"].replace("Z", "+00:00"))
        failed_ms = (t - killed_wall).total_seconds() * 1000
        failed_msg = e["message"]
        break

print(json.dumps({
    "attempts_after_kill": (last_value - at_kill) if at_kill is not None else None,
    "last_attempt_after_kill_ms": (last_change - killed_mono) * 1000 if killed_mono else None,
    "failed_event_after_kill_ms": failed_ms,
    "failed_event_message": failed_msg,
    "polls": polls,
    "poll_interval_ms": (a.duration * 1000) / max(polls, 1),
}))
