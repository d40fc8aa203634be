-- The review workflow (ADR-017): review items in one queue, claims, notes, resolutions and appeals. Every action is
-- its own entry in the hash-chained decision log, linked to the decision it is about; the decision itself is never
-- changed. Also the indexes the decision list and the queue filter on, so a page answers fast at millions of entries.

-- The log gets a second kind of entry. A 'decision' entry is what it always was (its hash is computed exactly as
-- before, so every existing entry still verifies); a 'review' entry records one queue action, names it in
-- `outcome`, and links to its decision in `linked_decision_id` (both covered by its hash).
alter table decisions add column kind text not null default 'decision' check (kind in ('decision', 'review'));
alter table decisions add column linked_decision_id uuid;
alter table decisions drop constraint decisions_outcome_check;
alter table decisions add constraint decisions_outcome_check check (
    (kind = 'decision' and outcome in ('allow', 'review', 'block'))
    or (kind = 'review' and linked_decision_id is not null
        and outcome in ('claimed', 'claim_expired', 'claim_released', 'note_added', 'resolved', 'appeal_filed')));
create index decisions_linked on decisions (linked_decision_id, seq) where linked_decision_id is not null;

-- Every filter GET /v1/decisions offers has an index that serves it newest first (tenant, time, rules and entities
-- had theirs since 0001).
create index decisions_outcome_seq on decisions (outcome, seq desc);
create index decisions_tenant_outcome_seq on decisions (tenant_id, outcome, seq desc);
create index decisions_classifiers on decisions using gin (classifiers);

-- One row per thing a reviewer must look at: a decision sent to review (kind 'review'), or a platform's appeal of a
-- block (kind 'appeal'). Both sit in the queue of what was decided (the decision's subject: prompt, image, video,
-- generation), oldest first by the sequence number of the log entry that opened them.
create table review_items (
    id uuid primary key,
    decision_id uuid not null references decisions (id),
    tenant_id uuid not null,
    kind text not null check (kind in ('review', 'appeal')),
    queue text not null,
    rules text[] not null,
    entity_ids uuid[] not null,
    decision_outcome text not null,
    opened_seq bigint not null,
    opened_at timestamptz not null,
    -- An appeal's statement and who filed it (the platform's key).
    statement text check (statement is null or length(statement) between 1 and 4000),
    filed_by uuid,
    status text not null default 'open' check (status in ('open', 'resolved')),
    -- One reviewer at a time: the claim holds until claimed_until, then anyone may take it over.
    claimed_by uuid,
    claimed_until timestamptz,
    resolution text check (resolution in ('uphold', 'overturn')),
    resolution_reason text check (resolution_reason is null or length(resolution_reason) between 1 and 4000),
    resolved_by uuid,
    resolved_at timestamptz,
    -- The log entry that recorded the resolution (null only for reviews recorded before this migration).
    resolution_entry_id uuid,
    constraint review_items_statement check ((kind = 'appeal') = (statement is not null)),
    constraint review_items_claim check ((claimed_by is null) = (claimed_until is null)),
    constraint review_items_resolved check ((status = 'resolved') = (resolution is not null and resolved_at is not null))
);
create unique index review_items_one_review on review_items (decision_id) where kind = 'review';
create unique index review_items_one_open_appeal on review_items (decision_id) where kind = 'appeal' and status = 'open';
create index review_items_decision on review_items (decision_id);
-- The queue's filters, each serving "open, oldest first" (and the same for resolved items, for the console's history).
create index review_items_status_seq on review_items (status, opened_seq);
create index review_items_tenant_seq on review_items (tenant_id, status, opened_seq);
create index review_items_kind_seq on review_items (kind, status, opened_seq);
create index review_items_queue_seq on review_items (queue, status, opened_seq);
create index review_items_rules on review_items using gin (rules);
create index review_items_entities on review_items using gin (entity_ids);

-- Notes on an item: internal (auditors only) or public (the platform sees them). Append-only, like the log that
-- also records each of them.
create table review_notes (
    id uuid primary key,
    item_id uuid not null references review_items (id),
    tenant_id uuid not null,
    visibility text not null check (visibility in ('internal', 'public')),
    body text not null check (length(body) between 1 and 4000),
    author_key_id uuid not null,
    created_at timestamptz not null,
    entry_id uuid not null
);
create index review_notes_item on review_notes (item_id, created_at);

create trigger review_notes_no_change before update or delete on review_notes
    for each row execute function decision_reviews_append_only();

-- A decision sent to review opens its item in the same transaction that logs it: no review decision is ever
-- recorded without its place in the queue (the log's writer copies rows in; row triggers fire for COPY too).
create function open_review_item() returns trigger language plpgsql as $$
begin
    insert into review_items (id, decision_id, tenant_id, kind, queue, rules, entity_ids, decision_outcome, opened_seq, opened_at)
    values (gen_random_uuid(), new.id, new.tenant_id, 'review', new.subject, new.rules, new.entity_ids, new.outcome, new.seq, new.created_at);
    return null;
end $$;
create trigger decisions_open_review after insert on decisions
    for each row when (new.kind = 'decision' and new.outcome = 'review') execute function open_review_item();

-- Review decisions logged before this migration get their items; those an auditor already reviewed through the
-- one-record API (decision_reviews) are resolved with that record (allow overturned the review, block upheld it).
insert into review_items (id, decision_id, tenant_id, kind, queue, rules, entity_ids, decision_outcome, opened_seq, opened_at,
                          status, resolution, resolution_reason, resolved_by, resolved_at)
select gen_random_uuid(), d.id, d.tenant_id, 'review', d.subject, d.rules, d.entity_ids, d.outcome, d.seq, d.created_at,
       case when r.id is null then 'open' else 'resolved' end,
       case r.outcome when 'allow' then 'overturn' when 'block' then 'uphold' end,
       r.reason, r.reviewer_key_id, r.created_at
from decisions d left join decision_reviews r on r.decision_id = d.id
where d.outcome = 'review';

-- A resolution finds the generation its decision held.
create index generation_jobs_prompt_decision on generation_jobs (prompt_decision_id) where prompt_decision_id is not null;
create index generation_jobs_frame_decision on generation_jobs (frame_decision_id) where frame_decision_id is not null;

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, insert, update on review_items to compliance_app;
        grant select, insert on review_notes to compliance_app;
    end if;
end $$;
