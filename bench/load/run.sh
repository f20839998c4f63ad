#!/usr/bin/env bash
# Load-driven balancing benchmark (issue 14): a controller with its in-process balancer and two agents, each running
# the sample app (samples/HelloFarm) as the app `hello`; web2's agent and its instance get half a core (a cgroup CPU
# quota: cpu.max on cgroup v2, cpu.cfs_quota_us on v1). wrk sends CPU-bound requests (`/work?ms=WORK_MS`) through
# the balancer, once with `--load-balancing static` and once with `--load-balancing reported`. Reports per mode the
# requests each server served (the balancer's counters, from `GET /api/ps`), wrk's requests/s and latency
# percentiles, and web2's load factor at the end.
#
#   bench/load/run.sh
#   DURATION=30 CONNECTIONS=8 WORK_MS=20 QUOTA_PERCENT=50 bench/load/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION="${DURATION:-30}"          # seconds of load per mode
CONNECTIONS="${CONNECTIONS:-8}"
THREADS="${THREADS:-2}"
WORK_MS="${WORK_MS:-20}"            # CPU time per request
QUOTA_PERCENT="${QUOTA_PERCENT:-50}" # web2's share of one core
WORK="$(mktemp -d /tmp/webfarm-loadbench.XXXXXX)"
CGROUP=""
PIDS=()

log() { printf '[load %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "$CGROUP" && -d "$CGROUP" ]]; then
    # Whatever is left in it (nothing once the agent stopped its instance) goes back to the root group first.
    if [[ -f "$CGROUP/cgroup.procs" ]]; then
      while read -r pid; do echo "$pid" >"$(dirname "$CGROUP")/cgroup.procs" 2>/dev/null || true; done <"$CGROUP/cgroup.procs"
    fi
    rmdir "$CGROUP" 2>/dev/null || true
  fi
  if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

command -v wrk >/dev/null || { log "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Half a core for web2: a CPU quota on a cgroup of its own (inherited by the instance its agent starts).
if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
  CGROUP="/sys/fs/cgroup/webfarm-loadbench-$$"
  mkdir "$CGROUP"
  echo "$((QUOTA_PERCENT * 1000)) 100000" >"$CGROUP/cpu.max"
elif [[ -d /sys/fs/cgroup/cpu ]]; then
  CGROUP="/sys/fs/cgroup/cpu/webfarm-loadbench-$$"
  mkdir "$CGROUP"
  echo 100000 >"$CGROUP/cpu.cfs_period_us"
  echo "$((QUOTA_PERCENT * 1000))" >"$CGROUP/cpu.cfs_quota_us"
else
  log "no cgroup CPU controller: cannot give web2 part of a core"; exit 1
fi
log "web2 limited to $QUOTA_PERCENT% of a core ($CGROUP)"

log "building (Release)"
dotnet build "$ROOT/src/WebFarm/WebFarm.csproj" -c Release -nologo -v q >/dev/null
dotnet build "$ROOT/samples/HelloFarm/HelloFarm.csproj" -c Release -nologo -v q >/dev/null
WEBFARM="$ROOT/src/WebFarm/bin/Release/net10.0/webfarm.dll"
HELLO="$ROOT/samples/HelloFarm/bin/Release/net10.0/HelloFarm.dll"

API_PORT="$(free_port)"; LB_PORT="$(free_port)"
API="http://127.0.0.1:$API_PORT"
dotnet "$WEBFARM" controller --data-dir "$WORK/controller" --listen "$API" --balancer-listen "http://127.0.0.1:$LB_PORT" --log-level Warning >"$WORK/controller.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do curl -fs "$API/api/agents" >/dev/null 2>&1 && break; sleep 0.1; done
token() { curl -fs -X POST "$API/api/agents/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }

# web1 on 127.0.0.2, web2 on 127.0.0.3 (inside the cgroup: the shell joins it, then becomes the agent).
dotnet "$WEBFARM" agent --controller "$API" --name web1 --address http://127.0.0.2:1 --data-dir "$WORK/web1" --join-token "$(token)" --log-level Warning >"$WORK/web1.out" 2>&1 &
PIDS+=($!)
T2="$(token)"
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CGROUP" dotnet "$WEBFARM" agent --controller "$API" --name web2 --address http://127.0.0.3:1 --data-dir "$WORK/web2" --join-token "$T2" --log-level Warning >"$WORK/web2.out" 2>&1 &
PIDS+=($!)

ps_json() { curl -fs "$API/api/ps"; }

run_mode() {
  local mode="$1" port_from="$2"
  dotnet "$WEBFARM" apps add hello --controller "$API" --command "$HELLO" --ports "$port_from-$((port_from + 9))" \
    --health-path /healthz --load-balancing "$mode" >/dev/null
  for _ in $(seq 1 600); do
    [[ "$(ps_json | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["app"]=="hello" and r["inRotation"]))')" == 2 ]] && break
    sleep 0.2
  done
  sleep 11 # slow start (10 s) over on both
  local before; before="$(ps_json)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$LB_PORT/work?ms=$WORK_MS" >"$WORK/wrk-$mode.txt"
  local after; after="$(ps_json)"
  BEFORE="$before" AFTER="$after" MODE="$mode" WRK="$WORK/wrk-$mode.txt" python3 - <<'PY'
import json, os, re
before = {r["server"]: r for r in json.loads(os.environ["BEFORE"]) if r["app"] == "hello"}
after = {r["server"]: r for r in json.loads(os.environ["AFTER"]) if r["app"] == "hello"}
served = {s: after[s]["requests"] - before[s]["requests"] for s in sorted(after)}
total = sum(served.values()) or 1
wrk = open(os.environ["WRK"]).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1)
pct = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", wrk, re.M))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
print(f"{os.environ['MODE']:>8}: web1 {served.get('web1',0)} ({served.get('web1',0)/total:.0%}), web2 {served.get('web2',0)} ({served.get('web2',0)/total:.0%}); "
      f"{rps} req/s; p50 {pct.get('50')}, p90 {pct.get('90')}, p99 {pct.get('99')}; non-2xx {errors.group(1) if errors else 0}; "
      f"web2 load factor {after['web2']['loadFactor']}, latency web1 {after['web1']['responseTimeMs']} ms / web2 {after['web2']['responseTimeMs']} ms")
PY
  dotnet "$WEBFARM" apps remove hello --controller "$API" >/dev/null
  for _ in $(seq 1 300); do
    [[ "$(ps_json | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["app"]=="hello"))')" == 0 ]] && break
    sleep 0.2
  done
}

log "load: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s /work?ms=$WORK_MS, per mode"
run_mode static 47500
run_mode reported 47520
