# Helpers shared by the benchmark scripts; sourced, not run.

# pid: stop one process the script started: TERM, up to 5 s, then KILL.
stop() {
  local pid="$1" _
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Stop every process in the script's pids array, newest first, and empty it.
stop_pids() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop "${pids[$i]}"; done
  pids=()
}

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

# run_dir standin_port: the head of an nginx.conf shared by the benchmarks (process settings, private temp paths, the
# job cache zone, the stand-in upstream), ending inside the open http block for the caller's directives and servers.
nginx_conf_head() {
  local run="$1" standin_port="$2" user_line=""
  [ "$(id -u)" = 0 ] && user_line="user root;  # workers must write the cache in this private temp dir"
  cat <<NGINX
worker_processes 2;
$user_line
daemon off;
pid $run/nginx.pid;
error_log $run/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $run/client_body;
  proxy_temp_path $run/proxy_temp;
  fastcgi_temp_path $run/fastcgi_temp;
  uwsgi_temp_path $run/uwsgi_temp;
  scgi_temp_path $run/scgi_temp;
  proxy_cache_path $run/cache levels=1:2 keys_zone=jobs:16m max_size=1g inactive=60m use_temp_path=off;
  upstream standin { server 127.0.0.1:$standin_port; keepalive 64; }  # idle upstream connections kept: one per wrk connection
NGINX
}

# [directives]: the /job/ location proxying to the stand-in with its key, as a team would write it; the argument adds
# per-server directives (the cache settings).
nginx_job_location() {
  cat <<LOCATION
    location /job/ {
      proxy_pass http://standin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer stand-in-key";
      ${1:-}
    }
LOCATION
}
