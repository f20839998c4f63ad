#!/usr/bin/env bash
# `webfarm up` start-up (issue 14): time from exec to the first page the balancer serves (GET / answered 200), 3
# HelloFarm servers, RUNS rounds (default 3); every figure is printed and the best is summarised. `up` runs the
# control plane (controller, in-process balancer, local agents, first deployment). With BASELINE (another build's
# webfarm.dll, e.g. main before the switch, whose plain `up` ran its own supervision) the rounds interleave
# baseline and this build; OLD_BASELINE=1 starts the baseline with the three ports only (a build before the switch
# refused `--controller-port` without `--control-plane`).
#
# ROLE=controller measures `webfarm controller` instead (SQLite store in a fresh data directory, its in-process
# balancer listening): time from exec to the first answer of GET /api/controller.
#
#   dotnet build src/WebFarm -c Release && dotnet build samples/HelloFarm -c Release
#   bench/up/startup.sh [RUNS] [BASELINE_WEBFARM_DLL]
#   WEBFARM_BIN=/tmp/pkg/publish-linux-x64/webfarm bench/up/startup.sh   # a native build (build/package.sh --aot)
#   # Native AOT against the JIT build of the same checkout, interleaved:
#   WEBFARM_BIN=/tmp/pkg/publish-linux-x64/webfarm ROLE=controller bench/up/startup.sh 3 src/WebFarm/bin/Release/net10.0/webfarm.dll
#
# Each round also prints the resident memory (VmRSS) of the `up` (or `controller`) process itself (controller,
# balancer, state server, agents; not the app instances, which are its children) 5 s after the first page: its idle
# memory once started.
#
# Bounded: each start is given 60 s at most (then it counts as "failed"), and each `up` is stopped with SIGTERM
# (and waited for) before the next one starts.
set -euo pipefail
RUNS="${1:-3}"
BASELINE="${2:-}"
ROLE="${ROLE:-up}"
[ "$ROLE" = up ] || [ "$ROLE" = controller ] || { echo "ROLE=$ROLE: up or controller" >&2; exit 2; }
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
webfarm="$repo/src/WebFarm/bin/Release/net10.0/webfarm.dll"
app="$repo/samples/HelloFarm/bin/Release/net10.0/HelloFarm.dll"
this=(dotnet "$webfarm")
if [ -n "${WEBFARM_BIN:-}" ]; then
  [ -x "$WEBFARM_BIN" ] || { echo "WEBFARM_BIN=$WEBFARM_BIN is not an executable" >&2; exit 2; }
  this=("$WEBFARM_BIN")
  webfarm="$WEBFARM_BIN"
fi
[ -f "$webfarm" ] && [ -f "$app" ] || { echo "build src/WebFarm and samples/HelloFarm in Release first" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

free_ports() { # four distinct free loopback ports
  python3 -c "import socket
s=[socket.socket() for _ in range(4)]
[x.bind(('127.0.0.1',0)) for x in s]
print(' '.join(str(x.getsockname()[1]) for x in s))"
}

once() { # variant (this|baseline) -> milliseconds to the first page (or "failed") and MiB resident 5 s later
  local variant="$1" ports start pid ms=failed rss=- run=("${this[@]}") args url
  read -r -a ports <<< "$(free_ports)"
  [ "$variant" = baseline ] && run=(dotnet "$BASELINE")
  if [ "$ROLE" = controller ]; then
    rm -rf "$work/data"
    args=(controller --listen "http://127.0.0.1:${ports[0]}" --balancer-listen "http://127.0.0.1:${ports[1]}" --data-dir "$work/data")
    url="http://127.0.0.1:${ports[0]}/api/controller"
  else
    args=(up --servers 3 --app "$app" --port "${ports[0]}" --admin-port "${ports[1]}" --state-port "${ports[2]}")
    [ "$variant" = baseline ] && [ -n "${OLD_BASELINE:-}" ] || args+=(--controller-port "${ports[3]}")
    url="http://127.0.0.1:${ports[0]}/"
  fi
  start="$(date +%s%N)"
  "${run[@]}" "${args[@]}" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 1200); do # 1200 x 50 ms: 60 s
    if curl -sf -o /dev/null --max-time 2 "$url"; then
      ms=$(( ($(date +%s%N) - start) / 1000000 ))
      break
    fi
    sleep 0.05
  done
  if [ "$ms" != failed ]; then
    sleep 5
    rss="$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || echo -)"
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "$ms $rss"
}

variants=(this)
[ -n "$BASELINE" ] && variants=(baseline this)
declare -A best=([this]=999999 [baseline]=999999)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$RUNS"); do
  for variant in "${variants[@]}"; do
    read -r ms rss < <(once "$variant")
    echo "round $round  $variant  ${ms} ms  ${rss} MiB resident"
    if [ "$ms" != failed ] && [ "$ms" -lt "${best[$variant]}" ]; then best[$variant]="$ms"; fi
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for variant in "${variants[@]}"; do echo "best: $variant ${best[$variant]} ms"; done
