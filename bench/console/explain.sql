-- EXPLAIN ANALYZE of every read of `decisions` the service makes (src/Compliance.Api: DecisionQueries, ReviewQueries,
-- DecisionStatistics, PolicyReplay, GenerationStages, DecisionLog), with the service's own SQL text as a prepared
-- statement and the parameters the console bench's pages use, so each plan is the custom plan the service gets.
-- Run by `EXPLAIN=1 bench/console/run.sh` after seeding; psql variables: tenant, from_ts, to_ts, mid, one.
\pset pager off
prepare page(bigint, uuid, text, text, timestamptz, timestamptz, text, uuid, text, uuid[], int) as
select id, seq, tenant_id, subject, outcome, policy_version, rules, entity_ids, classifiers, created_at
from decisions
where kind = 'decision'
  and ($1::bigint is null or seq < $1)
  and ($2::uuid is null or tenant_id = $2)
  and ($3::text is null or outcome = $3)
  and ($4::text is null or subject = $4)
  and ($5::timestamptz is null or created_at >= $5)
  and ($6::timestamptz is null or created_at < $6)
  and ($7::text is null or rules @> array[$7::text])
  and ($8::uuid is null or entity_ids @> array[$8::uuid])
  and ($9::text is null or classifiers @> array[$9::text])
  and ($10::uuid[] is null or entity_ids && $10::uuid[])
order by seq desc
limit $11;
prepare queue(bigint, text) as
select id, seq from decisions
where kind = 'decision' and ($1::bigint is null or seq > $1) and outcome = $2
order by seq limit 51;
prepare counts_outcome(uuid, timestamptz, timestamptz) as
select date_trunc('day', created_at, 'UTC') at time zone 'UTC', outcome, count(*)
from decisions where created_at >= $2 and created_at < $3 and ($1::uuid is null or tenant_id = $1) group by 1, 2;
prepare counts_rule(uuid, timestamptz, timestamptz) as
select date_trunc('day', d.created_at, 'UTC') at time zone 'UTC', r.rule, count(*)
from decisions d cross join lateral unnest(d.rules) as r(rule)
where d.created_at >= $2 and d.created_at < $3 and ($1::uuid is null or d.tenant_id = $1) group by 1, 2;
prepare replay(timestamptz, timestamptz, uuid, int) as
select id, tenant_id, created_at, payload from decisions
where kind = 'decision' and created_at >= $1 and created_at < $2 and ($3::uuid is null or tenant_id = $3)
order by created_at, seq limit $4;
prepare export(uuid, timestamptz, timestamptz) as
select seq, prev_sha256, entry_sha256, payload, kind, linked_decision_id from decisions
where ($1::uuid is null or tenant_id = $1) and ($2::timestamptz is null or created_at >= $2) and ($3::timestamptz is null or created_at < $3)
order by seq limit 1000;
prepare latest(uuid, bigint) as select max(seq) from decisions where tenant_id = $1 and seq <= $2;
prepare one(uuid) as select seq, payload, prev_sha256, entry_sha256 from decisions where id = $1 and kind = 'decision';
prepare thread(uuid) as
select seq, id, kind, outcome, created_at, payload, entry_sha256 from decisions
where (id = $1 and kind = 'decision') or (linked_decision_id = $1 and kind = 'review') order by seq;
prepare head as select seq, entry_sha256 from decisions order by seq desc limit 1;

\echo '### list: newest'
explain (analyze, costs off, timing off, summary on) execute page(null, null, null, null, null, null, null, null, null, null, 51);
\echo '### list: outcome=block'
explain (analyze, costs off, timing off, summary on) execute page(null, null, 'block', null, null, null, null, null, null, null, 51);
\echo '### list: outcome=review'
explain (analyze, costs off, timing off, summary on) execute page(null, null, 'review', null, null, null, null, null, null, null, 51);
\echo '### list: outcome=allow'
explain (analyze, costs off, timing off, summary on) execute page(null, null, 'allow', null, null, null, null, null, null, null, 51);
\echo '### list: kind=video'
explain (analyze, costs off, timing off, summary on) execute page(null, null, null, 'video', null, null, null, null, null, null, 51);
\echo '### list: kind=prompt'
explain (analyze, costs off, timing off, summary on) execute page(null, null, null, 'prompt', null, null, null, null, null, null, 51);
\echo '### list: rule'
explain (analyze, costs off, timing off, summary on) execute page(null, null, null, null, null, null, 'revoked-grant-blocks', null, null, null, 51);
\echo '### list: tenant'
explain (analyze, costs off, timing off, summary on) execute page(null, :'tenant', null, null, null, null, null, null, null, null, 51);
\echo '### list: tenant + outcome=review'
explain (analyze, costs off, timing off, summary on) execute page(null, :'tenant', 'review', null, null, null, null, null, null, null, 51);
\echo '### list: tenant + outcome=allow'
explain (analyze, costs off, timing off, summary on) execute page(null, :'tenant', 'allow', null, null, null, null, null, null, null, 51);
\echo '### list: outcome=block + kind=image + rule'
explain (analyze, costs off, timing off, summary on) execute page(null, null, 'block', 'image', null, null, 'context-restricted-blocks', null, null, null, 51);
\echo '### list: one day'
explain (analyze, costs off, timing off, summary on) execute page(null, null, null, null, :'from_ts', :'to_ts', null, null, null, null, 51);
\echo '### list: outcome=review in one day'
explain (analyze, costs off, timing off, summary on) execute page(null, null, 'review', null, :'from_ts', :'to_ts', null, null, null, null, 51);
\echo '### list: cursor in the middle'
explain (analyze, costs off, timing off, summary on) execute page(:mid, null, null, null, null, null, null, null, null, null, 51);
\echo '### list: classifier'
explain (analyze, costs off, timing off, summary on) execute page(null, null, null, null, null, null, null, null, 'names-text', null, 51);
\echo '### review queue (oldest first, outcome=review)'
explain (analyze, costs off, timing off, summary on) execute queue(null, 'review');
\echo '### charts: 90 days by outcome'
explain (analyze, costs off, timing off, summary on) execute counts_outcome(null, now() - interval '90 days', now());
\echo '### charts: 1 day by rule, one tenant'
explain (analyze, costs off, timing off, summary on) execute counts_rule(:'tenant', :'from_ts', :'to_ts');
\echo '### policy replay: one day'
explain (analyze, costs off, timing off, summary on) execute replay(:'from_ts', :'to_ts', null, 1000);
\echo '### export: a tenant, one day'
explain (analyze, costs off, timing off, summary on) execute export(:'tenant', :'from_ts', :'to_ts');
\echo '### verify: latest of a tenant'
explain (analyze, costs off, timing off, summary on) execute latest(:'tenant', :mid);
\echo '### one decision'
explain (analyze, costs off, timing off, summary on) execute one(:'one');
\echo '### a decision and its review actions'
explain (analyze, costs off, timing off, summary on) execute thread(:'one');
\echo '### the log head (each batch)'
explain (analyze, costs off, timing off, summary on) execute head;
\echo '### indexes of decisions'
select indexrelname, pg_size_pretty(pg_relation_size(indexrelid)) as size, idx_scan
from pg_stat_user_indexes where relname = 'decisions' order by indexrelname;
