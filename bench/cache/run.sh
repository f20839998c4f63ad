#!/usr/bin/env bash
# Response cache benchmark (issue 17): cache hits through `webfarm balancer` (a route with "Cache") against nginx's
# proxy_cache in the same run, each pinned to one core, interleaved rounds (the best round of each is kept); reports
# requests/s, p50, p99 and the proxy's CPU seconds per 100k requests, with ratios against nginx.
#
#   bench/cache/run.sh                               # 3 rounds of webfarm-cache and nginx-cache
#   REPEAT=5 DURATION=10s CONNECTIONS=50 bench/cache/run.sh
#   WEBFARM_DIR=/path/to/published/webfarm bench/cache/run.sh   # skip the Release build
#
# Both caches hold the same one URL: the backends (bench/balancer's three fixed-response nginx server blocks, core 0)
# send no Cache-Control, so both are given a one-hour lifetime for 200s (webfarm "DefaultLifetime": "1h", nginx
# proxy_cache_valid 200 1h), and after the first request every request is a hit: the backends see none. nginx keeps its
# cache in a keys_zone plus files on /dev/shm (memory), so both serve hits from memory. Layout as bench/balancer/run.sh:
# wrk and the backends on core 0, the proxy under test alone on core 1.
set -euo pipefail

CACHE_REPEAT="${REPEAT:-3}"
# bench/balancer/run.sh's helpers (free_port, measure, build_webfarm, start_backends, start_webfarm, report, ...).
# shellcheck source=../balancer/run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../balancer/run.sh"
REPEAT="$CACHE_REPEAT"
CACHE_TARGETS="${CACHE_TARGETS:-webfarm-cache nginx-cache}"

run_webfarm_cache() {
  CONFIG_EXTRA='
  "Routes": [ { "Farm": "bench", "Cache": { "DefaultLifetime": "1h" } } ],'
  start_webfarm webfarm-cache
  CONFIG_EXTRA=
  local xcache
  xcache="$(curl -s -o /dev/null -D - "http://127.0.0.1:$WEBFARM_PORT/" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-cache" {print $2}')"
  [[ "$xcache" == HIT ]] || { log "webfarm-cache: second request was not a hit (X-Cache: $xcache)"; return 1; }
  measure webfarm-cache "http://127.0.0.1:$WEBFARM_PORT/" "$WEBFARM_PID"
  stop_process "$WEBFARM_PID"
}

run_nginx_cache() {
  local port; port=$(free_port)
  local dir; dir="$(mktemp -d /dev/shm/webfarm-bench-nginx-cache.XXXXXX)"
  nginx_proxy_conf "$WORK/nginx-cache" "$port" "
  proxy_cache_path $dir levels=1:2 keys_zone=bench:10m max_size=64m inactive=1h use_temp_path=off;" "
      proxy_cache bench;
      proxy_cache_valid 200 1h;
      proxy_cache_lock on;
      add_header X-Cache \$upstream_cache_status;"
  taskset -c "$PROXY_CPU" nginx -p "$WORK/nginx-cache" -c "$WORK/nginx-cache/nginx.conf" -e "$WORK/nginx-cache/error.log" &
  local pid=$!
  PIDS+=("$pid")
  wait_http "http://127.0.0.1:$port/" || { cat "$WORK/nginx-cache/error.log" >&2; return 1; }
  local xcache
  xcache="$(curl -s -o /dev/null -D - "http://127.0.0.1:$port/" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-cache" {print $2}')"
  [[ "$xcache" == HIT ]] || { log "nginx-cache: second request was not a hit (X-Cache: $xcache)"; return 1; }
  measure nginx-cache "http://127.0.0.1:$port/" "$pid"
  stop_process "$pid"
  rm -rf "$dir"
}

cache_main() {
  install_missing
  : >"$WORK/rows"
  build_webfarm
  start_backends
  local round target
  for ((round = 1; round <= REPEAT; round++)); do
    for target in $CACHE_TARGETS; do
      case "$target" in
        webfarm-cache) run_webfarm_cache ;;
        nginx-cache) run_nginx_cache ;;
        *) log "unknown target $target"; return 2 ;;
      esac
    done
  done
  best_rows >"$WORK/best"
  local stamp file
  stamp="$(date -u +%Y%m%d-%H%M%S)"
  mkdir -p "$RESULTS_DIR"
  file="$RESULTS_DIR/cache-$stamp.md"
  {
    echo "# Cache benchmark $stamp UTC"
    echo
    echo "Command: \`REPEAT=$REPEAT DURATION=$DURATION CONNECTIONS=$CONNECTIONS bench/cache/run.sh\`"
    echo "Load: \`taskset -c $LOAD_CPU wrk -t1 -c$CONNECTIONS -d$DURATION --latency\` (after a $WARMUP warm-up); proxies on core $PROXY_CPU."
    echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo); $(uname -sr). $(nginx -v 2>&1)."
    echo
    echo "| target | requests/s | p50 ms | p99 ms | requests | errors | proxy CPU s / 100k req | req/s vs nginx | CPU vs nginx |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk '{ line[NR] = $0; rps[$1] = $2; cpu[$1] = $7 }
      END {
        for (i = 1; i <= NR; i++) {
          split(line[i], f, " ")
          r = (rps["nginx-cache"] > 0) ? sprintf("%.2fx", f[2] / rps["nginx-cache"]) : "-"
          c = (cpu["nginx-cache"] > 0 && f[7] != "-") ? sprintf("%.2fx", f[7] / cpu["nginx-cache"]) : "-"
          printf "| %s | %.0f | %.2f | %.2f | %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], f[4], f[5], f[6], f[7], r, c
        }
      }' "$WORK/best"
    echo
    echo "Every round (requests/s, CPU s / 100k):"
    awk '{ r[$1] = r[$1] sprintf(" %.0f (%s)", $2, $7); if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
         END { for (i = 1; i <= n; i++) printf "- %s:%s\n", order[i], r[order[i]] }' "$WORK/rows"
  } >"$file"
  cat "$file"
  log "written to $file"
}

cache_main "$@"
