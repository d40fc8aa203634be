#!/usr/bin/env bash
# HTTP load run: starts the service (Release, Production settings) on a fresh embedded PostgreSQL with
# demo data, drives POST /v1/screen/prompt with wrk from this machine (loopback only), then asks the
# service to verify its decision log and checks that every answered request was recorded.
#   bench/load/run.sh [connections=64] [seconds=20]
set -euo pipefail
cd "$(dirname "$0")/../.."
connections=${1:-64}
seconds=${2:-20}
port=5090
data=.data/bench-postgres

scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
dotnet build src/Compliance.Api -c Release -nologo -v q >/dev/null

rm -rf "$data" .data/bench-keys.env
ASPNETCORE_ENVIRONMENT=Production Demo__Seed=true Demo__KeysFile=.data/bench-keys.env Database__LocalDirectory="$data" \
  Logging__LogLevel__Default=Warning \
  dotnet src/Compliance.Api/bin/Release/net10.0/Compliance.Api.dll --urls "http://127.0.0.1:$port" >.data/bench-service.log 2>&1 &
service=$!
trap 'kill $service 2>/dev/null; wait $service 2>/dev/null' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break
  sleep 1
done
# shellcheck disable=SC1091
source .data/bench-keys.env

# Warm-up (JIT, pools), then the measured run.
KEY=$PLATFORM_KEY wrk -t2 -c"$connections" -d5s -s bench/load/screen.lua "http://127.0.0.1:$port" >/dev/null
before=$(curl -s "http://127.0.0.1:$port/v1/decisions/verify" -H "Authorization: Bearer $AUDITOR_KEY" | sed -n 's/.*"entriesChecked":\([0-9]*\).*/\1/p')
result=$(KEY=$PLATFORM_KEY wrk -t2 -c"$connections" -d"${seconds}s" --latency -s bench/load/screen.lua "http://127.0.0.1:$port" | tail -n 1)
verify=$(curl -s "http://127.0.0.1:$port/v1/decisions/verify" -H "Authorization: Bearer $AUDITOR_KEY")
after=$(sed -n 's/.*"entriesChecked":\([0-9]*\).*/\1/p' <<<"$verify")
requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$result")
echo "$result"
echo "decision log: $((after - before)) entries recorded during the run for $requests requests; verify: $verify"
[ "$((after - before))" -ge "$requests" ] || { echo "FAIL: fewer decisions recorded than requests answered" >&2; exit 1; }
