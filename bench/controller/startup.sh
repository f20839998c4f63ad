#!/usr/bin/env bash
# `webfarm controller` start-up and idle memory, JIT against Native AOT (issue 12): time from exec to the first answer
# of GET /api/controller (SQLite store in a fresh data directory, its in-process balancer listening) and the resident
# memory (VmRSS) 5 s later; RUNS interleaved rounds (default 3), every figure printed, the best summarised.
#
#   dotnet build src/WebFarm -c Release && build/package.sh --aot --rid linux-x64 --no-tool --no-deb --out /tmp/pkg
#   bench/controller/startup.sh /tmp/pkg/publish-linux-x64/webfarm [RUNS]
#
# Bounded: each start is given 60 s at most (then it counts as "failed"); each controller is stopped with SIGTERM and
# waited for before the next one starts.
set -euo pipefail
AOT="${1:?the Native AOT webfarm binary}"
RUNS="${2:-3}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dll="$repo/src/WebFarm/bin/Release/net10.0/webfarm.dll"
[ -f "$dll" ] && [ -x "$AOT" ] || { echo "build src/WebFarm in Release and pass the AOT binary" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

free_ports() { # two distinct free loopback ports
  python3 -c "import socket
s=[socket.socket() for _ in range(2)]
[x.bind(('127.0.0.1',0)) for x in s]
print(' '.join(str(x.getsockname()[1]) for x in s))"
}

once() { # variant (jit|aot) -> milliseconds to the first API answer (or "failed") and MiB resident 5 s later
  local variant="$1" ports start pid ms=failed rss=- run=(dotnet "$dll")
  [ "$variant" = aot ] && run=("$AOT")
  read -r -a ports <<< "$(free_ports)"
  rm -rf "$work/data"
  start="$(date +%s%N)"
  "${run[@]}" controller --listen "http://127.0.0.1:${ports[0]}" --balancer-listen "http://127.0.0.1:${ports[1]}" --data-dir "$work/data" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 1200); do # 1200 x 50 ms: 60 s
    if curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:${ports[0]}/api/controller"; then
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

declare -A best=([jit]=999999 [aot]=999999) least=([jit]=999999 [aot]=999999)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq 1 "$RUNS"); do
  for variant in jit aot; do
    read -r ms rss < <(once "$variant")
    echo "round $round  $variant  ${ms} ms  ${rss} MiB resident"
    if [ "$ms" != failed ] && [ "$ms" -lt "${best[$variant]}" ]; then best[$variant]="$ms"; fi
    if [ "$rss" != - ] && [ "$rss" -lt "${least[$variant]}" ]; then least[$variant]="$rss"; fi
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for variant in jit aot; do echo "best: $variant ${best[$variant]} ms, ${least[$variant]} MiB"; done
