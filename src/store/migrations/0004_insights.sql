-- Measures and segments (each instance's sections as applied), the runs that compute them, the
-- history of their values (thresholds are evaluated from it), and full refreshes.

create table insight_configs (
  instance_id  text primary key references instances (id) on delete cascade,
  measures     jsonb not null default '{}'::jsonb,
  segments     jsonb not null default '{}'::jsonb,
  updated_at   timestamptz not null default now()
);

create table insight_runs (
  id               text primary key,
  instance_id      text not null references instances (id) on delete cascade,
  state            text not null check (state in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  -- What asked for it: 'api', 'cli', 'unify:<runId>' or 'full:<fullRefreshId>'.
  reason           text not null,
  full_refresh_id  text,
  requested_at     timestamptz not null default now(),
  started_at       timestamptz,
  completed_at     timestamptz,
  stats            jsonb,
  error_code       text,
  error_message    text
);
create index insight_runs_by_instance on insight_runs (instance_id, requested_at desc);
create unique index insight_runs_one_queued on insight_runs (instance_id) where state = 'queued';

-- One row per business measure (and dimension value: '' when none) per run.
create table measure_values (
  instance_id  text not null references instances (id) on delete cascade,
  measure      text not null,
  dimension    text not null default '',
  run_id       text not null,
  value        double precision,
  computed_at  timestamptz not null,
  primary key (instance_id, measure, dimension, run_id)
);

create table segment_counts (
  instance_id   text not null references instances (id) on delete cascade,
  segment       text not null,
  run_id        text not null,
  member_count  bigint not null,
  computed_at   timestamptz not null,
  primary key (instance_id, segment, run_id)
);

create table full_refreshes (
  id             text primary key,
  instance_id    text not null references instances (id) on delete cascade,
  state          text not null check (state in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  reason         text not null,
  requested_at   timestamptz not null default now(),
  started_at     timestamptz,
  completed_at   timestamptz,
  -- [{ name, kind: source|unify|insights, state, startedAt, completedAt, durationMs, counts, error }]
  steps          jsonb not null default '[]'::jsonb,
  error_code     text,
  error_message  text
);
create index full_refreshes_by_instance on full_refreshes (instance_id, requested_at desc);
-- One full refresh at a time per instance.
create unique index full_refreshes_one_active on full_refreshes (instance_id) where state in ('queued', 'running');

-- Cron schedules of full refreshes, by instance (pg-boss runs them).
create table refresh_schedules (
  instance_id  text primary key references instances (id) on delete cascade,
  cron         text not null,
  timezone     text not null default 'UTC',
  -- The last slot that started a full refresh (null: none since the schedule was set).
  last_fired_at timestamptz,
  updated_at   timestamptz not null default now()
);

-- Work a full refresh started, so the triggers that chain steps on their own leave it alone.
alter table refreshes add column full_refresh_id text;
alter table unify_runs add column full_refresh_id text;
