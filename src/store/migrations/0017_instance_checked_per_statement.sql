-- Events and flow runs keep no foreign key to their instance: the statements that insert them
-- (insertEvents, insertFlowRuns: the only ones) check it once per statement instead, locking the
-- instance's row for key share as the key did, and fail with the key's error (23503) for an
-- instance that does not exist. The key checked every row on its own (a lookup and a lock per
-- row, through a trigger queued per row): in PGlite those inserts took 18% less time without it,
-- 7.5 µs a run of about 180 on the one thread that runs everything in embedded mode. Nothing
-- deletes instances; whatever does one day deletes their events and runs with them (there is no
-- cascade from instances to these two tables now).
alter table events drop constraint if exists events_instance_id_fkey;
alter table flow_runs drop constraint if exists flow_runs_instance_id_fkey;

-- Raises the foreign key's error for a row whose instance does not exist (used in a condition:
-- it never returns).
create function openinsights_unknown_instance(instance text) returns boolean
language plpgsql
as $$
begin
  raise foreign_key_violation using message = format('instance %L does not exist', instance);
end
$$;
