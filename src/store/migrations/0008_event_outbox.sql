-- Events waiting for the dispatcher: a narrow table of ids, taken (deleted) as they are
-- dispatched. Marking each wide events row dispatched instead wrote a new version of it and an
-- entry in each of its indexes; the events table is now written once, as the history it is.
create table event_outbox (
  id text primary key
);
insert into event_outbox (id) select id from events where dispatched_at is null;
drop index events_undispatched;
alter table events drop column dispatched_at;
alter table event_outbox set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.05);
