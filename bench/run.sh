#!/usr/bin/env bash
# Cache hits: the gateway against Varnish and nginx proxy_cache in front of the same stand-in, and against two bare
# Kestrel "ceilings" that write the same bytes from memory (bench/BareCeiling, the fastest we could write, and
# bench/Ceiling, routed with default scheduling), in one run on one machine, alternating the systems so drift hits
# them alike. See bench/README.md.
#
#   bench/run.sh                    full run (DURATION=10 s per wrk run, ROUNDS=3, ROWS below)
#   bench/run.sh --redis            the same with the gateway on a private redis-server (memory tier in front)
#   DURATION=2 ROUNDS=1 ROWS=2k bench/run.sh              smoke run
#
# ROWS: scenarios, each a size with -gzip for Accept-Encoding: gzip, or "pending" for a Pending body passed through
# (default "2k 64k 64k-gzip 1m 1m-gzip 5m-gzip"). NGINX_GZIP=1 adds nginx with gzip on (compresses per request) to
# the gzip rows. Other knobs: CONNECTIONS (64), WARMUP (seconds of wrk per system before round 1, 2), ALLOC (1: one
# extra gateway run per scenario for allocated bytes per request, read from the gateway's /metrics; 0 skips it).
# Needs: .NET 10 SDK, python3, curl, and the Debian packages varnish, nginx-light, wrk, redis-server (only for --redis).
# All load goes to 127.0.0.1, every wrk run is bounded by DURATION, and every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10}"
ROUNDS="${ROUNDS:-3}"
ROWS="${ROWS:-2k 64k 64k-gzip 1m 1m-gzip 5m-gzip}"
NGINX_GZIP="${NGINX_GZIP:-0}"
CONNECTIONS="${CONNECTIONS:-64}"
WARMUP="${WARMUP:-2}"
ALLOC="${ALLOC:-1}"
THREADS=2
KEY="bench-team-gateway-key-0001"   # the gateway's team key; every system gets the same request headers
PENDING_ID="pending-bench"

use_redis=0
for arg in "$@"; do
  case "$arg" in
    --redis) use_redis=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done
for tool in dotnet python3 curl nginx varnishd wrk; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y varnish nginx-light wrk redis-server)" >&2; exit 1; }
done
if [ "$use_redis" = 1 ]; then command -v redis-server >/dev/null || { echo "redis-server is missing" >&2; exit 1; }; fi

# Anything else loading this 2-core machine skews every figure; say so rather than measure quietly.
others=$({ pgrep -x wrk; pgrep -x nginx; pgrep -x varnishd; pgrep -x redis-server; pgrep -f 'Gateway.dll|Reducto.StandIn.dll|Ceiling.dll|Gateway.Tests|testhost'; } | sort -un | tr '\n' ' ' || true)
[ -z "$others" ] || echo "warning: other benchmark or test processes are running (pids $others); figures will be skewed" >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

out="bench/out/hits-$(date -u +%Y%m%dT%H%M%SZ)"   # raw wrk output and logs, kept (bench/out is git-ignored)
mkdir -p "$out/raw"
run="$(mktemp -d)"                                  # nginx's and varnishd's config, cache, working dir, pid and logs
chmod 755 "$run"
. bench/lib.sh
pids=()        # long-lived processes started here
current=""     # the wrk process running right now, if any

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [ -n "$current" ] && stop "$current"
  stop_pids
  cp "$run/error.log" "$out/nginx-error.log" 2>/dev/null || true
  cp "$run/varnish.vcl" "$out/varnish.vcl" 2>/dev/null || true
  rm -rf "$run"
  [ "$status" = 0 ] || echo "bench/run.sh stopped (exit $status); logs in $out" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- build ------------------------------------------------------------------------------------------------------
echo "Building Release (Gateway.sln, bench/BareCeiling, bench/Ceiling)..."
if ! { dotnet build Gateway.sln -c Release -nologo -v quiet && dotnet build bench/BareCeiling -c Release -nologo -v quiet &&
       dotnet build bench/Ceiling -c Release -nologo -v quiet; } >"$out/build.log" 2>&1; then
  tail -n 30 "$out/build.log" >&2; echo "build failed (full log: $out/build.log)" >&2; exit 1
fi

# --- start everything ---------------------------------------------------------------------------------------------
standin_port=$(free_port); gateway_port=$(free_port); ceiling_port=$(free_port); routed_port=$(free_port); socket_port=$(free_port)
nginx_port=$(free_port); nginx_gzip_port=$(free_port); nginx_pass_port=$(free_port); varnish_port=$(free_port)

dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:$standin_port" >"$out/standin.log" 2>&1 &
standin_pid=$!; pids+=("$standin_pid")

redis_env=()
cache_mode="in-process memory tier"
if [ "$use_redis" = 1 ]; then
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >"$out/redis.log" 2>&1 &
  pids+=("$!")
  redis_env=("ConnectionStrings__Redis=127.0.0.1:$redis_port")
  cache_mode="Redis (private redis-server) behind the memory tier"
fi

# The upstream budget (150 job polls/s by default) is raised so the Pending scenario measures forwarding, not the
# gateway's own throttle; cache hits never spend it.
( cd src/Gateway/bin/Release/net10.0 && exec env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
    Upstream__BaseUrl="http://127.0.0.1:$standin_port" Upstream__ApiKey=stand-in-key Auth__ClientKeys__bench="$KEY" Jobs__UnownedJobs=Shared \
    Upstream__JobPollsPerSecond=100000 Upstream__RequestsPerSecond=100000 "${redis_env[@]}" \
    dotnet Gateway.dll --urls "http://127.0.0.1:$gateway_port" ) >"$out/gateway.log" 2>&1 &
gateway_pid=$!; pids+=("$gateway_pid")

wait_http "http://127.0.0.1:$standin_port/job/done-2k" "$standin_pid" "$out/standin.log" -H "Authorization: Bearer stand-in-key"

sizes=""
for row in $ROWS; do [ "$row" = pending ] || case " $sizes " in *" ${row%-gzip} "*) ;; *) sizes="$sizes ${row%-gzip}" ;; esac; done
ids=""
for size in $sizes; do ids="$ids,done-$size"; done
ids="${ids#,},$PENDING_ID"
dotnet bench/BareCeiling/bin/Release/net10.0/BareCeiling.dll --urls "http://127.0.0.1:$ceiling_port" \
  --StandIn:Url="http://127.0.0.1:$standin_port" --Ids="$ids" >"$out/ceiling.log" 2>&1 &
ceiling_pid=$!; pids+=("$ceiling_pid")
dotnet bench/BareCeiling/bin/Release/net10.0/BareCeiling.dll --urls "http://127.0.0.1:$socket_port" --Socket=true \
  --StandIn:Url="http://127.0.0.1:$standin_port" --Ids="$ids" >"$out/ceiling-socket.log" 2>&1 &
socket_pid=$!; pids+=("$socket_pid")
dotnet bench/Ceiling/bin/Release/net10.0/Ceiling.dll --urls "http://127.0.0.1:$routed_port" \
  --StandIn:Url="http://127.0.0.1:$standin_port" --Ids="$ids" >"$out/ceiling-routed.log" 2>&1 &
routed_pid=$!; pids+=("$routed_pid")

# Varnish: the committed VCL with this run's ports and keys, a private working directory (-n) so it neither needs
# nor touches /var/lib/varnish, no privilege separation (-j none: runs as whoever runs this), malloc storage far
# above what the bodies need (gzip copies of at most a few MiB).
sed -e "s/@STANDIN_PORT@/$standin_port/" -e "s/@GATEWAY_KEY@/$KEY/" -e "s/@STANDIN_KEY@/stand-in-key/" bench/varnish.vcl >"$run/varnish.vcl"
varnishd -F -j none -n "$run/varnish" -a "127.0.0.1:$varnish_port" -T 127.0.0.1:0 -f "$run/varnish.vcl" -s malloc,512m \
  >"$out/varnish.log" 2>&1 &
varnish_pid=$!; pids+=("$varnish_pid")

cached='proxy_cache jobs; proxy_cache_valid 200 10m; proxy_cache_lock on; add_header X-Cache-Status $upstream_cache_status;'
{ nginx_conf_head "$run" "$standin_port"; cat <<NGINX
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  postpone_output 0;

  server {  # nginx: the cache, as a team would put it in front of Reducto
    listen 127.0.0.1:$nginx_port;
$(nginx_job_location "$cached")
  }
  server {  # nginx-gzip: the same cache, compressing on the way out
    listen 127.0.0.1:$nginx_gzip_port;
    gzip on;
    gzip_types application/json;
    gzip_min_length 1000;
$(nginx_job_location "$cached")
  }
  server {  # nginx-pass: no cache, for the Pending body (nginx cannot see the status, so it must not cache it)
    listen 127.0.0.1:$nginx_pass_port;
$(nginx_job_location)
  }
}
NGINX
} >"$run/nginx.conf"
nginx -p "$run/" -c "$run/nginx.conf" -e "$run/error.log" >"$out/nginx.log" 2>&1 &
nginx_pid=$!; pids+=("$nginx_pid")

auth=(-H "Authorization: Bearer $KEY")
wait_http "http://127.0.0.1:$gateway_port/healthz" "$gateway_pid" "$out/gateway.log"
wait_http "http://127.0.0.1:$ceiling_port/job/$PENDING_ID" "$ceiling_pid" "$out/ceiling.log"
wait_http "http://127.0.0.1:$routed_port/job/$PENDING_ID" "$routed_pid" "$out/ceiling-routed.log"
wait_http "http://127.0.0.1:$socket_port/job/$PENDING_ID" "$socket_pid" "$out/ceiling-socket.log"
wait_http "http://127.0.0.1:$varnish_port/job/$PENDING_ID" "$varnish_pid" "$out/varnish.log" "${auth[@]}"
wait_http "http://127.0.0.1:$nginx_pass_port/job/$PENDING_ID" "$nginx_pid" "$out/nginx.log" "${auth[@]}"
cp "$run/nginx.conf" "$out/nginx.conf"

declare -A port=([nginx]=$nginx_port [nginx-gzip]=$nginx_gzip_port [nginx-pass]=$nginx_pass_port
                 [varnish]=$varnish_port [gateway]=$gateway_port [ceiling]=$ceiling_port [ceiling-routed]=$routed_port [ceiling-socket]=$socket_port)

# --- warm every cache, then check that everyone serves the same bytes ---------------------------------------------
echo "Warming caches and checking bodies..."
checks="$out/checks.md"
: >"$checks"
check() { if [ "$1" = ok ]; then echo "- ok: $2" >>"$checks"; else echo "- FAILED: $2" >>"$checks"; echo "check failed: $2" >&2; fi; }
fetch() {  # system id [gzip] -> writes $run/body, $run/headers
  local enc=(); [ "${3:-}" = gzip ] && enc=(-H "Accept-Encoding: gzip")
  curl -sf -D "$run/headers" -o "$run/body" "${auth[@]}" "${enc[@]}" "http://127.0.0.1:${port[$1]}/job/$2"
}
header() { tr -d '\r' <"$run/headers" | awk -v name="$1" 'tolower($0) ~ "^" tolower(name) ": " { sub(/^[^:]*: /, ""); print }'; }

failed=0
for id in ${ids//,/ }; do
  curl -sf -o "$run/body" -H "Authorization: Bearer stand-in-key" "http://127.0.0.1:$standin_port/job/$id"
  want=$(sha256sum <"$run/body" | cut -c1-64); bytes=$(wc -c <"$run/body")
  systems="nginx nginx-gzip varnish gateway ceiling ceiling-routed ceiling-socket"; [ "$id" = "$PENDING_ID" ] && systems="nginx-pass varnish gateway ceiling"
  for system in $systems; do
    for _ in 1 2 3; do fetch "$system" "$id"; fetch "$system" "$id" gzip; done
    fetch "$system" "$id"
    if [ "$(sha256sum <"$run/body" | cut -c1-64)" = "$want" ]; then check ok "$system /job/$id: the stand-in's $bytes bytes"
    else check failed "$system /job/$id: bytes differ from the stand-in's"; failed=1; fi
    fetch "$system" "$id" gzip
    encoding=$(header Content-Encoding)
    if [ "$encoding" = gzip ]; then decoded=$(gzip -dc <"$run/body" | sha256sum | cut -c1-64); else decoded=$(sha256sum <"$run/body" | cut -c1-64); fi
    if [ "$decoded" = "$want" ]; then check ok "$system /job/$id with Accept-Encoding: gzip: ${encoding:-identity}, $(wc -c <"$run/body") bytes"
    else check failed "$system /job/$id with Accept-Encoding: gzip: decodes to other bytes"; failed=1; fi
  done
  if [ "$id" != "$PENDING_ID" ]; then
    fetch gateway "$id"; [ "$(header Cache-Status)" = "Gateway; hit" ] && check ok "gateway /job/$id is a hit" || { check failed "gateway /job/$id: Cache-Status $(header Cache-Status)"; failed=1; }
    fetch nginx "$id"; [ "$(header X-Cache-Status)" = HIT ] && check ok "nginx /job/$id is a HIT" || { check failed "nginx /job/$id: X-Cache-Status $(header X-Cache-Status)"; failed=1; }
    fetch varnish "$id" gzip; [ "$(header X-Cache-Status)" = HIT ] && check ok "varnish /job/$id is a HIT ($(header Content-Encoding) stored)" || { check failed "varnish /job/$id: X-Cache-Status $(header X-Cache-Status)"; failed=1; }
  fi
done
fetch gateway "$PENDING_ID"
check ok "gateway /job/$PENDING_ID: Cache-Status '$(header Cache-Status)', Cache-Control '$(header Cache-Control)' (forwarded every time)"
fetch varnish "$PENDING_ID"; fetch varnish "$PENDING_ID"
[ "$(header X-Cache-Status)" = MISS ] && check ok "varnish passes /job/$PENDING_ID (X-Cache-Status: MISS on a repeat)" || { check failed "varnish cached /job/$PENDING_ID"; failed=1; }
fetch nginx "$PENDING_ID"; fetch nginx "$PENDING_ID"
if [ "$(header X-Cache-Status)" = HIT ]; then
  check ok "nginx's cached location stores the Pending body too (X-Cache-Status: HIT; Reducto sends no Cache-Control), so it would serve a stale Pending job for 10 min: the Pending scenario uses nginx-pass"
fi
if [ "$use_redis" = 1 ]; then
  keys=$(redis-cli -p "$redis_port" dbsize 2>/dev/null || echo "?")
  [ "$keys" != "?" ] && [ "$keys" -gt 0 ] && check ok "the gateway stored $keys entries in Redis" || { check failed "no gateway entries in Redis ($keys)"; failed=1; }
fi
[ "$failed" = 0 ] || { cat "$checks" >&2; echo "bodies or cache states are wrong; not measuring" >&2; exit 1; }

# --- measure ------------------------------------------------------------------------------------------------------
clk_tck=$(getconf CLK_TCK)
pid_of() { case "$1" in gateway) echo "$gateway_pid" ;; ceiling) echo "$ceiling_pid" ;; ceiling-routed) echo "$routed_pid" ;; ceiling-socket) echo "$socket_pid" ;;
                        varnish) echo "$varnish_pid" ;; *) echo "$nginx_pid" ;; esac; }
cpu_ticks() {  # user+system ticks of a system's processes (nginx: master and workers; varnish: manager and child)
  local pid; pid=$(pid_of "$1")
  local all="$pid"; [ "$pid" = "$nginx_pid" ] || [ "$pid" = "$varnish_pid" ] && all="$pid $(pgrep -P "$pid" | tr '\n' ' ')"
  local total=0 p t
  for p in $all; do
    t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}
wrk_run() {  # system id encoding seconds file
  local enc=(); [ "$3" = gzip ] && enc=(-H "Accept-Encoding: gzip")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$4s" --timeout 30s --latency "${auth[@]}" "${enc[@]}" \
    "http://127.0.0.1:${port[$1]}/job/$2" >"$5" 2>&1 &
  current=$!
  wait "$current"
  current=""
}

scenarios=()   # name id encoding systems...
gzip_systems="nginx varnish gateway ceiling ceiling-routed ceiling-socket"; [ "$NGINX_GZIP" = 1 ] && gzip_systems="nginx nginx-gzip varnish gateway ceiling ceiling-routed ceiling-socket"
for row in $ROWS; do
  case "$row" in
    pending) scenarios+=("$PENDING_ID identity|$PENDING_ID|identity|nginx-pass varnish gateway ceiling") ;;
    *-gzip) scenarios+=("done-${row%-gzip} gzip|done-${row%-gzip}|gzip|$gzip_systems") ;;
    *) scenarios+=("done-$row identity|done-$row|identity|nginx varnish gateway ceiling ceiling-routed ceiling-socket") ;;
  esac
done

# JIT tiering and connection set-up happen before anything is measured, for every system alike.
cat >"$run/warm.lua" <<LUA
local paths = { $(for id in ${ids//,/ }; do printf '"/job/%s", ' "$id"; done) }
local i = 0
request = function()
  i = i + 1
  local headers = { ["Authorization"] = "Bearer $KEY" }
  if math.floor(i / #paths) % 2 == 1 then headers["Accept-Encoding"] = "gzip" end
  return wrk.format("GET", paths[(i % #paths) + 1], headers)
end
LUA
for system in nginx varnish gateway ceiling ceiling-routed ceiling-socket; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 30s -s "$run/warm.lua" "http://127.0.0.1:${port[$system]}" >/dev/null 2>&1 &
  current=$!; wait "$current"; current=""
done

# CPU the machine spent on anything but this benchmark during the measured rounds: our servers, the stand-in,
# redis, kernel threads and (through the shell's reaped-children times) wrk. The rest is other people's load.
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 }' /proc/stat; }   # user, nice, system: what processes are charged
our_ticks() {  # sets $ours; kernel threads (loopback softirq work, mostly) are not other people's load either
  local total=0 p t
  for p in "${pids[@]}" $(pgrep -P "$nginx_pid") $(pgrep -P "$varnish_pid") $(pgrep -P 2); do
    t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0); total=$((total + t))
  done
  times >"$run/times"   # in this shell, not a subshell: its reaped children, wrk among them
  ours=$((total + $(awk -v hz="$clk_tck" 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, "m"); t += (a[1] * 60 + a[2]) * hz } } END { printf "%d", t }' "$run/times")))
}
busy_before=$(machine_busy); our_ticks; ours_before=$ours; wall_before=$(date +%s.%N)

manifest="$out/runs.tsv"
printf 'scenario\tsystem\tround\tfile\tcpu_ticks\tclk_tck\n' >"$manifest"
total=$((ROUNDS * ${#scenarios[@]}))
n=0
for round in $(seq 1 "$ROUNDS"); do
  for scenario in "${scenarios[@]}"; do
    IFS='|' read -r name id encoding systems <<<"$scenario"
    read -r -a list <<<"$systems"
    n=$((n + 1)); echo "[$n/$total] round $round: $name"
    for ((k = 0; k < ${#list[@]}; k++)); do   # rotate the order every round so no system always goes first
      system="${list[$(((k + round - 1) % ${#list[@]}))]}"
      file="$out/raw/${name// /-}.$system.r$round.txt"
      before=$(cpu_ticks "$system")
      wrk_run "$system" "$id" "$encoding" "$DURATION" "$file"
      after=$(cpu_ticks "$system")
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$system" "$round" "$file" "$((after - before))" "$clk_tck" >>"$manifest"
    done
  done
done

busy_after=$(machine_busy); our_ticks; ours_after=$ours; wall_after=$(date +%s.%N)
foreign=$(python3 -c "print(f'{max(0, ($busy_after - $busy_before) - ($ours_after - $ours_before)) / $clk_tck / ($wall_after - $wall_before) / $(nproc) * 100:.0f}')")

memory="$out/memory.tsv"
rss_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
nginx_rss=0; for p in $nginx_pid $(pgrep -P "$nginx_pid"); do nginx_rss=$((nginx_rss + $(rss_kib "$p"))); done
varnish_rss=0; for p in $varnish_pid $(pgrep -P "$varnish_pid"); do varnish_rss=$((varnish_rss + $(rss_kib "$p"))); done
printf 'gateway\t%s\nceiling\t%s\nceiling-routed\t%s\nceiling-socket\t%s\nnginx (master + workers, summed)\t%s\nvarnish (manager + child, summed)\t%s\n' \
  "$(rss_kib "$gateway_pid")" "$(rss_kib "$ceiling_pid")" "$(rss_kib "$routed_pid")" "$(rss_kib "$socket_pid")" "$nginx_rss" "$varnish_rss" >"$memory"

# --- allocations: one extra gateway run per scenario, read from the gateway's own /metrics (not part of the figures above)
# The runtime's dotnet.gc.heap.total_allocated counter, scraped before and after each run: exact whatever the load.
# dotnet-counters, used before, stopped receiving samples for tens of seconds under the 5 MiB load and then delivered
# them late, so most scenarios after it read zero.
alloc="$out/alloc.tsv"
alloc_note=""
allocated_bytes() {  # empty when the scrape fails or lacks the counter
  local text
  text=$(curl -sf "http://127.0.0.1:$gateway_port/metrics" || true)
  awk '/^dotnet_gc_heap_total_allocated_bytes_total[ {]/ { print $NF; exit }' <<<"$text"
}
if [ "$ALLOC" = 1 ]; then
  printf 'scenario\twrk\tbefore\tafter\n' >"$alloc"
  alloc_seconds=$((DURATION < 5 ? DURATION : 5))        # bytes per request settle within seconds
  allocated_bytes >/dev/null                           # the first scrape builds the exporter's buffers
  for scenario in "${scenarios[@]}"; do
    IFS='|' read -r name id encoding _ <<<"$scenario"
    echo "allocations: $name"
    file="$out/raw/${name// /-}.gateway.alloc.txt"
    before=$(allocated_bytes)
    wrk_run gateway "$id" "$encoding" "$alloc_seconds" "$file"
    after=$(allocated_bytes)
    printf '%s\t%s\t%s\t%s\n' "$name" "$file" "$before" "$after" >>"$alloc"
  done
  [ -n "$before" ] || alloc_note="missing: the gateway's /metrics has no dotnet_gc_heap_total_allocated_bytes_total"
else
  alloc_note="skipped (ALLOC=0)"
fi

# --- report -------------------------------------------------------------------------------------------------------
suffix=""; [ "$use_redis" = 0 ] || suffix="-redis"
results="bench/results/$(date -u +%F)-varnish-hits$suffix.md"
[ ! -e "$results" ] || results="bench/results/$(date -u +%F)-varnish-hits$suffix-$(date -u +%H%M%S).md"   # never overwrite a run
command_line="DURATION=$DURATION ROUNDS=$ROUNDS ROWS=\"$ROWS\" CONNECTIONS=$CONNECTIONS bench/run.sh $*"
python3 bench/hits-report.py \
  --manifest "$manifest" --memory "$memory" --alloc "$alloc" --alloc-note "$alloc_note" --checks "$checks" \
  --command "$command_line" --cache-mode "$cache_mode" --duration "$DURATION" --rounds "$ROUNDS" \
  --connections "$CONNECTIONS" --threads "$THREADS" --load-before "$load_before" --load-after "$(cut -d' ' -f1-3 /proc/loadavg)" \
  --others "$others" --foreign-cpu "$foreign" --nginx-version "$(nginx -v 2>&1 | sed 's/.*: //')" \
  --varnish-version "$(varnishd -V 2>&1 | head -n 1 | sed 's/ revision.*//; s/[()]//g')" \
  --dotnet-version "$(dotnet --version)" --cpus "$(nproc)" --raw "$out" --elapsed "$SECONDS" >"$results"
echo
cat "$results"
echo
echo "Written to $results (raw wrk output in $out)"
