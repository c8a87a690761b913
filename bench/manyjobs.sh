#!/usr/bin/env bash
# Many running jobs at once: 200, 2,000 and 20,000 distinct running jobs, each set polled plainly at about 10,000
# polls/s in all, through 3 gateway processes sharing one redis-server, and through nginx proxy_cache serving stale
# while it refreshes in the background (proxy_cache_valid 200 1s) in front of the same stand-in. A terminal-hit row of
# each (2,000 done jobs) is the reference. Per row: polls answered, 429s, upstream reads per second against the
# deployment's budget (150/s) and by team, the oldest answer served beside its steady-state bound (and the bound at the
# loaded team's own reads), the stale answers served, and
# how late pollers saw jobs that completed during the load, with and without Reducto's webhook. See bench/README.md
# ("Many running jobs").
#
#   bench/manyjobs.sh                                    200, 2,000 and 20,000 jobs, 10,000 polls/s; about 13 min
#   JOB_COUNTS="200 2000" RATE=1000 DURATION=5 bench/manyjobs.sh     smoke run
#
# Each running-job load: every job read once through the budget (warm-up), a pre-load of the same polls (not
# measured) for one refresh period, the measured load, then the same polls on until every tracked job was seen
# Completed. Tracked jobs (after-<n>s-*, polled by bench/CompletionPoll at the load's per-job rate) turn Completed at
# random moments of the measured load; through the gateways half of them have their webhook passed to a gateway.
# Knobs: JOB_COUNTS ("200 2000 20000"), RATE (polls/s in all, 10000), DURATION (s of the measured load, 20),
# CONNECTIONS (per wrk, 100), WINDOW (Jobs:PendingFreshness, 00:00:01), TRACK_EVERY (one tracked job per this many
# running jobs, at least 20 a row; 20), PRELOAD (s, 0 for none; unset: (jobs polled / 150) x 1.2 + 5 through the
# gateways, 5 for nginx), PROBE_MS (poll interval of a tracked job once its webhook has gone to the gateway, 10).
# Upstream:JobPollsPerSecond stays at its default (150): warming N running jobs through the gateways takes N / 150 s,
# and the pre-load a little longer (20,000: 2 min 15 s, then 3 min). Every process started here is stopped on exit.
# Needs: .NET 10 SDK, python3, curl, wrk, redis-server and nginx (Debian packages wrk, redis-server, nginx-light).
set -euo pipefail
cd "$(dirname "$0")/.."

JOB_COUNTS="${JOB_COUNTS:-200 2000 20000}"; RATE="${RATE:-10000}"; DURATION="${DURATION:-20}"; CONNECTIONS="${CONNECTIONS:-100}"
WINDOW="${WINDOW:-00:00:01}"; TRACK_EVERY="${TRACK_EVERY:-20}"; PRELOAD="${PRELOAD:-}"; PROBE_MS="${PROBE_MS:-10}"
KEY="bench-team-gateway-key-0001"
QUIET_KEY="bench-quiet-gateway-key-0002"   # another team, polling a few running jobs of its own beside the load
QUIET_JOBS=10
SECRET="manyjobs-bench-webhook-secret"
BUDGET=150

case "${1:-}" in -h|--help) sed -n '2,23p' "$0"; exit 0 ;; "") ;; *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;; esac
for tool in dotnet python3 curl wrk redis-server nginx; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y wrk redis-server nginx-light)" >&2; exit 1; }
done

out="bench/out/manyjobs-$(date -u +%Y%m%dT%H%M%SZ)"   # logs and raw wrk output (bench/out is git-ignored)
mkdir -p "$out"
run="$(mktemp -d)"                                      # nginx's config, cache, pid and logs
. bench/lib.sh
pids=()
loaders=()      # the wrk processes of the load under way
tracker_pid=""  # the completion tracker, while it runs
stop_loaders() {
  local pid
  for pid in "${loaders[@]}" $tracker_pid; do stop "$pid"; done
  loaders=(); tracker_pid=""
}
trap 'stop_loaders; stop_pids; cp "$run/error.log" "$out/nginx-error.log" 2>/dev/null || true; rm -rf "$run"' EXIT

echo "Building Release (Gateway.sln, bench/CompletionPoll)..."
{ dotnet build Gateway.sln -c Release -nologo -v quiet && dotnet build bench/CompletionPoll -c Release -nologo -v quiet; } >"$out/build.log" 2>&1 ||
  { tail -n 30 "$out/build.log" >&2; exit 1; }

redis_port=$(free_port); standin_port=$(free_port); nginx_port=$(free_port); hook_port=$(free_port)
gateway_ports=("$(free_port)" "$(free_port)" "$(free_port)")
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$out/redis.log" 2>&1 &
pids+=("$!")
# Every after-<n>s-* job's webhook goes to the tracker's relay (listening only while a tracker runs), which passes the
# hooked half on to gateway 0: one stand-in serves the loads with and without the webhook, and both halves share a load.
dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:$standin_port" \
  "--StandIn:WebhookUrl=http://127.0.0.1:$hook_port/webhooks/reducto?secret=$SECRET" >"$out/standin.log" 2>&1 &
standin_pid=$!; pids+=("$standin_pid")
gateway_pids=()
for i in 0 1 2; do
  ( cd src/Gateway/bin/Release/net10.0 && exec env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
      Upstream__BaseUrl="http://127.0.0.1:$standin_port" Upstream__ApiKey=stand-in-key Auth__ClientKeys__bench="$KEY" Auth__ClientKeys__quiet="$QUIET_KEY" Jobs__UnownedJobs=Shared \
      ConnectionStrings__Redis="127.0.0.1:$redis_port" Cache__InstanceName="manyjobs:" Jobs__PendingFreshness="$WINDOW" Webhooks__Secret="$SECRET" \
      dotnet Gateway.dll --urls "http://127.0.0.1:${gateway_ports[$i]}" ) >"$out/gateway-$i.log" 2>&1 &
  gateway_pids+=("$!"); pids+=("$!")
done

# nginx as a team would put it in front of Reducto to serve running jobs: a 1 s freshness, then the stale answer at
# once while one background request refreshes it. Date is the stand-in's, so a cached answer's age can be read.
{ nginx_conf_head "$run" "$standin_port"; cat <<NGINX
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
$(nginx_job_location 'proxy_cache jobs; proxy_cache_valid 200 1s; proxy_cache_use_stale updating; proxy_cache_background_update on; proxy_pass_header Date; add_header X-Cache-Status $upstream_cache_status;')
  }
}
NGINX
} >"$run/nginx.conf"
cp "$run/nginx.conf" "$out/nginx.conf"
nginx -p "$run/" -c "$run/nginx.conf" -e "$run/error.log" >"$out/nginx.log" 2>&1 &
nginx_pid=$!; pids+=("$nginx_pid")

wait_http "http://127.0.0.1:$standin_port/_standin/stats" "$standin_pid" "$out/standin.log"
for i in 0 1 2; do wait_http "http://127.0.0.1:${gateway_ports[$i]}/readyz" "${gateway_pids[$i]}" "$out/gateway-$i.log"; done
wait_http "http://127.0.0.1:$nginx_port/job/done-probe" "$nginx_pid" "$out/nginx.log"

upstream_requests() { curl -sf "http://127.0.0.1:$standin_port/_standin/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
gateway_metrics() {  # the three gateways' /metrics, one after another
  local i; for i in 0 1 2; do curl -sf "http://127.0.0.1:${gateway_ports[$i]}/metrics" || true; done
}
in_flight() {  # refreshes running and refreshes queued, summed over the gateways
  gateway_metrics | awk '/^gateway_stale_refreshes_in_flight/ { n += $NF } /^gateway_refreshes_waiting/ { w += $NF } END { printf "%d %d\n", n, w }'
}
target_url() {  # system i
  if [ "$1" = nginx ]; then echo "http://127.0.0.1:$nginx_port"; else echo "http://127.0.0.1:${gateway_ports[$2]}"; fi
}

# One wrk per gateway (three against nginx), each starting at a different place in the cycle.
start_wrk() {  # system jobs prefix seconds file-stem
  local system="$1" jobs="$2" prefix="$3" seconds="$4" stem="$5" i delay
  delay=$((CONNECTIONS * 3 * 1000 / RATE))
  for i in 0 1 2; do
    PREFIX="$prefix" JOBS="$jobs" OFFSET=$((i * jobs / 3)) DELAY="$delay" KEY="$KEY" \
      wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --timeout 10s -s bench/manyjobs/poll.lua "$(target_url "$system" "$i")" \
      >"$stem-wrk-$i.txt" 2>&1 &
    loaders+=("$!")
  done
}
wait_wrk() {
  local pid
  for pid in "${loaders[@]}"; do wait "$pid"; done
  loaders=()
}

# The measured load, with the stand-in's request count sampled every second meanwhile (for the busiest second) and
# the count and the gateways' metrics taken either side.
measure() {  # system jobs prefix
  local system="$1" jobs="$2" prefix="$3" name="$1-$3" sampler prober=""
  upstream_requests >"$out/$name-upstream-before.txt"; gateway_metrics >"$out/$name-metrics-before.txt"
  ( while sleep 1; do echo "$(date +%s.%N) $(upstream_requests) $(in_flight)"; done ) >"$out/$name-upstream-per-second.txt" 2>/dev/null &
  sampler=$!; pids+=("$sampler")
  date +%s.%N >"$out/$name-measured-from.txt"
  start_wrk "$system" "$jobs" "$prefix" "$DURATION" "$out/$name"
  # Through the gateways, a running load also times the first read of a job nobody has read (one a second, each
  # gateway in turn): it has no answer anywhere, so it waits for a budget slot, which refreshes must not hold up.
  if [ "$system" = gateway ] && [ "${prefix#pending-}" != "$prefix" ]; then
    ( local n=0 until=$(( $(date +%s) + DURATION - 1 ))
      while [ "$(date +%s)" -lt "$until" ]; do
        curl -s -o /dev/null -H "Authorization: Bearer $KEY" -w '%{http_code} %{time_total}\n' \
          "$(target_url gateway $((n % 3)))/job/${prefix}first-$n" || true
        n=$((n + 1)); sleep 1
      done ) >"$out/$name-first-reads.txt" 2>/dev/null &
    prober=$!
  fi
  wait_wrk
  [ -z "$prober" ] || wait "$prober"
  stop "$sampler"; unset 'pids[-1]'
  upstream_requests >"$out/$name-upstream-after.txt"; gateway_metrics >"$out/$name-metrics-after.txt"
  date +%s.%N >"$out/$name-measured-to.txt"
}

# Another team's few running jobs, each polled once a second (the gateways in turn) from the pre-load to the end of the
# measured load, every answer's Age noted: refreshes take turns between teams, so theirs should stay a few seconds
# old however many jobs the loaded team polls.
quiet_probe() {  # prefix file
  local prefix="$1" file="$2" n=0 i
  while true; do
    for ((i = 0; i < QUIET_JOBS; i++)); do
      curl -s -o /dev/null -H "Authorization: Bearer $QUIET_KEY" -w "$(date +%s.%N) %{http_code} %header{age}\n" \
        "$(target_url gateway $((n % 3)))/job/${prefix}quiet-$i" || true
      n=$((n + 1))
    done
    sleep 1
  done >"$file" 2>/dev/null
}

# One row of the main table, and for a running-job load one of the completion table.
terminal_rate=""
row() {  # system jobs prefix label tracked
  local system="$1" jobs="$2" prefix="$3" label="$4" tracked="$5" name="$1-$3"
  python3 - "$name" "$label" "$DURATION" "$out" "$system" "$BUDGET" "${terminal_rate:-0}" "$jobs" "$tracked" "$RATE" <<'PY' | tee -a "$out/report.md"
import json, math, re, sys
name, label, duration, out, system = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
budget, terminal, jobs, tracked, offered = int(sys.argv[6]), float(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9]), int(sys.argv[10])
before, after = (int(open(f"{out}/{name}-upstream-{when}.txt").read()) for when in ("before", "after"))

def by_team(when):  # the three gateways' upstream reads summed, by the team they were charged to
    reads = {}
    for line in open(f"{out}/{name}-metrics-{when}.txt"):
        if line.startswith("gateway_upstream_requests_total"):
            team = re.search(r'team="([^"]+)"', line).group(1)
            reads[team] = reads.get(team, 0) + float(line.split()[-1])
    return reads

def metrics(when):  # the three gateways' stale counters summed: answers, and age buckets by upper bound
    answers, buckets = 0, {}
    for line in open(f"{out}/{name}-metrics-{when}.txt"):
        if line.startswith("gateway_stale_answers_total"):
            answers += float(line.split()[-1])
        elif line.startswith("gateway_stale_answer_age_seconds_bucket"):
            le = re.search(r'le="([^"]+)"', line).group(1)
            buckets[le] = buckets.get(le, 0) + float(line.split()[-1])
    return answers, buckets

def quantile(q, buckets):  # as Prometheus's histogram_quantile: linear within the bucket
    bounds = sorted((float("inf") if le == "+Inf" else float(le), n) for le, n in buckets.items())
    total = bounds[-1][1] if bounds else 0
    if total <= 0:
        return None
    rank, lower, below = q * total, 0.0, 0.0
    for upper, n in bounds:
        if n >= rank:
            return lower if upper == float("inf") else lower + (upper - lower) * (rank - below) / max(n - below, 1e-9)
        lower, below = upper, n
    return lower

quiet_cell = "–"
try:
    start = float(open(f"{out}/{name}-measured-from.txt").read())
    polls = [line.split() for line in open(f"{out}/{name}-quiet.txt") if line.strip()]
    polls = [p for p in polls if start <= float(p[0]) <= start + duration]
    ages = sorted(int(p[2]) if len(p) > 2 and p[2].isdigit() else 0 for p in polls if p[1] == "200")
    failed = sum(p[1] != "200" for p in polls)
    if polls:
        quiet_cell = (f"{ages[(len(ages) - 1) // 2]} / {ages[-1]} s ({len(polls)}" if ages else "none 200 (") + (f", {failed} not 200)" if failed else ")")
except FileNotFoundError:
    pass
first_cell = "–"
try:
    firsts = [line.split() for line in open(f"{out}/{name}-first-reads.txt") if line.strip()]
    times = sorted(float(t) * 1000 for code, t in firsts)
    failed = sum(code != "200" for code, t in firsts)
    if times:
        first_cell = f"{times[(len(times) - 1) // 2]:.0f} / {times[-1]:.0f} ms ({len(times)}" + (f", {failed} not 200)" if failed else ")")
except FileNotFoundError:
    pass
stale_cell = "n/a"
if system != "nginx":
    (a0, b0), (a1, b1) = metrics("before"), metrics("after")
    delta = {le: n - b0.get(le, 0) for le, n in b1.items()}
    p50, p99 = quantile(0.5, delta), quantile(0.99, delta)
    stale_cell = f"{a1 - a0:,.0f}" + (f"; age p50 {p50:.1f} s, p99 {p99:.1f} s" if p50 is not None else "")
rows = []
for i in range(3):
    text = open(f"{out}/{name}-wrk-{i}.txt").read()
    m = re.search(r"RESULT requests=(\d+) p50_us=(\d+) p90_us=(\d+) p99_us=(\d+) max_us=(\d+) max_age_s=(-?\d+) max_overdue_ms=(-?\d+) statuses=(\S*)", text)
    rows.append(m.groups())
# (time, count) about once a second; each step's rate is its own count over its own length (the stand-in does not
# count its stats requests).
lines = [line.split() for line in open(f"{out}/{name}-upstream-per-second.txt") if line.strip()]
samples = [(float(l[0]), int(l[1])) for l in lines]
peak_in_flight = max((int(l[2]) for l in lines if len(l) > 2), default=0)
peak_waiting = max((int(l[3]) for l in lines if len(l) > 3), default=0)
steps = [round((c2 - c1) / (t2 - t1)) for (t1, c1), (t2, c2) in zip(samples, samples[1:])]
requests = sum(int(r[0]) for r in rows)
statuses = {}
for r in rows:
    for part in filter(None, r[7].split(",")):
        code, n = part.rsplit("=", 1)
        statuses[code] = statuses.get(code, 0) + int(n)
rate = requests / duration
throttled = sum(n for c, n in statuses.items() if c.startswith("429"))
upstream = (after - before) / duration
max_age = max(int(r[5]) for r in rows)
overdue = max(int(r[6]) for r in rows)
share = f"{rate / terminal:.0%}" if terminal else "="
# Every polled running job refreshed once per (jobs polled / budget) s, plus the window: the oldest answer a steady
# state allows. Only the gateways have a budget; the tracked jobs are polled running jobs too until they complete.
polled = jobs + tracked
bound = f"{polled / budget + 1:.1f} s" if system != "nginx" and tracked else "–"
# What the budget went to during the load, by team: the loaded team (its refreshes, and one first read a second), the
# other team, and the completion webhooks' reads. And the bound the loaded team's own reads allow: its jobs polled ÷ its
# reads a second from the pre-load's start (over a refresh period before the load) to the load's end, plus the window.
split_cell, own_bound = "–", "–"
if system != "nginx" and tracked:
    b, a = by_team("before"), by_team("after")
    load = {t: (a[t] - b.get(t, 0)) / duration for t in a}
    split_cell = " / ".join(f"{load.get(t, 0):.0f}" for t in ("bench", "quiet", "reducto-webhook"))
    try:
        p = by_team("preload")
        span = float(open(f"{out}/{name}-measured-to.txt").read()) - float(open(f"{out}/{name}-preload-from.txt").read())
        firsts = sum(1 for line in open(f"{out}/{name}-first-reads.txt") if line.strip())
        own = (a.get("bench", 0) - p.get("bench", 0) - firsts) / span
        own_bound = f"{polled / own + 1:.1f} s ({own:.0f}/s)"
    except (FileNotFoundError, ZeroDivisionError):
        pass
print(f"| {label} | {rate:,.0f} | {share} | {throttled:,} | {upstream:,.1f} ({upstream / budget:.1f}×), {max(steps) if steps else 0} | "
      + (f"{max_age} s" if max_age >= 0 else "–") + f" | {bound} | {own_bound} | {split_cell} | " + (f"{overdue / 1000:.1f} s" if overdue >= 0 else "–") + " | "
      + stale_cell + " | " + (f"{peak_in_flight:,} / {peak_waiting:,}" if system != "nginx" else "n/a") + " | "
      + " / ".join(f"{int(r[2]) / 1000:.1f}" for r in rows) + " | " + first_cell + " | " + quiet_cell + " | "
      + ", ".join(f"{n:,}× {c}" for c, n in sorted(statuses.items())) + " |")
with open(f"{out}/{name}-rate.txt", "w") as f:
    f.write(f"{rate}\n")
if not tracked:
    sys.exit()

def duration_text(ms):
    return f"{ms:,.0f} ms" if ms < 1000 else f"{ms / 1000:,.1f} s"

def seen_cell(summary):
    if summary["jobs"] == 0:
        return "n/a"
    cell = " / ".join(duration_text(summary[k]) for k in ("p50Ms", "p99Ms", "maxMs")) if summary["seen"] else "none seen"
    missing = summary["jobs"] - summary["seen"]
    return cell + (f" ({missing} of {summary['jobs']} never seen)" if missing else "")

result = json.load(open(f"{out}/{name}-completion.json"))
measured_from = float(open(f"{out}/{name}-measured-from.txt").read())
completed = [j["completesAt"] / 1000 - measured_from for j in result["jobs"] if j["completesAt"] is not None]
when = f"{min(completed):.1f} to {max(completed):.1f} s" if completed else "–"
every = jobs * 1000 / offered
plain, hooked = result["plain"], result["hooked"]
plain_target = f"{polled / budget + 1 + every / 1000:.1f} s" if system != "nginx" else "–"
# The stand-in's own delay in sending the notice is part of the seen figure; shown apart, as it is not the gateway's.
notices = sorted(j["notifiedMs"] for j in result["jobs"] if j["hooked"] and j["notifiedMs"] is not None)
rank = lambda q: notices[max(0, math.ceil(q * len(notices)) - 1)]
notice_cell = f"{duration_text(rank(0.5))} / {duration_text(rank(0.99))}" if notices else "n/a"
# What is left once the notice is in: the relay's pass to gateway 0, its read, the news reaching the replica polled.
after = sorted(j["seenMs"] - j["notifiedMs"] for j in result["jobs"]
               if j["hooked"] and j["notifiedMs"] is not None and j["seenMs"] is not None)
rank_after = lambda q: after[max(0, math.ceil(q * len(after)) - 1)]
after_cell = " / ".join(duration_text(v) for v in (rank_after(0.5), rank_after(0.99), after[-1])) if after else "n/a"
with open(f"{out}/completion.md", "a") as f:
    f.write(f"| {label} | {plain['jobs']} + {hooked['jobs']} | {when} | {duration_text(every)} | {seen_cell(plain)} | {plain_target} | "
            + (f"{seen_cell(hooked)} | 100 ms | {notice_cell} | {after_cell} |" if hooked["jobs"] else "n/a | – | n/a | n/a |") + "\n")
PY
}

# Every job is read once just before its load (through the gateways spread over N / 150 s by the upstream budget), so
# the load starts on warm entries: terminal jobs are then all hits, and running ones begin inside or just past their
# windows, which lapse as spread out as the warm-up was.
warm() {  # system jobs prefix
  local system="$1" jobs="$2" prefix="$3" n
  for ((n = 0; n < jobs; n++)); do
    echo "url = \"$(target_url "$system" $((n % 3)))/job/$prefix$n\""; echo "output = /dev/null"
  done >"$out/$system-$prefix-warm.curl"
  curl -s --no-progress-meter --parallel --parallel-max 8 -H "Authorization: Bearer $KEY" -w '%{http_code}\n' -K "$out/$system-$prefix-warm.curl" |
    sort | uniq -c >"$out/$system-$prefix-warm-statuses.txt"
  echo "$system $prefix warm-up (count status): $(tr -s ' \n' ' ' <"$out/$system-$prefix-warm-statuses.txt")" >&2
}

terminal_load() {  # system jobs prefix label
  warm "$1" "$2" "$3"
  measure "$1" "$2" "$3"
  row "$1" "$2" "$3" "$4" 0
  [ "$1" != gateway ] || terminal_rate=$(cat "$out/$1-$3-rate.txt")
}

# A running-job load. After the warm-up the answers' ages are spread over the warm-up's length, not yet the steady
# state of refreshes ordered oldest first under load; the pre-load runs the same polls for one refresh period (the
# measured refresh rate stays a little under the budget, hence the fifth more) so the measured load starts there.
# The tracked jobs are polled from the pre-load on and turn Completed during the measured load (a second in, since
# the first reads start a little after the pre-load); the polls go on after it until each was seen Completed, since
# one completing in its last second may take a whole refresh period to be seen.
running_load() {  # system jobs label
  local system="$1" jobs="$2" label="$3" prefix="pending-many-$RANDOM-" tracked plain hooked every preload deadline targets quiet_pid
  local name="$1-$prefix" hook_to=()
  tracked=$((jobs / TRACK_EVERY)); [ "$tracked" -ge 20 ] || tracked=20
  every=$(python3 -c "print($jobs * 1000 / $RATE)")
  if [ "$system" = nginx ]; then
    plain=$tracked; hooked=0; targets="http://127.0.0.1:$nginx_port"
  else
    hooked=$((tracked / 2)); plain=$((tracked - hooked))
    targets="http://127.0.0.1:${gateway_ports[0]},http://127.0.0.1:${gateway_ports[1]},http://127.0.0.1:${gateway_ports[2]}"
    hook_to=(--hook-to "http://127.0.0.1:${gateway_ports[0]}/webhooks/reducto?secret=$SECRET")
  fi
  if [ -n "$PRELOAD" ]; then preload=$PRELOAD
  elif [ "$system" = nginx ]; then preload=5   # no budget: nginx refreshes every expired job, so one poll cycle settles it
  else preload=$(python3 -c "import math; print(math.ceil(($jobs + $tracked) / $BUDGET * 1.2) + 5)"); fi
  # Room for the slowest completion the target allows, twice over; the tracker normally ends long before.
  deadline=$(python3 -c "print(round($preload + $DURATION + 2 * (($jobs + $tracked) / $BUDGET + 1 + $every / 1000) + 30))")

  warm "$system" "$jobs" "$prefix"
  echo "$label: pre-load $preload s, measured $DURATION s, then on until $tracked tracked jobs are seen Completed (at most $deadline s in all)" >&2
  dotnet bench/CompletionPoll/bin/Release/net10.0/CompletionPoll.dll --targets "$targets" --standin "http://127.0.0.1:$standin_port" \
    --key "$KEY" --tag "track-$system-$RANDOM" --plain "$plain" --hooked "$hooked" --every-ms "$every" --probe-ms "$PROBE_MS" \
    --complete-after $((preload + 1)) --spread $((DURATION > 2 ? DURATION - 1 : 1)) --deadline "$deadline" --hook-port "$hook_port" "${hook_to[@]}" \
    --out "$out/$name-completion.json" >"$out/$name-completion.log" 2>&1 &
  tracker_pid=$!
  [ "$system" != gateway ] || { quiet_probe "$prefix" "$out/$name-quiet.txt" & quiet_pid=$!; pids+=("$quiet_pid"); }
  date +%s.%N >"$out/$name-preload-from.txt"; [ "$system" != gateway ] || gateway_metrics >"$out/$name-metrics-preload.txt"
  if [ "$preload" -gt 0 ]; then start_wrk "$system" "$jobs" "$prefix" "$preload" "$out/$name-preload"; wait_wrk; fi
  measure "$system" "$jobs" "$prefix"
  [ "$system" != gateway ] || { stop "$quiet_pid"; unset 'pids[-1]'; }
  ! kill -0 "$tracker_pid" 2>/dev/null || start_wrk "$system" "$jobs" "$prefix" "$deadline" "$out/$name-after"
  if ! wait "$tracker_pid"; then
    tracker_pid=""; echo "the completion tracker of \"$label\" failed:" >&2; tail -n 20 "$out/$name-completion.log" >&2; exit 1
  fi
  tracker_pid=""
  stop_loaders
  row "$system" "$jobs" "$prefix" "$label" "$tracked"
}

{
  echo "# Many running jobs: $JOB_COUNTS jobs, about $RATE polls/s, 3 gateways against nginx proxy_cache ($(date -u +%F))"
  echo
  echo "Command: \`JOB_COUNTS=\"$JOB_COUNTS\" RATE=$RATE DURATION=$DURATION CONNECTIONS=$CONNECTIONS WINDOW=$WINDOW TRACK_EVERY=$TRACK_EVERY ${PRELOAD:+PRELOAD=$PRELOAD }PROBE_MS=$PROBE_MS bench/manyjobs.sh\`"
  echo "($(nproc) cores, .NET SDK $(dotnet --version), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), $(nginx -v 2>&1 | cut -d' ' -f3))."
  echo "Rows in the order run, gateway and nginx alternating. Running-job loads follow a pre-load of the same polls for one"
  echo "refresh period (not measured). Upstream reads: mean over the load (× the budget of $BUDGET/s), busiest second."
  echo "Oldest answer: the largest \`Age\` (gateway) or now − the stand-in's \`Date\` (nginx), whole seconds; bound: the"
  echo "steady state's oldest, (jobs polled, tracked ones included) ÷ $BUDGET + 1 s, were every read a refresh; at the team's"
  echo "reads: the same jobs ÷ the loaded team's own reads a second from the pre-load's start to the load's end (first reads"
  echo "left out) + 1 s, the oldest its refreshes allow. Reads/s by whom, over the load: the loaded team, the other team, the"
  echo "completion webhooks (\`gateway_upstream_requests_total\` by \`team\`). Most overdue: the largest \`ttl=-<ms>\`"
  echo "of a stale gateway answer. Stale answers: \`gateway_stale_answers_total\` over the load, with p50/p99 of"
  echo "\`gateway_stale_answer_age_seconds\` (interpolated within its buckets); refreshes in flight / queued: the most"
  echo "\`gateway_stale_refreshes_in_flight\` and \`gateway_refreshes_waiting\` summed over the gateways in any once-a-second sample."
  echo "First read of a new job: a job nobody had read, read once a second during the load (gateways in turn), p50 / max."
  echo "Another team's $QUIET_JOBS jobs: running jobs of a second team (its own key), each polled once a second from the pre-load"
  echo "on (gateways in turn); the \`Age\` of its answers during the load, p50 / max (polls)."
  echo
  echo "| load | polls/s answered | of terminal hits | 429s | upstream reads/s (× budget), busiest s | oldest answer | bound | bound at the team's reads (its reads/s) | reads/s: loaded team / other team / webhooks | most overdue | stale answers | refreshes in flight / queued (peak) | p90 ms per wrk | first read of a new job | another team's $QUIET_JOBS jobs: age | answers (status:how) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
} >"$out/report.md"

thousands() { python3 -c "print(f'{$1:,}')"; }

terminal="done-many-$RANDOM-"
terminal_load gateway 2000 "$terminal" "gateway, 2,000 terminal jobs (hits)"
terminal_load nginx 2000 "$terminal" "nginx, 2,000 terminal jobs (cached, refreshed each second)"
for jobs in $JOB_COUNTS; do
  running_load gateway "$jobs" "gateway, $(thousands "$jobs") running jobs"
  running_load nginx "$jobs" "nginx, $(thousands "$jobs") running jobs"
done

{
  echo
  echo "Completion: tracked \`after-<n>s-*\` jobs, polled by \`bench/CompletionPoll\` alongside the load at its per-job"
  echo "interval, turned Completed (by the stand-in's clock) at random moments of the measured load. Seen: from that moment"
  echo "to the first answer saying Completed, p50 / p99 / max (nearest rank). Without webhook the target is (jobs polled ÷"
  echo "$BUDGET) + 1 s + the poll interval. With webhook the stand-in's notice reaches gateway 0 through the tracker's"
  echo "relay, and from then the job is polled every $PROBE_MS ms, so the figure is the gateway's delay, not the interval."
  echo "Notice arrived: from completion to the stand-in's notice reaching the relay, p50 / p99 (part of the webhook figure)."
  echo "From the notice: per job, seen minus notice arrived, p50 / p99 / max: the gateways' own part (and one probe interval)."
  echo
  echo "| load | tracked jobs (no webhook + webhook) | completed, s into the measured load | poll interval | seen, no webhook: p50 / p99 / max | target p99 | seen, webhook: p50 / p99 / max | target p99 | notice arrived: p50 / p99 | from the notice: p50 / p99 / max |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  cat "$out/completion.md" 2>/dev/null || true
} >>"$out/report.md"

report="bench/results/$(date -u +%F)-manyjobs.md"
[ ! -e "$report" ] || report="bench/results/$(date -u +%F)-manyjobs-$(date -u +%H%M%S).md"
cp "$out/report.md" "$report"
echo
cat "$report"
echo
echo "Written to $report (raw wrk output in $out/)"
