#!/usr/bin/env bash
# Redis outage under load: 32 connections read a mix of cached and Pending jobs through the gateway (Redis cache)
# for three phases: Redis up, Redis stopped, Redis restarted. Reports errors and latency per phase, and how long
# after the restart the gateway stores in Redis again. Everything runs on 127.0.0.1 and stops by itself.
# Usage: bench/redis-outage.sh            (PHASE=10 seconds per phase; CONNECTIONS=32)
set -euo pipefail
cd "$(dirname "$0")/.."
PHASE="${PHASE:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
KEY="bench-team-gateway-key-0001"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
wait_http() { for _ in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

dotnet build Gateway.sln -c Release -nologo -v quiet >/dev/null
standin_port=$(free_port); gateway_port=$(free_port); redis_port=$(free_port)

dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:$standin_port" >"$work/standin.log" 2>&1 &
pids+=($!)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
redis_pid=$!; pids+=($redis_pid)
( cd src/Gateway/bin/Release/net10.0 && ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  Upstream__BaseUrl="http://127.0.0.1:$standin_port" Upstream__ApiKey=stand-in-key Auth__ClientKeys__bench="$KEY" Jobs__UnownedJobs=Shared \
  Upstream__JobPollsPerSecond=100000 Upstream__RequestsPerSecond=100000 ConnectionStrings__Redis="127.0.0.1:$redis_port" \
  exec dotnet Gateway.dll --urls "http://127.0.0.1:$gateway_port" ) >"$work/gateway.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$gateway_port/healthz"

cat >"$work/mix.lua" <<LUA
-- three cached reads for every Pending read (always forwarded)
local paths = { "/job/done-2k", "/job/done-64k", "/job/failed-bench", "/job/pending-bench" }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], { ["Authorization"] = "Bearer $KEY" })
end
LUA
for p in done-2k done-64k failed-bench; do curl -s -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$gateway_port/job/$p"; done

run_phase() {
  wrk -t2 -c"$CONNECTIONS" -d"${PHASE}s" --latency -s "$work/mix.lua" "http://127.0.0.1:$gateway_port" >"$work/$1.txt" 2>&1
}
summary() {
  local f="$work/$1.txt"
  local rps p50 p99 non2xx sockerr
  rps=$(awk '/Requests\/sec/ {print $2}' "$f")
  p50=$(awk '$1=="50%" {print $2}' "$f")
  p99=$(awk '$1=="99%" {print $2}' "$f")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$f"); non2xx=${non2xx:-0}
  sockerr=$(awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10}' "$f"); sockerr=${sockerr:-0}
  echo "| $1 | $rps | $p50 | $p99 | $non2xx | $sockerr |"
}

PHASE=5 run_phase warmup
run_phase before
kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
run_phase during
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >>"$work/redis.log" 2>&1 &
redis_pid=$!; pids+=($redis_pid)
restarted=$(date +%s.%N)
recovered=""
for i in $(seq 1 400); do
  status=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$gateway_port/job/done-recovery-$i" | tr -d '\r' | awk -F': ' 'tolower($1)=="cache-status" {print $2}')
  if [ "$status" = "Gateway; fwd=uri-miss; stored" ]; then recovered=$(date +%s.%N); break; fi
  sleep 0.05
done
run_phase after

echo "Redis outage under load: $CONNECTIONS connections, ${PHASE} s per phase, 3 cached reads : 1 Pending read; $(date -u +%F)"
echo
echo "| phase | req/s | p50 | p99 | non-2xx | socket errors |"
echo "|---|---|---|---|---|---|"
summary before; summary during; summary after
echo
if [ -n "$recovered" ]; then
  echo "Stored in Redis again $(python3 -c "print(round($recovered - $restarted, 2))") s after redis-server restarted (Cache:RedisRetryInterval is 5 s)."
else
  echo "Not stored in Redis again within 20 s of the restart."
fi
grep -E "Cache unavailable|Cache available" "$work/gateway.log" | sed 's/^/gateway log: /' | head -4 || true
