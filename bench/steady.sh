#!/usr/bin/env bash
# Two gateway checks the hit benchmark does not make (see bench/README.md, "Memory over a minute, and the miss path"):
#   1. memory over a long run: 64 connections read the 5 MiB Completed body for DURATION seconds (60) while the
#      gateway's resident set is sampled every 5 s; steady state means the samples stop growing.
#   2. the miss path: p50 latency of one connection reading a Pending job (2 KiB, never cached, so every read goes
#      upstream) through the gateway, against the same reads sent straight to the stand-in, alternating ROUNDS (3) times.
# Usage: bench/steady.sh        (DURATION=60 ROUNDS=3)
# Needs: .NET 10 SDK, python3, curl, wrk. Everything on 127.0.0.1; every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-60}"; ROUNDS="${ROUNDS:-3}"
KEY="bench-team-gateway-key-0001"
work="$(mktemp -d)"; pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
. bench/lib.sh
rss_mib() { awk '/^VmRSS/{printf "%.0f", $2/1024}' "/proc/$1/status"; }
p50_ms() {  # wrk --latency output -> p50 in ms
  awk '$1=="50%"{v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; print v}'
}

dotnet build Gateway.sln -c Release -nologo -v quiet >/dev/null
standin=$(free_port); gateway=$(free_port)
dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:$standin" >"$work/standin.log" 2>&1 &
standin_pid=$!; pids+=($standin_pid)
( cd src/Gateway/bin/Release/net10.0 && ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  Upstream__BaseUrl="http://127.0.0.1:$standin" Upstream__ApiKey=stand-in-key Auth__ClientKeys__bench="$KEY" Jobs__UnownedJobs=Shared \
  Upstream__JobPollsPerSecond=100000 Upstream__RequestsPerSecond=100000 \
  exec dotnet Gateway.dll --urls "http://127.0.0.1:$gateway" ) >"$work/gateway.log" 2>&1 &
gateway_pid=$!; pids+=($gateway_pid)
wait_http "http://127.0.0.1:$standin/version" "$standin_pid" "$work/standin.log" -H "Authorization: Bearer stand-in-key"
wait_http "http://127.0.0.1:$gateway/healthz" "$gateway_pid" "$work/gateway.log"
auth=(-H "Authorization: Bearer $KEY")

echo "## Memory: 5 MiB hits, 64 connections, ${DURATION}s"
echo
curl -s -o /dev/null "${auth[@]}" "http://127.0.0.1:$gateway/job/done-5m"
echo "RSS before load: $(rss_mib $gateway_pid) MiB"
wrk -t2 -c64 -d"${DURATION}s" --timeout 30s "${auth[@]}" "http://127.0.0.1:$gateway/job/done-5m" >"$work/wrk-5m.txt" &
load=$!
samples=()
for ((t = 5; t <= DURATION; t += 5)); do sleep 5; samples+=("$(rss_mib $gateway_pid)"); done
wait $load
echo "RSS every 5 s (MiB): ${samples[*]}"
echo "peak RSS (VmHWM): $(awk '/^VmHWM/{printf "%.0f", $2/1024}' /proc/$gateway_pid/status) MiB"
grep -E "Requests/sec|requests in|Non-2xx|Socket errors" "$work/wrk-5m.txt" | sed 's/^ */wrk: /'
echo
echo "## Miss path: Pending 2 KiB job, one connection, p50 latency"
echo
pending="pending-2k-steady"
for ((r = 1; r <= ROUNDS; r++)); do
  direct=$(wrk -t1 -c1 -d5s --latency -H "Authorization: Bearer stand-in-key" "http://127.0.0.1:$standin/job/$pending" | p50_ms)
  through=$(wrk -t1 -c1 -d5s --latency "${auth[@]}" "http://127.0.0.1:$gateway/job/$pending" | p50_ms)
  python3 -c "import sys; d,g=float(sys.argv[1]),float(sys.argv[2]); print(f'round {sys.argv[3]}: stand-in direct {d:.3f} ms, through the gateway {g:.3f} ms, added {g-d:.3f} ms')" "$direct" "$through" "$r"
done
echo
echo "Reads of the Pending job the stand-in saw, direct and through the gateway (a Pending job is never cached): $(curl -s "http://127.0.0.1:$standin/_standin/stats?job=$pending" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("jobReads", d))' 2>/dev/null || echo n/a)"
