-- Flows (trigger → actions, as workflow definitions), their runs, and each action's record.

create table flows (
  instance_id  text not null references instances (id) on delete cascade,
  name         text not null,
  definition   jsonb not null,
  enabled      boolean not null default true,
  -- Where it came from: 'config' (openinsights.yaml), 'api', or 'template:<name>'.
  origin       text not null,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  primary key (instance_id, name)
);

create table flow_runs (
  id             text primary key,
  instance_id    text not null references instances (id) on delete cascade,
  flow_name      text not null,
  -- The event that started it (null for a manual run); one run per flow and event.
  event_id       text,
  state          text not null check (state in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  -- The definition as it was when the run was created: editing a flow never changes a run.
  definition     jsonb not null,
  trigger        jsonb not null,
  -- A re-run: the run it repeats, and from which action ('' = from the start).
  rerun_of       text,
  rerun_from     text,
  requested_at   timestamptz not null default now(),
  started_at     timestamptz,
  completed_at   timestamptz,
  -- A worker holds a running run while this is in the future (it renews it); then another may resume it.
  lease_until    timestamptz,
  error_code     text,
  error_message  text
);
create unique index flow_runs_one_per_event on flow_runs (instance_id, flow_name, event_id)
  where event_id is not null and rerun_of is null;
create index flow_runs_by_flow on flow_runs (instance_id, flow_name, requested_at desc);
create index flow_runs_active on flow_runs (state, lease_until) where state in ('queued', 'running');

-- One row per action execution that finished, keyed by its path in the run:
-- 'Get_items', 'Check/actions/Post', 'For_each[2]/Send_mail'.
create table flow_run_actions (
  run_id        text not null references flow_runs (id) on delete cascade,
  path          text not null,
  name          text not null,
  type          text not null,
  status        text not null check (status in ('Succeeded', 'Failed', 'Skipped', 'TimedOut')),
  inputs        jsonb,
  outputs       jsonb,
  error         jsonb,
  attempts      integer not null default 1,
  started_at    timestamptz not null,
  completed_at  timestamptz not null,
  primary key (run_id, path)
);

-- Secrets flows use (SMTP password, webhook URLs with tokens), encrypted with the instance key
-- (AES-256-GCM; the key lives in $OPENINSIGHTS_HOME/secret.key or OPENINSIGHTS_SECRET_KEY).
create table secrets (
  instance_id  text not null references instances (id) on delete cascade,
  name         text not null,
  ciphertext   text not null,
  updated_at   timestamptz not null default now(),
  primary key (instance_id, name)
);
