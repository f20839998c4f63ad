#!/usr/bin/env bash
# Balancer benchmark (issue 2): in one run, measure a fixed-response backend directly and through
# `webfarm balancer`, HAProxy and nginx, each proxy pinned to one core, and report requests/s, p50, p99
# and the proxy's CPU seconds per 100k requests, with ratios against HAProxy.
#
#   bench/balancer/run.sh                    # all targets
#   TARGETS="direct haproxy nginx" bench/balancer/run.sh   # targets: direct webfarm webfarm-base webfarm-sockets webfarm-kestrel webfarm-httpclient webfarm-tuned webfarm-resilient webfarm-tls webfarm-tls-close webfarm.base-tls webfarm.base-tls-close haproxy haproxy-resilient haproxy-tls haproxy-tls-close nginx
#   TARGETS="webfarm-tls haproxy-tls webfarm-tls-close haproxy-tls-close" REPEAT=3 bench/balancer/run.sh   # issue 17: HTTPS
#   BASE_DIR=/path/to/published/main TARGETS="webfarm-tls webfarm.base-tls haproxy-tls" REPEAT=3 bench/balancer/run.sh   # a change against main, same run
#   TARGETS="webfarm haproxy webfarm-resilient haproxy-resilient" CONNECTIONS=64 REPEAT=5 bench/balancer/run.sh   # issue 12's pairs
#   TARGETS="webfarm-gzip nginx-gzip webfarm-br webfarm-page nginx-page" REPEAT=3 bench/balancer/run.sh   # issue 17: compression
#   TARGETS="webfarm webfarm+DOTNET_TieredCompilation=0 haproxy" STAT=1 WINDOWS=3 REPEAT=3 bench/balancer/run.sh
#     # runtime settings compared in one run; STAT=1 lists every window's counters, WINDOWS=3 measures each process 3 times
# The -gzip, -br and -page rows fetch /page, a 16 KiB text page (the head of docs/architecture.md) from the backends;
# -gzip rows send "Accept-Encoding: gzip" and compress at gzip level 1 (the balancer's default, nginx's gzip_comp_level
# default), webfarm-br sends "Accept-Encoding: br" (Brotli quality 2, the default; nginx has no Brotli module here),
# -page rows send no Accept-Encoding (the same page uncompressed). They are compared with nginx-SUFFIX.
# Rows named *-resilient are compared with haproxy-resilient (the same farm features), *-tls with haproxy-tls, *-tls-close
# with haproxy-tls-close, the others with haproxy.
# The -tls rows terminate TLS 1.3 with the same certificate (ECDSA P-256, made with openssl for the run; wrk offers no
# ALPN, so HTTP/1.1) and forward in cleartext; -tls-close sends "Connection: close", so every request is a new
# connection and a full handshake.
#   DURATION=10s CONNECTIONS=50 WARMUP=3s PROFILE=1 bench/balancer/run.sh
#   WEBFARM_DIR=/path/to/published/webfarm bench/balancer/run.sh   # skip the Release build
#   BASE_DIR=/path/to/an/older/build TARGETS="webfarm-base webfarm haproxy" REPEAT=3 bench/balancer/run.sh   # before/after in one run
# After the warm-up, the balancer rows keep the load on until .NET's tiered compilation is idle (JIT_SETTLE=60 s at
# most; see settle_jit), so every row compares steady states.
#
# Layout on a 2-core machine: wrk and the three nginx backends share core 0; the proxy under test gets
# core 1 alone (taskset -c 1; HAProxy nbthread 1, nginx worker_processes 1, the balancer with
# DOTNET_PROCESSOR_COUNT=1 and workstation GC). The "direct" row shows what core 0 can drive without a
# proxy, i.e. the ceiling of every other row.
# PROFILE=1 also counts each proxy's system calls per request (perf stat) and records `perf` call stacks of
# the balancer during its measured run (needs perf; profiling costs the balancer a few percent).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGETS="${TARGETS:-direct webfarm webfarm-resilient haproxy haproxy-resilient nginx}"
DURATION="${DURATION:-10s}"
# Long enough for .NET tiered compilation to reach optimized code on a single core (with 3 s the balancer
# is still partly running instrumented tier-0 code during the measurement).
WARMUP="${WARMUP:-10s}"
# "webfarm-tuned" = the same binary with other runtime settings to compare. `webfarm balancer` ships with inline
# socket completions on (see src/WebFarm.Balancer/Hosting/InlineSocketCompletions.cs); the default here turns them
# off, to show what they are worth.
TUNED_ENV="${TUNED_ENV:-DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0}"
CONNECTIONS="${CONNECTIONS:-50}"
PROXY_CPU="${PROXY_CPU:-1}"
LOAD_CPU="${LOAD_CPU:-0}"
PROFILE="${PROFILE:-0}"
# Rounds: every target is measured REPEAT times, interleaved (all targets, then all again), and the report keeps each
# target's best round. On a shared VM other tenants only ever slow a run down, so the best round is the least disturbed;
# but one build also runs at two speeds on a quiet machine (docs/benchmarks.md, "One binary, two speeds"), and a best
# round is then one draw of the fast one: compare two builds by the median of their rounds, which the report lists too.
REPEAT="${REPEAT:-1}"
ROUND=1
# WINDOWS: measured windows per process start (see measure).
WINDOWS="${WINDOWS:-1}"
RESULTS_DIR="${RESULTS_DIR:-$ROOT/bench/results}"
WORK="$(mktemp -d /tmp/webfarm-bench.XXXXXX)"
PIDS=()

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    stop_process "$pid"
  done
  if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

install_missing() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
  command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
  command -v taskset >/dev/null || missing+=(util-linux)
  command -v curl >/dev/null || missing+=(curl)
  command -v openssl >/dev/null || missing+=(openssl)
  if [[ "$PROFILE" == 1 ]] && ! command -v perf >/dev/null; then missing+=(linux-perf); fi
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$WORK/apt.log" 2>&1 || {
      DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$WORK/apt.log" 2>&1
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$WORK/apt.log" 2>&1
    }
  fi
  export PATH="$PATH:/usr/sbin"
}

# A free loopback port: nothing accepts a connection on it and it is not handed out twice in this run. Taken below
# the ephemeral range, where no outgoing connection (wrk's, the proxies', memory.sh's 10,000) can hold it meanwhile.
USED_PORTS=" "
EPHEMERAL_LOW="$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
free_port() {
  local port
  while true; do
    port=$((10000 + RANDOM % (EPHEMERAL_LOW - 10000)))
    [[ "$USED_PORTS" == *" $port "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      USED_PORTS+="$port "
      echo "$port"
      return
    fi
  done
}

# Stop a process this script started: SIGTERM, then SIGKILL if it is still there after 15 s.
stop_process() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 150; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not stop on SIGTERM within 15 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

wait_http() { # url [seconds]
  local url="$1" deadline=$((SECONDS + ${2:-30}))
  until curl -skf -o /dev/null "$url"; do
    if ((SECONDS > deadline)); then log "timed out waiting for $url"; return 1; fi
    sleep 0.2
  done
}

# utime+stime (clock ticks) of a process and all its descendants (nginx workers are children of the master).
cpu_ticks() {
  local pid="$1" total=0 stat rest child
  if [[ -r "/proc/$pid/stat" ]]; then
    stat="$(<"/proc/$pid/stat")"
    rest="${stat##*) }" # fields after "pid (comm) "
    read -r -a f <<<"$rest"
    total=$((f[11] + f[12])) # utime, stime are fields 14 and 15 of the whole line
  fi
  for child in $(cat "/proc/$pid/task/"*/children 2>/dev/null); do
    total=$((total + $(cpu_ticks "$child")))
  done
  echo "$total"
}

# pid and all its descendants, comma-separated (for perf -p).
pid_tree() {
  local pid="$1" child out="$1"
  for child in $(cat "/proc/$pid/task/"*/children 2>/dev/null); do
    out+=",$(pid_tree "$child")"
  done
  echo "$out"
}

to_ms() { # wrk latency like 812.00us, 1.23ms, 2.01s
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.3f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.3f", v }
    else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.3f", v * 60000 }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.3f", v * 1000 }
    else printf "nan" }'
}

# measure NAME URL PID(or -) -> appends one line "name rps p50 p99 requests errors cpu_per_100k" to $WORK/rows
# jit_ticks PID: utime+stime (clock ticks) of the .NET tiered-compilation thread (0 when it has exited, as it does
# when idle).
jit_ticks() {
  local task stat total=0
  for task in /proc/"$1"/task/*; do
    [[ "$(cat "$task/comm" 2>/dev/null)" == ".NET Tiered"* ]] || continue
    stat="$(cat "$task/stat" 2>/dev/null)" || continue
    read -r -a f <<<"${stat##*) }"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# settle_jit NAME URL PID: keeps the warm-up load on, 2 s at a time, until the balancer's tiered compilation has been
# idle for two steps in a row (at most JIT_SETTLE seconds more). Methods reach tier 1 after 30 calls, so code that runs a few
# times a second (a farm's health checks: 3 probes/s through SocketsHttpHandler here) is still being recompiled 20-30 s
# after start: in a 10 s window from 10 s to 20 s the compiler thread took 10% of the core (perf, 2026-12-06), which
# this benchmark would otherwise count as CPU per request. Steady state is what the CPU per request compares.
JIT_SETTLE="${JIT_SETTLE:-60}"
settle_jit() {
  local name="$1" url="$2" pid="$3" waited=0 idle=0 before after
  while ((waited < JIT_SETTLE && idle < 2)); do
    before=$(jit_ticks "$pid")
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d2s ${WRK_HEADER:+-H "$WRK_HEADER"} "$url" >/dev/null
    after=$(jit_ticks "$pid")
    if ((after == before)); then idle=$((idle + 1)); else idle=0; fi
    waited=$((waited + 2))
  done
  log "$name: tiered compilation idle for $((idle * 2)) s after ${waited} s more of warm-up load"
}

# user_sys_ticks PID: "utime stime" (clock ticks) of the process PID (its threads together; not its children).
user_sys_ticks() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo "0 0"; return; }
  read -r -a f <<<"${stat##*) }"
  echo "${f[11]} ${f[12]}"
}

# thread_ticks PID: "comm ticks" per thread of PID (utime+stime), one line each, thread names with spaces joined by "_".
thread_ticks() {
  local task stat comm
  for task in /proc/"$1"/task/*; do
    stat="$(cat "$task/stat" 2>/dev/null)" || continue
    comm="${stat#*(}"; comm="${comm%%) *}"
    read -r -a f <<<"${stat##*) }"
    echo "${comm// /_} $((f[11] + f[12]))"
  done
}

# measure NAME URL PID: warm-up, then WINDOWS measured windows of DURATION one after another on the same process (each
# one a row; WINDOWS > 1 tells a process whose speed is decided once, at start, from one whose speed varies in time).
measure() {
  local name="$1" url="$2" pid="$3" window
  log "$name: warm-up $WARMUP"
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" ${WRK_HEADER:+-H "$WRK_HEADER"} "$url" >/dev/null
  [[ "$name" == webfarm* ]] && settle_jit "$name" "$url" "$pid"
  for ((window = 1; window <= WINDOWS; window++)); do
    measure_window "$name" "$url" "$pid" "$window"
  done
}

# STAT=1: for every window, the proxy's software counters per request (perf stat: context switches, CPU migrations, page
# faults, system calls) and the CPU of its threads by name (from /proc), written to $WORK/stats and listed by the report.
# This VM exposes no hardware counters (cycles, instructions), so these and the per-thread split are what tell two
# rounds apart.
STAT="${STAT:-0}"
# sched:sched_waking counts the wake-ups the proxy does itself: mostly of wrk and nginx on the other core, when a send
# finds them asleep in epoll_wait (try_to_wake_up under sock_def_readable, the kernel item that differs between fast
# and slow rounds, perf 2026-12-06).
STAT_EVENTS="context-switches,cpu-migrations,page-faults,raw_syscalls:sys_enter,sched:sched_waking"
measure_window() {
  local name="$1" url="$2" pid="$3" window="$4" before after out rps p50 p99 requests errors cpu perf_pid="" stat_pid="" syscalls="-"
  local stat_file="$WORK/stat-$name-$window.csv"
  rm -f "$stat_file"
  if [[ "$PROFILE" == 1 && ( "$name" == webfarm* || "$name" == haproxy* ) ]]; then
    # Every window's profile is kept (KEEP=1 keeps $WORK) to compare a fast round with a slow one; the report shows the last.
    perf record -F 999 -g -p "$pid" -o "$WORK/perf-$name-$ROUND-$window.data" >"$WORK/perf.log" 2>&1 &
    perf_pid=$!
    sleep 0.5
  fi
  if [[ ( "$PROFILE" == 1 || "$STAT" == 1 ) && "$pid" != - ]]; then
    perf stat -e "$STAT_EVENTS" -x, -o "$stat_file" -p "$(pid_tree "$pid")" >/dev/null 2>&1 &
    stat_pid=$!
  fi
  if [[ "$STAT" == 1 && "$pid" != - ]]; then thread_ticks "$pid" >"$WORK/threads-before"; user_sys_ticks "$pid" >"$WORK/usersys-before"; fi
  log "$name: measuring $DURATION, $CONNECTIONS connections -> $url (window $window of $WINDOWS)"
  before=$([[ "$pid" == - ]] && echo 0 || cpu_ticks "$pid")
  out="$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency ${WRK_HEADER:+-H "$WRK_HEADER"} "$url")"
  after=$([[ "$pid" == - ]] && echo 0 || cpu_ticks "$pid")
  if [[ "$STAT" == 1 && "$pid" != - ]]; then thread_ticks "$pid" >"$WORK/threads-after"; user_sys_ticks "$pid" >"$WORK/usersys-after"; fi
  local p
  for p in $perf_pid $stat_pid; do
    kill -INT "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if [[ -n "$perf_pid" ]]; then ln -sf "perf-$name-$ROUND-$window.data" "$WORK/perf-$name.data"; fi
  echo "$out" >"$WORK/wrk-$name.txt"
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  p50="$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")"
  p99="$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")"
  requests="$(awk '/requests in/ {print $1}' <<<"$out")"
  errors="$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")"
  if [[ "$pid" == - ]]; then
    cpu="-"
  else
    cpu="$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.3f", (t / hz) / n * 100000 }')"
  fi
  if [[ -s "$stat_file" ]]; then
    syscalls="$(awk -F, -v n="$requests" '/raw_syscalls:sys_enter/ {printf "%.1f", $1 / n}' "$stat_file")"
  fi
  echo "$name $rps $p50 $p99 $requests $errors $cpu ${syscalls:--}" >>"$WORK/rows"
  if [[ "$STAT" == 1 && "$pid" != - ]]; then
    # One line: name, round, window, requests/s, CPU s / 100k (all, user, kernel), context switches, migrations, page
    # faults, system calls and wake-ups per 1000 requests, the sockets, then the threads that used CPU in the window with their CPU
    # s / 100k requests (the largest first).
    local counters threads usersys fds
    # Open sockets right after wrk closed its connections: the listeners and the server connections the proxy keeps (a
    # number the warm-up's bursts could decide for the process's life; both proxies keep about one per client connection).
    fds="$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' 2>/dev/null | wc -l)"
    usersys="$(awk -v hz="$(getconf CLK_TCK)" -v n="$requests" 'NR == 1 { u = $1; k = $2 } NR == 2 { printf "%.3f %.3f", ($1 - u) / hz / n * 100000, ($2 - k) / hz / n * 100000 }' \
      "$WORK/usersys-before" "$WORK/usersys-after")"
    counters="$(awk -F, -v n="$requests" '
      $3 == "context-switches" { cs = $1 } $3 == "cpu-migrations" { mig = $1 } $3 == "page-faults" { pf = $1 }
      $3 == "raw_syscalls:sys_enter" { sc = $1 } $3 == "sched:sched_waking" { wk = $1 }
      END { printf "%.1f %.2f %.2f %.0f wakeups=%.0f", cs * 1000 / n, mig * 1000 / n, pf * 1000 / n, sc * 1000 / n, wk * 1000 / n }' "$stat_file")"
    threads="$(awk -v hz="$(getconf CLK_TCK)" -v n="$requests" '
      NR == FNR { before[$1] += $2; next } { after[$1] += $2 }
      END { for (t in after) { d = after[t] - before[t]; if (d > 0) printf "%s=%.3f\n", t, d / hz / n * 100000 } }' \
      "$WORK/threads-before" "$WORK/threads-after" | sort -t= -k2 -rn | head -6 | paste -sd' ')"
    echo "$name $ROUND $window $rps $cpu $usersys $counters sockets=$fds $threads" >>"$WORK/stats"
  fi
}

start_backends() {
  B1=$(free_port) B2=$(free_port) B3=$(free_port)
  mkdir -p "$WORK/backends"
  head -c 16384 "$ROOT/docs/architecture.md" >"$WORK/backends/page.txt"
  # nginx's workers (nobody when started as root) must be able to read the page through mktemp's private directory.
  chmod a+rx "$WORK" "$WORK/backends" && chmod a+r "$WORK/backends/page.txt"
  cat >"$WORK/backends/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/backends/nginx.pid;
error_log $WORK/backends/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  default_type text/plain;
  server { listen 127.0.0.1:$B1; location = /page { alias $WORK/backends/page.txt; } location / { return 200 "backend 1: hello\n"; } }
  server { listen 127.0.0.1:$B2; location = /page { alias $WORK/backends/page.txt; } location / { return 200 "backend 2: hello\n"; } }
  server { listen 127.0.0.1:$B3; location = /page { alias $WORK/backends/page.txt; } location / { return 200 "backend 3: hello\n"; } }
}
CONF
  taskset -c "$LOAD_CPU" nginx -p "$WORK/backends" -c "$WORK/backends/nginx.conf" -e "$WORK/backends/error.log" &
  PIDS+=($!)
  for p in $B1 $B2 $B3; do wait_http "http://127.0.0.1:$p/"; done
  log "backends on $B1 $B2 $B3"
}

run_direct() {
  measure direct "http://127.0.0.1:$B1/" -
}

# start_haproxy [NAME]: HAProxy with the same farm (round robin over the three backends); BACKEND_EXTRA and
# SERVER_EXTRA add lines to its backend and options to each server line (the resilient pair). Sets HAPROXY_PID and
# HAPROXY_PORT.
start_haproxy() {
  local name="${1:-haproxy}"
  HAPROXY_PORT=$(free_port)
  cat >"$WORK/$name.cfg" <<CONF
global
  nbthread ${HAPROXY_THREADS:-1}
  maxconn ${HAPROXY_MAXCONN:-4096}${HAPROXY_ULIMIT:+
  ulimit-n $HAPROXY_ULIMIT}
defaults
  mode http
  timeout connect 5s
  timeout client ${HAPROXY_CLIENT_TIMEOUT:-60s}
  timeout server 60s
frontend fe
  bind 127.0.0.1:$HAPROXY_PORT${HAPROXY_BIND_EXTRA:-}
  default_backend be
backend be
  balance roundrobin${BACKEND_EXTRA:-}
  server b1 127.0.0.1:$B1${SERVER_EXTRA:+ ${SERVER_EXTRA//@NAME@/b1}}
  server b2 127.0.0.1:$B2${SERVER_EXTRA:+ ${SERVER_EXTRA//@NAME@/b2}}
  server b3 127.0.0.1:$B3${SERVER_EXTRA:+ ${SERVER_EXTRA//@NAME@/b3}}
CONF
  taskset -c "$PROXY_CPU" haproxy -db -f "$WORK/$name.cfg" >"$WORK/$name.log" 2>&1 &
  HAPROXY_PID=$!
  PIDS+=("$HAPROXY_PID")
  wait_http "${SCHEME:-http}://127.0.0.1:$HAPROXY_PORT/" || { cat "$WORK/$name.log" >&2; return 1; }
}

# run_haproxy NAME: measure HAProxy configured as start_haproxy makes it.
run_haproxy() {
  local name="${1:-haproxy}"
  start_haproxy "$name"
  measure "$name" "${SCHEME:-http}://127.0.0.1:$HAPROXY_PORT/" "$HAPROXY_PID"
  perf_summary "$name"
  stop_process "$HAPROXY_PID"
}

# nginx_proxy_conf DIR PORT [HTTP_EXTRA] [LOCATION_EXTRA]: an nginx proxy (one worker) in front of the three backends,
# written to DIR/nginx.conf; bench/cache/run.sh adds its proxy_cache lines through the two extras.
nginx_proxy_conf() {
  local dir="$1" port="$2"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;${3:-}${NGINX_EXTRA:-}
  upstream be {
    server 127.0.0.1:$B1;
    server 127.0.0.1:$B2;
    server 127.0.0.1:$B3;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$port;
    location / {
      proxy_pass http://be;
      proxy_http_version 1.1;
      proxy_set_header Connection "";${4:-}
    }
  }
}
CONF
}

run_nginx() {
  local port; port=$(free_port)
  nginx_proxy_conf "$WORK/nginx-proxy" "$port"
  taskset -c "$PROXY_CPU" nginx -p "$WORK/nginx-proxy" -c "$WORK/nginx-proxy/nginx.conf" -e "$WORK/nginx-proxy/error.log" &
  local pid=$!
  PIDS+=("$pid")
  wait_http "http://127.0.0.1:$port/" || { cat "$WORK/nginx-proxy/error.log" >&2; return 1; }
  measure "${1:-nginx}" "http://127.0.0.1:$port/${URL_PATH:-}" "$pid"
  stop_process "$pid"
}

make_certificate() {
  [[ -f "$WORK/tls/haproxy.pem" ]] && return
  mkdir -p "$WORK/tls/webfarm"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$WORK/tls/webfarm/bench.key" -out "$WORK/tls/webfarm/bench.pem" >"$WORK/tls/openssl.log" 2>&1
  cat "$WORK/tls/webfarm/bench.pem" "$WORK/tls/webfarm/bench.key" >"$WORK/tls/haproxy.pem"
}

build_webfarm() {
  if [[ -n "${WEBFARM_DIR:-}" ]]; then
    log "using the prebuilt webfarm in $WEBFARM_DIR"
    ln -s "$WEBFARM_DIR" "$WORK/webfarm"
    return
  fi
  log "building webfarm (Release)"
  dotnet publish "$ROOT/src/WebFarm/WebFarm.csproj" -c Release -o "$WORK/webfarm" -nologo -v q >"$WORK/build.log" 2>&1 || {
    tail -30 "$WORK/build.log" >&2
    log "webfarm build failed"
    return 1
  }
}

# Fixed cookie-MAC key for the webfarm-resilient target, and the cookie value the balancer issues for a server
# (base64url(name) "." base64url(HMAC-SHA256(key, "webfarm-affinity-v1\0" farm "\0" name)[:16]), see Affinity/).
AFFINITY_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
affinity_cookie() {
  python3 - "$AFFINITY_KEY" "$1" "$2" <<'PY'
import base64, hashlib, hmac, sys
key = base64.b64decode(sys.argv[1]); farm = sys.argv[2].encode(); name = sys.argv[3].encode()
mac = hmac.new(key, b"webfarm-affinity-v1\0" + farm + b"\0" + name, hashlib.sha256).digest()[:16]
enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
print(enc(name) + "." + enc(mac))
PY
}

# start_webfarm NAME [VAR=value ...]: starts the balancer as shipped, or with extra runtime settings, and waits until
# it answers; sets WEBFARM_PID and WEBFARM_PORT. WEBFARM_BENCH_ENV: the settings every benchmark run gets (memory.sh
# clears them to measure the balancer exactly as shipped).
WEBFARM_BENCH_ENV="${WEBFARM_BENCH_ENV-DOTNET_PROCESSOR_COUNT=1 DOTNET_gcServer=0}"
# With PROFILE=1, W^X is turned off so perf resolves JIT-compiled code to method names through the perf map (with it on,
# that code runs from a "memfd:doublemapper" mapping perf cannot name).
PROFILE_ENV=""
if [[ "$PROFILE" == 1 ]]; then PROFILE_ENV="DOTNET_EnableWriteXorExecute=0"; fi
start_webfarm() {
  local name="$1"; shift
  local admin listen; WEBFARM_PORT=$(free_port); admin=$(free_port)
  listen="\"http://127.0.0.1:$WEBFARM_PORT\""
  if [[ "${SCHEME:-http}" == https ]]; then
    listen="{ \"Url\": \"https://127.0.0.1:$WEBFARM_PORT\", \"Certificates\": \"$WORK/tls/webfarm\" }"
  fi
  cat >"$WORK/farm-$name.json" <<CONF
{
  "Listen": [ $listen ],
  "Admin": { "Listen": "http://127.0.0.1:$admin" },
  "StateDirectory": "$WORK/state-$name",
  "AccessLog": false,${CONFIG_EXTRA:-}
  "Farms": {
    "bench": {
      "LoadBalancing": "RoundRobin",${FARM_EXTRA:-}
      "Servers": [
        { "Name": "b1", "Address": "http://127.0.0.1:$B1" },
        { "Name": "b2", "Address": "http://127.0.0.1:$B2" },
        { "Name": "b3", "Address": "http://127.0.0.1:$B3" }
      ]
    }
  }
}
CONF
  # WEBFARM_ENV: extra VAR=value settings for the balancer process (runtime knobs to compare).
  # shellcheck disable=SC2086
  env $WEBFARM_BENCH_ENV DOTNET_PerfMapEnabled="$PROFILE" ${PROFILE_ENV:-} "$@" ${WEBFARM_ENV:-} \
    taskset -c "$PROXY_CPU" "${WEBFARM_BIN:-$WORK/webfarm/webfarm}" balancer --config "$WORK/farm-$name.json" >"$WORK/$name.log" 2>&1 &
  WEBFARM_PID=$!
  PIDS+=("$WEBFARM_PID")
  wait_http "${SCHEME:-http}://127.0.0.1:$WEBFARM_PORT/" 60 || { tail -30 "$WORK/$name.log" >&2; return 1; }
}

# perf_summary NAME: with PROFILE=1, the profile of NAME's measured run by module and by symbol (the report prints them).
perf_summary() {
  local name="$1"
  [[ "$PROFILE" == 1 && -f "$WORK/perf-$name.data" ]] || return 0
  perf report -i "$WORK/perf-$name.data" -g none --no-children --sort dso,symbol --stdio 2>/dev/null |
    grep -v '^#' | grep '%' | head -40 | cut -c1-220 | sed 's/ *$//' >"$WORK/perf-top-$name.txt" || true
  perf report -i "$WORK/perf-$name.data" -g none --no-children --sort dso --stdio 2>/dev/null |
    grep -v '^#' | grep '%' | head -15 | sed 's/ *$//' >"$WORK/perf-dso-$name.txt" || true
}

# run_webfarm NAME [VAR=value ...]: measures the balancer as shipped, or with extra runtime settings.
run_webfarm() {
  local name="$1"; shift
  start_webfarm "$name" "$@"
  local pid=$WEBFARM_PID
  measure "$name" "${SCHEME:-http}://127.0.0.1:$WEBFARM_PORT/${URL_PATH:-}" "$pid"
  perf_summary "$name"
  stop_process "$pid"
}

# Each target's best round (highest requests/s), in the order targets first appear.
best_rows() {
  awk '{ if (!($1 in best) || $2 > best_rps[$1]) { best[$1] = $0; best_rps[$1] = $2 } if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
       END { for (i = 1; i <= n; i++) print best[order[i]] }' "$WORK/rows"
}

report() {
  best_rows >"$WORK/best"
  # Each row is compared with HAProxy configured alike: a row named "*-SUFFIX" with "haproxy-SUFFIX" when that was
  # measured (resilient, tls, tls-close), the rest with plain haproxy.
  local syscol="" sysalign=""
  if [[ "$PROFILE" == 1 ]]; then syscol=" proxy syscalls / req |"; sysalign="---:|"; fi
  echo "| target | requests/s | p50 ms | p99 ms | requests | errors | proxy CPU s / 100k req | req/s vs HAProxy | CPU vs HAProxy | p99 vs HAProxy |$syscol"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|$sysalign"
  awk -v profile="$PROFILE" '
    { name[NR] = $1; line[NR] = $0; rps[$1] = $2; cpu[$1] = $7; p99[$1] = $4 }
    END {
      for (i = 1; i <= NR; i++) {
        split(line[i], f, " ")
        n = f[1]; base = "haproxy"
        dash = index(n, "-")
        if (dash > 0 && (("haproxy-" substr(n, dash + 1)) in rps)) base = "haproxy-" substr(n, dash + 1)
        else if (dash > 0 && n !~ /^nginx-/ && (("nginx-" substr(n, dash + 1)) in rps)) base = "nginx-" substr(n, dash + 1)
        else if (n == "webfarm-br" && ("nginx-gzip" in rps)) base = "nginx-gzip"
        br = (base in rps) ? rps[base] : 0; bc = (base in cpu) ? cpu[base] : "-"; bp = (base in p99) ? p99[base] : 0
        r = (br > 0) ? sprintf("%.2fx", f[2] / br) : "-"
        c = (f[7] != "-" && bc != "-" && bc > 0) ? sprintf("%.2fx", f[7] / bc) : "-"
        p = (bp > 0) ? sprintf("%.2fx", f[4] / bp) : "-"
        printf "| %s | %.0f | %.2f | %.2f | %s | %s | %s | %s | %s | %s |", f[1], f[2], f[3], f[4], f[5], f[6], f[7], r, c, p
        if (profile == 1) printf " %s |", f[8]
        printf "\n"
      }
    }' "$WORK/best"
}

main() {
  install_missing
  : >"$WORK/rows"
  if [[ " $TARGETS " == *" webfarm"* ]]; then build_webfarm; fi
  start_backends
  for ((ROUND = 1; ROUND <= REPEAT; ROUND++)); do
  for target in $TARGETS; do
    case "$target" in
      direct) run_direct ;;
      webfarm) run_webfarm webfarm ;;
      webfarm-tuned) run_webfarm webfarm-tuned $TUNED_ENV ;;
      # webfarm+VAR=value[+VAR=value...]: the same build with those runtime settings, named by them in the report, so
      # several settings are compared in one run, interleaved (e.g. webfarm+DOTNET_TieredCompilation=0).
      webfarm+*=*)
        local settings="${target#webfarm+}"
        # shellcheck disable=SC2086
        run_webfarm "$target" ${settings//+/ } ;;
      # Another build in the same run (BASE_DIR: a published webfarm, e.g. main's), the "before" of a change; compared
      # with haproxy like the webfarm row.
      webfarm-base)
        [[ -x "${BASE_DIR:-}/webfarm" ]] || { log "webfarm-base needs BASE_DIR=<a published webfarm>"; exit 2; }
        WEBFARM_BIN="$BASE_DIR/webfarm" run_webfarm webfarm-base ;;
      # The same farm with "Http1FrontEnd": false: every request through Kestrel's HTTP stack, as before the front end.
      webfarm-kestrel)
        CONFIG_EXTRA='
  "Http1FrontEnd": false,'
        run_webfarm webfarm-kestrel
        CONFIG_EXTRA= ;;
      # The same farm with "SocketEngine": "Sockets": .NET's socket engine instead of WebFarm's epoll transport.
      webfarm-sockets)
        CONFIG_EXTRA='
  "SocketEngine": "Sockets",'
        run_webfarm webfarm-sockets
        CONFIG_EXTRA= ;;
      # The same farm with "DirectHttp1": false: every request through Kestrel and SocketsHttpHandler (the front end
      # hands such farms to Kestrel), as before the direct path.
      webfarm-httpclient)
        FARM_EXTRA='"DirectHttp1": false,'
        run_webfarm webfarm-httpclient
        FARM_EXTRA= ;;
      # Issue 3: the cost of resilience. Active health checks every second on every backend, passive health, and
      # cookie affinity with every wrk request carrying a valid cookie (bound to b2), so each request pays the
      # cookie parse and MAC check (and up to 3 attempts, the default). Compared with haproxy-resilient.
      webfarm-resilient)
        FARM_EXTRA='"Health": { "Path": "/", "Interval": "1s" }, "PassiveHealth": { "FailureStatus": "500-599" }, "Affinity": { "Mode": "Cookie", "Key": "'"$AFFINITY_KEY"'" },'
        WRK_HEADER="Cookie: WebFarmAffinity=$(affinity_cookie bench b2)"
        run_webfarm webfarm-resilient
        FARM_EXTRA=; WRK_HEADER= ;;
      # Issue 17: HTTPS in front, cleartext to the backends, TLS 1.3 (both ends' default), HTTP/1.1 (wrk offers no ALPN).
      webfarm-tls)
        make_certificate
        SCHEME=https run_webfarm webfarm-tls ;;
      webfarm-tls-close)
        make_certificate
        WRK_HEADER="Connection: close"
        SCHEME=https run_webfarm webfarm-tls-close
        WRK_HEADER= ;;
      # The same rows for another published build (BASE_DIR, as webfarm-base), measured in the same run and
      # interleaved with the others, so a change to the TLS path is compared under the same load.
      webfarm.base-tls|webfarm.base-tls-close)
        [[ -x "${BASE_DIR:-}/webfarm" ]] || { log "$target needs BASE_DIR=<a published webfarm>"; exit 2; }
        make_certificate
        if [[ "$target" == *-close ]]; then WRK_HEADER="Connection: close"; fi
        WEBFARM_BIN="$BASE_DIR/webfarm" SCHEME=https run_webfarm "$target"
        WRK_HEADER= ;;
      haproxy-tls)
        make_certificate
        HAPROXY_BIND_EXTRA=" ssl crt $WORK/tls/haproxy.pem ssl-min-ver TLSv1.2 alpn h2,http/1.1"
        SCHEME=https run_haproxy haproxy-tls
        HAPROXY_BIND_EXTRA= ;;
      haproxy-tls-close)
        make_certificate
        HAPROXY_BIND_EXTRA=" ssl crt $WORK/tls/haproxy.pem ssl-min-ver TLSv1.2 alpn h2,http/1.1"
        WRK_HEADER="Connection: close"
        SCHEME=https run_haproxy haproxy-tls-close
        HAPROXY_BIND_EXTRA=; WRK_HEADER= ;;
      haproxy) run_haproxy haproxy ;;
      # Issue 12: HAProxy configured as the webfarm-resilient farm: HTTP health checks every second, layer-7
      # observation of live traffic (passive health), an inserted affinity cookie with every wrk request carrying it
      # (bound to b2), three retries with redispatch.
      haproxy-resilient)
        BACKEND_EXTRA='
  option httpchk GET /
  cookie SRV insert indirect nocache
  retries 3
  option redispatch'
        SERVER_EXTRA='check inter 1s cookie @NAME@ observe layer7 error-limit 10 on-error mark-down'
        WRK_HEADER="Cookie: SRV=b2"
        run_haproxy haproxy-resilient
        BACKEND_EXTRA=; SERVER_EXTRA=; WRK_HEADER= ;;
      nginx) run_nginx ;;
      # Issue 17: response compression of a 16 KiB text page, against nginx's gzip filter at the same level.
      webfarm-gzip)
        FARM_EXTRA='"Compression": { "Encodings": ["gzip"], "GzipLevel": 1 },'
        URL_PATH=page WRK_HEADER="Accept-Encoding: gzip" run_webfarm webfarm-gzip
        FARM_EXTRA= ;;
      webfarm-br)
        FARM_EXTRA='"Compression": { "Encodings": ["br"], "BrotliQuality": 2 },'
        URL_PATH=page WRK_HEADER="Accept-Encoding: br" run_webfarm webfarm-br
        FARM_EXTRA= ;;
      webfarm-page) URL_PATH=page run_webfarm webfarm-page ;;
      nginx-gzip)
        NGINX_EXTRA='
  gzip on; gzip_comp_level 1; gzip_min_length 1024; gzip_proxied any; gzip_vary on; gzip_types text/plain;'
        URL_PATH=page WRK_HEADER="Accept-Encoding: gzip" run_nginx nginx-gzip
        NGINX_EXTRA= ;;
      nginx-page) URL_PATH=page run_nginx nginx-page ;;
      *) log "unknown target $target"; exit 2 ;;
    esac
  done
  done

  local stamp file table
  stamp="$(date -u +%Y%m%d-%H%M%S)"
  mkdir -p "$RESULTS_DIR"
  file="$RESULTS_DIR/balancer-$stamp.md"
  table="$(report)"
  {
    echo "# Balancer benchmark $stamp UTC"
    echo
    echo "Command: \`TARGETS=\"$TARGETS\" REPEAT=$REPEAT DURATION=$DURATION CONNECTIONS=$CONNECTIONS${WEBFARM_ENV:+ WEBFARM_ENV=\"$WEBFARM_ENV\"} bench/balancer/run.sh\`"
    echo "webfarm-tuned: the same build with \`$TUNED_ENV\`."
    echo "Load: \`taskset -c $LOAD_CPU wrk -t1 -c$CONNECTIONS -d$DURATION --latency\` (after a $WARMUP warm-up, then for the balancer until its tiered compilation is idle, at most $JIT_SETTLE s); proxies on core $PROXY_CPU; backends: one nginx, three fixed-response server blocks, core $LOAD_CPU."
    echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); $(uname -sr)."
    echo "Versions: $(haproxy -v 2>/dev/null | head -1); $(nginx -v 2>&1); $(wrk -v 2>&1 | head -1 | cut -c1-40); dotnet $(dotnet --version 2>/dev/null || echo n/a)."
    echo
    echo "$table"
    if ((REPEAT * WINDOWS > 1)); then
      echo
      echo "Every round (requests/s, CPU s / 100k), in the order measured, and the median CPU s / 100k:"
      awk '{ r[$1] = r[$1] sprintf(" %.0f (%s)", $2, $7); c[$1, ++k[$1]] = $7; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
           END {
             for (i = 1; i <= n; i++) {
               t = order[i]; m = k[t]
               for (a = 1; a <= m; a++) v[a] = c[t, a]
               for (a = 2; a <= m; a++) { x = v[a]; for (b = a - 1; b >= 1 && v[b] > x; b--) v[b + 1] = v[b]; v[b + 1] = x }
               med = (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
               printf "- %s:%s; median %s\n", t, r[t], (c[t, 1] == "-") ? "-" : sprintf("%.3f", med)
             }
           }' "$WORK/rows"
    fi
    if [[ -s "$WORK/stats" ]]; then
      echo
      echo "Every window (STAT=1): target, round, window, requests/s, CPU s / 100k (all, user, kernel); per 1000 requests:"
      echo "context switches, CPU migrations, page faults, system calls, wake-ups of other threads done by the proxy; the"
      echo "proxy's open sockets; then CPU s / 100k of the busiest threads:"
      echo '```'
      cat "$WORK/stats"
      echo '```'
    fi
    for f in "$WORK"/perf-dso-*.txt; do
      [[ -s "$f" ]] || continue
      local n="${f##*/perf-dso-}"; n="${n%.txt}"
      echo
      echo "perf, $n CPU by module (top 15):"
      echo '```'
      cat "$f"
      echo '```'
      echo "perf, $n CPU by symbol (top 40):"
      echo '```'
      cat "$WORK/perf-top-$n.txt"
      echo '```'
    done
  } >"$file"
  cat "$file"
  log "written to $file"
}

# memory.sh sources this file for its helpers.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
