-- Likeness and consent: people ("cameos") who decide who may use their face and name, and the
-- admin-maintained list of public figures whose likeness always needs their own consent.

create table likeness_profiles (
    id uuid primary key,
    display_name text not null,
    name_variants text[] not null default '{}',
    handles text[] not null default '{}',
    -- The platform accounts that are this person ("tenant_id:account"): "only me" means these.
    own_accounts text[] not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create trigger likeness_profiles_changed after insert or update or delete on likeness_profiles
    for each statement execute function catalog_changed();

alter table api_keys add column likeness_profile_id uuid references likeness_profiles (id);
alter table api_keys drop constraint api_keys_role_check;
alter table api_keys add constraint api_keys_role_check check (role in ('admin', 'platform', 'rights_holder', 'auditor', 'likeness_owner'));
alter table api_keys drop constraint api_keys_scope;
alter table api_keys add constraint api_keys_scope check (
    (role = 'platform' and tenant_id is not null and rights_holder_id is null and likeness_profile_id is null)
    or (role = 'rights_holder' and rights_holder_id is not null and tenant_id is null and likeness_profile_id is null)
    or (role = 'likeness_owner' and likeness_profile_id is not null and tenant_id is null and rights_holder_id is null)
    or (role = 'auditor' and rights_holder_id is null and likeness_profile_id is null)
    or (role = 'admin' and tenant_id is null and rights_holder_id is null and likeness_profile_id is null));

-- Consent is history, like grants: the latest row for a profile is its state.
create table likeness_consents (
    id uuid primary key,
    profile_id uuid not null references likeness_profiles (id),
    mode text not null check (mode in ('only_me', 'allowlist', 'tenant')),
    allowed_accounts text[] not null default '{}',
    allowed_tenants uuid[] not null default '{}',
    expires_at timestamptz,
    created_at timestamptz not null default now(),
    revoked_at timestamptz,
    revocation_reason text
);
create index likeness_consents_lookup on likeness_consents (profile_id, created_at desc);

create function likeness_consents_guard() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'consent is history: revoke instead of deleting';
    end if;
    if old.revoked_at is not null
       or (new.id, new.profile_id, new.mode, new.allowed_accounts, new.allowed_tenants, new.expires_at, new.created_at)
          is distinct from (old.id, old.profile_id, old.mode, old.allowed_accounts, old.allowed_tenants, old.expires_at, old.created_at) then
        raise exception 'consent is history: only an unrevoked consent can be revoked, once';
    end if;
    return new;
end $$;
create trigger likeness_consents_guard before update or delete on likeness_consents for each row execute function likeness_consents_guard();

create table public_figures (
    id uuid primary key,
    name text not null,
    aliases text[] not null default '{}',
    -- When the person has registered, their own consent settings apply.
    profile_id uuid references likeness_profiles (id),
    created_at timestamptz not null default now(),
    removed_at timestamptz
);
create unique index public_figures_name_key on public_figures (lower(name)) where removed_at is null;
create trigger public_figures_changed after insert or update or delete on public_figures
    for each statement execute function catalog_changed();

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, insert, update on likeness_profiles, likeness_consents, public_figures to compliance_app;
    end if;
end $$;
