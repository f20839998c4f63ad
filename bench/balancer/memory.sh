#!/usr/bin/env bash
# Balancer memory benchmark (issue 12): resident memory (VmRSS from /proc/PID/status) of `webfarm balancer` and of
# HAProxy with the same plain farm (round robin over three nginx backends), idle, then holding CLIENTS idle
# keep-alive client connections that each sent one request, then after those connections closed.
#
#   bench/balancer/memory.sh                     # webfarm and haproxy, 10,000 connections
#   TARGETS=webfarm CLIENTS=1000 bench/balancer/memory.sh
#   WEBFARM_ENV="DOTNET_GCgen0size=0x400000" bench/balancer/memory.sh   # the balancer with other runtime settings
#   WEBFARM_DIR=/path/to/published/webfarm bench/balancer/memory.sh     # skip the Release build
#   DETAIL=1 TARGETS=webfarm bench/balancer/memory.sh   # also what the memory is made of (see below)
#
# DETAIL=1 adds, for each reading, the split of /proc/PID/smaps_rollup (file-backed pages: the runtime and assemblies
# mapped; anonymous: GC heap, JIT code, native heap, stacks) and, for the balancer with connections held, the live GC
# heap by type (`dotnet-gcdump report`, when dotnet-gcdump is on PATH: `dotnet tool install -g dotnet-gcdump`).
#
# The balancer runs exactly as shipped: no DOTNET_* settings (unless WEBFARM_ENV gives some), on every core; HAProxy
# with its default thread count (one per core). Goals: the balancer idle <= 40 MiB, with 10,000 connections
# <= 150 MiB. Each figure is read after SETTLE seconds of quiet, and the established connections are counted with
# ss at the same moment so a proxy that closed idle connections early cannot pass for a small one.
set -euo pipefail

# Read before run.sh sets its own defaults.
MEMORY_TARGETS="${TARGETS:-webfarm haproxy}"
MEMORY_PROXY_CPU="${PROXY_CPU:-0-$(($(nproc) - 1))}"

# shellcheck source=run.sh
source "$(dirname "${BASH_SOURCE[0]}")/run.sh"

TARGETS="$MEMORY_TARGETS"
PROXY_CPU="$MEMORY_PROXY_CPU"
CLIENTS="${CLIENTS:-10000}"
SETTLE="${SETTLE:-5}"
WEBFARM_BENCH_ENV=""
HAPROXY_THREADS="$(nproc)"
# HAProxy reserves two descriptors per connection (client and server side) and refuses to start when the hard limit
# is below that (2.6: "FD limit too low for maxconn"), even though idle keep-alive clients hold no server connection.
# Where the limit cannot be raised (a container), HAProxy is measured with as many connections as it accepts; the
# table says how many.
HAPROXY_CLIENTS="$CLIENTS"
if [[ "$(ulimit -Hn)" != unlimited ]] && ((2 * CLIENTS + 300 > $(ulimit -Hn))); then
  HAPROXY_CLIENTS=$((($(ulimit -Hn) - 300) / 2))
fi
HAPROXY_MAXCONN=$((HAPROXY_CLIENTS + 50))
# Longer than the whole measurement, so HAProxy keeps idle keep-alive connections (the balancer's keep-alive timeout
# is Kestrel's 130 s).
HAPROXY_CLIENT_TIMEOUT=300s

# VmRSS in KiB of a process and its descendants (nginx's workers are children of its master).
rss_kib() {
  local pid="$1" total=0 child
  total=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  for child in $(cat "/proc/$pid/task/"*/children 2>/dev/null); do
    total=$((total + $(rss_kib "$child")))
  done
  echo "${total:-0}"
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# detail NAME PID MOMENT: with DETAIL=1, appends what the process's memory is made of to $WORK/memory-detail.
detail() {
  [[ "${DETAIL:-0}" == 1 ]] || return 0
  local name="$1" pid="$2" moment="$3"
  {
    echo "#### $name, $moment"
    echo
    awk '/^(Rss|Anonymous|Pss_File|Pss_Anon|Private_Dirty|Shared_Clean):/ {printf "%s %.1f MiB; ", $1, $2 / 1024} END {print ""}' \
      "/proc/$pid/smaps_rollup"
    # The largest mappings by resident size (file name, or the kind of anonymous mapping).
    echo
    echo '```'
    awk '/^[0-9a-f]+-[0-9a-f]+ / {name = ($6 == "" ? "[anonymous]" : $6)} /^Rss:/ {rss[name] += $2}
      END {for (n in rss) if (rss[n] >= 1024) printf "%8.1f MiB  %s\n", rss[n] / 1024, n}' "/proc/$pid/smaps" | sort -rn | head -25
    echo '```'
    if [[ "$name" == webfarm && "$moment" == loaded ]] && command -v dotnet-gcdump >/dev/null; then
      echo
      echo '```'
      dotnet-gcdump collect -p "$pid" -o "$WORK/$name.gcdump" >/dev/null 2>&1 &&
        dotnet-gcdump report "$WORK/$name.gcdump" 2>/dev/null | head -40
      echo '```'
    fi
    echo
  } >>"$WORK/memory-detail"
}

established() { # port -> established connections accepted on it
  ss -Htn state established "( sport = :$1 )" | wc -l
}

# measure_memory NAME PID PORT COUNT: appends "name idle loaded connections after" (KiB) to $WORK/memory-rows.
measure_memory() {
  local name="$1" pid="$2" port="$3" count="$4" idle loaded after held
  sleep "$SETTLE"
  idle=$(rss_kib "$pid")
  detail "$name" "$pid" idle
  log "$name: idle $(mib "$idle") MiB; opening $count keep-alive connections"
  coproc CLIENT { ulimit -n "$CLIENT_FDS"; exec python3 "$ROOT/bench/balancer/idle_clients.py" 127.0.0.1 "$port" "$count" 2>"$WORK/clients-$name.err"; }
  local client_pid=$CLIENT_PID ready=""
  PIDS+=("$client_pid")
  read -r -t 400 ready <&"${CLIENT[0]}" || true
  if [[ "$ready" != "ready $count" ]]; then
    log "$name: the client did not get its connections: $(cat "$WORK/clients-$name.err")"
    return 1
  fi
  sleep "$SETTLE"
  loaded=$(rss_kib "$pid")
  held=$(established "$port")
  detail "$name" "$pid" loaded
  log "$name: $held connections held, $(mib "$loaded") MiB; closing them"
  eval "exec ${CLIENT[1]}>&-"
  wait "$client_pid" || true
  sleep "$SETTLE"
  after=$(rss_kib "$pid")
  echo "$name $idle $loaded $held $after" >>"$WORK/memory-rows"
}

memory_main() {
  install_missing
  # The client process holds CLIENTS sockets, the proxy as many again plus its backends' connections.
  local hard; hard=$(ulimit -Hn)
  if [[ "$hard" != unlimited ]] && ((hard < CLIENTS + 1000)); then
    log "ulimit -Hn is $hard: too low for $CLIENTS connections (needs $((CLIENTS + 1000)))"
    exit 2
  fi
  ulimit -n "$hard"
  CLIENT_FDS=$((CLIENTS + 100))
  : >"$WORK/memory-rows"
  : >"$WORK/memory-detail"
  if [[ " $TARGETS " == *" webfarm"* ]]; then build_webfarm; fi
  start_backends
  for target in $TARGETS; do
    case "$target" in
      webfarm)
        start_webfarm webfarm
        measure_memory webfarm "$WEBFARM_PID" "$WEBFARM_PORT" "$CLIENTS"
        stop_process "$WEBFARM_PID" ;;
      haproxy)
        start_haproxy
        measure_memory haproxy "$HAPROXY_PID" "$HAPROXY_PORT" "$HAPROXY_CLIENTS"
        stop_process "$HAPROXY_PID" ;;
      *) log "unknown target $target"; exit 2 ;;
    esac
  done

  local stamp file
  stamp="$(date -u +%Y%m%d-%H%M%S)"
  mkdir -p "$RESULTS_DIR"
  file="$RESULTS_DIR/balancer-memory-$stamp.md"
  {
    echo "# Balancer memory $stamp UTC"
    echo
    echo "Command: \`TARGETS=\"$TARGETS\" CLIENTS=$CLIENTS${WEBFARM_ENV:+ WEBFARM_ENV=\"$WEBFARM_ENV\"} bench/balancer/memory.sh\`"
    echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); $(uname -sr)."
    echo "Versions: $(haproxy -v 2>/dev/null | head -1); dotnet $(dotnet --version 2>/dev/null || echo n/a)."
    echo
    echo "A target that could hold fewer connections than asked shows its own count under 'connections held'."
    echo
    echo "| target | idle MiB | with $CLIENTS idle keep-alive connections MiB | connections held | after they closed MiB |"
    echo "|---|---:|---:|---:|---:|"
    while read -r name idle loaded held after; do
      echo "| $name | $(mib "$idle") | $(mib "$loaded") | $held | $(mib "$after") |"
    done <"$WORK/memory-rows"
    if [[ -s "$WORK/memory-detail" ]]; then
      echo
      cat "$WORK/memory-detail"
    fi
  } >"$file"
  cat "$file"
  log "written to $file"
}

memory_main "$@"
