#!/usr/bin/env bash
# Load-driven balancing benchmark (issue 14): a controller with its in-process balancer and two agents, each running
# the sample app (samples/HelloFarm) as the app `hello`. Each agent (and so its instance) runs in a cgroup of its own
# with a CPU quota (cpu.max on cgroup v2, cpu.cfs_quota_us on v1): web1 one core, web2 half of one. Both in a group
# of their own, so neither gets a different share of a busy machine from the group scheduler than the other. wrk
# sends CPU-bound requests (`/work?ms=WORK_MS`) through the balancer, once with `--load-balancing static` and once
# with `--load-balancing reported`. Reports per mode the requests each server served (the balancer's counters, from
# `GET /api/ps`), wrk's requests/s and latency percentiles, and each server's load factor and latency at the end.
#
#   bench/load/run.sh
#   DURATION=30 CONNECTIONS=8 WORK_MS=20 WEB1_PERCENT=100 WEB2_PERCENT=50 bench/load/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION="${DURATION:-30}"          # seconds of load per mode
CONNECTIONS="${CONNECTIONS:-8}"
THREADS="${THREADS:-2}"
WORK_MS="${WORK_MS:-20}"            # CPU time per request
WEB1_PERCENT="${WEB1_PERCENT:-100}" # web1's CPU quota, in % of one core
WEB2_PERCENT="${WEB2_PERCENT:-50}"   # web2's
WORK="$(mktemp -d /tmp/webfarm-loadbench.XXXXXX)"
CGROUPS=()
PIDS=()

log() { printf '[load %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  local group
  for group in "${CGROUPS[@]}"; do
    # Whatever is left in it (nothing once the agent stopped its instance) goes back to the parent group first.
    while read -r pid; do echo "$pid" >"$(dirname "$group")/cgroup.procs" 2>/dev/null || true; done <"$group/cgroup.procs"
    rmdir "$group" 2>/dev/null || true
  done
  if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

command -v wrk >/dev/null || { log "installing wrk"; apt-get install -y -qq wrk >/dev/null; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# A cgroup with a CPU quota of PERCENT % of one core; prints its path.
cpu_group() {
  local name="$1" percent="$2" group
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    group="/sys/fs/cgroup/webfarm-loadbench-$$-$name"
    mkdir "$group"
    echo "$((percent * 1000)) 100000" >"$group/cpu.max"
  elif [[ -d /sys/fs/cgroup/cpu ]]; then
    group="/sys/fs/cgroup/cpu/webfarm-loadbench-$$-$name"
    mkdir "$group"
    echo 100000 >"$group/cpu.cfs_period_us"
    echo "$((percent * 1000))" >"$group/cpu.cfs_quota_us"
  else
    log "no cgroup CPU controller: cannot limit the servers' CPU"; exit 1
  fi
  echo "$group"
}
GROUP1="$(cpu_group web1 "$WEB1_PERCENT")"; CGROUPS+=("$GROUP1")
GROUP2="$(cpu_group web2 "$WEB2_PERCENT")"; CGROUPS+=("$GROUP2")
log "web1 limited to $WEB1_PERCENT% of a core, web2 to $WEB2_PERCENT%"

log "building (Release)"
dotnet build "$ROOT/src/WebFarm/WebFarm.csproj" -c Release -nologo -v q >/dev/null
dotnet build "$ROOT/samples/HelloFarm/HelloFarm.csproj" -c Release -nologo -v q >/dev/null
WEBFARM="$ROOT/src/WebFarm/bin/Release/net10.0/webfarm.dll"
HELLO="$ROOT/samples/HelloFarm/bin/Release/net10.0/HelloFarm.dll"

API_PORT="$(free_port)"; LB_PORT="$(free_port)"; STATE_PORT="$(free_port)"
API="http://127.0.0.1:$API_PORT"
# The sample app keeps sessions and keys in the state server (its health check pings it).
dotnet "$WEBFARM" state --port "$STATE_PORT" >"$WORK/state.out" 2>&1 &
PIDS+=($!)
dotnet "$WEBFARM" controller --data-dir "$WORK/controller" --listen "$API" --balancer-listen "http://127.0.0.1:$LB_PORT" \
  --state-endpoint "127.0.0.1:$STATE_PORT" --log-level Warning >"$WORK/controller.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do curl -fs "$API/api/agents" >/dev/null 2>&1 && break; sleep 0.1; done
token() { curl -fs -X POST "$API/api/agents/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }

# web1 on 127.0.0.2, web2 on 127.0.0.3, each in its cgroup (the shell joins it, then becomes the agent).
for n in 1 2; do
  group="GROUP$n"; join="$(token)"
  sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "${!group}" dotnet "$WEBFARM" agent --controller "$API" \
    --name "web$n" --address "http://127.0.0.$((n + 1)):1" --data-dir "$WORK/web$n" --join-token "$join" --log-level Warning >"$WORK/web$n.out" 2>&1 &
  PIDS+=($!)
done

ps_json() { curl -fs "$API/api/ps"; }

run_mode() {
  local mode="$1" port_from="$2"
  dotnet "$WEBFARM" apps add hello --controller "$API" --command "$HELLO" --ports "$port_from-$((port_from + 9))" \
    --health-path /healthz --load-balancing "$mode" >/dev/null
  local ready=""
  for _ in $(seq 1 600); do
    [[ "$(ps_json | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["app"]=="hello" and r["inRotation"]))')" == 2 ]] && { ready=1; break; }
    sleep 0.2
  done
  [[ -n "$ready" ]] || { log "the instances did not come into rotation"; ps_json >&2; exit 1; }
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
      f"load factor web1 {after['web1']['loadFactor']} / web2 {after['web2']['loadFactor']}, latency web1 {after['web1']['responseTimeMs']} ms / web2 {after['web2']['responseTimeMs']} ms")
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
