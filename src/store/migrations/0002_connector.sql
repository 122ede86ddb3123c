-- Connector: API keys (connections), the shared rate-limit counters, webhook subscriptions and
-- their deliveries, flow status reports, and the key column of each entity version.

-- One row per connection. Only a SHA-256 of the key is stored; the key itself is shown once.
create table api_keys (
  id            text primary key,
  name          text not null,
  -- The first characters of the key, to recognise it in lists ("oi_AbCd…").
  prefix        text not null,
  hash          text not null unique,
  scopes        jsonb not null,
  -- Calls per rate-limit window for this connection; null: the instance default; 0: unlimited.
  rate_limit    integer check (rate_limit is null or rate_limit >= 0),
  created_at    timestamptz not null default now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
create unique index api_keys_active_name on api_keys (name) where revoked_at is null;

-- Counters of rate-limiter-flexible's PostgreSQL store (its schema): key, points used, window end (ms).
create table rate_limits (
  key     varchar(255) primary key,
  points  integer not null default 0,
  expire  bigint
);

-- Webhook subscriptions, as Power Automate creates them for a trigger.
create table subscriptions (
  id              text primary key,
  instance_id     text not null references instances (id) on delete cascade,
  event_type      text not null,
  callback_url    text not null,
  -- The trigger's parameters: data source name; segment or measure name, threshold, direction.
  parameters      jsonb not null default '{}'::jsonb,
  -- Standard Webhooks signing secret, "whsec_" + base64.
  secret          text not null,
  description     text,
  created_by_key  text references api_keys (id) on delete set null,
  created_at      timestamptz not null default now(),
  -- Set when unsubscribed (DELETE) or when the receiver answered 410 Gone; the row stays for history.
  removed_at      timestamptz,
  removed_reason  text
);
create index subscriptions_active on subscriptions (instance_id, event_type) where removed_at is null;

-- One delivery per event and subscription; its id "eventId:subscriptionId" is the webhook-id.
-- Pending rows are the queue delivery workers take from (see connector/webhooks/delivery-worker.ts).
create table deliveries (
  id               text primary key,
  instance_id      text not null references instances (id) on delete cascade,
  subscription_id  text not null references subscriptions (id) on delete cascade,
  event_id         text not null references events (id) on delete cascade,
  state            text not null check (state in ('pending', 'succeeded', 'dead', 'cancelled')),
  attempt_count    integer not null default 0,
  -- attempt_count when the current retry schedule began (0, or the count at the last redrive).
  schedule_start   integer not null default 0,
  next_attempt_at  timestamptz,
  -- A worker that claimed the delivery owns it until then (a dead worker's claim runs out).
  lease_until      timestamptz,
  last_status      integer,
  last_error       text,
  created_at       timestamptz not null default now(),
  completed_at     timestamptz
);
create index deliveries_by_instance on deliveries (instance_id, state, created_at desc);
create index deliveries_by_subscription on deliveries (subscription_id, created_at desc);
-- The deliveries table is the delivery queue: workers claim due ones with SKIP LOCKED.
create index deliveries_due on deliveries (next_attempt_at) where state = 'pending';

-- Every attempt of a delivery, for the person asking why a flow did not fire.
create table delivery_attempts (
  delivery_id       text not null references deliveries (id) on delete cascade,
  attempt           integer not null,
  started_at        timestamptz not null,
  latency_ms        integer not null,
  status            integer,
  error             text,
  response_excerpt  text,
  primary key (delivery_id, attempt)
);

-- "Send status report": a flow's account of how its run went.
create table status_reports (
  id           text primary key,
  instance_id  text not null references instances (id) on delete cascade,
  run_id       text not null,
  flow_name    text,
  status       text not null,
  message      text,
  details      jsonb,
  key_id       text references api_keys (id) on delete set null,
  created_at   timestamptz not null default now()
);
create index status_reports_by_run on status_reports (instance_id, run_id, created_at);
create index status_reports_by_instance on status_reports (instance_id, created_at desc);

-- The column that identifies an item (Get item by key); null for entities without one.
alter table entity_versions add column key_column text;
-- Writable entities (Create item / Update item) declare their schema; null for derived entities.
alter table entities add column writable boolean not null default false;
