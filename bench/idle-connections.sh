#!/usr/bin/env bash
# Memory per idle keep-alive connection, direct hits on and off (see bench/README.md, "Memory per idle connection"):
# for each setting a fresh gateway; WARM (100) connections each make one hit and close (so the code is jitted and the
# pools are primed), then CONNECTIONS (500) connections each make one hit and stay open; the gateway's resident set
# is read before and after, once the count of open connections has settled; the difference over CONNECTIONS is the cost.
# TURN=1 makes each request one the direct path hands to Kestrel for a turn (an If-None-Match that does not match), so
# what an idle connection keeps after a turn is measured instead.
# Usage: bench/idle-connections.sh        (CONNECTIONS=500 WARM=100 ROUNDS=3 TURN=0)
# Needs: .NET 10 SDK, python3, curl. Everything on 127.0.0.1; every process started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
CONNECTIONS="${CONNECTIONS:-500}"; WARM="${WARM:-100}"; ROUNDS="${ROUNDS:-3}"; TURN="${TURN:-0}"
KEY="bench-team-gateway-key-0001"
work="$(mktemp -d)"; pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
. bench/lib.sh

dotnet build Gateway.sln -c Release -nologo -v quiet >/dev/null
standin=$(free_port)
dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:$standin" >"$work/standin.log" 2>&1 &
standin_pid=$!; pids+=($standin_pid)
wait_http "http://127.0.0.1:$standin/version" "$standin_pid" "$work/standin.log" -H "Authorization: Bearer stand-in-key"

measure() {  # pid port: prints "before after per-connection" in bytes
  python3 - "$1" "$2" "$KEY" "$CONNECTIONS" "$WARM" "$TURN" <<'PY'
import socket, sys, time
pid, port, key, count, warm, turn = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6] == "1"
condition = 'If-None-Match: "no-such-etag"\r\n' if turn else ""
request = f"GET /job/done-2k-idle HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {key}\r\n{condition}\r\n".encode()
def rss():
    return next(int(l.split()[1]) * 1024 for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
def hit():
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(request); data = b""
    while b"\r\n\r\n" not in data: data += s.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")))
    while len(body) < length: body += s.recv(65536)
    assert head.startswith(b"HTTP/1.1 200"), head
    return s
for _ in range(warm): hit().close()
time.sleep(2)
before = rss()
held = [hit() for _ in range(count)]
time.sleep(3)
after = rss()
print(before, after, (after - before) // count)
for s in held: s.close()
PY
}

printf "| direct hits | round | RSS before (MiB) | RSS after %s idle connections (MiB) | per connection (KiB) |\n|---|---|---|---|---|\n" "$CONNECTIONS"
for direct in true false; do
  for ((r = 1; r <= ROUNDS; r++)); do
    port=$(free_port)
    ( cd src/Gateway/bin/Release/net10.0 && ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
      Upstream__BaseUrl="http://127.0.0.1:$standin" Upstream__ApiKey=stand-in-key Auth__ClientKeys__bench="$KEY" Jobs__UnownedJobs=Shared \
      Server__DirectHits="$direct" exec dotnet Gateway.dll --urls "http://127.0.0.1:$port" ) >"$work/gateway.log" 2>&1 &
    gateway_pid=$!
    wait_http "http://127.0.0.1:$port/healthz" "$gateway_pid" "$work/gateway.log"
    read -r before after per < <(measure "$gateway_pid" "$port")
    python3 -c "import sys; b,a,p=map(int,sys.argv[3:]); print(f'| {sys.argv[1]} | {sys.argv[2]} | {b/2**20:.1f} | {a/2**20:.1f} | {p/1024:.1f} |')" "$direct" "$r" "$before" "$after" "$per"
    stop "$gateway_pid"
  done
done
