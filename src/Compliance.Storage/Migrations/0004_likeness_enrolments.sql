-- Face enrolments: each accepted enrolment image of a person becomes one face embedding. The image
-- bytes live in the blob store; rows are soft-deleted and followed by change number, like references.

create sequence enrolment_change_seq;

create table likeness_enrolments (
    id bigint generated always as identity primary key,
    public_id uuid not null unique,
    profile_id uuid not null references likeness_profiles (id),
    blob_sha256 text not null,
    face_box real[] not null,
    detection_score real not null,
    sharpness real not null,
    spoof_score real not null,
    embedding real[] not null,
    model_version text not null,
    created_at timestamptz not null default now(),
    deleted_at timestamptz,
    change_seq bigint not null default nextval('enrolment_change_seq')
);
create index likeness_enrolments_profile on likeness_enrolments (profile_id) where deleted_at is null;
create index likeness_enrolments_change on likeness_enrolments (change_seq);

create function likeness_enrolments_changed() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' then
        if new.deleted_at is null or old.deleted_at is not null
           or (new.id, new.public_id, new.profile_id, new.embedding) is distinct from (old.id, old.public_id, old.profile_id, old.embedding) then
            raise exception 'enrolments are immutable: only a one-time soft delete is allowed';
        end if;
        new.change_seq := nextval('enrolment_change_seq');
    end if;
    perform pg_notify('enrolments_changed', '');
    return new;
end $$;
create trigger likeness_enrolments_changed before insert or update on likeness_enrolments
    for each row execute function likeness_enrolments_changed();
create function likeness_enrolments_no_delete() returns trigger language plpgsql as $$
begin
    raise exception 'enrolments are soft-deleted (set deleted_at), never removed';
end $$;
create trigger likeness_enrolments_no_delete before delete on likeness_enrolments
    for each row execute function likeness_enrolments_no_delete();

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, insert, update on likeness_enrolments to compliance_app;
        grant usage on sequence enrolment_change_seq to compliance_app;
    end if;
end $$;
