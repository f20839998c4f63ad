#!/usr/bin/env bash
# Deploy benchmark (issue 15, first part): a controller and three agents (separate `webfarm` processes on
# loopback), HelloFarm published with `dotnet publish -c Release` as release 1, then release 2 differing in one
# file (appsettings.json). Reports, per release: the time from `webfarm deploy` starting until all three agents
# hold it complete (upload + install; polled every 50 ms from GET /api/apps/hello/releases), and the bytes moved
# (from GET /api/transfer: uploaded to the controller, and sent to the agents).
# The rolling restart of instances (and failed requests during it) is not built yet: see docs/deployments.md.
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

API_PORT="$(free_port)"; LB_PORT="$(free_port)"
API="http://127.0.0.1:$API_PORT"
"${WEBFARM[@]}" controller --data-dir "$WORK/controller" --listen "$API" --balancer-listen "http://127.0.0.1:$LB_PORT" >"$WORK/controller.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do curl -sf "$API/api/agents" >/dev/null && break; sleep 0.1; done

for i in $(seq 1 "$AGENTS"); do
  token="$("${WEBFARM[@]}" agents token --controller "$API")"
  "${WEBFARM[@]}" agent --controller "$API" --name "web$i" --address "http://127.0.0.1:$((20000 + i))" --data-dir "$WORK/agent$i" --join-token "$token" >"$WORK/agent$i.log" 2>&1 &
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
