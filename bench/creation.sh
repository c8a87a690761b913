#!/usr/bin/env bash
# What the gateway adds to a job creation: p50 and p99 latency of POST /parse_async on one connection, straight to the
# stand-in and through the gateway (which checks the body's references, scans the answer for its job_id and records
# the owner in Redis before the answer's last byte), alternating ROUNDS (3) times, with Redis and without.
# Usage: bench/creation.sh [gateway build dir]   (ROUNDS=3 SECONDS_PER=5; default: this tree's Release build)
#        REUSE=1 turns Teams:bench:ReuseCompletedJobs on: every creation then also computes its reuse key and looks it
#        up (none is found: no job here is read to completion), which is what reuse adds to a creation it cannot reuse.
#        Pass another tree's src/Gateway/bin/Release/net10.0 to compare two builds on the same machine.
# Needs: .NET 10 SDK, python3, curl, wrk, redis-server. Everything on 127.0.0.1; every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${ROUNDS:-3}"; SECONDS_PER="${SECONDS_PER:-5}"; REUSE="${REUSE:-0}"
KEY="bench-team-gateway-key-0001"
work="$(mktemp -d)"; pids=()
. bench/lib.sh
cleanup() { stop_pids; rm -rf "$work"; }
trap cleanup EXIT

dotnet build Gateway.sln -c Release -nologo -v quiet >/dev/null
gateway_dir="$(realpath "${1:-src/Gateway/bin/Release/net10.0}")"
standin=$(free_port); redis=$(free_port)
dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:$standin" >"$work/standin.log" 2>&1 &
standin_pid=$!; pids+=($standin_pid)
redis-server --port "$redis" --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$standin/version" "$standin_pid" "$work/standin.log" -H "Authorization: Bearer stand-in-key"

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"input":"https://example.com/document.pdf","settings":{"page_range":{"start":1,"end":4}}}'
wrk.headers["Content-Type"] = "application/json"
LUA
latency() {  # url auth-header -> "p50 p99" in ms
  wrk -t1 -c1 -d"${SECONDS_PER}s" --latency -s "$work/post.lua" -H "$2" "$1" | awk '
    function ms(v) { if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 } if (v ~ /ms$/) { sub(/ms$/, "", v); return v } sub(/s$/, "", v); return v * 1000 }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) } END { printf "%.3f %.3f", p50, p99 }'
}

for redis_setting in "127.0.0.1:$redis" ""; do
  gateway=$(free_port)
  ( cd "$gateway_dir" && ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    Upstream__BaseUrl="http://127.0.0.1:$standin" Upstream__ApiKey=stand-in-key Auth__ClientKeys__bench="$KEY" \
    Upstream__RequestsPerSecond=100000 ConnectionStrings__Redis="$redis_setting" \
    Teams__bench__ReuseCompletedJobs="$([[ $REUSE == 1 ]] && echo true || echo false)" \
    exec dotnet Gateway.dll --urls "http://127.0.0.1:$gateway" ) >"$work/gateway.log" 2>&1 &
  gateway_pid=$!
  wait_http "http://127.0.0.1:$gateway/healthz" "$gateway_pid" "$work/gateway.log"
  echo "## POST /parse_async, one connection, ${SECONDS_PER}s per measurement, Redis: ${redis_setting:-none}, reuse: $([[ $REUSE == 1 ]] && echo on || echo off)"
  for ((r = 1; r <= ROUNDS; r++)); do
    read -r d50 d99 <<<"$(latency "http://127.0.0.1:$standin/parse_async" "Authorization: Bearer stand-in-key")"
    read -r g50 g99 <<<"$(latency "http://127.0.0.1:$gateway/parse_async" "Authorization: Bearer $KEY")"
    python3 -c "import sys; d50,d99,g50,g99=map(float,sys.argv[1:5]); print(f'round {sys.argv[5]}: stand-in p50 {d50:.3f} ms p99 {d99:.3f} ms; through the gateway p50 {g50:.3f} ms p99 {g99:.3f} ms; added p50 {g50-d50:.3f} ms')" "$d50" "$d99" "$g50" "$g99" "$r"
  done
  stop "$gateway_pid"
  echo
done
echo "Creations the stand-in counted: $(curl -s -H 'Authorization: Bearer stand-in-key' "http://127.0.0.1:$standin/_standin/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("creations"))')"
