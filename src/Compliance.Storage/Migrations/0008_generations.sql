-- The gated generation pipeline: jobs, their stage history, released outputs with signed provenance, and the
-- usage events that revenue-share settlements pay out.

create table generation_jobs (
    id uuid primary key,
    tenant_id uuid not null references tenants (id),
    account text,
    -- The prompt is kept to run (and, after a crash, re-run) the generator; the provenance manifest carries only its hash.
    prompt text not null,
    prompt_sha256 bytea not null,
    cameos uuid[] not null default '{}',
    reference_blob text,
    duration_seconds int not null,
    width int not null,
    height int not null,
    seed bigint not null,
    callback_url text,
    idempotency_key text,
    -- SHA-256 of the canonical request, so a retried Idempotency-Key with a different body is told apart (409).
    request_sha256 bytea not null,
    state text not null check (state in ('queued', 'screening_prompt', 'generating', 'screening_frames',
                                         'released', 'blocked', 'in_review', 'failed', 'cancelled')),
    progress real not null default 0,
    generator text not null,
    model text,
    provider_job_id text,
    prompt_decision_id uuid,
    frame_decision_id uuid,
    -- The generated video while it is screened, then the released video; a blob key in the blob store.
    output_blob text,
    output_sha256 bytea,
    output_bytes bigint,
    output_media_type text,
    output_duration_seconds double precision,
    failure_reason text,
    attempts int not null default 0,
    cancel_requested boolean not null default false,
    stage_timings jsonb not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    finished_at timestamptz,
    constraint generation_jobs_terminal check ((state in ('released', 'blocked', 'failed', 'cancelled', 'in_review')) = (finished_at is not null))
);
create unique index generation_jobs_idempotency on generation_jobs (tenant_id, idempotency_key) where idempotency_key is not null;
create index generation_jobs_tenant on generation_jobs (tenant_id, created_at desc, id desc);
create index generation_jobs_active on generation_jobs (tenant_id) where finished_at is null;
create index generation_jobs_cameos on generation_jobs using gin (cameos);

-- A released generation's signed provenance manifest (COSE_Sign1, ES256). Written once, in the release transaction.
create table generation_provenance (
    generation_id uuid primary key references generation_jobs (id),
    key_id text not null,
    manifest jsonb not null,
    cose bytea not null,
    created_at timestamptz not null default now()
);

-- One usage event per licensed character with a revenue-share grant in a released generation: what settlements pay.
create table usage_events (
    id uuid primary key,
    generation_id uuid not null references generation_jobs (id),
    tenant_id uuid not null references tenants (id),
    character_id uuid not null references characters (id),
    rights_holder_id uuid not null references rights_holders (id),
    grant_id uuid not null references grants (id),
    revenue_share_bps int not null check (revenue_share_bps between 0 and 10000),
    terms jsonb not null,
    seconds_on_screen double precision not null check (seconds_on_screen >= 0),
    created_at timestamptz not null default now(),
    unique (generation_id, character_id)
);
create index usage_events_holder on usage_events (rights_holder_id, created_at desc);

-- Signed callbacks to the platform on each terminal state, retried until delivered or given up.
create table generation_callbacks (
    id uuid primary key,
    generation_id uuid not null references generation_jobs (id),
    state text not null,
    url text not null,
    attempts int not null default 0,
    delivered_at timestamptz,
    last_error text,
    next_attempt_at timestamptz not null default now(),
    created_at timestamptz not null default now(),
    unique (generation_id, state)
);
create index generation_callbacks_due on generation_callbacks (next_attempt_at) where delivered_at is null;

create function usage_events_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'usage events are append-only (% refused)', tg_op;
end $$;
create trigger usage_events_no_change before update or delete on usage_events
    for each row execute function usage_events_append_only();
create trigger generation_provenance_no_change before update or delete on generation_provenance
    for each row execute function usage_events_append_only();

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, insert, update on generation_jobs, generation_callbacks to compliance_app;
        grant select, insert on generation_provenance, usage_events to compliance_app;
    end if;
end $$;
