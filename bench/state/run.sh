#!/usr/bin/env bash
# Benchmark: redis-benchmark against `webfarm state` and `redis-server` in the same run (issue 11).
#
#   redis-benchmark -t set,get,hset,incr -c 50 -P 1    (p99 goal: webfarm <= 1.5x redis-server)
#   redis-benchmark -t set,get,hset,incr -c 50 -P 16   (ops/s goal: webfarm >= 1.0x redis-server)
#   redis-benchmark -t set,get,hset,incr -c 500 -P 1 and -P 16
#
# Each server is pinned alone to one core (taskset), redis-benchmark to the other; no persistence on either.
# Both servers are warmed up with the full workload first. Then ROUNDS rounds run every (clients, pipeline,
# test) cell on both servers back to back, alternating which server goes first, so both see the same
# background load; per server and cell the best round is kept (highest ops/s, lowest p99, lowest CPU per op,
# each on its own: on a shared machine the slower rounds measure the neighbours).
# CPU per op is the server's utime+stime (/proc/PID/stat) over the run divided by the requests; memory is the
# servers' resident set (VmRSS) and peak (VmHWM) at the end. Every round's raw figures are printed too.
#
# Usage: bench/state/run.sh   (env: ROUNDS=3 TESTS=set,get,hset,incr CLIENTS="50 500" PIPELINES="1 16"
#                              N1=200000 N16=2000000 SERVER_CPU=0 CLIENT_CPU=1)
set -euo pipefail

ROUNDS=${ROUNDS:-3}
TESTS=${TESTS:-set,get,hset,incr}
CLIENTS=${CLIENTS:-50 500}
PIPELINES=${PIPELINES:-1 16}
N1=${N1:-200000}     # requests per run without pipelining (about 2 s per run on an idle core)
N16=${N16:-2000000}  # requests per run with -P 16 (the same order of time)
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=bench/state/common.sh
source "$REPO/bench/state/common.sh"

echo "Building webfarm (Release)..."
if ! dotnet build "$REPO/src/WebFarm/WebFarm.csproj" -c Release -nologo -v q >"$OUT/build.log" 2>&1; then
  cat "$OUT/build.log" >&2; echo "build failed" >&2; exit 1
fi
DLL="$REPO/src/WebFarm/bin/Release/net10.0/webfarm.dll"
COMMIT=$(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src || echo "+uncommitted")

declare -A PORT PID
PORT[webfarm]=$(free_port)
taskset -c "$SERVER_CPU" dotnet "$DLL" state --port "${PORT[webfarm]}" >"$OUT/webfarm.log" 2>&1 &
PID[webfarm]=$!; PIDS+=($!)
PORT[redis]=$(free_port)
taskset -c "$SERVER_CPU" redis-server --port "${PORT[redis]}" --save "" --appendonly no --daemonize no --logfile "$OUT/redis.log" &
PID[redis]=$!; PIDS+=($!)
wait_ping "${PORT[webfarm]}"
wait_ping "${PORT[redis]}"

requests() { if [ "$1" = 1 ]; then echo "$N1"; else echo "$N16"; fi; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Warm-up of both servers with the whole workload (JIT and tiered compilation for webfarm; allocator and
# caches for both), so round 1 is not a cold start for either.
for server in webfarm redis; do
  for C in $CLIENTS; do
    for P in $PIPELINES; do
      taskset -c "$CLIENT_CPU" redis-benchmark -p "${PORT[$server]}" -t "$TESTS" -n "$(( $(requests "$P") / 4 ))" -c "$C" -P "$P" -q >/dev/null 2>&1 || true
    done
  done
done

# One measured run; appends "server C P test round rps p99 cpu_ns_per_op" to $OUT/runs.
run() {
  local server=$1 C=$2 P=$3 test=$4 round=$5 n before after line
  n=$(requests "$P")
  before=$(cpu_ticks "${PID[$server]}")
  line=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "${PORT[$server]}" -t "$test" -n "$n" -c "$C" -P "$P" --csv 2>/dev/null \
    | tail -n 1 | tr -d '"' | awk -F, '{print $2, $7}')
  after=$(cpu_ticks "${PID[$server]}")
  echo "$server $C $P $test $round $line $(awk -v a="$before" -v b="$after" -v n="$n" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f", (b - a) / hz * 1e9 / n }')" >>"$OUT/runs"
}

echo "webfarm commit $COMMIT; redis $(redis-server --version | awk '{print $3}'); $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "servers pinned to cpu $SERVER_CPU, redis-benchmark to cpu $CLIENT_CPU; $ROUNDS rounds; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$OUT/runs"
for round in $(seq 1 "$ROUNDS"); do
  for C in $CLIENTS; do
    for P in $PIPELINES; do
      for test in ${TESTS//,/ }; do
        if (( round % 2 )); then order="webfarm redis"; else order="redis webfarm"; fi
        for server in $order; do run "$server" "$C" "$P" "$test" "$round"; done
      done
    done
  done
  echo "round $round done; load: $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "All rounds (server clients pipeline test round ops/s p99_ms cpu_ns_per_op):"
sort -k2,2n -k3,3n -k4,4 -k1,1 -k5,5n "$OUT/runs" | column -t

# Best per server and cell: max ops/s, min p99, min CPU per op.
best() { awk -v s="$1" -v c="$2" -v p="$3" -v t="$4" '
  $1 == s && $2 == c && $3 == p && $4 == t {
    if (rps == "" || $6 > rps) rps = $6
    if (p99 == "" || $7 < p99) p99 = $7
    if (cpu == "" || $8 < cpu) cpu = $8
  }
  END { print rps, p99, cpu }' "$OUT/runs"; }

echo
echo "Best of $ROUNDS rounds (ops/s: higher is better; p99 and CPU per op: lower is better; ratio = webfarm / redis):"
echo
echo "| -c | -P | test | webfarm ops/s | redis ops/s | ops ratio | webfarm p99 ms | redis p99 ms | p99 ratio | webfarm CPU ns/op | redis CPU ns/op |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for C in $CLIENTS; do
  for P in $PIPELINES; do
    for test in ${TESTS//,/ }; do
      read -r wr wp wc < <(best webfarm "$C" "$P" "$test")
      read -r rr rp rc < <(best redis "$C" "$P" "$test")
      awk -v c="$C" -v p="$P" -v t="${test^^}" -v wr="$wr" -v rr="$rr" -v wp="$wp" -v rp="$rp" -v wc="$wc" -v rc="$rc" 'BEGIN {
        printf "| %s | %s | %s | %.0f | %.0f | %.2fx | %.3f | %.3f | %.2fx | %d | %d |\n",
          c, p, t, wr, rr, wr / rr, wp, rp, (rp > 0 ? wp / rp : 0), wc, rc }'
    done
  done
done

echo
for server in webfarm redis; do
  awk -v s="$server" '/^VmRSS|^VmHWM/ { printf "%s %s %s kB  ", s, $1, $2 } END { print "" }' "/proc/${PID[$server]}/status"
done
