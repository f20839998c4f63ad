#!/usr/bin/env bash
# TCP port rule benchmark (issue 18): in one run, `webfarm balancer` with a TCP listener ("Protocol": "Tcp") and
# HAProxy in `mode tcp`, each relaying to the same nginx backend, measured alike:
#   - new connections per second: wrk with "Connection: close", so every request is a new client connection and a
#     new server connection through the proxy (a small 200 answer each);
#   - throughput: wrk downloading a large file (sendfile on the backend) over STREAMS connections; the proxy copies
#     every byte (TCP rules see bytes, not requests).
# Each proxy is pinned alone to one core (taskset -c PROXY_CPU; HAProxy nbthread 1, the balancer with
# DOTNET_PROCESSOR_COUNT=1 and workstation GC); wrk and nginx share the other core. Targets are measured in
# interleaved rounds and each keeps its best round (other tenants of a shared machine only ever slow a run down).
#
#   bench/tcp/run.sh
#   REPEAT=5 DURATION=10s bench/tcp/run.sh
#   TARGETS="direct webfarm haproxy" bench/tcp/run.sh      # "direct": wrk to nginx without a proxy (the ceiling)
#   WEBFARM_DIR=/path/to/published/webfarm bench/tcp/run.sh   # skip the Release build
#
# Goals: webfarm >= 0.8x HAProxy's connections/s and >= 0.9x its throughput.
set -euo pipefail

# Read before run.sh sets its own defaults.
TCP_TARGETS="${TARGETS:-direct webfarm haproxy}"
TCP_DURATION="${DURATION:-5s}"
TCP_WARMUP="${WARMUP:-5s}"
TCP_REPEAT="${REPEAT:-3}"
TCP_CONNECTIONS="${CONNECTIONS:-50}"

# shellcheck source=../balancer/run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../balancer/run.sh"

TARGETS="$TCP_TARGETS"
DURATION="$TCP_DURATION"
WARMUP="$TCP_WARMUP"
REPEAT="$TCP_REPEAT"
CONNECTIONS="$TCP_CONNECTIONS"
STREAMS="${STREAMS:-4}"
FILE_MIB="${FILE_MIB:-256}"

# One nginx backend: "/" answers 200 at once, "/big" is a FILE_MIB file sent with sendfile.
start_tcp_backend() {
  B1=$(free_port)
  mkdir -p "$WORK/backend"
  head -c "$((FILE_MIB * 1024 * 1024))" /dev/urandom >"$WORK/backend/big"
  # nginx's worker runs as an unprivileged user: let it reach the file in the private work directory.
  chmod 755 "$WORK" "$WORK/backend"
  chmod 644 "$WORK/backend/big"
  cat >"$WORK/backend/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/backend/nginx.pid;
error_log $WORK/backend/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$B1 backlog=4096;
    location = / { return 200 "hello\n"; }
    location = /big { alias $WORK/backend/big; }
  }
}
CONF
  taskset -c "$LOAD_CPU" nginx -p "$WORK/backend" -c "$WORK/backend/nginx.conf" -e "$WORK/backend/error.log" &
  PIDS+=($!)
  wait_http "http://127.0.0.1:$B1/"
  log "backend on $B1 (/big: $FILE_MIB MiB)"
}

start_tcp_haproxy() {
  PROXY_PORT=$(free_port)
  cat >"$WORK/haproxy-tcp.cfg" <<CONF
global
  nbthread 1
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:$PROXY_PORT
  default_backend be
backend be
  balance roundrobin
  server b1 127.0.0.1:$B1
CONF
  taskset -c "$PROXY_CPU" haproxy -db -f "$WORK/haproxy-tcp.cfg" >"$WORK/haproxy-tcp.log" 2>&1 &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  wait_http "http://127.0.0.1:$PROXY_PORT/" || { cat "$WORK/haproxy-tcp.log" >&2; return 1; }
}

start_tcp_webfarm() {
  local admin
  PROXY_PORT=$(free_port); admin=$(free_port)
  cat >"$WORK/farm-tcp.json" <<CONF
{
  "Listen": [ { "Protocol": "Tcp", "Url": "127.0.0.1:$PROXY_PORT", "Farm": "bench" } ],
  "Admin": { "Listen": "http://127.0.0.1:$admin" },
  "StateDirectory": "$WORK/state-tcp",
  "Farms": {
    "bench": { "Protocol": "Tcp", "LoadBalancing": "RoundRobin", "Servers": [ { "Name": "b1", "Address": "tcp://127.0.0.1:$B1" } ] }
  }
}
CONF
  # shellcheck disable=SC2086
  env $WEBFARM_BENCH_ENV ${WEBFARM_ENV:-} taskset -c "$PROXY_CPU" "$WORK/webfarm/webfarm" balancer --config "$WORK/farm-tcp.json" >"$WORK/webfarm-tcp.log" 2>&1 &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  wait_http "http://127.0.0.1:$PROXY_PORT/" 60 || { cat "$WORK/webfarm-tcp.log" >&2; return 1; }
}

to_mib() { # wrk's Transfer/sec like 512.34MB, 1.20GB -> MiB/s
  awk -v v="$1" 'BEGIN {
    if (v ~ /GB$/) { sub(/GB$/, "", v); printf "%.1f", v * 1024 }
    else if (v ~ /MB$/) { sub(/MB$/, "", v); printf "%.1f", v }
    else if (v ~ /KB$/) { sub(/KB$/, "", v); printf "%.1f", v / 1024 }
    else printf "nan" }'
}

# measure_tcp NAME PORT PID(or -): appends "name conn_per_s conn_cpu_ms_per_1k mib_per_s cpu_s_per_gib conn_errors" to rows.
measure_tcp() {
  local name="$1" port="$2" pid="$3" out cps errors mibs before after conn_cpu=nan gib_cpu=nan
  log "$name: warm-up $WARMUP"
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" -H "Connection: close" "http://127.0.0.1:$port/" >/dev/null
  [[ "$pid" != - ]] && before=$(cpu_ticks "$pid")
  out="$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -H "Connection: close" "http://127.0.0.1:$port/")"
  [[ "$pid" != - ]] && after=$(cpu_ticks "$pid")
  cps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  errors="$(awk '/Socket errors:/ {gsub(",", ""); n += $4 + $6 + $8 + $10} /Non-2xx/ {n += $NF} END {print n + 0}' <<<"$out")"
  if [[ "$pid" != - ]]; then
    conn_cpu="$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v c="$cps" -v d="${DURATION%s}" 'BEGIN { printf "%.1f", t / hz * 1000 / (c * d / 1000) }')"
  fi
  log "$name: $cps connections/s ($errors errors)"

  [[ "$pid" != - ]] && before=$(cpu_ticks "$pid")
  out="$(taskset -c "$LOAD_CPU" wrk -t1 -c"$STREAMS" -d"$DURATION" "http://127.0.0.1:$port/big")"
  [[ "$pid" != - ]] && after=$(cpu_ticks "$pid")
  if grep -q "Non-2xx" <<<"$out"; then log "$name: /big did not answer 200"; echo "$out" >&2; return 1; fi
  mibs="$(to_mib "$(awk '/^Transfer\/sec:/ {print $2}' <<<"$out")")"
  if [[ "$pid" != - ]]; then
    gib_cpu="$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v m="$mibs" -v d="${DURATION%s}" 'BEGIN { printf "%.2f", t / hz / (m * d / 1024) }')"
  fi
  log "$name: $mibs MiB/s"
  echo "$name $cps $conn_cpu $mibs $gib_cpu $errors" >>"$WORK/rows"
}

tcp_main() {
  install_missing
  : >"$WORK/rows"
  local load_before load_after round target
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  if [[ " $TARGETS " == *" webfarm "* ]]; then build_webfarm; fi
  start_tcp_backend
  for ((round = 1; round <= REPEAT; round++)); do
    for target in $TARGETS; do
      case "$target" in
        direct) measure_tcp direct "$B1" - ;;
        webfarm) start_tcp_webfarm; measure_tcp webfarm "$PROXY_PORT" "$PROXY_PID"; stop_process "$PROXY_PID" ;;
        haproxy) start_tcp_haproxy; measure_tcp haproxy "$PROXY_PORT" "$PROXY_PID"; stop_process "$PROXY_PID" ;;
        *) log "unknown target $target"; return 2 ;;
      esac
    done
  done
  load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

  # Best round per target, each figure on its own (the best connections/s and the best throughput may come from
  # different rounds).
  awk '{ if (!($1 in c) || $2 > c[$1]) { c[$1] = $2; cc[$1] = $3 } if (!($1 in m) || $4 > m[$1]) { m[$1] = $4; mc[$1] = $5 } e[$1] += $6 }
       END { for (t in c) print t, c[t], cc[t], m[t], mc[t], e[t] }' "$WORK/rows" >"$WORK/best"
  local ha_c ha_m
  ha_c="$(awk '$1 == "haproxy" {print $2}' "$WORK/best")"
  ha_m="$(awk '$1 == "haproxy" {print $4}' "$WORK/best")"
  mkdir -p "$RESULTS_DIR"
  {
    echo "TCP port rules: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load average $load_before before, $load_after after"
    echo "best of $REPEAT interleaved rounds; $DURATION each; conn/s with $CONNECTIONS wrk connections (Connection: close); throughput over $STREAMS streams of a $FILE_MIB MiB file"
    printf '| %-8s | %10s | %8s | %14s | %8s | %10s | %8s | %6s |\n' target "conn/s" "x HAProxy" "CPU ms/1k conn" "MiB/s" "x HAProxy" "CPU s/GiB" errors
    printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ---------- ------------ ---------- ---------------- ---------- ------------ ---------- --------
    for target in $TARGETS; do
      awk -v t="$target" -v hc="$ha_c" -v hm="$ha_m" '$1 == t {
        rc = (hc > 0) ? sprintf("%.2f", $2 / hc) : "-"; rm = (hm > 0) ? sprintf("%.2f", $4 / hm) : "-"
        printf "| %-8s | %10.0f | %8s | %14s | %8s | %10s | %8s | %6d |\n", t, $2, rc, $3, $4, rm, $5, $6 }' "$WORK/best"
    done
  } | tee "$RESULTS_DIR/tcp-$(date -u +%Y%m%dT%H%M%SZ).txt"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then tcp_main "$@"; fi
