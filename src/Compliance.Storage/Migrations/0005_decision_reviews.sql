-- Reviews: an auditor's outcome for a decision that was sent to review. A review never changes the
-- decision (the log stays append-only); it is its own append-only record, one per decision.

create table decision_reviews (
    id uuid primary key,
    decision_id uuid not null unique references decisions (id),
    tenant_id uuid not null,
    outcome text not null check (outcome in ('allow', 'block')),
    reason text not null check (length(reason) between 1 and 2000),
    reviewer_key_id uuid not null,
    created_at timestamptz not null default now()
);

create function decision_reviews_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'reviews are append-only (% refused)', tg_op;
end $$;
create trigger decision_reviews_no_change before update or delete on decision_reviews
    for each row execute function decision_reviews_append_only();

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, insert on decision_reviews to compliance_app;
    end if;
end $$;
