-- The console's decision list (docs/console.md, ADR-019) pages newest-first on seq under each filter it offers; the
-- review queue pages oldest-first on seq among outcome = 'review'. Tenant (decisions_tenant_seq), time
-- (decisions_created), rule (decisions_rules) and entity (decisions_entities) had indexes already; this gives the
-- kind filter an ordered index to stop after one page instead of sorting
-- every match (outcome and tenant + outcome come from 0012, made for the review queue's list). The charts count a time
-- window by outcome and by rule from an index alone (no heap visit).
create index decisions_subject_seq on decisions (subject, seq desc);
create index decisions_created_counts on decisions (created_at) include (outcome, tenant_id, rules);
