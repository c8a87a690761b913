#!/usr/bin/env bash
# Runs the gateway on http://localhost:5000 with its in-process cache (set ConnectionStrings__Redis to use Redis).
# With REDUCTO_API_KEY set it fronts the real Reducto. Without it, it starts the bundled Reducto stand-in on
# loopback and fronts that, so the whole gateway can be tried offline.
set -euo pipefail
cd "$(dirname "$0")"

port="${GATEWAY_PORT:-5000}"
dotnet build Gateway.sln -c Release -nologo -v quiet

if [ -z "${REDUCTO_API_KEY:-}" ] && [ -z "${Upstream__ApiKey:-}" ]; then
  standin_port="${STANDIN_PORT:-5080}"
  dotnet src/Reducto.StandIn/bin/Release/net10.0/Reducto.StandIn.dll --urls "http://127.0.0.1:${standin_port}" &
  standin_pid=$!
  trap 'kill "$standin_pid" 2>/dev/null || true' EXIT
  export Upstream__BaseUrl="http://127.0.0.1:${standin_port}"
  export Upstream__ApiKey="stand-in-key"
  echo "REDUCTO_API_KEY is not set: fronting the Reducto stand-in at ${Upstream__BaseUrl}."
  echo "Try: curl -i -H 'Authorization: Bearer dev-only-gateway-key-not-a-secret' http://localhost:${port}/job/done-64k"
  echo "     (also pending-x, failed-x, after-10s-x; Swagger UI at /swagger)"
fi

# Development loads appsettings.Development.json, which carries a clearly marked local-only gateway key.
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
if [ "$ASPNETCORE_ENVIRONMENT" = "Development" ]; then
  echo "Gateway key for this local run: dev-only-gateway-key-not-a-secret (send it as Authorization: Bearer ...)"
fi
dotnet run --no-build -c Release --project src/Gateway -- --urls "http://localhost:${port}"
