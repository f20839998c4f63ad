#!/usr/bin/env bash
# Smoke test of a Native AOT webfarm binary (build/package.sh --aot runs it on what it built; docs/packaging.md):
# the things that break when a build drops code the program reaches only through reflection.
#   --version; `balancer --check` on build/etc/balancer.json; a balancer proxying a GET to a backend (python3's
#   http.server) and answering its admin API (/api/farms: source-generated JSON) and saving servers.json after a
#   drain; `state` answering PING and SET/GET (redis-cli); `controller` refusing with its reason.
#
# build/aot-smoke.sh PATH/TO/webfarm
set -euo pipefail
binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "aot-smoke: FAILED: $*" >&2; for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_for SECONDS COMMAND...: until the command succeeds, at most SECONDS.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

"$binary" --version | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+' || fail "--version"
"$binary" balancer --check --config "$repo/build/etc/balancer.json" >"$work/check.log" 2>&1 || fail "balancer --check build/etc/balancer.json"

backend=$(free_port); listen=$(free_port); admin=$(free_port)
mkdir -p "$work/www" && echo "hello from the backend" >"$work/www/index.html"
python3 -m http.server "$backend" --bind 127.0.0.1 --directory "$work/www" >"$work/backend.log" 2>&1 &
pids+=($!)
cat >"$work/balancer.json" <<CONF
{
  "Listen": [ "http://127.0.0.1:$listen" ],
  "Admin": { "Listen": "http://127.0.0.1:$admin" },
  "StateDirectory": "$work/state",
  "Farms": { "web": { "Servers": [ { "Name": "web1", "Address": "http://127.0.0.1:$backend" } ] } }
}
CONF
"$binary" balancer --config "$work/balancer.json" >"$work/balancer.log" 2>&1 &
pids+=($!)
wait_for 60 curl -fsS "http://127.0.0.1:$backend/" || fail "the backend did not start"
wait_for 60 curl -fsS "http://127.0.0.1:$listen/" || fail "the balancer did not proxy a request"
[ "$(curl -fsS "http://127.0.0.1:$listen/")" = "hello from the backend" ] || fail "the proxied answer is not the backend's"
curl -fsS "http://127.0.0.1:$admin/api/farms" | grep -q '"state":"online"' || fail "GET /api/farms (admin JSON)"
curl -fsS -X POST "http://127.0.0.1:$admin/api/farms/web/servers/web1/drain" | grep -q '"state":"draining"' || fail "POST .../drain"
grep -q '"state": "Draining"' "$work/state/servers.json" || fail "servers.json after the drain"

state=$(free_port)
"$binary" state --port "$state" >"$work/state.log" 2>&1 &
pids+=($!)
wait_for 60 redis-cli -p "$state" PING || fail "state did not start"
[ "$(redis-cli -p "$state" PING)" = PONG ] || fail "state PING"
redis-cli -p "$state" SET smoke yes >/dev/null && [ "$(redis-cli -p "$state" GET smoke)" = yes ] || fail "state SET/GET"

if "$binary" controller --listen "http://127.0.0.1:$(free_port)" --balancer-listen "http://127.0.0.1:$(free_port)" --data-dir "$work/controller" >"$work/controller.log" 2>&1; then
  fail "controller started in the Native AOT build"
fi
grep -q "Native AOT build" "$work/controller.log" || fail "controller refused without its reason"
echo "aot-smoke: $binary passed (version, balancer --check, proxy, admin API, servers.json, state, controller refusal)"
