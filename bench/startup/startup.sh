#!/usr/bin/env bash
# Start-up benchmark (issue 19): time from exec to the first proxied request answered 200, and idle resident memory
# (VmRSS) SETTLE seconds later, of `webfarm balancer` shipped three ways:
#   single-file   the self-contained single file build/package.sh makes (default)
#   r2r           the same, published with ReadyToRun (build/package.sh --ready-to-run)
#   dll           `dotnet webfarm.dll`: the framework-dependent build (src/WebFarm/bin/Release/net10.0)
#
#   bench/startup/startup.sh SINGLE_FILE_DIR R2R_DIR [RUNS]
# SINGLE_FILE_DIR and R2R_DIR hold a published `webfarm` (the tarballs' contents); the dll build must exist
# (dotnet build src/WebFarm -c Release). Each variant runs RUNS times (default 5), interleaved; the median is
# printed. The backend is nginx serving a static page; the balancer has one farm with active health checks off, so
# the first request is proxied as soon as the listener accepts.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
single="${1:?single-file directory}"
r2r="${2:?ReadyToRun directory}"
runs="${3:-5}"
settle="${SETTLE:-5}"
work="$(mktemp -d)"
nginx_pid=""
cleanup() {
  [ -z "$nginx_pid" ] || kill "$nginx_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

backend_port="$(free_port)"
mkdir -p "$work/www" "$work/nginx"
echo ok > "$work/www/index.html"
cat > "$work/nginx/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:$backend_port; root $work/www; }
}
NGINX
nginx -c "$work/nginx/nginx.conf" &
nginx_pid=$!
until curl -sf "http://127.0.0.1:$backend_port/" >/dev/null; do sleep 0.05; done

measure() { # variant -> "ms rss_kib"
  local variant="$1" port config pid start_ns end_ns rss
  port="$(free_port)"
  config="$work/farm-$port.json"
  printf '{ "Listen": ["http://127.0.0.1:%s"], "Admin": { "Listen": "" }, "StateDirectory": "", "Farms": { "web": { "Servers": [ { "Name": "web1", "Address": "http://127.0.0.1:%s" } ] } } }\n' "$port" "$backend_port" > "$config"
  start_ns="$(date +%s%N)"
  case "$variant" in
    single-file) "$single/webfarm" balancer --config "$config" >/dev/null 2>&1 & ;;
    r2r) "$r2r/webfarm" balancer --config "$config" >/dev/null 2>&1 & ;;
    dll) dotnet "$repo/src/WebFarm/bin/Release/net10.0/webfarm.dll" balancer --config "$config" >/dev/null 2>&1 & ;;
  esac
  pid=$!
  # Bounded: 60 s at most, then the run counts as failed.
  for _ in $(seq 1 12000); do
    if curl -sf -o /dev/null "http://127.0.0.1:$port/"; then break; fi
    sleep 0.005
  done
  end_ns="$(date +%s%N)"
  sleep "$settle"
  rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")"
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  echo "$(((end_ns - start_ns) / 1000000)) $rss"
}

declare -A times rsses
for _ in $(seq 1 "$runs"); do
  for variant in single-file r2r dll; do
    read -r ms rss < <(measure "$variant")
    times[$variant]+="$ms "
    rsses[$variant]+="$rss "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '| variant | size | first proxied request (median of %s) | idle RSS after %s s |\n|---|---|---|---|\n' "$runs" "$settle"
for variant in single-file r2r dll; do
  case "$variant" in
    single-file) size="$(du -sh --apparent-size "$single" | cut -f1)" ;;
    r2r) size="$(du -sh --apparent-size "$r2r" | cut -f1)" ;;
    dll) size="$(du -sh --apparent-size "$repo/src/WebFarm/bin/Release/net10.0" | cut -f1) + the shared runtime" ;;
  esac
  printf '| %s | %s | %s ms | %s MiB |\n' "$variant" "$size" "$(echo "${times[$variant]}" | median)" \
    "$(echo "${rsses[$variant]}" | median | awk '{ printf "%.1f", $1 / 1024 }')"
done
