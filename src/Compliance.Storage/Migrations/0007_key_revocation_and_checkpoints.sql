-- Keys: revocation takes effect on the next request on every node, and a key minted by a revoked key
-- is worthless. Decision log: signed checkpoints of the chain's head, so a truncated or rewritten
-- tail cannot pass verification.

-- Which key minted this one (null for keys made at seeding or by an operator outside the API).
alter table api_keys add column created_by_key_id uuid references api_keys (id);
create index api_keys_created_by on api_keys (created_by_key_id) where created_by_key_id is not null;

-- One cluster-wide number, bumped in the same transaction as any change to a key. Every node reads it
-- on every request (a one-row primary-key read) and trusts its cached verification of a key only while
-- the number is unchanged, so a revocation committed anywhere is seen by the next request everywhere.
create table key_revocation_state (
    id int primary key check (id = 1),
    version bigint not null
);
insert into key_revocation_state values (1, 1);

create function api_keys_changed() returns trigger language plpgsql as $$
begin
    if exists (select from changed) then
        update key_revocation_state set version = version + 1 where id = 1;
    end if;
    return null;
end $$;
create trigger api_keys_updated after update on api_keys
    referencing new table as changed for each statement execute function api_keys_changed();
create trigger api_keys_deleted after delete on api_keys
    referencing old table as changed for each statement execute function api_keys_changed();

-- A key's identity never changes, and a revocation is stamped once: a revoked key cannot come back.
create function api_keys_guard() returns trigger language plpgsql as $$
begin
    if old.revoked_at is not null
       or (new.id, new.prefix, new.secret_sha256, new.role, new.tenant_id, new.rights_holder_id, new.likeness_profile_id,
           new.created_at, new.created_by_key_id)
          is distinct from
          (old.id, old.prefix, old.secret_sha256, old.role, old.tenant_id, old.rights_holder_id, old.likeness_profile_id,
           old.created_at, old.created_by_key_id) then
        raise exception 'api keys are only ever revoked, once';
    end if;
    return new;
end $$;
create trigger api_keys_guard before update on api_keys for each row execute function api_keys_guard();

-- Signed checkpoints of the decision log's head: (sequence, head hash, entry count, time, key id) signed
-- with ES256 by a key the service holds outside the database. Each is also appended to a file beside
-- the service and returned to whoever asked for it, so a database owner who deletes or rewrites rows
-- here is caught by the copies. No foreign key to decisions: a checkpoint must outlive the entries it
-- vouches for, which is how their deletion is noticed.
create table decision_checkpoints (
    id bigint generated always as identity primary key,
    seq bigint not null check (seq >= 1),
    head_sha256 bytea not null check (length(head_sha256) = 32),
    entry_count bigint not null check (entry_count >= 1),
    created_at timestamptz not null,
    key_id text not null,
    signature bytea not null
);

create function decision_checkpoints_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'decision checkpoints are append-only (% refused)', tg_op;
end $$;
create trigger decision_checkpoints_no_change before update or delete on decision_checkpoints
    for each row execute function decision_checkpoints_append_only();
create trigger decision_checkpoints_no_truncate before truncate on decision_checkpoints
    for each statement execute function decision_checkpoints_append_only();

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, update on key_revocation_state to compliance_app;
        grant select, insert on decision_checkpoints to compliance_app;
    end if;
end $$;
