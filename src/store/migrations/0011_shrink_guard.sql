-- A refresh that would remove more than max_shrink of an entity's rows is held as failed (the
-- current version stays) unless the refresh was asked with allow_shrink.
alter table data_sources add column if not exists max_shrink double precision not null default 0.5
  check (max_shrink >= 0 and max_shrink <= 1);
alter table refreshes add column if not exists allow_shrink boolean not null default false;
-- How a text source was read (delimiter, quote, encoding, decimal mark, date format) and which of
-- these were detected rather than set, shown with the refresh.
alter table refreshes add column if not exists dialect jsonb;
