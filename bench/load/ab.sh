#!/usr/bin/env bash
# Interleaved A/B of the prompt endpoint over HTTP: two builds of the service run side by side (each on its own port with
# its own embedded PostgreSQL and data folder, both warmed up once), then short rounds alternate between them (A B, B A,
# A B, ...), so a machine whose speed drifts within the hour slows both builds alike. Per round and build it prints
# prompts/s, the CPU µs per prompt of the service, of PostgreSQL (from /proc) and of wrk, and the managed bytes allocated per prompt
# (the runtime's meter, where the build exports it); at the end, the median of the per-round ratios (B / A) and their
# spread, the ratio to GET /health/live (measured on B in every round), and a full verification of both decision
# chains (every answered request recorded, the chain intact).
#   BASE_DLL=/tmp/base/src/Compliance.Api/bin/Release/net10.0/Compliance.Api.dll bench/load/ab.sh [rounds=6] [seconds=10] [connections=64]
# Environment: BASE_DLL (A, required: an older build, e.g. main's commit built into a separate worktree), NEW_DLL (B,
# default this checkout's Release build), WARMUP (seconds of prompt load per build before the rounds, default 30),
# LIVE (seconds of /health/live per round, default 5), THREADS (wrk threads, default 2), ENV_A / ENV_B (extra environment
# for one build, e.g. ENV_B="DOTNET_gcServer=0" to measure a runtime setting on the same build: BASE_DLL=NEW_DLL).
# wrk shares the two cores with both services and both PostgreSQL clusters; the idle build's threads sleep.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-6}
seconds=${2:-10}
connections=${3:-64}
threads=${THREADS:-2}
warmup=${WARMUP:-30}
live_seconds=${LIVE:-5}
base_dll=${BASE_DLL:?BASE_DLL must name the baseline build of Compliance.Api.dll}
new_dll=${NEW_DLL:-src/Compliance.Api/bin/Release/net10.0/Compliance.Api.dll}
out=${OUT:-.data/bench-ab}
hz=$(getconf CLK_TCK)

scripts/setup.sh
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
[ -n "${NEW_DLL:-}" ] || dotnet build src/Compliance.Api -c Release -nologo -v q >/dev/null
rm -rf "$out"
mkdir -p "$out"

declare -A dll port pid key auditor rh
dll[A]=$base_dll; dll[B]=$new_dll
port[A]=${PORT_A:-5095}; port[B]=${PORT_B:-5096}

cleanup() { for b in A B; do [ -n "${pid[$b]:-}" ] && kill "${pid[$b]}" 2>/dev/null && wait "${pid[$b]}" 2>/dev/null; done; true; }
trap cleanup EXIT

url() { echo "http://127.0.0.1:${port[$1]}"; }

start() {
  local b=$1
  local extra; extra=ENV_$b
  # shellcheck disable=SC2086
  env ${!extra:-} ASPNETCORE_ENVIRONMENT=Production Demo__Seed=true Paths__Data="$PWD/$out/$b" Paths__Models="$PWD/.data/models" Paths__Policies="$PWD/policies" \
    Logging__LogLevel__Default=Warning dotnet "${dll[$b]}" --urls "$(url "$b")" >"$out/$b.log" 2>&1 &
  pid[$b]=$!
}

ready() {
  local b=$1
  for _ in $(seq 1 180); do curl -sf "$(url "$b")/health/ready" >/dev/null && break; sleep 1; done
  curl -sf "$(url "$b")/health/ready" >/dev/null || { echo "build $b did not become ready; see $out/$b.log" >&2; exit 1; }
  # shellcheck disable=SC1090
  source "$out/$b/demo-keys.env"
  key[$b]=$PLATFORM_KEY; auditor[$b]=$AUDITOR_KEY; rh[$b]=$RIGHTS_HOLDER_KEY
  # Names only: the demo characters' descriptions removed through the rights holder's API (no MiniLM per prompt).
  curl -sf "$(url "$b")/v1/characters" -H "Authorization: Bearer ${rh[$b]}" \
    | jq -c '(if type == "array" then .[] else .items[] end) | {id, body: {canonicalName, aliases, franchise}}' \
    | while read -r row; do
        curl -sf -X PUT "$(url "$b")/v1/characters/$(jq -r .id <<<"$row")" -H "Authorization: Bearer ${rh[$b]}" \
          -H 'Content-Type: application/json' -d "$(jq -c .body <<<"$row")" >/dev/null
      done
}

ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
# PostgreSQL's CPU: the postmaster's own and its reaped children's (a backend that exits during a round moves its time
# there), plus every child alive at the moment of reading.
pg_ticks() {
  # Read again until neither the postmaster's reaped-children time nor its list of children moved while the children were
  # read: a backend that exits (and is reaped) in between would otherwise be counted in neither reading.
  local pm kids again c1 c2 sum; pm=$(head -n1 "$out/$1/postgres/pgdata/postmaster.pid")
  for _ in 1 2 3 4 5; do
    c1=$(awk '{ print $16 + $17 }' "/proc/$pm/stat"); kids=$(pgrep -P "$pm" | tr '\n' ' ')
    sum=$(ticks $kids)
    again=$(pgrep -P "$pm" | tr '\n' ' '); c2=$(awk '{ print $16 + $17 }' "/proc/$pm/stat")
    [ "$c1" = "$c2" ] && [ "$kids" = "$again" ] && break
  done
  echo $(( $(awk '{ print $14 + $15 }' "/proc/$pm/stat") + c2 + sum ))
}
# (awk reads the whole page: exiting early would make curl fail on a closed pipe.)
allocated() { curl -s "$(url "$1")/metrics" | awk '/^dotnet_gc_heap_total_allocated_bytes_total/ && !v { v = $NF } END { print v }'; }
verify() { curl -s --max-time 600 "$(url "$1")/v1/decisions/verify" -H "Authorization: Bearer ${auditor[$1]}"; }
# wrk's own CPU (user + system seconds) goes to $out/wrk-cpu: the load generator shares the two cores.
wrk_prompts() {
  KEY=${key[$1]} /usr/bin/time -f '%U %S' -o "$out/wrk-cpu" wrk -t"$threads" -c"$connections" -d"$2s" --latency -s bench/load/screen.lua "$(url "$1")" | tail -n 1
}

declare -A answered
answered[A]=0; answered[B]=0

# One measured run of build $1 in round $2: one row of results.tsv.
measure() {
  local b=$1 r=$2 svc0 pg0 a0 result svc1 pg1 a1 n rps non2xx errors p50 p99 alloc wrk_us
  svc0=$(ticks "${pid[$b]}"); pg0=$(pg_ticks "$b"); a0=$(allocated "$b")
  result=$(wrk_prompts "$b" "$seconds")
  svc1=$(ticks "${pid[$b]}"); pg1=$(pg_ticks "$b"); a1=$(allocated "$b")
  n=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$result")
  rps=$(sed -n 's/.*rps=\([0-9]*\).*/\1/p' <<<"$result")
  non2xx=$(sed -n 's/.*non2xx=\([0-9]*\).*/\1/p' <<<"$result")
  errors=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$result")
  p50=$(sed -n 's/.*p50_ms=\([0-9.]*\).*/\1/p' <<<"$result")
  p99=$(sed -n 's/.*p99_ms=\([0-9.]*\).*/\1/p' <<<"$result")
  [ "$non2xx" = 0 ] || { echo "FAIL: build $b answered $non2xx non-2xx responses in round $r" >&2; exit 1; }
  answered[$b]=$((answered[$b] + n))
  alloc=$( [ -n "$a0" ] && [ -n "$a1" ] && awk -v a="$a0" -v c="$a1" -v n="$n" 'BEGIN { printf "%.0f", (c - a) / n }' || echo "-")
  wrk_us=$(awk -v n="$n" '{ printf "%.0f", ($1 + $2) * 1e6 / n }' "$out/wrk-cpu")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$b" "$rps" \
    "$(( (svc1 - svc0) * 1000000 / hz / n ))" "$(( (pg1 - pg0) * 1000000 / hz / n ))" "$wrk_us" "$alloc" "$p50" "$p99" "$errors" "$(cut -d' ' -f1 /proc/loadavg)" >>"$out/results.tsv"
  tail -n1 "$out/results.tsv"
}

live() {
  local b=$1 r=$2 rps
  rps=$(wrk -t"$threads" -c"$connections" -d"${live_seconds}s" "$(url "$b")/health/live" | sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p')
  printf '%s\t%s\n' "$r" "${rps%.*}" >>"$out/live.tsv"
}

echo "A (base): ${dll[A]}"
echo "B (new):  ${dll[B]}"
echo "extra environment: A: ${ENV_A:-none}; B: ${ENV_B:-none}"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# One start-up at a time (each migrates and seeds its own cluster), then one warm-up per build while the other idles.
start A; ready A; start B; ready B
for b in A B; do KEY=${key[$b]} wrk -t"$threads" -c"$connections" -d"${warmup}s" -s bench/load/screen.lua "$(url "$b")" >/dev/null; done
wrk -t"$threads" -c"$connections" -d3s "$(url B)/health/live" >/dev/null
declare -A before
for b in A B; do before[$b]=$(verify "$b" | sed -n 's/.*"entriesChecked":\([0-9]*\).*/\1/p'); done

printf 'round\tbuild\tprompts_per_s\tservice_us\tpostgres_us\twrk_us\talloc_bytes\tp50_ms\tp99_ms\tsocket_errors\tload1\n' | tee "$out/results.tsv"
: >"$out/live.tsv"
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
  for b in $order; do measure "$b" "$r"; done
  live B "$r"
done

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
for b in A B; do
  v=$(verify "$b")
  recorded=$(( $(sed -n 's/.*"entriesChecked":\([0-9]*\).*/\1/p' <<<"$v") - before[$b] ))
  echo "chain $b: $v"
  echo "chain $b: $recorded entries recorded during the rounds for ${answered[$b]} answered requests"
  grep -q '"intact":true' <<<"$v" || { echo "FAIL: chain $b does not verify" >&2; status=1; }
  [ "$recorded" -ge "${answered[$b]}" ] || { echo "FAIL: build $b recorded fewer decisions than it answered" >&2; status=1; }
done
python3 bench/load/ab-summary.py "$out/results.tsv" "$out/live.tsv"
exit $status
