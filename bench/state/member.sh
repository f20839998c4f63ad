#!/usr/bin/env bash
# Benchmark (issue 21): session-sized reads and writes per second through the member library (RespDistributedCache
# over RespClient, bench/state/member) against one `webfarm state`, one redis-server, and a 3-master + 3-replica
# Redis Cluster, in one run.
#
# A write is a session commit (HSET + PEXPIRE of a BYTES-byte entry, sliding expiry); a read is a session load
# (HMGET + the sliding PEXPIRE). WORKERS concurrent callers, SESSIONS distinct keys, SECONDS per run. Every server
# process is pinned to SERVER_CPUS (a list: nodes are spread over it round robin), the driver to CLIENT_CPU; no
# persistence anywhere. ROUNDS rounds alternate the order of the targets; the best round per cell is reported
# (on a shared machine the slower rounds measure the neighbours), every round's raw figures are printed too.
#
# Usage: bench/state/member.sh   (env: ROUNDS=3 SECONDS_PER_RUN=5 WORKERS=32 BYTES=2048 SESSIONS=10000
#                                 SERVER_CPUS=0 CLIENT_CPU=1)
set -euo pipefail

ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
WORKERS=${WORKERS:-32}
BYTES=${BYTES:-2048}
SESSIONS=${SESSIONS:-10000}
read -r -a SERVER_CPUS <<<"${SERVER_CPUS:-0}"
CLIENT_CPU=${CLIENT_CPU:-1}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=bench/state/common.sh
source "$REPO/bench/state/common.sh"
NEXT_CPU=0
# Sets CPU to the next of SERVER_CPUS (not a $(...) function: a subshell would not advance the counter).
next_cpu() { CPU=${SERVER_CPUS[$(( NEXT_CPU % ${#SERVER_CPUS[@]} ))]}; NEXT_CPU=$(( NEXT_CPU + 1 )); }

echo "Building webfarm and the driver (Release)..."
for project in src/WebFarm/WebFarm.csproj bench/state/member/MemberBench.csproj; do
  if ! dotnet build "$REPO/$project" -c Release -nologo -v q >"$OUT/build.log" 2>&1; then
    cat "$OUT/build.log" >&2; echo "build of $project failed" >&2; exit 1
  fi
done
DLL="$REPO/src/WebFarm/bin/Release/net10.0/webfarm.dll"
DRIVER="$REPO/bench/state/member/bin/Release/net10.0/MemberBench.dll"
COMMIT=$(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- src || echo "+uncommitted")

declare -A ENDPOINTS TOPOLOGY
port=$(free_port)
next_cpu; taskset -c "$CPU" dotnet "$DLL" state --port "$port" >"$OUT/webfarm.log" 2>&1 &
PIDS+=($!); wait_ping "$port"
ENDPOINTS[webfarm-state]=127.0.0.1:$port; TOPOLOGY[webfarm-state]=Primary

port=$(free_port)
next_cpu; taskset -c "$CPU" redis-server --port "$port" --save "" --appendonly no --daemonize no --logfile "$OUT/redis.log" &
PIDS+=($!); wait_ping "$port"
ENDPOINTS[redis-server]=127.0.0.1:$port; TOPOLOGY[redis-server]=Primary

nodes=()
for i in 1 2 3 4 5 6; do
  port=$(free_port); mkdir -p "$OUT/node$i"
  next_cpu; taskset -c "$CPU" redis-server --port "$port" --cluster-enabled yes --cluster-port "$(free_port)" \
    --cluster-config-file "$OUT/node$i/nodes.conf" --cluster-node-timeout 1000 --repl-diskless-sync-delay 0 \
    --save "" --appendonly no --daemonize no --dir "$OUT/node$i" --logfile "$OUT/node$i/log" &
  PIDS+=($!); wait_ping "$port"; nodes+=("127.0.0.1:$port")
done
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$OUT/create.log"
for _ in $(seq 1 300); do
  ok=1
  for node in "${nodes[@]}"; do
    redis-cli -p "${node##*:}" CLUSTER INFO | grep -q cluster_state:ok || ok=0
  done
  [ $ok = 1 ] && break
  sleep 0.2
done
ENDPOINTS[cluster-3-masters]=${nodes[0]}; TOPOLOGY[cluster-3-masters]=Auto
TARGETS=(webfarm-state redis-server cluster-3-masters)

echo "webfarm commit $COMMIT; redis $(redis-server --version | awk '{print $3}'); $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "servers pinned to cpus ${SERVER_CPUS[*]}, driver to cpu $CLIENT_CPU; $WORKERS workers, $BYTES-byte sessions, $SESSIONS sessions, ${SECONDS_PER_RUN} s per run, $ROUNDS rounds"
: >"$OUT/runs"
for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 )); then order=("${TARGETS[@]}"); else order=(cluster-3-masters redis-server webfarm-state); fi
  for target in "${order[@]}"; do
    for op in write read; do
      line=$(taskset -c "$CLIENT_CPU" dotnet "$DRIVER" "${ENDPOINTS[$target]}" "${TOPOLOGY[$target]}" "$op" \
        "$SECONDS_PER_RUN" "$WORKERS" "$BYTES" "$SESSIONS")
      echo "$target $op $round $line" >>"$OUT/runs"
    done
  done
  echo "round $round done; load: $(cut -d' ' -f1-3 /proc/loadavg)"
done

echo
echo "All rounds (target op round ops/s p50_ms p99_ms errors):"
column -t "$OUT/runs"
echo
echo "Best of $ROUNDS rounds (ops/s: higher is better; p99: lower is better):"
echo
echo "| target | op | ops/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|---|"
for target in "${TARGETS[@]}"; do
  for op in write read; do
    awk -v t="$target" -v o="$op" '$1 == t && $2 == o {
        if (rps == "" || $4 > rps) { rps = $4; p50 = $5 }
        if (p99 == "" || $6 < p99) p99 = $6
        errors += $7 }
      END { printf "| %s | %s | %.0f | %.3f | %.3f | %d |\n", t, o, rps, p50, p99, errors }' "$OUT/runs"
  done
done
