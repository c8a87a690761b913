# Helpers shared by the benchmark scripts; sourced, not run.

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# url pid log [curl args...]: wait up to 30 s for a 2xx, failing at once (with the log's tail) if the process died.
wait_http() {
  local url="$1" pid="$2" log="$3" _; shift 3
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { echo "$log: the process exited during start-up:" >&2; tail -n 20 "$log" >&2; exit 1; }
    curl -sf -o /dev/null "$@" "$url" && return 0
    sleep 0.1
  done
  echo "no answer from $url within 30 s" >&2; tail -n 20 "$log" >&2; exit 1
}
