-- Embeddings computed again under a newer model version (file or input recipe, ADR-038, ADR-043). Reference and
-- enrolment rows stay immutable and keep the vectors they were made with (what the decisions of their time compared
-- against); a node that finds a row made by another version embeds its stored image again and records the result
-- here, once, so later starts read it instead of running the models again. Insert-only: a version's vector for a row
-- never changes (the same image, the same models, the same vector), so a second node's insert of it is a no-op.
create table reference_embeddings_recomputed (
    reference_id bigint not null references reference_images (id),
    model_version text not null,
    embedding real[] not null,
    computed_at timestamptz not null default now(),
    primary key (reference_id, model_version)
);

create table enrolment_embeddings_recomputed (
    enrolment_id bigint not null references likeness_enrolments (id),
    model_version text not null,
    embedding real[] not null,
    computed_at timestamptz not null default now(),
    primary key (enrolment_id, model_version)
);

create or replace function recomputed_embeddings_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'recomputed embeddings are insert-only';
end $$;

create trigger reference_embeddings_recomputed_immutable before update or delete on reference_embeddings_recomputed
    for each row execute function recomputed_embeddings_immutable();
create trigger enrolment_embeddings_recomputed_immutable before update or delete on enrolment_embeddings_recomputed
    for each row execute function recomputed_embeddings_immutable();

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, insert on reference_embeddings_recomputed, enrolment_embeddings_recomputed to compliance_app;
    end if;
end $$;
