-- A webhook receiver's reply is not kept: it was readable by any read key (a loopback service's
-- answer, reached through a subscription, leaked that way). Attempts keep status and a short error.
alter table delivery_attempts drop column response_excerpt;

-- Sign-in attempts, per client address and per account, counted before a password is checked:
-- each key's failures and the earliest time it may try again (backoff, not a hard lock).
create table sign_in_attempts (
  key text primary key,
  failures integer not null,
  next_at timestamptz not null,
  updated_at timestamptz not null default now()
);
