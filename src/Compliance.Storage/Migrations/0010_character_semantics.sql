-- Issue 10: characters described without their names, and names in other scripts.
-- Rights holders give example prompts (how their character is typically asked for) beside the description, and
-- localised aliases per language ({"ru": ["Капитан Комета"], "ja": ["キャプテン・コメット"]}), matched like aliases.
alter table characters add column example_prompts text[] not null default '{}';
alter table characters add column localized_aliases jsonb not null default '{}'::jsonb
    check (jsonb_typeof(localized_aliases) = 'object');

-- The sentence embeddings (all-MiniLM-L6-v2, unit length, 384 floats) of each character's description and example
-- prompts. A node that loads the catalog embeds what is missing or stale (source_hash covers the texts and the model
-- version) and writes it here, so other nodes and restarts reuse it. Deleting a character deletes its vectors.
create table character_embeddings (
    character_id uuid not null references characters (id) on delete cascade,
    ordinal int not null check (ordinal >= 0),
    source text not null check (source in ('description', 'example')),
    text text not null,
    vector real[] not null check (cardinality(vector) = 384),
    model_version text not null,
    source_hash text not null,
    created_at timestamptz not null default now(),
    primary key (character_id, ordinal)
);

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, insert, update, delete on character_embeddings to compliance_app;
    end if;
end $$;
