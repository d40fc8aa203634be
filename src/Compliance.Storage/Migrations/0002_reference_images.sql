-- Reference banks: images (or bare PDQ hashes) that identify a character. The bytes live in the
-- content-addressed blob store; hashes and embeddings live here. Rows are soft-deleted so decisions
-- that cite a reference can still be explained after it stops being matched.

create sequence reference_change_seq;

create table reference_images (
    id bigint generated always as identity primary key,
    public_id uuid not null unique,
    character_id uuid not null references characters (id),
    rights_holder_id uuid not null references rights_holders (id),
    source text not null check (source in ('image', 'hash')),
    blob_sha256 text,
    media_type text,
    width int,
    height int,
    file_name text,
    pdq_hash text not null check (pdq_hash ~ '^[0-9a-f]{64}$'),
    pdq_quality int not null check (pdq_quality between 0 and 100),
    matchable boolean not null,
    embedding real[],
    embedding_model text,
    created_at timestamptz not null default now(),
    deleted_at timestamptz,
    -- Every insert and soft delete takes a new change number, so each node's index can follow
    -- "everything after the last change I saw" instead of reloading the bank.
    change_seq bigint not null default nextval('reference_change_seq'),
    constraint reference_images_source check ((source = 'image') = (blob_sha256 is not null))
);
create index reference_images_character on reference_images (character_id) where deleted_at is null;
create index reference_images_change on reference_images (change_seq);

create function reference_images_changed() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' then
        if new.deleted_at is null or old.deleted_at is not null
           or (new.id, new.public_id, new.character_id, new.pdq_hash, new.embedding) is distinct from
              (old.id, old.public_id, old.character_id, old.pdq_hash, old.embedding) then
            raise exception 'reference images are immutable: only a one-time soft delete is allowed';
        end if;
        new.change_seq := nextval('reference_change_seq');
    end if;
    perform pg_notify('references_changed', '');
    return new;
end $$;
create trigger reference_images_changed before insert or update on reference_images
    for each row execute function reference_images_changed();
create function reference_images_no_delete() returns trigger language plpgsql as $$
begin
    raise exception 'reference images are soft-deleted (set deleted_at), never removed';
end $$;
create trigger reference_images_no_delete before delete on reference_images
    for each row execute function reference_images_no_delete();

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, insert, update on reference_images to compliance_app;
        grant usage on sequence reference_change_seq to compliance_app;
    end if;
end $$;
