#!/usr/bin/env bash
# Two builds of the gateway, A and B, side by side in front of one stand-in: cache-hit requests per second and p99 for
# each size, alternating A and B ROUNDS times so drift hits them alike. For "did this change cost the hit path
# anything": A is an older tree's Release build (git worktree add /tmp/a <rev>; dotnet build -c Release there).
# Usage: bench/ab.sh <A build dir> [B build dir]   (B: this tree's Release build; DURATION=5 ROUNDS=3 SIZES="2k 64k"
#        CONNECTIONS=64 GZIP=0)
# Needs: .NET 10 SDK, python3, curl, wrk. Everything on 127.0.0.1; every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-5}"; ROUNDS="${ROUNDS:-3}"; SIZES="${SIZES:-2k 64k}"; CONNECTIONS="${CONNECTIONS:-64}"; GZIP="${GZIP:-0}"
KEY="bench-team-gateway-key-0001"
work="$(mktemp -d)"; pids=()
. bench/lib.sh
cleanup() { stop_pids; rm -rf "$work"; }
trap cleanup EXIT

[ $# -ge 1 ] || { echo "usage: bench/ab.sh <A build dir> [B build dir]" >&2; exit 2; }
dotnet build Gateway.sln -c Release -nologo -v quiet >/dev/null
a_dir="$(realpath "$1")"; b_dir="$(realpath "${2:-src/Gateway/bin/Release/net10.0}")"
standin=$(free_port)
dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:$standin" >"$work/standin.log" 2>&1 &
standin_pid=$!; pids+=($standin_pid)
wait_http "http://127.0.0.1:$standin/version" "$standin_pid" "$work/standin.log" -H "Authorization: Bearer stand-in-key"

started_port=""
start() {  # name dir: starts it in this shell (so its pid is stopped on exit) and sets started_port
  local port; port=$(free_port)
  # Jobs__UnownedJobs is passed only to builds that know it (an older one would refuse an unknown setting).
  local extra=(); grep -q "UnownedJobs" "$2/Gateway.dll" && extra=(Jobs__UnownedJobs=Shared)
  ( cd "$2" && env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    Upstream__BaseUrl="http://127.0.0.1:$standin" Upstream__ApiKey=stand-in-key Auth__ClientKeys__bench="$KEY" "${extra[@]}" \
    Upstream__JobPollsPerSecond=100000 Upstream__RequestsPerSecond=100000 \
    dotnet Gateway.dll --urls "http://127.0.0.1:$port" ) >"$work/$1.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$port/healthz" "$!" "$work/$1.log"
  started_port="$port"
}
start a "$a_dir"; a="$started_port"
start b "$b_dir"; b="$started_port"
headers=(-H "Authorization: Bearer $KEY"); [ "$GZIP" = 1 ] && headers+=(-H "Accept-Encoding: gzip")

run() {  # port job -> "req/s p99ms"
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "${headers[@]}" "http://127.0.0.1:$1/job/$2" | awk '
    function ms(v) { if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 } if (v ~ /ms$/) { sub(/ms$/, "", v); return v } sub(/s$/, "", v); return v * 1000 }
    $1 == "Requests/sec:" { rps = $2 } $1 == "99%" { p99 = ms($2) } END { printf "%.0f %.2f", rps, p99 }'
}

echo "| size | round | A req/s | B req/s | B/A | A p99 ms | B p99 ms |"
echo "|---|---|---|---|---|---|---|"
for size in $SIZES; do
  job="done-$size-ab"
  for port in "$a" "$b"; do curl -sf -o /dev/null "${headers[@]}" "http://127.0.0.1:$port/job/$job"; done
  for ((r = 1; r <= ROUNDS; r++)); do
    read -r ar ap <<<"$(run "$a" "$job")"
    read -r br bp <<<"$(run "$b" "$job")"
    python3 -c "import sys; s,r,ar,br,ap,bp=sys.argv[1:]; print(f'| {s} | {r} | {ar} | {br} | {float(br)/float(ar):.2f} | {ap} | {bp} |')" "$size" "$r" "$ar" "$br" "$ap" "$bp"
  done
done
