-- One audit trail per event: its own transitions and its payments', in the order they happened,
-- each with why and the provider reference it concerned. It replaces the two transition tables,
-- whose rows it takes over, so that a timeline is one ordered read and a stream can resume from an id.
create table audit_trail (
  id bigserial primary key,
  event_id uuid not null references events(id) on delete cascade,
  -- Null for the event's own transitions.
  payment_id uuid references payments(id) on delete cascade,
  from_state text,
  to_state text not null,
  reason text not null,
  provider text,
  -- The provider's id for what changed: the order, the authorization, the capture or the refund.
  provider_ref text,
  at timestamptz not null default now()
);
create index audit_trail_event on audit_trail (event_id, id);
create index audit_trail_payment on audit_trail (payment_id, id) where payment_id is not null;

insert into audit_trail (event_id, payment_id, from_state, to_state, reason, provider, provider_ref, at)
select event_id, payment_id, from_state, to_state, reason, provider, provider_ref, at from (
  select t.event_id, null::uuid as payment_id, t.from_state, t.to_state, t.reason, null as provider, null as provider_ref, t.at, 0 as kind, t.id
    from event_transitions t
  union all
  select p.event_id, t.payment_id, t.from_state, t.to_state, t.reason, p.provider, p.provider_ref, t.at, 1 as kind, t.id
    from payment_transitions t join payments p on p.id = t.payment_id
) old order by at, kind, id;

drop table event_transitions;
drop table payment_transitions;

-- The legal transitions of each state machine, written from the domain's tables
-- (src/domain/event-state.ts, payment-state.ts) every time the app migrates. The triggers below
-- refuse any other change of state, whatever code path attempts it.
create table state_transitions (
  machine text not null check (machine in ('event', 'payment')),
  from_state text not null,
  to_state text not null,
  primary key (machine, from_state, to_state)
);

create function refuse_illegal_transition() returns trigger language plpgsql as $$
begin
  if new.state is distinct from old.state and not exists (
    select 1 from state_transitions where machine = tg_argv[0] and from_state = old.state and to_state = new.state
  ) then
    raise exception 'illegal % transition from % to %', tg_argv[0], old.state, new.state using errcode = 'check_violation';
  end if;
  return new;
end $$;
create trigger events_legal_transition before update of state on events
  for each row execute function refuse_illegal_transition('event');
create trigger payments_legal_transition before update of state on payments
  for each row execute function refuse_illegal_transition('payment');

-- Live status: every audit entry is announced, on commit, to the instances listening (payload:
-- "<event id> <audit id>"), so a change made on one instance reaches a stream served by another.
create function announce_audit_entry() returns trigger language plpgsql as $$
begin
  perform pg_notify('event_changes', new.event_id::text || ' ' || new.id::text);
  return new;
end $$;
create trigger audit_trail_announce after insert on audit_trail
  for each row execute function announce_audit_entry();

-- Money taken or returned after the payer paid: one row per payment and operation, written in the
-- transaction that decides it. The operation's job calls the provider with the row's idempotency
-- key; deciding again finds the row. With the provider's idempotency, a payment is captured,
-- voided and refunded at most once.
create table money_movements (
  payment_id uuid not null references payments(id) on delete cascade,
  operation text not null check (operation in ('capture', 'void', 'refund')),
  idempotency_key text not null unique,
  reason text not null,
  asked_at timestamptz not null default now(),
  primary key (payment_id, operation)
);
