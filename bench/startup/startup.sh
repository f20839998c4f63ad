#!/usr/bin/env bash
# Start-up benchmark (issue 19): time from exec to the first proxied request answered 200, and idle resident memory
# (VmRSS) SETTLE seconds later, of `webfarm balancer` shipped three ways:
#   single-file   the self-contained single file build/package.sh makes (default)
#   r2r           the same, published with ReadyToRun (build/package.sh --ready-to-run)
#   dll           `dotnet webfarm.dll`: the framework-dependent build (src/WebFarm/bin/Release/net10.0)
#   aot           the Native AOT binary (build/package.sh --aot), when AOT_DIR names its directory
#
#   bench/startup/startup.sh SINGLE_FILE_DIR R2R_DIR [RUNS]     (R2R_DIR "-": no ReadyToRun row)
# SINGLE_FILE_DIR and R2R_DIR hold a published `webfarm` (the tarballs' contents); the dll build must exist
# (dotnet build src/WebFarm -c Release). Each variant runs RUNS times (default 5), interleaved; the median is
# printed. The backend is the balancer benchmark's nginx (bench/balancer/run.sh); the balancer has one farm with active health checks off, so
# the first request is proxied as soon as the listener accepts.
set -euo pipefail
STARTUP_SINGLE="${1:?single-file directory}"
STARTUP_R2R="${2:?ReadyToRun directory, or -}"
variants=(single-file r2r dll)
[ "$STARTUP_R2R" != - ] || variants=(single-file dll)
STARTUP_AOT="${AOT_DIR:-}"
[ -z "$STARTUP_AOT" ] || variants+=(aot)
STARTUP_RUNS="${3:-5}"
SETTLE="${SETTLE:-5}"

# The balancer benchmark's helpers: free_port, start_backends (nginx), stop_process, WORK, PIDS.
# shellcheck source=../balancer/run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../balancer/run.sh"
LOAD_CPU="0-$(($(nproc) - 1))"
repo="$ROOT"
install_missing
start_backends
backend_port="$B1"

startup() { # variant -> "ms rss_kib"
  local variant="$1" port config pid start_ns end_ns rss
  port="$(free_port)"
  config="$WORK/farm-$port.json"
  printf '{ "Listen": ["http://127.0.0.1:%s"], "Admin": { "Listen": "" }, "StateDirectory": "", "Farms": { "web": { "Servers": [ { "Name": "web1", "Address": "http://127.0.0.1:%s" } ] } } }\n' "$port" "$backend_port" > "$config"
  start_ns="$(date +%s%N)"
  case "$variant" in
    single-file) "$STARTUP_SINGLE/webfarm" balancer --config "$config" >/dev/null 2>&1 & ;;
    r2r) "$STARTUP_R2R/webfarm" balancer --config "$config" >/dev/null 2>&1 & ;;
    aot) "$STARTUP_AOT/webfarm" balancer --config "$config" >/dev/null 2>&1 & ;;
    dll) dotnet "$repo/src/WebFarm/bin/Release/net10.0/webfarm.dll" balancer --config "$config" >/dev/null 2>&1 & ;;
  esac
  pid=$!
  # Bounded: 60 s at most, then the run counts as failed.
  for _ in $(seq 1 12000); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/"; then break; fi
    sleep 0.005
  done
  end_ns="$(date +%s%N)"
  sleep "$SETTLE"
  rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")"
  stop_process "$pid"
  echo "$(((end_ns - start_ns) / 1000000)) $rss"
}

declare -A times rsses
for _ in $(seq 1 "$STARTUP_RUNS"); do
  for variant in "${variants[@]}"; do
    read -r ms rss < <(startup "$variant")
    times[$variant]+="$ms "
    rsses[$variant]+="$rss "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '| variant | size | first proxied request (median of %s) | idle RSS after %s s |\n|---|---|---|---|\n' "$STARTUP_RUNS" "$SETTLE"
for variant in "${variants[@]}"; do
  case "$variant" in
    single-file) size="$(du -h --apparent-size "$STARTUP_SINGLE/webfarm" | cut -f1)" ;;
    r2r) size="$(du -h --apparent-size "$STARTUP_R2R/webfarm" | cut -f1)" ;;
    aot) size="$(du -h --apparent-size "$STARTUP_AOT/webfarm" | cut -f1)" ;;
    dll) size="$(du -sh --apparent-size "$repo/src/WebFarm/bin/Release/net10.0" | cut -f1) + the shared runtime" ;;
  esac
  printf '| %s | %s | %s ms | %s MiB |\n' "$variant" "$size" "$(echo "${times[$variant]}" | median)" \
    "$(echo "${rsses[$variant]}" | median | awk '{ printf "%.1f", $1 / 1024 }')"
done
