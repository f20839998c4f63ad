#!/usr/bin/env bash
# Runs the whole test suite. Installs what the tests need first (Debian packages, NuGet restore),
# so that it works on a fresh machine: the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")"

# Real peers the tests drive: redis-cli/redis-benchmark/redis-server, PostgreSQL; `ip` (iproute2) for the
# controller tests' network namespaces, `nft` (nftables) to cut a machine off inside its namespace; Debian's chromium
# for the dashboard's browser tests (Playwright drives it by ExecutablePath and downloads no browser); openssl
# (s_client), curl and h2load (nghttp2-client) for the https listener tests; nginx as the peer that parses the PROXY
# protocol header of TCP farms (TcpProxyProtocolTests); systemd for `systemd-analyze verify` of the shipped units;
# keepalived for the balancer pair on a virtual IP (`webfarm vip`, VipPairTests, KeepalivedConfigTests).
packages=(redis-server redis-tools postgresql iproute2 nftables chromium openssl curl nghttp2-client nginx systemd keepalived)
missing=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

dotnet restore WebFarm.slnx
dotnet build WebFarm.slnx -c Release --no-restore
# One test project at a time: the suite uses real servers and timeouts, and this machine has 2 cores.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test WebFarm.slnx -c Release --no-build -m:1 "$@" 2>&1 | tee "$log" || status=$?
# One closing line for the whole suite, summed over the test projects' own summaries.
awk '/^(Passed|Failed)! +- +Failed:/ { gsub(",", ""); failed += $4; passed += $6; skipped += $8 }
     END { printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped }' "$log"
exit "$status"
