#!/usr/bin/env bash
# CPU profile of the service under the prompt load: where a screened prompt's CPU goes (JSON, hashing, policy, the
# name classifier, the decision-log write, auth, Npgsql, HTTP, the thread pool, the kernel).
#   bench/load/profile.sh [seconds=12]
# Starts the service like run.sh (names-only catalog), warms it up for WARMUP seconds (default 40: tiered JIT must
# reach optimised code before anything is sampled), then samples it with perf (cpu-clock, call graphs, the runtime's
# perf map for JIT-compiled frames) while wrk drives POST /v1/screen/prompt, and prints the breakdown.
# SERVICE_DLL measures another build (an older commit's) the same way. Needs perf (Debian's linux-perf).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-12}
warmup=${WARMUP:-40}
port=${PORT:-5092}
dll=${SERVICE_DLL:-src/Compliance.Api/bin/Release/net10.0/Compliance.Api.dll}
data=.data/bench-profile
url="http://127.0.0.1:$port"
command -v perf >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null; }
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
dotnet build src/Compliance.Api -c Release -nologo -v q >/dev/null

rm -rf "$data"
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 ASPNETCORE_ENVIRONMENT=Production Demo__Seed=true \
  Paths__Data="$PWD/$data" Paths__Models="$PWD/.data/models" Paths__Policies="$PWD/policies" Logging__LogLevel__Default=Warning \
  dotnet "$dll" --urls "$url" >"$data.log" 2>&1 &
service=$!
trap 'kill $service 2>/dev/null; wait $service 2>/dev/null' EXIT
for _ in $(seq 1 120); do curl -sf "$url/health/ready" >/dev/null && break; sleep 1; done
# shellcheck disable=SC1091
source "$data/demo-keys.env"
curl -sf "$url/v1/characters" -H "Authorization: Bearer $RIGHTS_HOLDER_KEY" \
  | jq -c '(if type == "array" then .[] else .items[] end) | {id, body: {canonicalName, aliases, franchise}}' \
  | while read -r row; do
      curl -sf -X PUT "$url/v1/characters/$(jq -r .id <<<"$row")" -H "Authorization: Bearer $RIGHTS_HOLDER_KEY" \
        -H 'Content-Type: application/json' -d "$(jq -c .body <<<"$row")" >/dev/null
    done

KEY=$PLATFORM_KEY wrk -t2 -c64 -d"${warmup}s" -s bench/load/screen.lua "$url" >/dev/null
KEY=$PLATFORM_KEY wrk -t2 -c64 -d"$((seconds + 6))s" -s bench/load/screen.lua "$url" >"$data.wrk" &
load=$!
sleep 3
# PostgreSQL (the postmaster and its backends, background writers included) is sampled in the same window.
pm=$(head -n1 "$data/postgres/pgdata/postmaster.pid")
pg=$(echo "$pm" $(pgrep -P "$pm") | tr ' ' ',')
perf record -q -p "$pg" -g -F 999 -e cpu-clock -o "$data.pg.perf" -- sleep "$seconds" 2>/dev/null &
pgperf=$!
perf record -q -p "$service" -g -F 999 -e cpu-clock -o "$data.perf" -- sleep "$seconds" 2>/dev/null
wait "$pgperf"
wait "$load"
echo "service: $dll; load average $(cut -d' ' -f1-3 /proc/loadavg); $(tail -n1 "$data.wrk")"
perf script -i "$data.perf" 2>/dev/null | python3 bench/load/cpu-breakdown.py
echo
echo "PostgreSQL in the same window: $(perf script -i "$data.pg.perf" -F comm 2>/dev/null | wc -l) samples; where they go:"
perf script -i "$data.pg.perf" 2>/dev/null | python3 bench/load/pg-breakdown.py
