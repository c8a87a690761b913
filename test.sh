#!/usr/bin/env bash
# Runs the whole test suite. The suite starts its own redis-server instances (single, Cluster with redis-cli, Sentinel),
# drives the official TypeScript SDK with node, the operations page with Chromium, and a Prometheus with promtool, so
# those are installed first when missing: with apt-get when running as root on Debian/Ubuntu, otherwise this says
# what to install and stops. Extra arguments go to `dotnet test` (e.g. --filter Name~Redis).
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
{ command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; } || missing+=(nodejs npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
{ command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing+=(prometheus)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} (needed by the test suite)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "The test suite needs ${missing[*]} on PATH. Install them (Debian/Ubuntu: sudo apt-get install -y ${missing[*]}) and run ./test.sh again." >&2
    exit 1
  fi
fi
echo "$(redis-server --version | cut -d' ' -f1-3); node $(node --version)"

# Every test host watches its settings files and the suite runs many hosts at once: past the 128 inotify instances
# many kernels allow a user, hosts fail to start. Raised where this may (root, a writable /proc/sys).
if [ "$(id -u)" -eq 0 ] && [ "$(sysctl -n fs.inotify.max_user_instances 2>/dev/null || echo 1024)" -lt 1024 ]; then
  sysctl -qw fs.inotify.max_user_instances=1024 2>/dev/null || true
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test Gateway.sln "$@" 2>&1 | tee "$log" || status=$?
# The runner's result line restated in the plain "N passed, N failed" form.
sed -nE 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\2 passed, \1 failed, \3 skipped/p' "$log" | tail -n 1
exit "$status"
