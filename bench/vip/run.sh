#!/usr/bin/env bash
# Takeover time of the balancer pair on a virtual IP (issue 18, docs/vip.md). Two "machines" (network namespaces)
# on one bridge, each running `webfarm balancer` and `webfarm vip` (keepalived); two backends on the host's bridge
# address; the host is the client. A client loop opens a new connection per request (curl, 1 s connect limit)
# to the virtual address; the active node is broken and the time from the break to the first successful request
# is reported, with the requests that failed in between. Two ways to break it, TRIALS times each:
#   balancer: kill -9 the active balancer process (keepalived's track script notices: FAULT, priority-0 advert)
#   machine:  kill -9 the active balancer and its keepalived (the peer notices the missing adverts)
# Needs root (namespaces), keepalived and curl.
#
#   bench/vip/run.sh
#   TRIALS=5 NET=7 bench/vip/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TRIALS="${TRIALS:-3}"
NET="${NET:-8}"                       # 10.(240+NET).0.0/24 and namespace prefix wfvb$NET-
P="wfvb${NET}-"
SUB="10.$((240 + NET)).0"
VIP="$SUB.200"
PORT=8000
ADMIN=8001
WORK="$(mktemp -d /tmp/webfarm-vip.XXXXXX)"
PIDS=()

log() { printf '[vip %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
now_ms() { date +%s%3N; }

teardown_net() {
  local ns pid
  for ns in $(ip netns list | awk '{print $1}' | grep "^$P" || true); do
    for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del "${P}br" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  teardown_net
  if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

log "building (Release)"
dotnet build "$ROOT/src/WebFarm/WebFarm.csproj" -c Release -nologo -v q >/dev/null
dotnet build "$ROOT/tests/WebFarm.TestBackend/WebFarm.TestBackend.csproj" -c Release -nologo -v q >/dev/null
WEBFARM="$ROOT/src/WebFarm/bin/Release/net10.0/webfarm.dll"
BACKEND="$ROOT/tests/WebFarm.TestBackend/bin/Release/net10.0/WebFarm.TestBackend.dll"

teardown_net
ip link add "${P}br" type bridge && ip addr add "$SUB.1/24" dev "${P}br" && ip link set "${P}br" up
for n in 1 2; do
  ip netns add "${P}m$n"
  ip link add "${P}h$n" type veth peer name "${P}n$n" netns "${P}m$n"
  ip link set "${P}h$n" master "${P}br" && ip link set "${P}h$n" up
  ip -n "${P}m$n" addr add "$SUB.$((n + 1))/24" dev "${P}n$n"
  ip -n "${P}m$n" link set "${P}n$n" up && ip -n "${P}m$n" link set lo up
done

for n in 1 2; do
  port=$((9100 + NET * 10 + n))
  dotnet "$BACKEND" --name "web$n" --bind "$SUB.1" --port "$port" > "$WORK/backend$n.log" 2>&1 < /dev/zero &
  PIDS+=($!)
done
cat > "$WORK/farm.json" <<JSON
{
  "Listen": [ "http://0.0.0.0:$PORT" ],
  "Admin": { "Listen": "http://127.0.0.1:$ADMIN" },
  "StateDirectory": null,
  "Farms": { "web": { "Affinity": { "Mode": "Cookie", "Key": "$(head -c 32 /dev/urandom | base64)" },
    "Servers": [ { "Name": "web1", "Address": "http://$SUB.1:$((9101 + NET * 10))" }, { "Name": "web2", "Address": "http://$SUB.1:$((9102 + NET * 10))" } ] } }
}
JSON

declare -A BAL VIPPID
start_balancer() { # $1 machine
  ip netns exec "${P}m$1" dotnet "$WEBFARM" balancer --config "$WORK/farm.json" > "$WORK/balancer$1.log" 2>&1 &
  BAL[$1]=$!; PIDS+=($!)
  until curl -fs -o /dev/null --max-time 1 "http://$SUB.$(($1 + 1)):$PORT/"; do sleep 0.2; done
}
start_vip() { # $1 machine, $2 priority
  local other=$((3 - $1))
  ip netns exec "${P}m$1" dotnet "$WEBFARM" vip --vip "$VIP/24" --interface "${P}n$1" --router-id 52 --priority "$2" \
    --peer "$SUB.$((other + 1))" --track "http://127.0.0.1:$ADMIN" --data-dir "$WORK/vip$1" >> "$WORK/vip$1.log" 2>&1 &
  VIPPID[$1]=$!; PIDS+=($!)
}
holds() { ip -n "${P}m$1" -o -4 addr show dev "${P}n$1" | grep -q " $VIP/"; }
wait_holder() { local t=0; until holds "$1"; do sleep 0.1; t=$((t + 1)); [[ $t -lt 300 ]] || { log "machine $1 never took $VIP"; exit 1; }; done; }

# One trial: the pair is up with machine $active holding the address; break it ($1 = balancer|machine) and measure.
trial() {
  local how=$1 active=$2 standby=$((3 - $2)) kill_ms first_ms=0 failed=0 code t
  for _ in 1 2 3 4 5; do curl -fs -o /dev/null --max-time 1 "http://$VIP:$PORT/"; done
  kill_ms=$(now_ms)
  kill -9 "${BAL[$active]}"
  if [[ $how == machine ]]; then
    kill -9 "${VIPPID[$active]}"
    for pid in $(ip netns pids "${P}m$active"); do kill -9 "$pid" 2>/dev/null || true; done
    ip -n "${P}m$active" link set "${P}n$active" down   # the machine is gone from the network, address and all
  fi
  for _ in $(seq 1 3000); do   # bounded: at most 3000 requests or 60 s
    code=$(curl -s -o /dev/null -w '%{http_code}' --connect-timeout 1 --max-time 2 -H 'Connection: close' "http://$VIP:$PORT/" || true)
    t=$(now_ms)
    if [[ $code == 200 ]]; then first_ms=$t; break; fi
    failed=$((failed + 1))
    (( t - kill_ms < 60000 )) || break
    sleep 0.02
  done
  (( first_ms > 0 )) || { log "no request passed within 60 s"; exit 1; }
  holds "$standby" || { log "machine $standby does not hold the address"; exit 1; }
  printf '%-8s trial: first request after the kill at %5d ms, %d failed before it\n' "$how" $((first_ms - kill_ms)) "$failed"
  echo "$how $((first_ms - kill_ms)) $failed" >> "$WORK/results"
}

for n in 1 2; do start_balancer "$n"; done
start_vip 1 150; wait_holder 1; start_vip 2 100; sleep 2
active=1
for how in balancer machine; do
  for i in $(seq 1 "$TRIALS"); do
    trial "$how" "$active"
    # Bring the broken machine back (as BACKUP: nopreempt) for the next trial, which breaks the new active one.
    broken=$active; active=$((3 - active))
    if [[ $how == machine ]]; then
      ip -n "${P}m$broken" addr del "$VIP/24" dev "${P}n$broken" 2>/dev/null || true
      ip -n "${P}m$broken" link set "${P}n$broken" up
    fi
    start_balancer "$broken"
    [[ $how == machine ]] && start_vip "$broken" 100
    sleep 4
  done
done

log "results (ms from kill -9 to the first successful new connection):"
awk '{ n[$1]++; s[$1]+=$2; if (!($1 in mn) || $2<mn[$1]) mn[$1]=$2; if ($2>mx[$1]) mx[$1]=$2; f[$1]+=$3 }
     END { for (k in n) printf "  %-8s %d trials: mean %d ms, min %d, max %d; %d requests failed in all\n", k, n[k], s[k]/n[k], mn[k], mx[k], f[k] }' "$WORK/results"
