-- Outgoing webhooks: where each person wants to be told (endpoints), what there is to tell (the
-- outbox, written in the transaction of the change it announces) and every attempt to tell it.

create table webhook_endpoints (
  id uuid primary key,
  user_id uuid not null references users(id) on delete cascade,
  url text not null,
  description text not null default '',
  -- The webhook types sent here; null: every type, including those added later.
  types text[],
  -- AES-256-GCM (src/crypto/token-cipher.ts, bound to the endpoint id): never stored in clear.
  secret_enc bytea not null,
  -- After a rotation the previous secret still signs until it expires.
  previous_secret_enc bytea,
  previous_secret_expires_at timestamptz,
  -- Since when every attempt to this endpoint failed; null after a success.
  failing_since timestamptz,
  disabled_at timestamptz,
  disabled_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_endpoints_user on webhook_endpoints (user_id, created_at, id);

-- The outbox: one row per announced transition, written with its audit entry. The snapshot is the
-- row as the transition left it; the body (what is signed and sent, the same bytes on every
-- attempt) is built from it when the event is dispatched to the owner's endpoints.
create table webhook_events (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  type text not null,
  event_id uuid not null references events(id) on delete cascade,
  payment_id uuid references payments(id) on delete cascade,
  audit_id bigint not null unique references audit_trail(id) on delete cascade,
  snapshot jsonb not null,
  body text,
  -- The clock, not the transaction's start: two webhooks of one transaction keep their order.
  created_at timestamptz not null default clock_timestamp(),
  dispatched_at timestamptz
);
create index webhook_events_undispatched on webhook_events (created_at) where dispatched_at is null;
create index webhook_events_event on webhook_events (event_id);
create index webhook_events_payment on webhook_events (payment_id) where payment_id is not null;

-- Wakes the dispatcher of every instance once the outbox row commits.
create function announce_webhook_event() returns trigger language plpgsql as $$
begin
  perform pg_notify('webhook_events', new.id::text);
  return new;
end $$;
create trigger webhook_events_announce after insert on webhook_events
  for each row execute function announce_webhook_event();

-- Every attempt to deliver a webhook event to an endpoint, successful or not.
create table webhook_deliveries (
  id uuid primary key,
  endpoint_id uuid not null references webhook_endpoints(id) on delete cascade,
  webhook_event_id uuid not null references webhook_events(id) on delete cascade,
  attempt integer not null check (attempt >= 1),
  -- Asked for by a person (redeliver), outside the retry schedule.
  manual boolean not null default false,
  succeeded boolean not null,
  status_code integer,
  duration_ms integer not null,
  -- The start of the response body, at most 1 kB.
  response_excerpt text,
  error text,
  at timestamptz not null default now()
);
create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, at desc, id desc);
create index webhook_deliveries_event on webhook_deliveries (webhook_event_id, endpoint_id, attempt);
