-- A run row holds what changes (state, lease, times, error) and points at what does not. Its
-- flow's definition is stored once per version, by its hash, and an event's run reads its trigger
-- from the event it started from. Every run is inserted once and updated twice: each update wrote
-- a new version of the whole row, definition and trigger included (about 1 KB a run for a
-- one-action flow, three times over, and as much again to the WAL). Runs stored before keep their
-- own copies; readers take a run's own copy first.
-- Per instance (deleting an instance deletes its definitions, which may hold webhook URLs).
create table flow_definitions (
  instance_id  text not null references instances (id) on delete cascade,
  hash         text not null,
  definition   jsonb not null,
  primary key (instance_id, hash)
);
alter table flow_runs
  alter column definition drop not null,
  alter column trigger drop not null,
  add column definition_hash text,
  -- The flow's concurrency limit, which the claim reads for every candidate run.
  add column concurrency integer;
