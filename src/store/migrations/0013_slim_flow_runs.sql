-- A run row holds what changes (state, lease, times, error) and points at what does not. Its
-- flow's definition is stored once per version, by its hash, and an event's run reads its trigger
-- from the event it started from. Every run is inserted once and updated twice: each update wrote
-- a new version of the whole row, definition and trigger included (about 1 KB a run for a
-- one-action flow, three times over, and as much again to the WAL). Runs stored before keep their
-- own copies; readers take a run's own copy first.
create table flow_definitions (
  hash        text primary key,
  definition  jsonb not null
);
alter table flow_runs
  alter column definition drop not null,
  alter column trigger drop not null,
  add column definition_hash text,
  -- The flow's concurrency limit, which the claim reads for every candidate run.
  add column concurrency integer;
