#!/usr/bin/env bash
# Failover benchmark (issue 3): three backends behind `webfarm balancer` (health checks, passive health and
# retries on), a bounded load of concurrent GETs for a fixed time (wrk), and one backend killed with SIGKILL
# mid-run. Reports the failed requests (wrk's non-2xx responses and socket errors) and the time from the kill
# until the balancer stopped sending requests to the dead server (from the admin API's per-server counters,
# polled every few milliseconds). Goal: 0 failed requests and under 1 s.
#
#   bench/failover/run.sh
#   DURATION=10 KILL_AT=4 CONNECTIONS=32 bench/failover/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION="${DURATION:-10}"       # seconds of load
KILL_AT="${KILL_AT:-4}"          # seconds into the load
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
WORK="$(mktemp -d /tmp/webfarm-failover.XXXXXX)"
PIDS=()

log() { printf '[failover %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
  log "installing wrk"
  apt-get install -y -qq wrk >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

log "building (Release)"
dotnet build "$ROOT/src/WebFarm/WebFarm.csproj" -c Release -nologo -v q >/dev/null
dotnet build "$ROOT/tests/WebFarm.TestBackend/WebFarm.TestBackend.csproj" -c Release -nologo -v q >/dev/null
WEBFARM="$ROOT/src/WebFarm/bin/Release/net10.0/webfarm.dll"
BACKEND="$ROOT/tests/WebFarm.TestBackend/bin/Release/net10.0/WebFarm.TestBackend.dll"

ADDRESSES=()
BACKEND_PIDS=()
for i in 1 2 3; do
  dotnet "$BACKEND" --name "web$i" --port 0 --detached true >"$WORK/web$i.out" 2>&1 &
  PIDS+=($!); BACKEND_PIDS+=($!)
done
for i in 1 2 3; do
  for _ in $(seq 1 300); do grep -q '^LISTENING ' "$WORK/web$i.out" && break; sleep 0.1; done
  ADDRESSES+=("$(sed -n 's/^LISTENING //p' "$WORK/web$i.out" | head -1)")
  [[ -n "${ADDRESSES[$((i-1))]}" ]] || { log "web$i did not start"; cat "$WORK/web$i.out"; exit 1; }
done
log "backends: ${ADDRESSES[*]}"

LISTEN_PORT="$(free_port)"; ADMIN_PORT="$(free_port)"
cat >"$WORK/farm.json" <<JSON
{
  "Listen": [ "http://127.0.0.1:$LISTEN_PORT" ],
  "Admin": { "Listen": "http://127.0.0.1:$ADMIN_PORT" },
  "StateDirectory": "state",
  "Farms": {
    "web": {
      "LoadBalancing": "RoundRobin",
      "Timeouts": { "Connect": "1s", "ResponseHeaders": "5s" },
      "Retries": { "MaxAttempts": 3 },
      "Health": { "Path": "/health", "Interval": "1s", "Timeout": "500ms", "Rise": 2, "Fall": 2 },
      "PassiveHealth": { "MaxFailures": 3, "Window": "10s", "ReactivationPeriod": "10s" },
      "Servers": [
        { "Name": "web1", "Address": "${ADDRESSES[0]}" },
        { "Name": "web2", "Address": "${ADDRESSES[1]}" },
        { "Name": "web3", "Address": "${ADDRESSES[2]}" }
      ]
    }
  }
}
JSON
dotnet "$WEBFARM" balancer --config "$WORK/farm.json" --log-level Warning >"$WORK/balancer.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$ADMIN_PORT/api/farms" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$LISTEN_PORT/" >/dev/null || { log "balancer did not start"; cat "$WORK/balancer.log"; exit 1; }

log "warm-up 2s"
wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "http://127.0.0.1:$LISTEN_PORT/" >/dev/null

log "load: $CONNECTIONS connections for ${DURATION}s, SIGKILL web2 (pid ${BACKEND_PIDS[1]}) at ${KILL_AT}s"
python3 "$ROOT/bench/failover/measure.py" --admin "http://127.0.0.1:$ADMIN_PORT" --farm web --server web2 \
  --pid "${BACKEND_PIDS[1]}" --kill-at "$KILL_AT" --duration "$DURATION" >"$WORK/measure.json" &
MEASURE=$!
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$LISTEN_PORT/" >"$WORK/wrk.txt"
wait "$MEASURE"

cat "$WORK/wrk.txt" >&2
REQUESTS="$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$WORK/wrk.txt")"
NON2XX="$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$WORK/wrk.txt")"; NON2XX="${NON2XX:-0}"
SOCKET_ERRORS="$(sed -n 's/^ *Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$WORK/wrk.txt" | awk '{print $1+$2+$3+$4}')"; SOCKET_ERRORS="${SOCKET_ERRORS:-0}"
python3 - "$WORK/measure.json" "$REQUESTS" "$NON2XX" "$SOCKET_ERRORS" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
requests, non2xx, sockerr = int(sys.argv[2] or 0), int(sys.argv[3]), int(sys.argv[4])
print(f"requests:                      {requests}")
print(f"failed requests:               {non2xx + sockerr} (non-2xx {non2xx}, socket errors {sockerr})")
print(f"attempts on web2 after kill:   {m['attempts_after_kill']} (all retried elsewhere)")
print(f"kill -> last attempt on web2:  {m['last_attempt_after_kill_ms']:.0f} ms")
print(f"kill -> 'failed' event:        {m['failed_event_after_kill_ms']:.0f} ms" if m['failed_event_after_kill_ms'] is not None else "kill -> 'failed' event:        (none)")
print(f"failed event:                  {m['failed_event_message']}")
print(f"admin polls:                   {m['polls']} (every ~{m['poll_interval_ms']:.1f} ms)")
PY
