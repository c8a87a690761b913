#!/usr/bin/env bash
# A running job's shared answer against a terminal hit of the same size, on one gateway in one run: wrk polls one
# Completed 2 KiB job, then one Pending 2 KiB job (shared for Jobs:PendingFreshness, 1 s, and read again from the
# stand-in when that lapses), alternating, each ROUNDS times; once with the gateway on a private redis-server (every
# shared answer then waits for its Redis look, see src/Gateway/Jobs/README.md), once the same with the direct path
# off (Server:DirectHits=false: every answer through Kestrel's HTTP layer, as before running answers were direct),
# and once without Redis. Reports req/s,
# p50/p99, the shared answers' ratio to the hits', how many of them the direct path gave, and the upstream reads.
#
#   bench/shared.sh                          DURATION=10 s per wrk run, ROUNDS=3, CONNECTIONS=64, WARMUP=3 s of each first
#   DURATION=2 ROUNDS=1 bench/shared.sh      smoke run
#
# Needs: .NET 10 SDK, python3, curl, wrk, redis-server (Debian packages wrk, redis-server). Every process started here
# is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10}"; ROUNDS="${ROUNDS:-3}"; CONNECTIONS="${CONNECTIONS:-64}"; WARMUP="${WARMUP:-3}"
KEY="bench-team-gateway-key-0001"
DONE_ID="done-2k-shared-bench"; PENDING_ID="pending-2k-shared-bench"

case "${1:-}" in -h|--help) sed -n '2,12p' "$0"; exit 0 ;; "") ;; *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;; esac
for tool in dotnet python3 curl wrk redis-server; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y wrk redis-server)" >&2; exit 1; }
done

out="bench/out/shared-$(date -u +%Y%m%dT%H%M%SZ)"   # logs and raw wrk output (bench/out is git-ignored)
mkdir -p "$out"
. bench/lib.sh
pids=()
trap 'stop_pids' EXIT

echo "Building Release..."
dotnet build Gateway.sln -c Release -nologo -v quiet >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log" >&2; exit 1; }

standin_port=$(free_port); redis_port=$(free_port)
dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:$standin_port" >"$out/standin.log" 2>&1 &
standin_pid=$!; pids+=("$standin_pid")
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$out/redis.log" 2>&1 &
pids+=("$!")
wait_http "http://127.0.0.1:$standin_port/_standin/stats" "$standin_pid" "$out/standin.log"

upstream_reads() {  # of one job, at the stand-in
  curl -sf "http://127.0.0.1:$standin_port/_standin/stats?job=$1" | python3 -c 'import json,sys; print(sum(json.load(sys.stdin)["jobReads"].values()))'
}
metric() {  # port name: a counter summed over its series
  curl -sf "http://127.0.0.1:$1/metrics" | awk -v name="$2" '$1 ~ "^"name"({|$)" { n += $NF } END { printf "%d\n", n }'
}

{
  echo "# A running job's shared answer against a terminal hit, 2 KiB, one gateway ($(date -u +%F))"
  echo
  echo "Command: \`DURATION=$DURATION ROUNDS=$ROUNDS CONNECTIONS=$CONNECTIONS bench/shared.sh\`"
  echo "($(nproc) cores, .NET SDK $(dotnet --version), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'))."
  echo "Each round: the hit, then the shared answer, ${DURATION} s of wrk each (2 threads, $CONNECTIONS connections). Direct: the"
  echo "shared answers the direct path gave (\`gateway_direct_hits_total\` moved by the pending run, over its requests)."
  echo
  echo "| cache | round | hit req/s | hit p50 / p99 ms | shared req/s | shared p50 / p99 ms | shared ÷ hit | direct | upstream reads of the running job |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$out/report.md"

wrk_run() {  # port id file
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $KEY" "http://127.0.0.1:$1/job/$2" >"$3" 2>&1
}

for mode in redis pipeline memory; do
  port=$(free_port)
  redis_env=(); [ "$mode" = memory ] || redis_env=("ConnectionStrings__Redis=127.0.0.1:$redis_port" "Cache__InstanceName=shared-$RANDOM:")
  [ "$mode" = pipeline ] && redis_env+=("Server__DirectHits=false")
  ( cd src/Gateway/bin/Release/net10.0 && exec env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
      Upstream__BaseUrl="http://127.0.0.1:$standin_port" Upstream__ApiKey=stand-in-key Auth__ClientKeys__bench="$KEY" Jobs__UnownedJobs=Shared \
      "${redis_env[@]}" dotnet Gateway.dll --urls "http://127.0.0.1:$port" ) >"$out/gateway-$mode.log" 2>&1 &
  gateway_pid=$!; pids+=("$gateway_pid")
  wait_http "http://127.0.0.1:$port/job/$DONE_ID" "$gateway_pid" "$out/gateway-$mode.log" -H "Authorization: Bearer $KEY"
  wait_http "http://127.0.0.1:$port/job/$PENDING_ID" "$gateway_pid" "$out/gateway-$mode.log" -H "Authorization: Bearer $KEY"
  # Unmeasured, so the first round does not pay for the JIT's tiers.
  for id in "$DONE_ID" "$PENDING_ID"; do
    wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -H "Authorization: Bearer $KEY" "http://127.0.0.1:$port/job/$id" >/dev/null 2>&1
  done
  for round in $(seq 1 "$ROUNDS"); do
    wrk_run "$port" "$DONE_ID" "$out/$mode-$round-hit.txt"
    direct_before=$(metric "$port" gateway_direct_hits_total); reads_before=$(upstream_reads "$PENDING_ID")
    wrk_run "$port" "$PENDING_ID" "$out/$mode-$round-shared.txt"
    direct_after=$(metric "$port" gateway_direct_hits_total); reads_after=$(upstream_reads "$PENDING_ID")
    python3 - "$out" "$mode" "$round" "$DURATION" "$((direct_after - direct_before))" "$((reads_after - reads_before))" <<'PY' | tee -a "$out/report.md"
import re, sys
out, mode, round_, duration, direct, reads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])

def parse(kind):
    text = open(f"{out}/{mode}-{round_}-{kind}.txt").read()
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    def ms(p):
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    if re.search(r"Non-2xx or 3xx responses", text):
        raise SystemExit(f"{kind}: wrk saw non-2xx answers:\n{text}")
    return requests / duration, ms(50), ms(99), requests

hit, shared = parse("hit"), parse("shared")
print(f"| {mode} | {round_} | {hit[0]:,.0f} | {hit[1]:.2f} / {hit[2]:.2f} | {shared[0]:,.0f} | {shared[1]:.2f} / {shared[2]:.2f} | "
      f"{shared[0] / hit[0]:.2f} | {direct / shared[3]:.1%} | {reads} ({reads / duration:.1f}/s) |")
PY
  done
  stop "$gateway_pid"; unset 'pids[-1]'
done

# One ratio per gateway over all its rounds (summed requests), steadier than any round's on a machine whose speed drifts.
python3 - "$out/report.md" <<'PY' | tee -a "$out/report.md"
import sys
sums = {}
for line in open(sys.argv[1]):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 9 and cells[1].isdigit():
        hit, shared = sums.get(cells[0], (0, 0))
        sums[cells[0]] = (hit + int(cells[2].replace(",", "")), shared + int(cells[4].replace(",", "")))
print()
print("All rounds, shared ÷ hit over the summed requests: " + ", ".join(f"{mode} {shared / hit:.2f}" for mode, (hit, shared) in sums.items()) + ".")
PY

report="bench/results/$(date -u +%F)-shared.md"
[ ! -e "$report" ] || report="bench/results/$(date -u +%F)-shared-$(date -u +%H%M%S).md"
cp "$out/report.md" "$report"
echo
echo "Written to $report (raw wrk output in $out/)"
