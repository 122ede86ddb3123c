-- Unification: each instance's unify section (as applied) and the history of unify runs.

create table unify_configs (
  instance_id  text primary key references instances (id) on delete cascade,
  config       jsonb not null,
  updated_at   timestamptz not null default now()
);

create table unify_runs (
  id             text primary key,
  instance_id    text not null references instances (id) on delete cascade,
  state          text not null check (state in ('queued', 'running', 'succeeded', 'failed')),
  -- What asked for it: 'api', 'cli', or 'refresh:<refreshId>'.
  reason         text not null,
  requested_at   timestamptz not null default now(),
  started_at     timestamptz,
  completed_at   timestamptz,
  stats          jsonb,
  error_code     text,
  error_message  text
);
create index unify_runs_by_instance on unify_runs (instance_id, requested_at desc);
-- At most one queued run per instance: more requests while one waits join it.
create unique index unify_runs_one_queued on unify_runs (instance_id) where state = 'queued';
