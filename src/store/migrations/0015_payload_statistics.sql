-- Payload columns no query filters or sorts on: no statistics. ANALYZE samples up to 30,000 rows
-- and builds a histogram of every column; for a jsonb payload that means sorting thousands of
-- documents. Measured on embedded PGlite, events at 7,000–21,000 rows: ANALYZE took 100–370 ms
-- with statistics on events.data, 8–43 ms without — and in embedded mode it holds the one
-- connection while it runs (see src/runtime/embedded-maintenance.ts).
alter table events alter column data set statistics 0;
alter table flow_run_actions
  alter column inputs set statistics 0,
  alter column outputs set statistics 0,
  alter column error set statistics 0;
alter table flow_runs
  alter column definition set statistics 0,
  alter column trigger set statistics 0,
  alter column error_message set statistics 0;
alter table flow_definitions alter column definition set statistics 0;
