#!/usr/bin/env bash
# Compression CPU per MB (issue 17): .NET's gzip (zlib) and Brotli encoders, the ones the balancer uses, at each
# level on one pinned core, over a web-like corpus from the repository (the dashboard's script and style sheet, two
# docs pages as HTML-like text) and a generated JSON API answer. Prints a Markdown table for docs/benchmarks.md.
#
#   bench/compress/run.sh
#   SECONDS_PER_LEVEL=5 CPU=1 bench/compress/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CPU="${CPU:-1}"
WORK="$(mktemp -d /tmp/webfarm-compress.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

cp "$ROOT/src/WebFarm.Balancer/Dashboard/Assets/dashboard.js" "$ROOT/src/WebFarm.Balancer/Dashboard/Assets/dashboard.css" \
  "$ROOT/docs/architecture.md" "$ROOT/docs/configuration.md" "$WORK/"
python3 - "$WORK/api.json" <<'PY'
import json, random, sys
random.seed(17)
items = [{"id": i, "name": f"server-{i}", "address": f"http://10.0.{i // 250}.{i % 250}:5000", "state": random.choice(["Online", "Draining", "Offline"]),
          "healthy": random.random() > 0.1, "weight": random.randint(1, 100), "inFlight": random.randint(0, 50),
          "responseTimeMs": round(random.uniform(0.5, 80), 2)} for i in range(1500)]
json.dump({"farm": "web", "servers": items}, open(sys.argv[1], "w"), indent=2)
PY

export SECONDS_PER_LEVEL="${SECONDS_PER_LEVEL:-3}"
# One core, as the balancer's data plane in the proxy benchmarks (bench/balancer/run.sh).
DOTNET_PROCESSOR_COUNT=1 DOTNET_gcServer=0 taskset -c "$CPU" dotnet run -c Release "$ROOT/bench/compress/CpuPerMb.cs" -- "$WORK"/*
