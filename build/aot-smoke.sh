#!/usr/bin/env bash
# Smoke test of a Native AOT webfarm binary (build/package.sh --aot runs it on what it built; docs/packaging.md):
# the things that break when a build drops code the program reaches only through reflection.
#   --version; `balancer --check` on build/etc/balancer.json; a balancer proxying a GET to a backend (python3's
#   http.server) and answering its admin API (/api/farms: source-generated JSON) and saving servers.json after a
#   drain; `state` answering PING and SET/GET (redis-cli); a `controller` on its SQLite store answering its API (the
#   leader, a join token, an app added, stored and read back, availability, deployments, `apps list --controller`)
#   and, where the PostgreSQL server is installed, on a scratch PostgreSQL (an app added and read back after a
#   restart); and `webfarm up` (the README's first command, run from this checkout: it builds samples/HelloFarm in
#   Release there, as `up` does) serving a page through its balancer, with `servers list` and `ps --controller`
#   answering.
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

controller=$(free_port)
"$binary" controller --listen "http://127.0.0.1:$controller" --balancer-listen "http://127.0.0.1:$(free_port)" --data-dir "$work/controller" >"$work/controller.log" 2>&1 &
pids+=($!)
api="http://127.0.0.1:$controller/api"
wait_for 60 curl -fsS "$api/controller" || fail "controller did not start"
curl -fsS "$api/controller" | grep -q '"role":"leader"' || fail "GET /api/controller (the leader)"
curl -fsS -X POST "$api/agents/tokens" | grep -q '"token":"' || fail "POST /api/agents/tokens"
[ "$(curl -fsS "$api/agents")" = "[]" ] || fail "GET /api/agents"
curl -fsS -X POST -H 'Content-Type: application/json' -d '{"name":"smoke","command":"/bin/true","ports":"5000","environment":{"K":"v"}}' "$api/apps" \
  | grep -q '"name":"smoke"' || fail "POST /api/apps"
curl -fsS "$api/apps/smoke?showSecrets=true" | grep -q '"environment":{"K":"v"}' || fail "GET /api/apps/smoke (the stored app read back)"
curl -fsS "$api/availability" | grep -q '"subjects":\[' || fail "GET /api/availability"
[ "$(curl -fsS "$api/deployments")" = "[]" ] || fail "GET /api/deployments"
"$binary" apps list --controller "http://127.0.0.1:$controller" | grep -q smoke || fail "apps list --controller"

# The PostgreSQL store, when this machine has the server (Debian's postgresql package): a scratch cluster of our own,
# a controller on it adding an app, and a second start reading the app back from the store.
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | head -1 || true)"
if [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ]; then
  as_postgres=()
  [ "$(id -u)" = 0 ] && as_postgres=(runuser -u postgres --)
  # Its own directory: initdb refuses root, and the postgres user cannot enter $work (mode 0700, ours).
  pg_dir="$(mktemp -d)"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$pg_dir"
  pg_port=$(free_port)
  "${as_postgres[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --no-sync >"$work/initdb.log" 2>&1 || fail "initdb"
  "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 60 \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" start >"$work/pg_ctl.log" 2>&1 || fail "PostgreSQL did not start"
  stop_postgres() { "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
  trap 'cleanup; stop_postgres' EXIT
  pg_controller() { # starts a controller on the scratch PostgreSQL; its pid in $pg_pid
    "$binary" controller --listen "http://127.0.0.1:$pg_api" --balancer-listen "http://127.0.0.1:$(free_port)" --data-dir "$work/pg-controller" \
      --store "postgres://postgres@127.0.0.1:$pg_port/postgres" >>"$work/pg-controller.log" 2>&1 &
    pg_pid=$!
    pids+=("$pg_pid")
    wait_for 60 curl -fsS "http://127.0.0.1:$pg_api/api/controller" || fail "controller on PostgreSQL did not start"
  }
  pg_api=$(free_port)
  pg_controller
  curl -fsS -X POST -H 'Content-Type: application/json' -d '{"name":"pgsmoke","command":"/bin/true","ports":"5000"}' "http://127.0.0.1:$pg_api/api/apps" \
    | grep -q '"name":"pgsmoke"' || fail "POST /api/apps on PostgreSQL"
  kill "$pg_pid" && wait "$pg_pid" 2>/dev/null || true
  pg_controller
  curl -fsS "http://127.0.0.1:$pg_api/api/apps" | grep -q '"name":"pgsmoke"' || fail "the app read back from PostgreSQL after a restart"
  kill "$pg_pid" && wait "$pg_pid" 2>/dev/null || true
  stores="SQLite and PostgreSQL"
else
  echo "aot-smoke: no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): the PostgreSQL store is not checked" >&2
  stores="SQLite"
fi

read -r port admin state controller < <(python3 -c "import socket
s=[socket.socket() for _ in range(4)]
[x.bind(('127.0.0.1',0)) for x in s]
print(' '.join(str(x.getsockname()[1]) for x in s))")
(cd "$repo" && exec "$binary" up --servers 2 --port "$port" --admin-port "$admin" --state-port "$state" --controller-port "$controller") >"$work/up.log" 2>&1 &
pids+=($!)
# The first start builds samples/HelloFarm (dotnet build), hence the long bound.
wait_for 300 curl -fsS "http://127.0.0.1:$port/" || fail "webfarm up served no page"
# The page is served as soon as one server is ready; web2 may still be starting, so wait for both to be listed.
servers_listed() {
  "$binary" servers list --controller "http://127.0.0.1:$controller" >"$work/servers.log" 2>&1 &&
    grep -q web1 "$work/servers.log" && grep -q web2 "$work/servers.log"
}
wait_for 120 servers_listed || fail "servers list --controller did not list web1 and web2 within 120 s (its last output: servers.log below)"
"$binary" ps --controller "http://127.0.0.1:$controller" -o json | grep -q '"healthy": *true' || fail "ps --controller"
echo "aot-smoke: $binary passed (version, balancer --check, proxy, admin API, servers.json, state, controller on $stores, up)"
