-- Likeness consents are cached per node and trusted only while this number is unchanged (ADR-034, as ADR-031 does for
-- grants): one cluster-wide number, bumped in the same transaction as any change to a consent (a new consent, a
-- revocation) or to a profile (its own accounts decide "only me"). The service reads it with the key- and grant-change
-- numbers in the one shared read that starts after the request arrived (ADR-022's rule), so a consent given or revoked
-- before a request arrived is seen by that request on every node, however it was written.
create table consent_change_state (
    id int primary key check (id = 1),
    version bigint not null
);
insert into consent_change_state values (1, 1);

create function consents_changed() returns trigger language plpgsql as $$
begin
    update consent_change_state set version = version + 1 where id = 1;
    return null;
end $$;
create trigger consents_changed after insert or update or delete or truncate on likeness_consents
    for each statement execute function consents_changed();
create trigger consents_changed after insert or update or delete or truncate on likeness_profiles
    for each statement execute function consents_changed();

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, update on consent_change_state to compliance_app;
    end if;
end $$;
