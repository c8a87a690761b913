#!/usr/bin/env bash
# Three gateway replicas behind a load balancer, on a Redis Cluster, measured as one cache: a hot set plus a cold set
# larger than any replica's memory tier. Upstream reads per distinct job for the deployment, hit ratio, req/s and p99
# through HAProxy against one replica alone on the same cluster, and the Redis traffic a hit costs when it is served
# from a memory tier and when from Redis. See bench/README.md ("Replicas behind a load balancer").
#
#   bench/lb.sh                                   20,000 cold + 200 hot jobs of 8 KiB, 30 s per load
#   COLD=2000 DURATION=10 bench/lb.sh             smoke run
#
# Knobs: COLD (20000), HOT (200), HOT_SHARE (0.5), SIZE (8k: the stand-in's done-<size> body), DURATION (30),
# CONNECTIONS (64), THREADS (2), MEMORY (Cache:InProcessSizeLimitBytes per replica, 33554432 = 32 MiB).
# Needs: .NET 10 SDK, python3, curl and the Debian packages haproxy, wrk, redis-server, redis-tools.
set -euo pipefail
cd "$(dirname "$0")/.."

COLD="${COLD:-20000}"; HOT="${HOT:-200}"; HOT_SHARE="${HOT_SHARE:-0.5}"; SIZE="${SIZE:-8k}"
DURATION="${DURATION:-30}"; CONNECTIONS="${CONNECTIONS:-64}"; THREADS="${THREADS:-2}"; MEMORY="${MEMORY:-33554432}"
KEY="bench-team-gateway-key-0001"

case "${1:-}" in -h|--help) sed -n '2,12p' "$0"; exit 0 ;; "") ;; *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;; esac
for tool in dotnet python3 curl wrk haproxy redis-server redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install -y haproxy wrk redis-server redis-tools)" >&2; exit 1; }
done

out="bench/out/lb-$(date -u +%Y%m%dT%H%M%SZ)"   # configs, logs and raw wrk output (bench/out is git-ignored)
mkdir -p "$out"
. bench/lib.sh
pids=()
trap 'stop_pids' EXIT

echo "Building Release..."
dotnet build Gateway.sln -c Release -nologo -v quiet >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log" >&2; exit 1; }

# A free port whose cluster bus port (10,000 higher) is free too: Redis Cluster refuses ports above 55535.
free_cluster_port() {
  python3 -c '
import random, socket
while True:
    port = random.randint(20000, 50000)
    try:
        for p in (port, port + 10000):
            s = socket.socket(); s.bind(("127.0.0.1", p)); s.close()
        print(port); break
    except OSError:
        pass'
}

# A 3-master, 3-replica Redis Cluster, as redis-cli --cluster create lays it out.
redis_ports=()
for n in 0 1 2 3 4 5; do
  port=$(free_cluster_port); redis_ports+=("$port"); mkdir -p "$out/redis-$n"
  redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "nodes.conf" --dir "$out/redis-$n" \
    --save "" --appendonly no >"$out/redis-$n.log" 2>&1 &
  pids+=("$!")
done
for port in "${redis_ports[@]}"; do
  for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create $(printf '127.0.0.1:%s ' "${redis_ports[@]}") --cluster-replicas 1 --cluster-yes >"$out/cluster-create.log" 2>&1
for _ in $(seq 1 100); do
  redis-cli -p "${redis_ports[0]}" cluster info | grep -q 'cluster_state:ok' && break; sleep 0.1
done
seeds="127.0.0.1:${redis_ports[0]},127.0.0.1:${redis_ports[1]},127.0.0.1:${redis_ports[2]}"

standin_port=$(free_port)
dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:$standin_port" >"$out/standin.log" 2>&1 &
standin_pid=$!; pids+=("$standin_pid")
wait_http "http://127.0.0.1:$standin_port/_standin/stats" "$standin_pid" "$out/standin.log"

# name instance port: one gateway on the cluster. The upstream budget is raised far above what the stand-in needs, so
# every miss is fetched at once and the upstream count measures coalescing, not the budget.
start_gateway() {
  local name="$1" instance="$2" port="$3"
  ( cd src/Gateway/bin/Release/net10.0 && exec env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
      Upstream__BaseUrl="http://127.0.0.1:$standin_port" Upstream__ApiKey=stand-in-key Auth__ClientKeys__bench="$KEY" Jobs__UnownedJobs=Shared \
      Upstream__JobPollsPerSecond=100000 Upstream__RequestsPerSecond=100000 \
      ConnectionStrings__Redis="$seeds" Cache__InstanceName="$instance" Cache__InProcessSizeLimitBytes="$MEMORY" \
      dotnet Gateway.dll --urls "http://127.0.0.1:$port" ) >"$out/$name.log" 2>&1 &
  pids+=("$!")
  wait_http "http://127.0.0.1:$port/readyz" "$!" "$out/$name.log"
}

gateway_ports=("$(free_port)" "$(free_port)" "$(free_port)")
for i in 0 1 2; do start_gateway "gateway-$i" "lb:" "${gateway_ports[$i]}"; done
alone_port=$(free_port)
start_gateway "gateway-alone" "lb-alone:" "$alone_port"

haproxy_port=$(free_port)
cat >"$out/haproxy.cfg" <<HAPROXY
global
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend gateway
  bind 127.0.0.1:$haproxy_port
  default_backend replicas
backend replicas
  balance roundrobin
  http-reuse always
  server g0 127.0.0.1:${gateway_ports[0]}
  server g1 127.0.0.1:${gateway_ports[1]}
  server g2 127.0.0.1:${gateway_ports[2]}
HAPROXY
haproxy -f "$out/haproxy.cfg" >"$out/haproxy.log" 2>&1 &
pids+=("$!")
wait_http "http://127.0.0.1:$haproxy_port/readyz" "$!" "$out/haproxy.log"

masters() { for port in "${redis_ports[@]}"; do redis-cli -p "$port" role | head -1 | grep -q master && echo "$port"; done; }
# The masters' command and output-byte totals, summed: what the gateways asked of the cluster.
redis_totals() {
  local port commands=0 bytes=0 c b
  for port in $(masters); do
    c=$(redis-cli -p "$port" info stats | tr -d '\r' | sed -n 's/^total_commands_processed://p')
    b=$(redis-cli -p "$port" info stats | tr -d '\r' | sed -n 's/^total_net_output_bytes://p')
    commands=$((commands + c)); bytes=$((bytes + b))
  done
  echo "$commands $bytes"
}

# name url prefix hot hot_share: one wrk load; prints its RESULT line and the Redis totals before and after.
load() {
  local name="$1" url="$2" prefix="$3" hot="$4" share="$5" before after
  before=$(redis_totals)
  PREFIX="$prefix" HOT="$hot" HOT_SHARE="$share" COLD="$COLD" KEY="$KEY" THREADS="$THREADS" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s bench/lb/mixed.lua "$url" >"$out/$name-wrk.txt" 2>&1
  after=$(redis_totals)
  echo "$name $(grep '^RESULT' "$out/$name-wrk.txt") redis_before=${before/ /:} redis_after=${after/ /:}" >>"$out/loads.txt"
}

# The masters' memory in use, summed: with the jobs stored by the loads, what Redis holds per job.
redis_memory() {
  local port total=0 m
  for port in $(masters); do
    m=$(redis-cli -p "$port" info memory | tr -d '\r' | sed -n 's/^used_memory://p'); total=$((total + m))
  done
  echo "$total"
}

curl -sf "http://127.0.0.1:$standin_port/_standin/stats" >"$out/stats-before.json"
redis_memory >"$out/memory-before.txt"
run_id="$RANDOM"
deployment="done-$SIZE-lb$run_id-d-"; alone="done-$SIZE-lb$run_id-a-"
# Every process's JIT, thread pool and Redis connections warmed on jobs the loads never read: a cold process's first
# seconds (Redis commands timing out behind a thread pool still growing) are not what a deployment runs on.
echo "Warming up..."
for url in "http://127.0.0.1:$haproxy_port" "http://127.0.0.1:$alone_port"; do
  PREFIX="done-$SIZE-warm$run_id-" HOT=50 HOT_SHARE=0.5 COLD=500 KEY="$KEY" THREADS="$THREADS" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d5s --timeout 10s -s bench/lb/mixed.lua "$url" >/dev/null 2>&1
done
echo "Deployment (HAProxy, 3 replicas): mixed load on fresh jobs..."
load "deployment" "http://127.0.0.1:$haproxy_port" "$deployment" "$HOT" "$HOT_SHARE"
echo "One replica alone: the same load on other fresh jobs..."
load "alone" "http://127.0.0.1:$alone_port" "$alone" "$HOT" "$HOT_SHARE"
echo "Both again on the same jobs, now stored: hot ones from the memory tiers, cold ones mostly from Redis..."
load "deployment-stored" "http://127.0.0.1:$haproxy_port" "$deployment" "$HOT" "$HOT_SHARE"
load "alone-stored" "http://127.0.0.1:$alone_port" "$alone" "$HOT" "$HOT_SHARE"
echo "Deployment: hot jobs only (memory-tier hits), then cold jobs only (mostly Redis hits)..."
load "memory-hits" "http://127.0.0.1:$haproxy_port" "$deployment" "$HOT" 1
load "redis-hits" "http://127.0.0.1:$haproxy_port" "$deployment" 0 0
curl -sf "http://127.0.0.1:$standin_port/_standin/stats" >"$out/stats-after.json"
redis_memory >"$out/memory-after.txt"
# One stored entry's own size, from the master that holds it.
sample_key=$(redis-cli --cluster call "127.0.0.1:${redis_ports[0]}" keys "lb:job:v2:*:${deployment}cold-1" 2>/dev/null |
  grep -o "lb:job:v2:[^ ]*" | head -1 || true)
[ -z "$sample_key" ] || redis-cli -c -p "${redis_ports[0]}" memory usage "$sample_key" >"$out/entry-bytes.txt"

report="bench/results/$(date -u +%F)-lb.md"
[ ! -e "$report" ] || report="bench/results/$(date -u +%F)-lb-$(date -u +%H%M%S).md"
python3 - "$out" "$deployment" "$alone" "$DURATION" >"$report" <<'PY'
import json, re, sys
out, deployment, alone, duration = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
after = json.load(open(f"{out}/stats-after.json"))["jobReads"]
loads = {}
for line in open(f"{out}/loads.txt"):
    name = line.split()[0]
    fields = dict(re.findall(r"(\w+)=(\S+)", line))
    statuses = {}
    for part in filter(None, fields["statuses"].split(",")):
        code, n = part.rsplit("=", 1)
        statuses[code] = int(n)
    c0, b0 = map(int, fields["redis_before"].split(":")); c1, b1 = map(int, fields["redis_after"].split(":"))
    loads[name] = dict(requests=int(fields["requests"]), errors=int(fields["errors"]), p50=int(fields["p50_us"]) / 1000,
                       p99=int(fields["p99_us"]) / 1000, statuses=statuses, commands=c1 - c0, bytes=b1 - b0)

def upstream(prefix):
    reads = [n for job, n in after.items() if job.startswith(prefix)]
    return len(reads), sum(reads), max(reads) if reads else 0

def hits(statuses):
    answered = sum(statuses.values())
    return sum(n for k, n in statuses.items() if k.startswith("200:hit")) / answered if answered else 0

def failed(statuses):
    return sum(n for k, n in statuses.items() if not k.startswith("200:"))

print(f"# Replicas behind a load balancer, on a Redis Cluster")
print()
print("| load (mixed: half hot, half walking the cold set) | requests | req/s | p50 ms | p99 ms | hit ratio | non-200 answers | socket errors | distinct jobs read upstream | upstream reads | most reads of one job |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for name, prefix, label in (("deployment", deployment, "fresh jobs: 3 replicas behind HAProxy"), ("alone", alone, "fresh jobs: 1 replica alone"),
                            ("deployment-stored", deployment, "same jobs again: 3 replicas behind HAProxy"), ("alone-stored", alone, "same jobs again: 1 replica alone")):
    l = loads[name]
    # Upstream reads are counted per job over the whole run: a second pass over stored jobs adds none (the first row says how many).
    cells = "| – | – | – |" if name.endswith("stored") else "| {:,} | {:,} | {} |".format(*upstream(prefix))
    print(f"| {label} | {l['requests']:,} | {l['requests'] / duration:,.0f} | {l['p50']:.2f} | {l['p99']:.2f} | {hits(l['statuses']):.4f} | "
          f"{failed(l['statuses']):,} | {l['errors']:,} " + cells)
print()
print("| hits through HAProxy | requests | req/s | p99 ms | Redis commands per request | Redis bytes out per request |")
print("|---|---:|---:|---:|---:|---:|")
for name, label in (("memory-hits", "hot jobs only (memory tier)"), ("redis-hits", "cold jobs only (Redis)")):
    l = loads[name]
    print(f"| {label} | {l['requests']:,} | {l['requests'] / duration:,.0f} | {l['p99']:.2f} | {l['commands'] / l['requests']:.3f} | {l['bytes'] / l['requests']:,.0f} |")
memory = int(open(f"{out}/memory-after.txt").read()) - int(open(f"{out}/memory-before.txt").read())
stored = upstream(deployment)[0] + upstream(alone)[0]
try:
    entry = int(open(f"{out}/entry-bytes.txt").read().strip())
except (OSError, ValueError):
    entry = None
print()
print(f"Redis memory (masters) grew by {memory / 2**20:,.1f} MiB for {stored:,} stored jobs: {memory / max(stored, 1):,.0f} bytes per job"
      + (f" (one entry alone: MEMORY USAGE {entry:,} bytes)" if entry else "") + "; replicas hold as much again.")
print()
print("Answers by status and Cache-Status: " + "; ".join(f"{name}: " + ", ".join(f"{n:,}× {k}" for k, n in sorted(l["statuses"].items())) for name, l in loads.items()))
PY
{
  echo
  echo "Command: \`COLD=$COLD HOT=$HOT HOT_SHARE=$HOT_SHARE SIZE=$SIZE DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS MEMORY=$MEMORY bench/lb.sh\` ($(date -u +%F))"
  echo "($(nproc) cores, .NET SDK $(dotnet --version), $(haproxy -v | head -1 | cut -d' ' -f1-3), redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), 3 masters + 3 replicas)."
} >>"$report"
cat "$report"
echo
echo "Written to $report (raw output in $out/)"
