-- Unreleased generations' blobs are deleted after a retention period (ADR-042, docs/operations.md "Retention"):
-- the video a blocked, failed or cancelled job produced may show a likeness nobody consented to, and the platform's
-- reference image was given for that one job. The row keeps everything an auditor needs (decisions, output_sha256,
-- output_bytes); blobs_deleted_at says when the bytes went. A blob another row still needs (a released or held job, a
-- character reference, a likeness enrolment) is kept: the store is content-addressed, so two rows can share one file.
alter table generation_jobs add column blobs_deleted_at timestamptz;
alter table generation_jobs add constraint generation_jobs_blobs_deleted
    check (blobs_deleted_at is null or state in ('blocked', 'failed', 'cancelled'));

-- The retention sweep's queue, oldest first.
create index generation_jobs_unreleased_blobs on generation_jobs (finished_at)
    where state in ('blocked', 'failed', 'cancelled') and blobs_deleted_at is null
      and (output_blob is not null or reference_blob is not null);

-- "Does anything else still need this blob?", asked per blob before its file is deleted.
create index generation_jobs_output_blob on generation_jobs (output_blob) where output_blob is not null and blobs_deleted_at is null;
create index generation_jobs_reference_blob on generation_jobs (reference_blob) where reference_blob is not null and blobs_deleted_at is null;
create index reference_images_blob on reference_images (blob_sha256) where blob_sha256 is not null;
create index likeness_enrolments_blob on likeness_enrolments (blob_sha256);
