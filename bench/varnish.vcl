vcl 4.1;
# Varnish in front of the Reducto stand-in, doing the nginx anchor's job in bench/run.sh the way a team would
# configure it: check the caller's key, swap in the server key, cache 200s by URL for an hour, store them gzipped
# (beresp.do_gzip: gzip clients get the stored bytes, identity clients a gunzip per request), and pass running
# jobs. bench/run.sh fills in the @...@ placeholders and starts varnishd with -n in a private directory.

backend standin {
  .host = "127.0.0.1";
  .port = "@STANDIN_PORT@";
}

sub vcl_recv {
  if (req.url !~ "^/job/") {
    return (synth(404));
  }
  if (req.method != "GET" && req.method != "HEAD") {
    return (synth(405));
  }
  if (req.http.Authorization != "Bearer @GATEWAY_KEY@") {
    return (synth(401));
  }
  set req.http.Authorization = "Bearer @STANDIN_KEY@";
  unset req.http.Cookie;
  # Varnish cannot read the job's status either: running ids go upstream every time, like nginx-pass.
  if (req.url ~ "^/job/pending-") {
    return (pass);
  }
  # Not the built-in vcl_recv, which passes every request carrying Authorization.
  return (hash);
}

sub vcl_hash {
  hash_data(req.url);
  return (lookup);
}

sub vcl_backend_response {
  if (beresp.status == 200) {
    set beresp.ttl = 1h;
    set beresp.do_gzip = true;
  } else {
    set beresp.uncacheable = true;
    set beresp.ttl = 0s;
  }
  return (deliver);
}

sub vcl_deliver {
  # Parity with nginx's X-Cache-Status and the gateway's Cache-Status; the run checks it before measuring.
  if (obj.hits > 0) {
    set resp.http.X-Cache-Status = "HIT";
  } else {
    set resp.http.X-Cache-Status = "MISS";
  }
}
