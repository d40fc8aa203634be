-- Unreleased generations' blobs are deleted after a retention period (ADR-042, docs/operations.md "Retention"):
-- the video a blocked, failed or cancelled job produced may show a likeness nobody consented to, and the platform's
-- reference image was given for that one job. The row keeps everything an auditor needs (decisions, output_sha256,
-- output_bytes); blobs_deleted_at says when the bytes went. A blob another row still needs (a released or held job, a
-- character reference, a likeness enrolment) is kept: the store is content-addressed, so two rows can share one file.
alter table generation_jobs add column blobs_deleted_at timestamptz;
alter table generation_jobs add constraint generation_jobs_blobs_deleted
    check (blobs_deleted_at is null or state in ('blocked', 'failed', 'cancelled'));

-- A likeness owner who deletes an enrolment has the photo deleted too (the same sweep, within the hour); the row, its
-- embedding and the decisions that matched it stay. photo_deleted_at says the row no longer holds the photo.
alter table likeness_enrolments add column photo_deleted_at timestamptz;
alter table likeness_enrolments add constraint likeness_enrolments_photo_deleted check (photo_deleted_at is null or deleted_at is not null);

-- Enrolments stay immutable but for the one-time soft delete and, after it, this one-time mark. The mark changes no
-- face in the bank, so it takes no new change number and notifies nobody.
create or replace function likeness_enrolments_changed() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' then
        if old.deleted_at is not null and old.photo_deleted_at is null and new.photo_deleted_at is not null
           and (new.id, new.public_id, new.profile_id, new.blob_sha256, new.embedding, new.deleted_at, new.change_seq)
               is not distinct from (old.id, old.public_id, old.profile_id, old.blob_sha256, old.embedding, old.deleted_at, old.change_seq) then
            return new;
        end if;
        if new.deleted_at is null or old.deleted_at is not null or new.photo_deleted_at is not null
           or (new.id, new.public_id, new.profile_id, new.embedding) is distinct from (old.id, old.public_id, old.profile_id, old.embedding) then
            raise exception 'enrolments are immutable: only a one-time soft delete is allowed';
        end if;
        new.change_seq := nextval('enrolment_change_seq');
    end if;
    perform pg_notify('enrolments_changed', '');
    return new;
end $$;

create index likeness_enrolments_photo_due on likeness_enrolments (id) where deleted_at is not null and photo_deleted_at is null;

-- The retention sweep's queue, oldest first.
create index generation_jobs_unreleased_blobs on generation_jobs (finished_at)
    where state in ('blocked', 'failed', 'cancelled') and blobs_deleted_at is null
      and (output_blob is not null or reference_blob is not null);

-- "Does anything else still need this blob?", asked per blob before its file is deleted.
create index generation_jobs_output_blob on generation_jobs (output_blob) where output_blob is not null and blobs_deleted_at is null;
create index generation_jobs_reference_blob on generation_jobs (reference_blob) where reference_blob is not null and blobs_deleted_at is null;
create index reference_images_blob on reference_images (blob_sha256) where blob_sha256 is not null;
create index likeness_enrolments_blob on likeness_enrolments (blob_sha256) where photo_deleted_at is null;
