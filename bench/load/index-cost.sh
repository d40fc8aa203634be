#!/usr/bin/env bash
# What each index on `decisions` costs the decision log's writes, measured in one run on one PostgreSQL.
#   bench/load/index-cost.sh [data-folder=.data/bench] [transactions=300] [rows-per-transaction=50]
# Uses the cluster that bench/load/run.sh left in the data folder (its `decisions` must hold at least rows x 20
# entries: run that script first); if the cluster is not running, it is started here and stopped afterwards. For each variant it makes a scratch copy of the table
# with only the listed indexes, then pgbench appends rows-per-transaction real entries (their payloads, rules, entity
# ids) per transaction, committed with the cluster's settings (fsync and synchronous_commit as they are: on), one
# client. The first line is the table with its primary key only, the last with every index the migrations make.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:-.data/bench}
transactions=${2:-300}
rows=${3:-50}
bin=$(ls -d /usr/lib/postgresql/*/bin | tail -n1)
pgdata="$data/postgres/pgdata"
if [ ! -f "$pgdata/postmaster.pid" ]; then
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  as_pg "$bin/pg_ctl" start -w -D "$pgdata" -l "$data/postgres/index-cost.log" \
    -o "-p 5499 -c listen_addresses=127.0.0.1 -c unix_socket_directories='$PWD/$data/postgres/run' -c fsync=on" >/dev/null
  trap 'as_pg "$bin/pg_ctl" stop -D "$pgdata" -m fast >/dev/null' EXIT
fi
port=$(sed -n 4p "$pgdata/postmaster.pid")
export PGPASSWORD; PGPASSWORD=$(sed -n 's/.*"OwnerPassword":"\([^"]*\)".*/\1/p' "$data/postgres/credentials.json")
psql() { "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U compliance_owner -d compliance -v ON_ERROR_STOP=1 "$@"; }

psql <<'SQL'
drop table if exists bench_src;
create table bench_src as select row_number() over (order by seq) as rn, d.* from decisions d;
create index on bench_src (rn);
analyze bench_src;
SQL
have=$(psql -At -c "select count(*) from bench_src")
[ "$have" -ge "$((rows * 20))" ] || { echo "need at least $((rows * 20)) decisions in the log (have $have): run bench/load/run.sh first" >&2; exit 1; }

# Index definitions exactly as the migrations make them (0001, 0012, 0015), on the scratch table.
declare -A idx=(
  [id_unique]="create unique index on bench_dx (id)"
  [tenant_seq]="create index on bench_dx (tenant_id, seq desc)"
  [created]="create index on bench_dx (created_at desc, seq desc)"
  [rules_gin]="create index on bench_dx using gin (rules)"
  [entities_gin]="create index on bench_dx using gin (entity_ids)"
  [linked_partial]="create index on bench_dx (linked_decision_id, seq) where linked_decision_id is not null"
  [outcome_seq]="create index on bench_dx (outcome, seq desc)"
  [tenant_outcome_seq]="create index on bench_dx (tenant_id, outcome, seq desc)"
  [classifiers_gin]="create index on bench_dx using gin (classifiers)"
  [subject_seq]="create index on bench_dx (subject, seq desc)"
  [created_counts]="create index on bench_dx (created_at) include (outcome, tenant_id, rules)"
)
order=(id_unique tenant_seq created rules_gin entities_gin linked_partial outcome_seq tenant_outcome_seq classifiers_gin subject_seq created_counts)

cat >"$data/index-cost.pgbench" <<SQL
\set b random(0, $((have / rows - 1)))
begin;
insert into bench_dx select nextval('bench_dx_seq'), gen_random_uuid(), tenant_id, subject, outcome, policy_version, rules, entity_ids,
  classifiers, clock_timestamp(), payload, prev_sha256, entry_sha256, kind, linked_decision_id
from bench_src where rn > :b * $rows and rn <= (:b + 1) * $rows;
commit;
SQL

run() {
  local label=$1; shift
  psql -c "drop table if exists bench_dx; drop sequence if exists bench_dx_seq; create sequence bench_dx_seq;
           create table bench_dx (like decisions including defaults including constraints); alter table bench_dx add primary key (seq);"
  for i in "$@"; do psql -c "${idx[$i]}"; done
  psql -c "checkpoint"
  # -r: the latency of each statement, so the insert (where indexes are maintained) is apart from the commit (the flush).
  local out; out=$("$bin/pgbench" -n -r -h 127.0.0.1 -p "$port" -U compliance_owner -c 1 -t "$transactions" -f "$data/index-cost.pgbench" compliance 2>/dev/null)
  local insert_ms commit_ms
  insert_ms=$(awk '/insert into bench_dx/ { print $1 }' <<<"$out")
  commit_ms=$(awk '/^ *[0-9.]+ +[0-9]+ +commit;/ { print $1 }' <<<"$out")
  local size; size=$(psql -At -c "select pg_size_pretty(pg_total_relation_size('bench_dx'))")
  printf '%-34s insert %6.1f µs/row   commit %5.2f ms per %s rows   (table+indexes %s)\n' "$label" \
    "$(awk -v m="$insert_ms" -v r="$rows" 'BEGIN { print m * 1000 / r }')" "$commit_ms" "$rows" "$size"
}

echo "decisions index cost: $transactions transactions x $rows rows, one client; load average $(cut -d' ' -f1-3 /proc/loadavg)"
run "primary key only"
for i in "${order[@]}"; do run "primary key + $i" "$i"; done
run "every index (as migrated)" "${order[@]}"
run "primary key only (again)"
psql -c "drop table bench_dx; drop sequence bench_dx_seq; drop table bench_src;"
