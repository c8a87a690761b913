#!/usr/bin/env bash
# Many callers waiting on one job: what reaches the upstream, and how late the last caller learns the job is done.
# Three gateway processes share one redis-server (one cache, one watcher per job), against nginx proxy_cache.
# See bench/README.md ("Long polling: many callers on one job").
#
#   bench/longpoll.sh                      scenarios A B C D E F, 300 callers, a job Completed 20 s after its first read
#   SCENARIOS="C D" bench/longpoll.sh      a subset
#   CALLERS=30 JOB_SECONDS=5 bench/longpoll.sh            smoke run (~1.5 min)
#
# Scenarios, each on a fresh stack (redis-server, stand-in, 3 gateways; nginx for D) and a fresh job id:
#   A  callers long-poll the gateways with Prefer: wait=$WAIT until a terminal body (a third on each process)
#   B  as A, and the stand-in sends Reducto's direct webhook to the first gateway when the job turns Completed
#   C  callers poll the gateways plainly every second (running answers shared for Jobs:PendingFreshness, 1 s)
#   D  callers poll nginx (proxy_cache, proxy_cache_valid 200 $NGINX_VALID, proxy_cache_lock on) every second
#   E  as C, and the stand-in sends Reducto's direct webhook to the first gateway when the job turns Completed
#   F  as C with Jobs:PendingFreshness=0 (no shared window: every poll that does not overlap another reads upstream)
#   G  as C with Jobs:PendingFreshness=$WIDE_WINDOW
# Other knobs: WAIT (30), SPREAD (1: seconds over which callers start, evenly), NGINX_VALID (1s), ROUNDS (1),
# WIDE_WINDOW (00:00:02).
# Needs: .NET 10 SDK, python3, curl, and the Debian packages redis-server and nginx-light. Everything listens on
# 127.0.0.1 and every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

SCENARIOS="${SCENARIOS:-A B C D E F}"
CALLERS="${CALLERS:-300}"
JOB_SECONDS="${JOB_SECONDS:-20}"
WAIT="${WAIT:-30}"
SPREAD="${SPREAD:-1}"
NGINX_VALID="${NGINX_VALID:-1s}"
ROUNDS="${ROUNDS:-1}"
WIDE_WINDOW="${WIDE_WINDOW:-00:00:02}"
WARM_CALLERS=30
KEY="bench-team-gateway-key-0001"
SECRET="longpoll-bench-webhook-secret"

case "${1:-}" in -h|--help) sed -n '2,21p' "$0"; exit 0 ;; "") ;; *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;; esac
for tool in dotnet python3 curl nginx redis-server; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y nginx-light redis-server)" >&2; exit 1; }
done
others=$({ pgrep -x wrk; pgrep -x nginx; pgrep -f 'Gateway.dll|Reducto.StandIn.dll|Gateway.Tests|testhost'; } | sort -un | tr '\n' ' ' || true)
[ -z "$others" ] || echo "warning: other benchmark or test processes are running (pids $others); delays will be skewed" >&2

out="bench/out/longpoll-$(date -u +%Y%m%dT%H%M%SZ)"   # per-scenario JSON, logs and nginx.conf (bench/out is git-ignored)
mkdir -p "$out"
run="$(mktemp -d)"                                    # nginx's config, cache and temp files
chmod 755 "$run"
. bench/lib.sh
pids=()        # processes of the current stack
current=""     # the load generator, while it runs

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [ -n "$current" ] && stop "$current"
  stop_pids
  rm -rf "$run"
  [ "$status" = 0 ] || echo "bench/longpoll.sh stopped (exit $status); logs in $out" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "Building Release (Gateway.sln, bench/LongPoll)..."
if ! { dotnet build Gateway.sln -c Release -nologo -v quiet && dotnet build bench/LongPoll -c Release -nologo -v quiet; } >"$out/build.log" 2>&1; then
  tail -n 30 "$out/build.log" >&2; echo "build failed (full log: $out/build.log)" >&2; exit 1
fi

start_stack() {  # name webhook(0|1) nginx(0|1) [pending freshness]: sets standin_port, gateway_ports, nginx_port
  local name="$1" webhook="$2" with_nginx="$3" freshness="${4:-}" i
  local logs="$out/$name"
  mkdir -p "$logs"
  local redis_port; redis_port=$(free_port)
  standin_port=$(free_port)
  gateway_ports=("$(free_port)" "$(free_port)" "$(free_port)")

  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$logs/redis.log" 2>&1 &
  pids+=("$!")

  local hook=()
  [ "$webhook" = 1 ] && hook=("--StandIn:WebhookUrl=http://127.0.0.1:${gateway_ports[0]}/webhooks/reducto?secret=$SECRET")
  dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:$standin_port" "${hook[@]}" \
    >"$logs/standin.log" 2>&1 &
  local standin_pid=$!; pids+=("$standin_pid")

  # Shipped defaults for the watcher (Jobs:*) and the upstream budget; the webhook secret is set in every scenario, so
  # A and B (C and E) differ only in whether a notice arrives.
  local window=()
  [ -n "$freshness" ] && window=("Jobs__PendingFreshness=$freshness")
  local gateway_pids=()
  for i in 0 1 2; do
    ( cd src/Gateway/bin/Release/net10.0 && exec env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
        Upstream__BaseUrl="http://127.0.0.1:$standin_port" Upstream__ApiKey=stand-in-key Auth__ClientKeys__bench="$KEY" Jobs__UnownedJobs=Shared \
        ConnectionStrings__Redis="127.0.0.1:$redis_port" Cache__InstanceName="longpoll:" Webhooks__Secret="$SECRET" "${window[@]}" \
        dotnet Gateway.dll --urls "http://127.0.0.1:${gateway_ports[$i]}" ) >"$logs/gateway-$i.log" 2>&1 &
    gateway_pids+=("$!"); pids+=("$!")
  done

  wait_http "http://127.0.0.1:$standin_port/_standin/stats" "$standin_pid" "$logs/standin.log"
  for i in 0 1 2; do
    wait_http "http://127.0.0.1:${gateway_ports[$i]}/readyz" "${gateway_pids[$i]}" "$logs/gateway-$i.log"
  done

  if [ "$with_nginx" = 1 ]; then
    nginx_port=$(free_port)
    rm -rf "$run/cache"
    # nginx cannot tell Pending from Completed: every 200 is kept for $NGINX_VALID.
    { nginx_conf_head "$run" "$standin_port"; cat <<NGINX
  server {
    listen 127.0.0.1:$nginx_port;
$(nginx_job_location "proxy_cache jobs; proxy_cache_valid 200 $NGINX_VALID; proxy_cache_lock on; add_header X-Cache-Status \$upstream_cache_status;")
  }
}
NGINX
    } >"$run/nginx.conf"
    cp "$run/nginx.conf" "$logs/nginx.conf"
    nginx -p "$run/" -c "$run/nginx.conf" -e "$run/error.log" >"$logs/nginx.log" 2>&1 &
    local nginx_pid=$!; pids+=("$nginx_pid")
    wait_http "http://127.0.0.1:$nginx_port/job/done-2k" "$nginx_pid" "$logs/nginx.log"
  fi
}

callers() {  # name description targets mode-args job callers deadline file
  dotnet bench/LongPoll/bin/Release/net10.0/LongPoll.dll run --name "$1" --description "$2" --targets "$3" $4 \
    --standin "http://127.0.0.1:$standin_port" --job "$5" --callers "$6" --key "$KEY" --spread "$SPREAD" \
    --deadline "$7" --out "$8" &
  current=$!
  local status=0
  wait "$current" || status=$?
  current=""
  return "$status"
}

scenario() {  # name
  local name="$1" webhook=0 with_nginx=0 freshness="" mode description targets
  case "$name" in
    A) mode="--wait $WAIT"; description="long-poll the 3 gateways" ;;
    B) mode="--wait $WAIT"; description="long-poll the 3 gateways, webhook to one"; webhook=1 ;;
    C) mode="--every 1"; description="poll the 3 gateways every 1 s" ;;
    D) mode="--every 1"; description="poll nginx every 1 s (proxy_cache_valid 200 $NGINX_VALID)"; with_nginx=1 ;;
    E) mode="--every 1"; description="poll the 3 gateways every 1 s, webhook to one"; webhook=1 ;;
    F) mode="--every 1"; description="poll the 3 gateways every 1 s, PendingFreshness=0"; freshness="00:00:00" ;;
    G) mode="--every 1"; description="poll the 3 gateways every 1 s, PendingFreshness=$WIDE_WINDOW"; freshness="$WIDE_WINDOW" ;;
    *) echo "unknown scenario $name (A B C D E F G)" >&2; exit 2 ;;
  esac
  local label="$name"; [ "$ROUNDS" = 1 ] || label="$name.r$round"
  start_stack "$label" "$webhook" "$with_nginx" "$freshness"
  if [ "$with_nginx" = 1 ]; then targets="http://127.0.0.1:$nginx_port"
  else targets="http://127.0.0.1:${gateway_ports[0]},http://127.0.0.1:${gateway_ports[1]},http://127.0.0.1:${gateway_ports[2]}"; fi

  # The same callers on a short job first, so every process has run the code paths being timed (JIT, connections,
  # the webhook endpoint in B) before the measured job starts. Not reported.
  local unique; unique="$(date -u +%H%M%S)-$RANDOM"
  callers "warm-$label" "warm-up" "$targets" "$mode" "after-2s-warm-$unique" "$WARM_CALLERS" 40 "$out/$label/warm.json" >/dev/null ||
    { echo "warm-up of $label did not finish; see $out/$label" >&2; exit 1; }
  echo "[$label] $description: $CALLERS callers, job Completed ${JOB_SECONDS}s after its first read"
  callers "$label" "$description" "$targets" "$mode" "after-${JOB_SECONDS}s-$name-$unique" "$CALLERS" $((JOB_SECONDS + WAIT + 30)) \
    "$out/$label.json" || echo "warning: some callers of $label did not get a terminal answer" >&2
  results+=("$out/$label.json")
  stop_pids
  cp "$run/error.log" "$out/$label/nginx-error.log" 2>/dev/null || true
}

results=()
for round in $(seq 1 "$ROUNDS"); do
  for name in $SCENARIOS; do scenario "$name"; done
done

report="bench/results/$(date -u +%F)-longpoll.md"
[ ! -e "$report" ] || report="bench/results/$(date -u +%F)-longpoll-$(date -u +%H%M%S).md"   # never overwrite a run
{
  echo "# Long polling: $CALLERS callers on one job ($(date -u +%F))"
  echo
  echo "Command: \`SCENARIOS=\"$SCENARIOS\" CALLERS=$CALLERS JOB_SECONDS=$JOB_SECONDS WAIT=$WAIT SPREAD=$SPREAD NGINX_VALID=$NGINX_VALID ROUNDS=$ROUNDS WIDE_WINDOW=$WIDE_WINDOW bench/longpoll.sh\`"
  echo "($(nproc) cores, .NET SDK $(dotnet --version), $(nginx -v 2>&1 | sed 's/.*: //'), redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'); ${SECONDS} s)."
  echo
  echo "Each scenario ran on a fresh stack (redis-server, stand-in, 3 gateway processes sharing Redis and"
  echo "\`Cache:InstanceName\`, shipped \`Jobs:*\` and \`Upstream:*\` defaults but for the window F and G set; nginx for D) and a fresh job"
  echo "\`after-${JOB_SECONDS}s-*\`, Completed ${JOB_SECONDS} s after its first read by the stand-in's clock. Callers start evenly"
  echo "over ${SPREAD} s, a third on each gateway, and stop at their first 2xx body whose status is Completed or Failed."
  echo "Delays are from the stand-in's completion moment to the first and the last caller's terminal answer, on the same"
  echo "machine's clock. Upstream reads are the stand-in's count of \`GET /job\` for that job, split at the moment the last"
  echo "caller started. Errors are non-2xx answers, socket errors and timeouts."
  echo
  dotnet bench/LongPoll/bin/Release/net10.0/LongPoll.dll report "${results[@]}"
  echo
  echo "Raw results (every upstream read's time, ms from Completed) and logs: \`$out/\`."
} >"$report"
echo
cat "$report"
echo
echo "Written to $report"
