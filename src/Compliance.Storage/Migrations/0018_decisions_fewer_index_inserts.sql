-- Every decision recorded maintains every index on `decisions`, and a screened prompt is one recorded decision: the
-- B-tree inserts were the largest item of PostgreSQL's CPU under the prompt load (bench/README.md, "HTTP load"). Each
-- read of the table was EXPLAINed on a million rows (bench/console/explain.sql; ADR-039), and:
--
-- * decisions_created (created_at desc, seq desc) served nothing decisions_created_counts (created_at, covering outcome,
--   tenant and rules) does not: every read by time is a range on created_at (lists, charts, policy replay, export),
--   which either index scans, in either direction. Dropped.
-- * The outcome filters (the console's list, the review queue, a tenant's review items) and the kind filter are what an
--   index is needed for when the value is rare: review and block decisions, and subjects other than prompts. Allowed
--   decisions and prompts are most of the log; a page of those is the newest rows of the primary key (or of
--   decisions_tenant_seq for a tenant) with the filter applied, and stops after one page. So these three indexes now
--   hold only the rare rows, and a prompt that is allowed, the commonest entry, no longer inserts into them.
drop index decisions_created;

drop index decisions_outcome_seq;
create index decisions_outcome_seq on decisions (outcome, seq desc) where outcome <> 'allow';

drop index decisions_tenant_outcome_seq;
create index decisions_tenant_outcome_seq on decisions (tenant_id, outcome, seq desc) where outcome <> 'allow';

drop index decisions_subject_seq;
create index decisions_subject_seq on decisions (subject, seq desc) where subject <> 'prompt';
