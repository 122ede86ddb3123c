-- A refresh that would remove more than max_shrink of an entity's rows is held as failed (the
-- current version stays) unless the refresh was asked with allow_shrink.
alter table data_sources add column if not exists max_shrink double precision not null default 0.5
  check (max_shrink >= 0 and max_shrink <= 1);
alter table refreshes add column if not exists allow_shrink boolean not null default false;
-- How a text source was read (delimiter, quote, encoding, decimal mark, date format) and which of
-- these were detected rather than set, shown with the refresh.
alter table refreshes add column if not exists dialect jsonb;
-- A data source may refresh on a schedule of its own ({ cron, timezone }), apart from the
-- instance's full refresh; schedule_fired_at is the slot it last fired for.
alter table data_sources add column if not exists schedule jsonb;
alter table data_sources add column if not exists schedule_fired_at timestamptz;
