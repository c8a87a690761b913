#!/usr/bin/env bash
# Many running jobs at once: 2,000 distinct jobs, each polled plainly about 5 times a second, through 3 gateway
# processes sharing one redis-server. What reaches the upstream per second, and how a shared running answer's latency
# compares with a terminal hit's under the same load. See bench/README.md ("Many running jobs").
#
#   bench/manyjobs.sh                       2,000 jobs, 10,000 requests/s for 20 s, running jobs then terminal ones
#   JOBS=200 RATE=1000 DURATION=10 bench/manyjobs.sh     smoke run
#
# Knobs: JOBS (2000), RATE (requests/s in all, 10000), DURATION (s, 20), CONNECTIONS (per gateway, 100),
# WINDOW (Jobs:PendingFreshness, 00:00:01). The deployment's Upstream:JobPollsPerSecond stays at its default (150).
# Needs: .NET 10 SDK, python3, curl, wrk and redis-server (Debian packages wrk, redis-server).
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS="${JOBS:-2000}"; RATE="${RATE:-10000}"; DURATION="${DURATION:-20}"; CONNECTIONS="${CONNECTIONS:-100}"
WINDOW="${WINDOW:-00:00:01}"
KEY="bench-team-gateway-key-0001"

case "${1:-}" in -h|--help) sed -n '2,11p' "$0"; exit 0 ;; "") ;; *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;; esac
for tool in dotnet python3 curl wrk redis-server; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y wrk redis-server)" >&2; exit 1; }
done

out="bench/out/manyjobs-$(date -u +%Y%m%dT%H%M%SZ)"   # logs and raw wrk output (bench/out is git-ignored)
mkdir -p "$out"
. bench/lib.sh
pids=()
trap 'stop_pids' EXIT

echo "Building Release..."
dotnet build Gateway.sln -c Release -nologo -v quiet >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log" >&2; exit 1; }

redis_port=$(free_port); standin_port=$(free_port); gateway_ports=("$(free_port)" "$(free_port)" "$(free_port)")
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$out/redis.log" 2>&1 &
pids+=("$!")
dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:$standin_port" >"$out/standin.log" 2>&1 &
standin_pid=$!; pids+=("$standin_pid")
gateway_pids=()
for i in 0 1 2; do
  ( cd src/Gateway/bin/Release/net10.0 && exec env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
      Upstream__BaseUrl="http://127.0.0.1:$standin_port" Upstream__ApiKey=stand-in-key Auth__ClientKeys__bench="$KEY" Jobs__UnownedJobs=Shared \
      ConnectionStrings__Redis="127.0.0.1:$redis_port" Cache__InstanceName="manyjobs:" Jobs__PendingFreshness="$WINDOW" \
      dotnet Gateway.dll --urls "http://127.0.0.1:${gateway_ports[$i]}" ) >"$out/gateway-$i.log" 2>&1 &
  gateway_pids+=("$!"); pids+=("$!")
done
wait_http "http://127.0.0.1:$standin_port/_standin/stats" "$standin_pid" "$out/standin.log"
for i in 0 1 2; do wait_http "http://127.0.0.1:${gateway_ports[$i]}/readyz" "${gateway_pids[$i]}" "$out/gateway-$i.log"; done

upstream_requests() { curl -sf "http://127.0.0.1:$standin_port/_standin/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }

# One wrk per gateway, each starting at a different place in the cycle; the stand-in's request count sampled every
# second meanwhile, for the busiest second.
load() {  # name prefix
  local name="$1" prefix="$2" i wrk_pids=() delay
  delay=$((CONNECTIONS * 3 * 1000 / RATE))
  local before; before=$(upstream_requests)
  ( while sleep 1; do echo "$(date +%s.%N) $(upstream_requests)"; done ) >"$out/$name-upstream-per-second.txt" 2>/dev/null &
  local sampler=$!
  for i in 0 1 2; do
    PREFIX="$prefix" JOBS="$JOBS" OFFSET=$((i * JOBS / 3)) DELAY="$delay" KEY="$KEY" \
      wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s bench/manyjobs/poll.lua "http://127.0.0.1:${gateway_ports[$i]}" \
      >"$out/$name-wrk-$i.txt" 2>&1 &
    wrk_pids+=("$!")
  done
  for i in 0 1 2; do wait "${wrk_pids[$i]}"; done
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  local after; after=$(upstream_requests)
  python3 - "$name" "$before" "$after" "$DURATION" "$out" <<'PY'
import re, sys
name, before, after, duration, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
rows = []
for i in range(3):
    text = open(f"{out}/{name}-wrk-{i}.txt").read()
    m = re.search(r"RESULT requests=(\d+) p50_us=(\d+) p90_us=(\d+) p99_us=(\d+) max_us=(\d+) statuses=(\S*)", text)
    rows.append(m.groups())
# (time, count) about once a second; each step's rate is its own count over its own length (the stand-in does not
# count its stats requests).
samples = [(float(t), int(c)) for t, c in (line.split() for line in open(f"{out}/{name}-upstream-per-second.txt") if line.strip())]
steps = [round((c2 - c1) / (t2 - t1)) for (t1, c1), (t2, c2) in zip(samples, samples[1:])]
requests = sum(int(r[0]) for r in rows)
statuses = {}
for r in rows:
    for part in filter(None, r[5].split(",")):
        code, n = part.rsplit("=", 1)
        statuses[code] = statuses.get(code, 0) + int(n)
upstream = (after - before) / duration
print(f"| {name} | {requests / duration:,.0f} | {upstream:,.1f} | {max(steps) if steps else 0} | "
      + " / ".join(f"{int(r[2]) / 1000:.2f}" for r in rows) + " | "
      + " / ".join(f"{int(r[3]) / 1000:.2f}" for r in rows) + " | "
      + ", ".join(f"{n:,}× {c}" for c, n in sorted(statuses.items())) + " |")
PY
}

{
  echo "# Many running jobs: $JOBS jobs, about $RATE polls/s through 3 gateways ($(date -u +%F))"
  echo
  echo "Command: \`JOBS=$JOBS RATE=$RATE DURATION=$DURATION CONNECTIONS=$CONNECTIONS WINDOW=$WINDOW bench/manyjobs.sh\`"
  echo "($(nproc) cores, .NET SDK $(dotnet --version), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'))."
  echo
  echo "| load | polls/s answered | upstream GET /job per s (mean) | busiest second (reads/s) | p90 ms per gateway | p99 ms per gateway | answers (status:Cache-Status) |"
  echo "|---|---:|---:|---:|---:|---:|---|"
} >"$out/report.md"

# Every job is read once just before its load (spread over several seconds by the upstream budget), so the load
# starts on warm entries: terminal jobs are then all hits, and running ones begin inside their windows, which lapse
# during the load as spread out as the warm-up was.
warm() {  # name prefix
  local name="$1" prefix="$2" n
  for ((n = 0; n < JOBS; n++)); do
    echo "url = \"http://127.0.0.1:${gateway_ports[$((n % 3))]}/job/$prefix$n\""; echo "output = /dev/null"
  done >"$out/$name-warm.curl"
  curl -s --no-progress-meter --parallel --parallel-max 8 -H "Authorization: Bearer $KEY" -w '%{http_code}\n' -K "$out/$name-warm.curl" |
    sort | uniq -c >"$out/$name-warm-statuses.txt"
  echo "$name warm-up (count status): $(tr -s ' \n' ' ' <"$out/$name-warm-statuses.txt")"
}

terminal="done-many-$RANDOM-"; running="pending-many-$RANDOM-"
warm "terminal" "$terminal"
load "terminal" "$terminal" >>"$out/report.md"
warm "running" "$running"
load "running" "$running" >>"$out/report.md"

report="bench/results/$(date -u +%F)-manyjobs.md"
[ ! -e "$report" ] || report="bench/results/$(date -u +%F)-manyjobs-$(date -u +%H%M%S).md"
cp "$out/report.md" "$report"
cat "$report"
echo
echo "Written to $report (raw wrk output in $out/)"
