#!/usr/bin/env bash
# Cache hits: the gateway (Release, in-process tier) against nginx proxy_cache in front of the same stand-in, in
# one run, alternating, with and without Accept-Encoding: gzip. Everything on 127.0.0.1; every run is bounded.
# Usage: bench/hits.sh        (DURATION=5 ROUNDS=2 SIZES="2k 64k 1m 5m" CONNECTIONS=64)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-5}"; ROUNDS="${ROUNDS:-2}"; SIZES="${SIZES:-2k 64k 1m 5m}"; CONNECTIONS="${CONNECTIONS:-64}"
KEY="bench-team-gateway-key-0001"
work="$(mktemp -d)"; pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1]);s.close()'; }
wait_http() { for _ in $(seq 1 100); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

dotnet build Gateway.sln -c Release -nologo -v quiet >/dev/null
standin=$(free_port); gateway=$(free_port); nginx_plain=$(free_port); nginx_gzip=$(free_port)
dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:$standin" >"$work/standin.log" 2>&1 &
pids+=($!)
( cd src/Gateway/bin/Release/net10.0 && ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  Upstream__BaseUrl="http://127.0.0.1:$standin" Upstream__ApiKey=stand-in-key Auth__ClientKeys__bench="$KEY" Jobs__UnownedJobs=Shared \
  exec dotnet Gateway.dll --urls "http://127.0.0.1:$gateway" ) >"$work/gateway.log" 2>&1 &
gateway_pid=$!; pids+=($gateway_pid)

mkdir -p "$work/cache"
cat >"$work/nginx.conf" <<NGINX
worker_processes 2;
user root;  # the temporary cache directory belongs to the user running the benchmark
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  proxy_cache_path $work/cache levels=1:2 keys_zone=jobs:20m max_size=2g inactive=60m use_temp_path=off;
  upstream standin { server 127.0.0.1:$standin; keepalive 32; }
  # Shared by both servers: the reference a team would otherwise deploy in front of Reducto.
  map \$uri \$unused { default 0; }
  server {
    listen 127.0.0.1:$nginx_plain;
    location /job/ {
      proxy_pass http://standin; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer stand-in-key";
      proxy_cache jobs; proxy_cache_valid 200 10m; proxy_cache_lock on;
      postpone_output 0;   # the default stalls ~40 ms per 64 KB hit
    }
  }
  server {
    listen 127.0.0.1:$nginx_gzip;
    gzip on; gzip_types application/json; gzip_min_length 1000;
    location /job/ {
      proxy_pass http://standin; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer stand-in-key";
      proxy_cache jobs; proxy_cache_valid 200 10m; proxy_cache_lock on;
      postpone_output 0;
    }
  }
}
NGINX
nginx -c "$work/nginx.conf" &
pids+=($!)
wait_http "http://127.0.0.1:$gateway/healthz"; wait_http "http://127.0.0.1:$nginx_plain/"

for size in $SIZES; do
  for url in "http://127.0.0.1:$gateway/job/done-$size" "http://127.0.0.1:$nginx_plain/job/done-$size" "http://127.0.0.1:$nginx_gzip/job/done-$size"; do
    for _ in 1 2 3; do curl -s -o /dev/null -H "Authorization: Bearer $KEY" -H "Accept-Encoding: gzip" "$url"; curl -s -o /dev/null -H "Authorization: Bearer $KEY" "$url"; done
  done
done

warm() { wrk -t2 -c"$CONNECTIONS" -d3s -H "Authorization: Bearer $KEY" ${2:+-H "Accept-Encoding: $2"} "$1" >/dev/null; }

measure() { # name url encoding -> "rps p50 p99" (ms)
  local out; out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $KEY" ${3:+-H "Accept-Encoding: $3"} "$2")
  echo "$out" | python3 -c '
import re,sys
t=sys.stdin.read()
def ms(v):
    m=re.match(r"([0-9.]+)(us|ms|s)",v); x=float(m.group(1)); return x/1000 if m.group(2)=="us" else x*1000 if m.group(2)=="s" else x
rps=float(re.search(r"Requests/sec:\s+([0-9.]+)",t).group(1))
p50=ms(re.search(r"\n\s+50%\s+(\S+)",t).group(1)); p99=ms(re.search(r"\n\s+99%\s+(\S+)",t).group(1))
bad=re.search(r"Non-2xx or 3xx responses: (\d+)",t)
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {bad.group(1) if bad else 0}")'
}

# JIT and connection pools warm up before anything is measured, for every system alike.
for size in $SIZES; do
  for url in "http://127.0.0.1:$gateway/job/done-$size" "http://127.0.0.1:$nginx_plain/job/done-$size"; do warm "$url" ""; warm "$url" gzip; done
done

results="$work/results.txt"
for round in $(seq 1 "$ROUNDS"); do
  for size in $SIZES; do
    for enc in identity gzip; do
      e=""; [ "$enc" = gzip ] && e="gzip"
      echo "$round $size $enc gateway $(measure gateway "http://127.0.0.1:$gateway/job/done-$size" "$e")" >>"$results"
      echo "$round $size $enc nginx $(measure nginx "http://127.0.0.1:$nginx_plain/job/done-$size" "$e")" >>"$results"
      [ "$enc" = gzip ] && echo "$round $size $enc nginx-gzip $(measure nginx-gzip "http://127.0.0.1:$nginx_gzip/job/done-$size" "$e")" >>"$results"
    done
  done
done
rss=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$gateway_pid/status)

python3 - "$results" "$rss" "$DURATION" "$ROUNDS" "$CONNECTIONS" <<'PY'
import sys, statistics, collections
rows=[l.split() for l in open(sys.argv[1])]
by=collections.defaultdict(list)
for r in rows: by[(r[1],r[2],r[3])].append((int(r[0]),float(r[4]),float(r[5]),float(r[6]),int(r[7])))
print(f"Cache hits, wrk -t2 -c{sys.argv[5]} -d{sys.argv[3]}s, {sys.argv[4]} alternating rounds; medians; ratio = gateway/nginx per round (median, min-max)\n")
print("| body | encoding | system | req/s | p50 ms | p99 ms | non-2xx | gateway/nginx req/s |")
print("|---|---|---|---|---|---|---|---|")
for (size,enc,system),v in sorted(by.items(), key=lambda kv:(["2k","64k","1m","5m"].index(kv[0][0]) if kv[0][0] in ["2k","64k","1m","5m"] else 9, kv[0][1], kv[0][2])):
    rps=statistics.median(x[1] for x in v); p50=statistics.median(x[2] for x in v); p99=statistics.median(x[3] for x in v); bad=sum(x[4] for x in v)
    ratio=""
    if system=="gateway":
        g={x[0]:x[1] for x in v}; n={x[0]:x[1] for x in by[(size,enc,"nginx")]}
        rs=[g[k]/n[k] for k in g if k in n and n[k]>0]
        ratio=f"{statistics.median(rs):.2f} ({min(rs):.2f}-{max(rs):.2f})" if rs else ""
    print(f"| {size} | {enc} | {system} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {bad} | {ratio} |")
print(f"\nGateway peak RSS over the whole run: {sys.argv[2]} MiB.")
PY
