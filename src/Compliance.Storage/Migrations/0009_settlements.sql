-- Revenue-share settlements: revenue lines reported by platforms, settlement periods and their runs, one statement
-- per (rights holder, period, currency), and the platform's remainder per (period, tenant, currency).
-- Paying twice is made impossible here, whatever the scheduler does: a line belongs to exactly one period, fixed when
-- it is received and never changed; a period is settled once; a statement is unique per holder, period and currency.

create table settlement_periods (
    id bigint generated always as identity primary key,
    period_start timestamptz not null unique,
    period_end timestamptz not null,
    -- open: takes revenue; closed: takes none (lines for it become late lines of a later period); settled: paid.
    status text not null default 'open' check (status in ('open', 'closed', 'settled')),
    closed_at timestamptz,
    settled_at timestamptz,
    settled_by_run uuid,
    created_at timestamptz not null default now(),
    check (period_start < period_end),
    check ((status = 'settled') = (settled_at is not null)),
    -- Periods never overlap, even if the configured length changes: a line has one period.
    exclude using gist (tstzrange(period_start, period_end) with &&)
);

-- The currency of a generation's revenue, pinned by its first line: a generation's lines never mix currencies.
create table generation_currencies (
    generation_id uuid primary key references generation_jobs (id),
    currency text not null check (currency ~ '^[A-Z]{3}$')
);

create table revenue_lines (
    id bigint generated always as identity primary key,
    tenant_id uuid not null references tenants (id),
    generation_id uuid not null references generation_jobs (id),
    -- The platform's own id of the line: idempotency is per (tenant, generation, line id).
    line_id text not null,
    line_type text not null check (line_type in ('revenue', 'adjustment')),
    -- What the line is on a statement: revenue of the period, revenue that arrived after its period was settled or
    -- closed, or an adjustment of an earlier line (a reversal cancels it exactly, a correction changes it).
    kind text not null check (kind in ('revenue', 'late_revenue', 'correction', 'reversal')),
    adjusts bigint references revenue_lines (id),
    amount_minor bigint not null check (amount_minor between -1000000000000000 and 1000000000000000),
    currency text not null check (currency ~ '^[A-Z]{3}$'),
    occurred_at timestamptz not null,
    -- The period the revenue belongs to, and the period whose settlement pays it (later for late lines).
    occurred_period_id bigint not null references settlement_periods (id),
    period_id bigint not null references settlement_periods (id),
    received_at timestamptz not null default now(),
    unique (tenant_id, generation_id, line_id),
    check ((line_type = 'adjustment') = (adjusts is not null)),
    check (line_type = 'adjustment' or amount_minor >= 0),
    check (line_type = 'revenue' or amount_minor <> 0),
    check ((kind in ('revenue', 'late_revenue')) = (line_type = 'revenue'))
);
create index revenue_lines_period on revenue_lines (period_id, id);
create index revenue_lines_generation on revenue_lines (generation_id, period_id);
create index revenue_lines_adjusts on revenue_lines (adjusts) where adjusts is not null;

create table settlement_runs (
    id uuid primary key,
    period_id bigint not null references settlement_periods (id),
    trigger text not null check (trigger in ('schedule', 'admin')),
    -- running until it ends; abandoned when a later run finds it never finished (its node died or was stopped);
    -- skipped when the period was already settled by the time it held the period.
    status text not null check (status in ('running', 'succeeded', 'failed', 'abandoned', 'skipped')),
    split_rule text not null,
    node text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    lines bigint,
    statements int,
    totals jsonb,
    error text,
    check ((status = 'running') = (finished_at is null))
);
create index settlement_runs_period on settlement_runs (period_id, started_at desc);
create index settlement_runs_started on settlement_runs (started_at desc, id desc);

-- One statement per rights holder, period and currency. Its lines are the period's revenue lines of generations
-- that used the holder's characters, each allocated by the pure allocation (docs/settlements.md) from rows that never
-- change; the totals stored here are what was paid, and recomputing the lines must give them again (reconciliation).
create table settlement_statements (
    id uuid primary key,
    period_id bigint not null references settlement_periods (id),
    rights_holder_id uuid not null references rights_holders (id),
    currency text not null,
    run_id uuid not null references settlement_runs (id),
    split_rule text not null,
    line_count bigint not null,
    revenue_minor bigint not null,
    amount_minor bigint not null,
    adjustments_minor bigint not null,
    created_at timestamptz not null default now(),
    unique (rights_holder_id, period_id, currency)
);
create index settlement_statements_period on settlement_statements (period_id);

-- What the platform keeps of its own revenue in a period, per currency: the other side of the reconciliation.
create table settlement_platform_totals (
    period_id bigint not null references settlement_periods (id),
    tenant_id uuid not null references tenants (id),
    currency text not null,
    run_id uuid not null references settlement_runs (id),
    line_count bigint not null,
    revenue_minor bigint not null,
    allocated_minor bigint not null,
    platform_minor bigint not null,
    primary key (period_id, tenant_id, currency)
);

-- Money rows are history: never changed, never removed.
create function settlements_append_only() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only (% refused)', tg_table_name, tg_op;
end $$;
create trigger revenue_lines_no_change before update or delete on revenue_lines
    for each row execute function settlements_append_only();
create trigger settlement_statements_no_change before update or delete on settlement_statements
    for each row execute function settlements_append_only();
create trigger settlement_platform_totals_no_change before update or delete on settlement_platform_totals
    for each row execute function settlements_append_only();
create trigger generation_currencies_no_change before update or delete on generation_currencies
    for each row execute function settlements_append_only();

-- A line only ever enters an open period: a closed or settled period's statements can never grow afterwards.
create function revenue_lines_open_period() returns trigger language plpgsql as $$
begin
    if (select status from settlement_periods where id = new.period_id) <> 'open' then
        raise exception 'revenue line % cannot enter period %: it is no longer open', new.line_id, new.period_id;
    end if;
    return new;
end $$;
create trigger revenue_lines_open_period before insert on revenue_lines
    for each row execute function revenue_lines_open_period();

-- A settled period stays settled; only open → closed → settled (or open → settled) moves are allowed.
create function settlement_periods_forward_only() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception 'settlement periods are history';
    end if;
    if (old.period_start, old.period_end) is distinct from (new.period_start, new.period_end)
       or old.status = 'settled'
       or (old.status = 'closed' and new.status = 'open') then
        raise exception 'settlement period % cannot go from % to %', old.id, old.status, new.status;
    end if;
    return new;
end $$;
create trigger settlement_periods_forward_only before update or delete on settlement_periods
    for each row execute function settlement_periods_forward_only();

do $$
begin
    if exists (select from pg_roles where rolname = 'compliance_app') then
        grant select, insert, update on settlement_periods, settlement_runs to compliance_app;
        grant select, insert on generation_currencies, revenue_lines, settlement_statements, settlement_platform_totals to compliance_app;
        -- Only so intake can lock a generation's pin row (select … for update); the trigger above refuses any update.
        grant update (currency) on generation_currencies to compliance_app;
    end if;
end $$;
