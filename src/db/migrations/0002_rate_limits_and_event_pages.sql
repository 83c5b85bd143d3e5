-- Rate-limit counters shared by every app instance on this database: one fixed window per key
-- (route and client).
create table rate_limits (
  key text primary key,
  hits integer not null,
  window_ends_at timestamptz not null
);
create index rate_limits_window_ends_at on rate_limits (window_ends_at);

-- The events list pages by (created_at, id), newest first; this index serves it without a sort.
create index events_user_page on events (user_id, created_at desc, id desc);
drop index events_user;
