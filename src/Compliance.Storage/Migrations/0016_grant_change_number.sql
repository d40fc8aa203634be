-- Grants are cached per node and trusted only while this number is unchanged (ADR-031): one cluster-wide number,
-- bumped in the same transaction as any change to a grant (a new grant, a denial, a revocation). The service reads it
-- together with the key-change number (key_revocation_state) in one shared read that starts after the request arrived
-- (ADR-022's rule), so a grant or revocation committed before a request arrived is seen by that request on every node,
-- while a prompt naming a character no longer costs a grant query of its own when no grant changed.
create table grant_change_state (
    id int primary key check (id = 1),
    version bigint not null
);
insert into grant_change_state values (1, 1);

create function grants_changed() returns trigger language plpgsql as $$
begin
    update grant_change_state set version = version + 1 where id = 1;
    return null;
end $$;
create trigger grants_changed after insert or update or delete or truncate on grants
    for each statement execute function grants_changed();

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, update on grant_change_state to compliance_app;
    end if;
end $$;
