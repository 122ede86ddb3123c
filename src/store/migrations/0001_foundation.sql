-- Foundation: instances, data sources, refreshes, the entity manifest and the event outbox.

create table instances (
  id          text primary key,
  name        text not null,
  settings    jsonb not null default '{}'::jsonb,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);

create table data_sources (
  instance_id   text not null references instances (id) on delete cascade,
  name          text not null,
  kind          text not null check (kind in ('csv', 'json', 'ndjson', 'parquet', 'postgres')),
  -- Kind-specific reader options (path, delimiter, query, ...), validated by the source's schema.
  options       jsonb not null,
  primary_key   text not null,
  -- Column type overrides applied on read: { "column": "DATE" }.
  column_types  jsonb not null default '{}'::jsonb,
  -- Fraction of rejected rows above which a refresh fails.
  reject_ratio  double precision not null default 0.05,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  primary key (instance_id, name)
);

create table refreshes (
  id                  text primary key,
  instance_id         text not null references instances (id) on delete cascade,
  data_source_name    text not null,
  state               text not null check (state in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  attempt             integer not null default 0,
  requested_at        timestamptz not null default now(),
  started_at          timestamptz,
  completed_at        timestamptz,
  heartbeat_at        timestamptz,
  worker_id           text,
  progress            jsonb,
  row_count           bigint,
  rejected_row_count  bigint,
  rejects_path        text,
  error_code          text,
  error_message       text,
  foreign key (instance_id, data_source_name) references data_sources (instance_id, name) on delete cascade
);
create index refreshes_by_source on refreshes (instance_id, data_source_name, requested_at desc);
-- At most one refresh of a data source is queued or running at a time.
create unique index refreshes_one_active on refreshes (instance_id, data_source_name)
  where state in ('queued', 'running');

-- The manifest: every published entity and the version readers see. Publishing a refresh flips
-- current_version_id in the same transaction that records the refresh's outcome and its event.
create table entity_versions (
  id            text primary key,
  instance_id   text not null references instances (id) on delete cascade,
  entity_name   text not null,
  refresh_id    text not null,
  directory     text not null,
  row_count     bigint not null,
  schema        jsonb not null,
  partitions    jsonb not null,
  created_at    timestamptz not null default now()
);
create index entity_versions_by_entity on entity_versions (instance_id, entity_name, created_at desc);

create table entities (
  instance_id         text not null references instances (id) on delete cascade,
  name                text not null,
  origin              text not null,
  current_version_id  text not null references entity_versions (id),
  updated_at          timestamptz not null default now(),
  primary key (instance_id, name)
);

-- Append-only event outbox. Rows are written in the transaction of the state change they report;
-- the dispatcher marks them dispatched once every subscriber has taken its share.
create table events (
  id             text primary key,
  instance_id    text not null references instances (id) on delete cascade,
  type           text not null,
  occurred_at    timestamptz not null,
  data           jsonb not null,
  dispatched_at  timestamptz
);
create index events_by_instance on events (instance_id, id);
create index events_by_type on events (instance_id, type, id);
create index events_undispatched on events (id) where dispatched_at is null;
