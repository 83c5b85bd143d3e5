-- Payments, end to end. The table of 0001 was never written by any release (no code path created a
-- payment), so it is replaced rather than altered.
drop table payments;

-- States: src/domain/payment-state.ts (PAYMENT_STATES); this check lists the same names.
create table payments (
  id uuid primary key,
  event_id uuid not null references events(id) on delete cascade,
  user_id uuid not null references users(id) on delete cascade,
  provider text not null check (provider in ('paypal', 'binance')),
  state text not null check (state in ('created', 'approved', 'pending', 'authorized', 'captured', 'voiding', 'voided',
    'refunding', 'refunded', 'reversed', 'expired', 'cancelled', 'declined', 'review', 'error')),
  -- The price asked, in the event's currency.
  price_minor bigint not null check (price_minor > 0),
  price_currency text not null,
  -- What the provider takes: the price itself (PayPal) or its crypto equivalent (Binance), and the rate used.
  charge_minor bigint,
  charge_currency text,
  rate text,
  -- PayPal: AUTHORIZE or CAPTURE, fixed when the order is created.
  intent text,
  provider_ref text,
  merchant_ref text not null,
  authorization_ref text,
  capture_ref text,
  refund_ref text,
  -- What the payer does next (redirect URL, or the checkout URL and QR content), as the provider gave it.
  next_action jsonb,
  expires_at timestamptz not null,
  -- Why the payment ended without money, or why it needs a person, in words shown to the user.
  reason text,
  -- When the reconciler should next ask the provider; null: nothing left to learn.
  check_after timestamptz,
  -- This payment paid the event (moved it to paid): its money going back cancels or fails the event.
  pays_event boolean not null default false,
  version integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index payments_provider_ref on payments (provider, provider_ref) where provider_ref is not null;
create unique index payments_merchant_ref on payments (provider, merchant_ref);
-- Invariant: at most one payment per event holds or keeps money. A database fact, not only code.
-- (A payment being returned — voiding, refunding — or returned no longer counts.)
create unique index payments_one_success_per_event on payments (event_id) where state in ('authorized', 'captured');
create index payments_event on payments (event_id, created_at);
create index payments_user_page on payments (user_id, created_at desc, id desc);
create index payments_check_after on payments (check_after) where check_after is not null;

-- Every payment state change, append-only, in the same transaction as the change.
create table payment_transitions (
  id bigserial primary key,
  payment_id uuid not null references payments(id) on delete cascade,
  from_state text,
  to_state text not null,
  reason text not null,
  at timestamptz not null default now()
);
create index payment_transitions_payment on payment_transitions (payment_id, id);

-- The inbox: every verified provider notification, stored raw before it is processed, once per
-- provider notification id. A duplicate finds its row and changes nothing.
create table payment_notifications (
  id bigserial primary key,
  provider text not null,
  provider_event_id text not null,
  provider_type text not null,
  payment_id uuid,
  provider_ref text,
  hint text not null,
  body bytea not null,
  headers jsonb not null,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  outcome text,
  unique (provider, provider_event_id)
);

-- The event is on the calendar (authorize mode: before the capture that confirms it).
alter table events add column on_calendar_at timestamptz;
