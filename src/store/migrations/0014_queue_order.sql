-- The oldest queued runs, read in the order of their index (flow_runs_queued) and no further
-- than asked. Written in a query, the planner may read every queued run and sort them instead
-- (a bitmap scan): its statistics usually date from when the queue was short, and a prepared
-- statement keeps the plan. Under a backlog of 552 runs that took 1.9 ms a claim, and it grows
-- with the backlog. Inside this function bitmap scans and sorts are off, so the index's order is
-- the only way to answer it; a claim reads `n` entries whatever the backlog.
create function oldest_queued_flow_runs(n integer)
returns table (id text, instance_id text, flow_name text, requested_at timestamptz, concurrency integer)
language sql stable
set enable_bitmapscan = off
set enable_sort = off
as $$
  select id, instance_id, flow_name, requested_at,
    coalesce(concurrency, (definition ->> 'concurrency')::int, 10)
  from flow_runs where state = 'queued'
  order by requested_at, id
  limit n
$$;
