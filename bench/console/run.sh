#!/usr/bin/env bash
# Console page latency at a large decision log: starts the service (Release, Production settings) on a fresh embedded
# PostgreSQL with demo data, appends N synthetic decisions with one SQL statement (default 1,000,000: spread over the
# last 365 days, 20 tenants, every kind and outcome, eight rules), signs in to the console as the demo auditor with
# curl, and times each page sequentially, reporting p50/p95/max per page.
#   bench/console/run.sh [decisions=1000000] [requests-per-page=100]
# SERVICE_DLL measures another build (e.g. an older commit's, built into a separate worktree). EXPLAIN=1 also prints
# EXPLAIN ANALYZE of every read of `decisions` the service makes (bench/console/explain.sql) after seeding, and after the
# pages which of the table's indexes the service's own queries scanned (pg_stat_user_indexes).
# The synthetic rows carry placeholder hashes, so this throw-away log does not verify; nothing else reads them.
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-1000000}
per_page=${2:-100}
port=5091
dir=.data/bench-console
base="http://127.0.0.1:$port"

scripts/setup.sh
dll=${SERVICE_DLL:-src/Compliance.Api/bin/Release/net10.0/Compliance.Api.dll}
[ -n "${SERVICE_DLL:-}" ] || dotnet build src/Compliance.Api -c Release -nologo -v q >/dev/null

rm -rf "$dir" && mkdir -p "$dir"
ASPNETCORE_ENVIRONMENT=Production Demo__Seed=true \
  Paths__Data="$PWD/$dir/data" Paths__Models="$PWD/.data/models" Paths__Policies="$PWD/policies" Logging__LogLevel__Default=Warning \
  dotnet "$dll" --urls "$base" >"$dir/service.log" 2>&1 &
service=$!
trap 'kill $service 2>/dev/null; wait $service 2>/dev/null' EXIT
for _ in $(seq 1 180); do
  curl -sf "$base/health/ready" >/dev/null && break
  sleep 1
done
curl -sf "$base/health/ready" >/dev/null || { echo "the service did not start; see $dir/service.log" >&2; exit 1; }
# shellcheck disable=SC1091
source "$dir/data/demo-keys.env"

# The embedded cluster says where it runs (under the data folder, or /var/tmp when the postgres user cannot reach it).
started=$(grep -o 'PostgreSQL on 127.0.0.1:[0-9]* ([^)]*)' "$dir/service.log" | tail -n 1)
port_pg=$(sed -n 's/.*127.0.0.1:\([0-9]*\) .*/\1/p' <<<"$started")
cluster=$(sed -n 's/.*(\(.*\))/\1/p' <<<"$started")
export PGPASSWORD; PGPASSWORD=$(sed -n 's/.*"OwnerPassword":"\([^"]*\)".*/\1/p' "$(dirname "$cluster")/credentials.json")
psql_owner() { psql -X -q -h 127.0.0.1 -p "$port_pg" -U compliance_owner -d compliance -v ON_ERROR_STOP=1 "$@"; }

echo "seeding $count decisions..."
start=$(date +%s)
psql_owner <<SQL
insert into decisions (seq, id, tenant_id, subject, outcome, policy_version, rules, entity_ids, classifiers, created_at, payload, prev_sha256, entry_sha256)
select s + base.top,
       gen_random_uuid(),
       ('00000000-0000-4000-8000-' || lpad(((s % 20) + 1)::text, 12, '0'))::uuid,
       (array['prompt','prompt','prompt','image','video','generation'])[1 + s % 6],
       (array['allow','allow','allow','allow','allow','allow','block','block','review','allow'])[1 + (s * 7) % 10],
       'sha256:bench',
       array[(array['unlicensed-character-blocks','licensed-character-allows','likeness-needs-consent','face-detected-recorded',
                    'weak-image-match-reviews','revoked-grant-blocks','coverage-incomplete-reviews','context-restricted-blocks'])[1 + (s * 13) % 8]],
       array[]::uuid[],
       array['names-text'],
       now() - make_interval(secs => (($count - s)::double precision * 365 * 86400 / $count)),
       '{"subject":"prompt","outcome":"allow","policyVersion":"sha256:bench","reasons":[],"obligations":[],"input":{"prompt":"a synthetic decision for the console benchmark","contexts":[]}}',
       '\x00'::bytea, '\x00'::bytea
from generate_series(1, $count) as s, (select coalesce(max(seq), 0) as top from decisions) as base;
analyze decisions;
SQL
echo "seeded in $(( $(date +%s) - start )) s; decisions: $(psql_owner -At -c 'select count(*) from decisions')"

# Sign in as the demo auditor: the anti-forgery cookie and token from the form, then the key in a POST.
jar="$dir/cookies.txt"
token=$(curl -s -c "$jar" "$base/console/sign-in" | sed -n 's/.*name="__csrf" type="hidden" value="\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$token" ] || token=$(curl -s -b "$jar" -c "$jar" "$base/console/sign-in" | grep -o 'name="__csrf"[^>]*' | sed -n 's/.*value="\([^"]*\)".*/\1/p' | head -n 1)
status=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" --data-urlencode "key=$AUDITOR_KEY" --data-urlencode "__csrf=$token" "$base/console/sign-in")
[ "$status" = 302 ] || { echo "sign-in answered $status" >&2; exit 1; }

tenant=00000000-0000-4000-8000-000000000007
from=$(date -u -d '-30 days' +%Y-%m-%dT%H:%M); to=$(date -u -d '-29 days' +%Y-%m-%dT%H:%M)
mid=$(psql_owner -At -c "select (max(seq) / 2)::bigint from decisions")
one=$(psql_owner -At -c "select id from decisions where seq = $mid")
pages=(
  "/console/decisions"
  "/console/decisions?outcome=block"
  "/console/decisions?kind=video"
  "/console/decisions?rule=revoked-grant-blocks"
  "/console/decisions?tenant=$tenant"
  "/console/decisions?tenant=$tenant&outcome=review"
  "/console/decisions?outcome=block&kind=image&rule=context-restricted-blocks"
  "/console/decisions?from=$from&to=$to"
  "/console/decisions?outcome=review&from=$from&to=$to"
  "/console/decisions?cursor=$mid"
  "/console/decisions/$one"
  "/console/reviews"
  "/console/charts?days=7"
  "/console/charts?days=30"
  "/console/charts?days=90"
)
if [ -n "${EXPLAIN:-}" ]; then
  psql_owner -c "select pg_stat_reset()" >/dev/null
  psql_owner -v tenant="$tenant" -v from_ts="$from" -v to_ts="$to" -v mid="$mid" -v one="$one" -f bench/console/explain.sql
  psql_owner -c "select pg_stat_reset()" >/dev/null
fi
echo "service: $dll; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-78s %6s %8s %8s %8s\n' page status p50_ms p95_ms max_ms
for page in "${pages[@]}"; do
  curl -s -o /dev/null -b "$jar" "$base$page"   # warm-up
  times=()
  code=
  for _ in $(seq 1 "$per_page"); do
    read -r code t < <(curl -s -o /dev/null -b "$jar" -w '%{http_code} %{time_total}\n' "$base$page")
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v page="$page" -v code="$code" '{ a[NR] = $1 * 1000 } END {
    p50 = a[int((NR + 1) * 0.50)]; p95 = a[int(NR * 0.95 + 0.999)]; printf "%-78s %6s %8.1f %8.1f %8.1f\n", page, code, p50, p95, a[NR] }'
done
if [ -n "${EXPLAIN:-}" ]; then
  sleep 1   # the statistics collector's last report
  echo "index scans of decisions by the pages above:"
  psql_owner -c "select indexrelname, idx_scan from pg_stat_user_indexes where relname = 'decisions' order by idx_scan desc, indexrelname"
fi
