-- Name ownership (docs/decisions/ADR-008-name-ownership.md): a name is owned, not claimed by whoever
-- writes it last. Every name the matcher looks for (characters' canonical names and aliases, likeness
-- profiles' display names, variants and handles, public figures' names and aliases) is claimed under
-- its matching key: the skeleton the matcher itself reads (case, homoglyphs, leetspeak, separators and
-- a leading @ folded away). One key has one holder: one owner, or a share an admin approved.
--
-- The key is computed by the matcher's C# normaliser, not in SQL, so this migration only creates the
-- tables; names that existed before it are claimed at start-up by NameClaimBackfill, earliest entity
-- first. A later duplicate is flagged in name_flags (and not matched) instead of failing the migration.

create table name_shares (
    id uuid primary key,
    key text not null check (length(key) > 0),
    name text not null,
    reason text not null check (length(reason) between 1 and 1000),
    approved_by uuid not null,
    approved_at timestamptz not null default now()
);
create index name_shares_key on name_shares (key);

create table name_share_owners (
    share_id uuid not null references name_shares (id),
    owner_kind text not null check (owner_kind in ('likeness_profile', 'rights_holder', 'public_figure')),
    owner_id uuid not null,
    primary key (share_id, owner_id)
);

-- One row per claimed key: who holds it, one owner or one approved share. The primary key is what
-- makes concurrent claims of one key by different owners come out as exactly one winner.
create table name_keys (
    key text primary key check (length(key) > 0),
    owner_kind text check (owner_kind in ('likeness_profile', 'rights_holder', 'public_figure')),
    owner_id uuid,
    share_id uuid references name_shares (id),
    claimed_at timestamptz not null default now(),
    constraint name_keys_one_holder check ((owner_id is null) = (owner_kind is null) and (owner_id is null) <> (share_id is null))
);

-- Which entity uses which key, in which spelling.
create table name_claims (
    entity_type text not null check (entity_type in ('character', 'likeness', 'public_figure')),
    entity_id uuid not null,
    key text not null references name_keys (key),
    owner_kind text not null check (owner_kind in ('likeness_profile', 'rights_holder', 'public_figure')),
    owner_id uuid not null,
    name text not null,
    claimed_at timestamptz not null default now(),
    primary key (entity_type, entity_id, key)
);
-- Within one owner a key names at most one entity of each type: one of a rights holder's characters; a
-- person's profile and the public-figure entry linked to it (same owner, two types) may share it.
create unique index name_claims_one_entity on name_claims (key, owner_id, entity_type);

-- Whatever the caller, a claim's owner must hold its key, alone or as one of an approved share's owners.
create function name_claims_holder_check() returns trigger language plpgsql as $$
begin
    if not exists (
        select from name_keys k
        where k.key = new.key
          and (k.owner_id = new.owner_id
               or exists (select from name_share_owners o where o.share_id = k.share_id and o.owner_id = new.owner_id))) then
        raise exception 'name key % is held by another owner', new.key using errcode = 'integrity_constraint_violation';
    end if;
    return new;
end $$;
create trigger name_claims_holder_check before insert or update on name_claims
    for each row execute function name_claims_holder_check();

-- Names that were already stored when they lost their key to an earlier entity (the backfill), kept
-- for admins to resolve; a flagged name is not matched until its entity saves it again successfully
-- or an admin approves a share that covers its owner.
create table name_flags (
    entity_type text not null check (entity_type in ('character', 'likeness', 'public_figure')),
    entity_id uuid not null,
    key text not null,
    owner_kind text not null,
    owner_id uuid not null,
    name text not null,
    reason text not null,
    flagged_at timestamptz not null default now(),
    primary key (entity_type, entity_id, key)
);
create index name_flags_key on name_flags (key);

-- Claims and flags decide which names the matcher sees: a change rebuilds it on every node.
create trigger name_claims_changed after insert or update or delete on name_claims
    for each statement execute function catalog_changed();
create trigger name_flags_changed after insert or update or delete on name_flags
    for each statement execute function catalog_changed();

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, insert, update, delete on name_keys, name_claims, name_flags to compliance_app;
        grant select, insert on name_shares, name_share_owners to compliance_app;
    end if;
end $$;
