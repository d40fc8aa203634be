#!/usr/bin/env bash
# HTTP load run: starts the service (Release, Production settings) on a fresh embedded PostgreSQL with
# demo data, drives POST /v1/screen/prompt with wrk from this machine (loopback only), then asks the
# service to verify its decision log and checks that every answered request was recorded.
#   bench/load/run.sh [connections=64] [seconds=20]
# Environment:
#   CATALOG=names|descriptions|both  (default both) names: the demo characters' descriptions are removed through the
#       API first, so a prompt runs the name matcher only; descriptions: the demo catalog as seeded (every prompt also
#       runs MiniLM over its windows). "both" measures names, then descriptions, in the same service.
#   PORT (default 5090), THREADS (wrk threads, default 2), WARMUP (seconds of prompt load before anything is measured,
#   default 30: on a loaded 2-core machine tiered JIT needs that long to reach optimised code), SERVICE_DLL (another
#   build of the service to measure, e.g. an older commit's, for a same-run comparison; default this checkout's).
# In the same run it measures GET /health/live (the framework's floor) with the same connections and threads, and
# prints the ratio. wrk shares the two cores with the service and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../.."
connections=${1:-64}
seconds=${2:-20}
port=${PORT:-5090}
threads=${THREADS:-2}
catalog=${CATALOG:-both}
warmup=${WARMUP:-30}
dll=${SERVICE_DLL:-src/Compliance.Api/bin/Release/net10.0/Compliance.Api.dll}
data=.data/bench
url="http://127.0.0.1:$port"

scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
dotnet build src/Compliance.Api -c Release -nologo -v q >/dev/null

rm -rf "$data"
# Paths: the bench's own data folder (its cluster, keys, checkpoints), the checkout's models and policies.
ASPNETCORE_ENVIRONMENT=Production Demo__Seed=true Paths__Data="$PWD/$data" Paths__Models="$PWD/.data/models" Paths__Policies="$PWD/policies" \
  Logging__LogLevel__Default=Warning \
  dotnet "$dll" --urls "$url" >.data/bench-service.log 2>&1 &
service=$!
trap 'kill $service 2>/dev/null; wait $service 2>/dev/null' EXIT
for _ in $(seq 1 120); do
  curl -sf "$url/health/ready" >/dev/null && break
  sleep 1
done
curl -sf "$url/health/ready" >/dev/null || { echo "the service did not become ready; see .data/bench-service.log" >&2; exit 1; }
# shellcheck disable=SC1091
source "$data/demo-keys.env"

# CPU time (user + system, in clock ticks) of the service, of the PostgreSQL cluster (postmaster and its backends) and
# of wrk: read before and after a measured run, so the per-request CPU of each is known even on a loaded machine.
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
# PostgreSQL: the postmaster's own and reaped children's time (a backend that exits mid-run moves its time there) plus
# every child alive when read.
pg_ticks() {
  # Read again until neither the postmaster's reaped-children time nor its list of children moved while the children were
  # read: a backend that exits (and is reaped) in between would otherwise be counted in neither reading.
  local pm kids again c1 c2 sum; pm=$(head -n1 "$data/postgres/pgdata/postmaster.pid")
  for _ in 1 2 3 4 5; do
    c1=$(awk '{ print $16 + $17 }' "/proc/$pm/stat"); kids=$(pgrep -P "$pm" | tr '\n' ' ')
    sum=$(ticks $kids)
    again=$(pgrep -P "$pm" | tr '\n' ' '); c2=$(awk '{ print $16 + $17 }' "/proc/$pm/stat")
    [ "$c1" = "$c2" ] && [ "$kids" = "$again" ] && break
  done
  echo $(( $(awk '{ print $14 + $15 }' "/proc/$pm/stat") + c2 + sum ))
}
hz=$(getconf CLK_TCK)

# Bytes the service's managed code allocated so far (the runtime's System.Runtime meter, scraped from /metrics; empty for
# a build without that meter).
allocated() { curl -s "$url/metrics" | awk '/^dotnet_gc_heap_total_allocated_bytes_total/ && !v { v = $NF } END { print v }'; }

entries() { curl -s "$url/v1/decisions/verify" -H "Authorization: Bearer $AUDITOR_KEY" | tee .data/bench-verify.json | sed -n 's/.*"entriesChecked":\([0-9]*\).*/\1/p'; }

# One measured run of the prompt endpoint: warm-up (JIT, pools), wrk, then verify the whole chain.
screen() {
  local label=$1
  KEY=$PLATFORM_KEY wrk -t"$threads" -c"$connections" -d5s -s bench/load/screen.lua "$url" >/dev/null
  local before; before=$(entries)
  local svc0 pg0; svc0=$(ticks $service); pg0=$(pg_ticks)
  local alloc0; alloc0=$(allocated)
  local result; result=$(KEY=$PLATFORM_KEY wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s bench/load/screen.lua "$url" | tail -n 1)
  local svc1 pg1; svc1=$(ticks $service); pg1=$(pg_ticks)
  local alloc1; alloc1=$(allocated)
  local after; after=$(entries)
  local requests; requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$result")
  prompt_rps=$(sed -n 's/.*rps=\([0-9]*\).*/\1/p' <<<"$result")
  echo "prompt ($label): $result"
  echo "CPU per request: service $(( (svc1 - svc0) * 1000000 / hz / requests )) µs, PostgreSQL $(( (pg1 - pg0) * 1000000 / hz / requests )) µs"
  if [ -n "$alloc0" ] && [ -n "$alloc1" ]; then
    echo "allocated per request (service, managed): $(awk -v a="$alloc0" -v b="$alloc1" -v r="$requests" 'BEGIN { printf "%.0f", (b - a) / r }') bytes"
  fi
  echo "decision log: $((after - before)) entries recorded during the run for $requests requests; verify: $(cat .data/bench-verify.json)"
  [ "$((after - before))" -ge "$requests" ] || { echo "FAIL: fewer decisions recorded than requests answered" >&2; exit 1; }
  grep -q '"intact":true' .data/bench-verify.json || { echo "FAIL: the chain does not verify" >&2; exit 1; }
}

# The floor: the same wrk against the cheapest endpoint (no auth, no body, no database).
live() {
  wrk -t"$threads" -c"$connections" -d5s "$url/health/live" >/dev/null
  local svc0; svc0=$(ticks $service)
  live_rps=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" "$url/health/live" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
  local svc1; svc1=$(ticks $service)
  echo "health/live: ${live_rps%.*} requests/s; service CPU per request $(awk -v t=$((svc1 - svc0)) -v hz="$hz" -v r="$live_rps" -v s="$seconds" 'BEGIN { printf "%.0f", t / hz * 1e6 / (r * s) }') µs"
}

# Removes every demo character's description (and example prompts) through the rights holder's API: the catalog reloads
# without semantic rows, so prompts run the name path alone.
names_only() {
  curl -sf "$url/v1/characters" -H "Authorization: Bearer $RIGHTS_HOLDER_KEY" \
    | jq -c '(if type == "array" then .[] else .items[] end) | {id, body: {canonicalName, aliases, franchise}}' \
    | while read -r row; do
        curl -sf -X PUT "$url/v1/characters/$(jq -r .id <<<"$row")" -H "Authorization: Bearer $RIGHTS_HOLDER_KEY" \
          -H 'Content-Type: application/json' -d "$(jq -c .body <<<"$row")" >/dev/null
      done
  sleep 2
}

echo "service: $dll; machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm-up of everything measured below, so tiered JIT compilation is not counted against the first measurement.
KEY=$PLATFORM_KEY wrk -t"$threads" -c"$connections" -d"${warmup}s" -s bench/load/screen.lua "$url" >/dev/null
live
if [ "$catalog" = descriptions ] || [ "$catalog" = both ]; then
  screen "catalog with descriptions: MiniLM on every prompt"
  echo "ratio to health/live: $(awk -v a="$prompt_rps" -v b="$live_rps" 'BEGIN { printf "%.2f", a / b }')"
fi
if [ "$catalog" = names ] || [ "$catalog" = both ]; then
  names_only
  screen "catalog with names only"
  echo "ratio to health/live: $(awk -v a="$prompt_rps" -v b="$live_rps" 'BEGIN { printf "%.2f", a / b }')"
fi
live
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
