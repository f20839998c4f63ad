#!/usr/bin/env bash
# Deploy benchmark (issue 15, first part): a controller and three agents (separate `webfarm` processes on
# loopback), HelloFarm published with `dotnet publish -c Release` as release 1, then release 2 differing in one
# file (appsettings.json). Reports, per release: the time from `webfarm deploy` starting until all three agents
# hold it complete (upload + install; polled every 50 ms from GET /api/apps/hello/releases), and the bytes moved
# (from GET /api/transfer: uploaded to the controller, and sent to the agents).
# Then the rolling deployment: the app `hello` (no command: it runs its releases) is added, release 3 is rolled out
# (its first instances), and under `wrk` load (64 keep-alive connections, GET / through the controller's balancer)
# release 4 is deployed (rolling, batch 1) and then rolled back to 3; reports the wall time of each command and the
# requests that failed during it (non-2xx/3xx answers and socket errors; the goal is 0).
#
#   bench/deploy/run.sh
#   AGENTS=3 KEEP=1 bench/deploy/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
AGENTS="${AGENTS:-3}"
WORK="$(mktemp -d /tmp/webfarm-deploy.XXXXXX)"
PIDS=()

log() { printf '[deploy %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }

log "building (Release) and publishing HelloFarm"
dotnet build "$ROOT/src/WebFarm/WebFarm.csproj" -c Release -nologo -v q >/dev/null
dotnet publish "$ROOT/samples/HelloFarm/HelloFarm.csproj" -c Release -o "$WORK/hello" -nologo -v q >/dev/null
WEBFARM=(dotnet "$ROOT/src/WebFarm/bin/Release/net10.0/webfarm.dll")

API_PORT="$(free_port)"; LB_PORT="$(free_port)"; STATE_PORT="$(free_port)"
"${WEBFARM[@]}" state --port "$STATE_PORT" >"$WORK/state.log" 2>&1 &
PIDS+=($!)
API="http://127.0.0.1:$API_PORT"
"${WEBFARM[@]}" controller --data-dir "$WORK/controller" --listen "$API" --balancer-listen "http://127.0.0.1:$LB_PORT" --state-endpoint "127.0.0.1:$STATE_PORT" >"$WORK/controller.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do curl -sf "$API/api/agents" >/dev/null && break; sleep 0.1; done

for i in $(seq 1 "$AGENTS"); do
  token="$("${WEBFARM[@]}" agents token --controller "$API")"
  "${WEBFARM[@]}" agent --controller "$API" --name "web$i" --address "http://127.0.1.$i:1" --data-dir "$WORK/agent$i" --join-token "$token" >"$WORK/agent$i.log" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 1 300); do
  [[ "$(curl -sf "$API/api/agents" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" == "$AGENTS" ]] && break
  sleep 0.1
done

transfer() { curl -sf "$API/api/transfer"; }
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
installed_on() {
  curl -sf "$API/api/apps/hello/releases" | python3 -c "
import json,sys
for r in json.load(sys.stdin):
    if r['id'] == int(sys.argv[1]): print(len(r['installedOn'])); break
else: print(0)" "$1"
}

deploy() { # $1 = release id, $2 = message
  local before after start uploaded done_ms
  before="$(transfer)"
  start="$(now_ms)"
  "${WEBFARM[@]}" deploy hello "$WORK/hello" --message "$2" --controller "$API" >&2
  uploaded="$(now_ms)"
  for _ in $(seq 1 2400); do [[ "$(installed_on "$1")" == "$AGENTS" ]] && break; sleep 0.05; done
  [[ "$(installed_on "$1")" == "$AGENTS" ]] || { log "release $1 not on all agents"; tail -5 "$WORK"/agent*.log; exit 1; }
  done_ms="$(now_ms)"
  after="$(transfer)"
  local files bytes
  files="$(find "$WORK/hello" -type f | wc -l)"; bytes="$(find "$WORK/hello" -type f -printf "%s\n" | awk "{ s += \$1 } END { print s }")"
  printf '| %s | %s files, %s bytes | %s | %s | %s ms | %s ms |\n' "$1" "$files" "$bytes" \
    "$(( $(field "$after" bytesReceived) - $(field "$before" bytesReceived) )) B in $(( $(field "$after" blobsReceived) - $(field "$before" blobsReceived) )) files" \
    "$(( $(field "$after" bytesSent) - $(field "$before" bytesSent) )) B in $(( $(field "$after" blobsSent) - $(field "$before" blobsSent) )) files" \
    "$(( uploaded - start ))" "$(( done_ms - start ))"
}

echo "| release | package | uploaded to the controller | sent to the $AGENTS agents | deploy command (incl. CLI start) | until on all $AGENTS agents |"
echo "|---|---|---:|---:|---:|---:|"
deploy 1 "HelloFarm as published"
python3 - "$WORK/hello/appsettings.json" <<'PY'
import json, sys
path = sys.argv[1]
settings = json.load(open(path))
settings["ReleaseNote"] = "release 2: one changed file"
json.dump(settings, open(path, "w"), indent=2)
PY
deploy 2 "one file changed"

# Each agent has its own loopback address (127.0.1.N), so each runs its instances on ports 5000-5009 of its own.
rolling() { # $1 = label, then the webfarm command; prints one table row
  local label="$1"; shift
  wrk -t2 -c64 -d600s --timeout 10s "http://127.0.0.1:$LB_PORT/" >"$WORK/wrk.out" 2>&1 &
  local wrk_pid=$!
  sleep 3
  local start end
  start="$(now_ms)"
  "${WEBFARM[@]}" "$@" --controller "$API" >"$WORK/rolling.out" 2>&1 || { log "$label failed"; cat "$WORK/rolling.out" >&2; kill -INT "$wrk_pid"; exit 1; }
  end="$(now_ms)"
  sleep 2
  kill -INT "$wrk_pid"; wait "$wrk_pid" || true
  local requests errors non2xx
  requests="$(awk '/requests in/ { print $1 }' "$WORK/wrk.out")"
  non2xx="$(awk '/Non-2xx or 3xx responses/ { print $NF }' "$WORK/wrk.out")"
  errors="$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$WORK/wrk.out")"
  printf '| %s | %s ms | %s | %s |\n' "$label" "$(( end - start ))" "${requests:-0}" "$(( ${non2xx:-0} + ${errors:-0} ))"
}

echo
log "rolling deployment: app hello runs its releases"
"${WEBFARM[@]}" apps add hello --ports 5000-5009 --controller "$API" >&2
set_label() { python3 - "$WORK/hello/appsettings.json" "$1" <<'PY'
import json, sys
settings = json.load(open(sys.argv[1]))
settings["HelloFarm"] = {"Release": sys.argv[2]}
json.dump(settings, open(sys.argv[1], "w"), indent=2)
PY
}
set_label v3
"${WEBFARM[@]}" deploy hello "$WORK/hello" --controller "$API" >&2
set_label v4
echo "| rolling over $AGENTS servers (batch 1, under wrk -c64) | wall time of the command | requests during it | failed requests |"
echo "|---|---:|---:|---:|"
rolling "deploy release 4 (upload of one file + roll)" deploy hello "$WORK/hello"
rolling "rollback to release 3 (no transfer)" rollback hello
