-- Foundation: tenants, rights holders, API keys, the character catalog, grants and the decision log.

create table tenants (
    id uuid primary key,
    name text not null,
    created_at timestamptz not null default now()
);
create unique index tenants_name_key on tenants (lower(name));

create table rights_holders (
    id uuid primary key,
    name text not null,
    created_at timestamptz not null default now()
);
create unique index rights_holders_name_key on rights_holders (lower(name));

-- Keys are stored as a public prefix (to find the row) and the SHA-256 of the random secret.
create table api_keys (
    id uuid primary key,
    prefix text not null unique,
    secret_sha256 bytea not null,
    name text not null,
    role text not null check (role in ('admin', 'platform', 'rights_holder', 'auditor')),
    tenant_id uuid references tenants (id),
    rights_holder_id uuid references rights_holders (id),
    created_at timestamptz not null default now(),
    revoked_at timestamptz,
    constraint api_keys_scope check (
        (role = 'platform' and tenant_id is not null and rights_holder_id is null)
        or (role = 'rights_holder' and rights_holder_id is not null and tenant_id is null)
        or (role = 'auditor' and rights_holder_id is null)
        or (role = 'admin' and tenant_id is null and rights_holder_id is null))
);

create table characters (
    id uuid primary key,
    rights_holder_id uuid not null references rights_holders (id),
    canonical_name text not null,
    aliases text[] not null default '{}',
    franchise text,
    description text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create unique index characters_name_key on characters (rights_holder_id, lower(canonical_name));

-- Every catalog change bumps one counter and notifies listeners, so every API node can rebuild
-- its matcher; the counter lets a node that missed a notification notice on its next poll.
create table catalog_state (
    id int primary key check (id = 1),
    version bigint not null
);
insert into catalog_state values (1, 1);

create function catalog_changed() returns trigger language plpgsql as $$
begin
    update catalog_state set version = version + 1 where id = 1;
    perform pg_notify('catalog_changed', '');
    return null;
end $$;
create trigger characters_changed after insert or update or delete on characters
    for each statement execute function catalog_changed();

-- Grants are never overwritten: a new grant for the same character and tenant supersedes the
-- previous one, and revocation only stamps revoked_at once. The latest grant row is the state.
create table grants (
    id uuid primary key,
    character_id uuid not null references characters (id),
    tenant_id uuid not null references tenants (id),
    rights_holder_id uuid not null references rights_holders (id),
    kind text not null check (kind in ('deny', 'allow', 'allow_with_revenue_share')),
    revenue_share_bps int check (revenue_share_bps between 0 and 10000),
    attribution_required boolean not null default false,
    valid_from timestamptz,
    valid_until timestamptz,
    disallowed_contexts text[] not null default '{}',
    created_at timestamptz not null default now(),
    created_by uuid,
    revoked_at timestamptz,
    revoked_by uuid,
    revocation_reason text,
    constraint grants_share check ((kind = 'allow_with_revenue_share') = (revenue_share_bps is not null)),
    constraint grants_window check (valid_from is null or valid_until is null or valid_from < valid_until)
);
create index grants_lookup on grants (tenant_id, character_id, created_at desc);
create index grants_holder on grants (rights_holder_id, created_at desc);

create function grants_guard() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'grants are history: revoke instead of deleting';
    end if;
    if old.revoked_at is not null
       or (new.id, new.character_id, new.tenant_id, new.rights_holder_id, new.kind, new.revenue_share_bps,
           new.attribution_required, new.valid_from, new.valid_until, new.disallowed_contexts, new.created_at, new.created_by)
          is distinct from
          (old.id, old.character_id, old.tenant_id, old.rights_holder_id, old.kind, old.revenue_share_bps,
           old.attribution_required, old.valid_from, old.valid_until, old.disallowed_contexts, old.created_at, old.created_by) then
        raise exception 'grants are history: only an unrevoked grant can be revoked, once';
    end if;
    return new;
end $$;
create trigger grants_guard before update or delete on grants for each row execute function grants_guard();

-- The decision log: append-only and hash-chained. entry_sha256 = SHA-256(prev_sha256 || canonical row),
-- computed by the writer; GET /v1/decisions/verify recomputes the chain.
create table decisions (
    seq bigint primary key,
    id uuid not null unique,
    tenant_id uuid not null,
    subject text not null,
    outcome text not null check (outcome in ('allow', 'review', 'block')),
    policy_version text not null,
    rules text[] not null,
    entity_ids uuid[] not null,
    classifiers text[] not null,
    created_at timestamptz not null,
    payload text not null,
    prev_sha256 bytea not null,
    entry_sha256 bytea not null
);
create index decisions_tenant_seq on decisions (tenant_id, seq desc);
create index decisions_created on decisions (created_at desc, seq desc);
create index decisions_rules on decisions using gin (rules);
create index decisions_entities on decisions using gin (entity_ids);

create function decisions_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'the decision log is append-only (% refused)', tg_op;
end $$;
create trigger decisions_no_update before update or delete on decisions
    for each row execute function decisions_append_only();
create trigger decisions_no_truncate before truncate on decisions
    for each statement execute function decisions_append_only();

-- The application's role gets exactly what it needs; on decisions that is select and insert only.
do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, insert, update on tenants, rights_holders, api_keys, characters, catalog_state to compliance_app;
        grant select, insert, update on grants to compliance_app;
        grant delete on characters to compliance_app;
        grant select, insert on decisions to compliance_app;
    end if;
end $$;
