-- The web UI's admin accounts (set up once with a one-time link), their sessions, and the link.
-- API keys for the connector stay in api_keys: a session is a person at the UI, not a connection.
create table web_users (
  id text primary key,
  username text not null unique,
  password_hash text not null,
  created_at timestamptz not null default now()
);

create table web_sessions (
  token_hash text primary key,
  user_id text not null references web_users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index web_sessions_expiry on web_sessions (expires_at);

create table web_setup_tokens (
  token_hash text primary key,
  expires_at timestamptz not null
);
