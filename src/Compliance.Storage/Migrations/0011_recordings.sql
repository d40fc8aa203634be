-- Issue 13 (host half): reference recordings. A recording is a work in the same catalog as characters (one table, one
-- id space), so grants, usage events, settlements and statements name it exactly as they name a character
-- (docs/decisions/ADR-015-recordings-are-catalog-works.md). Its reference audio is fingerprinted at upload; only the
-- fingerprint and its SHA-256 are kept, never the audio.

alter table characters add column kind text not null default 'character' check (kind in ('character', 'recording'));
alter table characters add column artist text check (artist is null or length(artist) between 1 and 200);
-- ISRC (ISO 3901), stored without hyphens: country code, registrant code, year of reference, designation code.
alter table characters add column isrc text check (isrc is null or isrc ~ '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$');
alter table characters add constraint characters_recording_fields
    check (kind = 'recording' or (artist is null and isrc is null));
alter table characters add constraint characters_recordings_unnamed
    check (kind = 'character' or (cardinality(aliases) = 0 and cardinality(example_prompts) = 0 and localized_aliases = '{}'::jsonb));

-- A holder may have a character and a recording of the same name, and recordings of one title by different artists.
drop index characters_name_key;
create unique index characters_name_key on characters (rights_holder_id, kind, lower(canonical_name), lower(coalesce(artist, '')));
-- An ISRC identifies one recording: it is owned once, by one holder, like a name (ADR-008).
create unique index characters_isrc_key on characters (isrc) where isrc is not null;

create sequence recording_fingerprint_change_seq;

create table recording_fingerprints (
    id bigint generated always as identity primary key,
    public_id uuid not null unique,
    recording_id uuid not null references characters (id),
    rights_holder_id uuid not null references rights_holders (id),
    -- The sub-fingerprints as little-endian uint32s, in order: exactly the bytes fingerprint_sha256 is taken over.
    fingerprint bytea not null check (length(fingerprint) > 0 and length(fingerprint) % 4 = 0),
    fingerprint_sha256 text not null check (fingerprint_sha256 ~ '^[0-9a-f]{64}$'),
    duration_seconds double precision not null check (duration_seconds > 0),
    file_name text,
    created_at timestamptz not null default now(),
    deleted_at timestamptz,
    change_seq bigint not null default nextval('recording_fingerprint_change_seq')
);
create index recording_fingerprints_recording on recording_fingerprints (recording_id) where deleted_at is null;
create index recording_fingerprints_change on recording_fingerprints (change_seq);
-- The same audio twice for one recording is one reference.
create unique index recording_fingerprints_once on recording_fingerprints (recording_id, fingerprint_sha256) where deleted_at is null;

-- Only recordings take reference audio, whoever writes the row.
create function recording_fingerprints_changed() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        if not exists (select from characters c where c.id = new.recording_id and c.kind = 'recording' and c.rights_holder_id = new.rights_holder_id) then
            raise exception 'recording % of holder % does not exist', new.recording_id, new.rights_holder_id
                using errcode = 'foreign_key_violation';
        end if;
    elsif new.deleted_at is null or old.deleted_at is not null
          or (new.id, new.public_id, new.recording_id, new.rights_holder_id, new.fingerprint, new.fingerprint_sha256) is distinct from
             (old.id, old.public_id, old.recording_id, old.rights_holder_id, old.fingerprint, old.fingerprint_sha256) then
        raise exception 'recording fingerprints are immutable: only a one-time soft delete is allowed';
    else
        new.change_seq := nextval('recording_fingerprint_change_seq');
    end if;
    perform pg_notify('recordings_changed', '');
    return new;
end $$;
create trigger recording_fingerprints_changed before insert or update on recording_fingerprints
    for each row execute function recording_fingerprints_changed();
create function recording_fingerprints_no_delete() returns trigger language plpgsql as $$
begin
    raise exception 'recording fingerprints are soft-deleted (set deleted_at), never removed';
end $$;
create trigger recording_fingerprints_no_delete before delete on recording_fingerprints
    for each row execute function recording_fingerprints_no_delete();

-- The named audio asset the local storyboard lays under a generation's scenes (null: a silent video).
alter table generation_jobs add column soundtrack text check (soundtrack is null or length(soundtrack) between 1 and 64);

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, insert, update on recording_fingerprints to compliance_app;
        grant usage on sequence recording_fingerprint_change_seq to compliance_app;
    end if;
end $$;
