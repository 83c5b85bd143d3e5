-- Core schema. PostgreSQL 15 syntax: PGlite is newer, production servers may be older.

create table users (
  id uuid primary key default gen_random_uuid(),
  google_sub text not null unique,
  email text not null,
  name text,
  picture_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Browser sessions live in the database so that any app instance can serve any request.
create table sessions (
  id_hash text primary key,
  user_id uuid references users(id) on delete cascade,
  csrf_token text not null,
  data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index sessions_expires_at on sessions (expires_at);

create table google_connections (
  user_id uuid primary key references users(id) on delete cascade,
  -- AES-256-GCM: iv || tag || ciphertext. Never stored or logged in clear.
  refresh_token_enc bytea,
  access_token_enc bytea,
  access_token_expires_at timestamptz,
  scopes text[] not null default '{}',
  status text not null check (status in ('active', 'needs_reconnect', 'revoked')),
  needs_reconnect_since timestamptz,
  last_error text,
  updated_at timestamptz not null default now()
);

create table events (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  state text not null check (state in ('pending_payment', 'paid', 'confirmed', 'failed', 'expired', 'cancelled')),
  title text not null,
  description text,
  location text,
  calendar_id text not null default 'primary',
  time_zone text not null,
  all_day boolean not null,
  -- Wall-clock values as the user typed them ('2026-03-08T02:30' or '2026-03-08'), plus the instants.
  start_local text not null,
  end_local text not null,
  start_at timestamptz not null,
  end_at timestamptz not null,
  recurrence text[] not null default '{}',
  attendees jsonb not null default '[]'::jsonb,
  -- Who Google emails about the event (events.insert sendUpdates).
  send_updates text not null default 'all' check (send_updates in ('all', 'externalOnly', 'none')),
  price_currency text not null,
  price_minor bigint not null check (price_minor > 0),
  google_event_id text not null,
  google_html_link text,
  pending_until timestamptz not null,
  -- Why the event failed, in words shown to the user.
  failure_reason text,
  version integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (end_at > start_at)
);
create index events_user on events (user_id, created_at desc);
create index events_pending_until on events (pending_until) where state = 'pending_payment';

-- Every state change, append-only, written in the same transaction as the change.
create table event_transitions (
  id bigserial primary key,
  event_id uuid not null references events(id) on delete cascade,
  from_state text,
  to_state text not null,
  reason text not null,
  at timestamptz not null default now()
);
create index event_transitions_event on event_transitions (event_id, id);

create table payments (
  id uuid primary key default gen_random_uuid(),
  event_id uuid not null references events(id) on delete cascade,
  provider text not null check (provider in ('paypal', 'binance')),
  state text not null check (state in ('created', 'approved', 'authorized', 'captured', 'paid', 'voided', 'refunded', 'expired', 'declined', 'error')),
  amount_minor bigint not null check (amount_minor > 0),
  currency text not null,
  provider_ref text,
  approve_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index payments_provider_ref on payments (provider, provider_ref) where provider_ref is not null;
-- Invariant: at most one payment per event ever takes money. A database fact, not only code.
create unique index payments_one_success_per_event on payments (event_id)
  where state in ('authorized', 'captured', 'paid', 'refunded');
