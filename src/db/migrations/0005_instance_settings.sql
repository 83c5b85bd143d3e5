-- Settings an admin changes while the instance runs (src/domain/instance-settings.ts). One row per
-- setting an admin has saved; a setting with no row follows its environment variable, so a
-- deployment that never used the admin page behaves exactly as its configuration says. Every
-- instance reads these rows on each use: a change applies to all instances at once.
create table instance_settings (
  name text primary key check (name in ('priceMinor', 'providers', 'paypalIntent', 'paymentWindowMinutes', 'binanceUsdtRate')),
  value jsonb not null,
  updated_by uuid references users(id) on delete set null,
  updated_at timestamptz not null default now()
);

-- Every change, who made it and when, old value to new (as text; a value that was the
-- environment's default reads as such). Kept when the admin's account is deleted: the e-mail stays.
create table instance_settings_changes (
  id bigserial primary key,
  name text not null,
  old_value text not null,
  new_value text not null,
  changed_by uuid references users(id) on delete set null,
  changed_by_email text not null,
  at timestamptz not null default now()
);

-- Payments per day (the admin chart) reads payment outcomes by when they happened.
create index audit_trail_payment_outcomes on audit_trail (at) where payment_id is not null;
