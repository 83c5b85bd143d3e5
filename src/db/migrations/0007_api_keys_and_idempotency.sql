-- Credentials for servers (API keys, OAuth 2.0 clients and the access tokens they obtain) and the
-- answers kept for Idempotency-Key. Secrets are stored only as SHA-256 digests: they are random
-- 256-bit values, so a digest is as good as a slow hash and a database leak yields nothing usable.

create table api_keys (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  -- Shown in lists to tell keys apart (`lc_test_<public_id>_…`); not a secret.
  public_id text not null unique,
  mode text not null check (mode in ('test', 'live')),
  name text,
  scope text not null check (scope in ('read', 'write')),
  secret_hash bytea not null unique,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_user on api_keys (user_id, created_at desc);

create table oauth_clients (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users(id) on delete cascade,
  client_id text not null unique,
  mode text not null check (mode in ('test', 'live')),
  name text,
  scopes text[] not null check (scopes <@ array['read', 'write'] and cardinality(scopes) > 0),
  secret_hash bytea not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index oauth_clients_user on oauth_clients (user_id, created_at desc);

create table oauth_access_tokens (
  token_hash bytea primary key,
  client_id uuid not null references oauth_clients(id) on delete cascade,
  user_id uuid not null references users(id) on delete cascade,
  scopes text[] not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index oauth_access_tokens_expires_at on oauth_access_tokens (expires_at);

-- One row per (credential owner, Idempotency-Key): reserved while the first request runs
-- (`response_status` null, held until `locked_until`), then the answer it got, kept until `expires_at`.
create table idempotency_keys (
  owner_id uuid not null references users(id) on delete cascade,
  key text not null,
  request_hash text not null,
  locked_until timestamptz,
  response_status integer,
  response_headers jsonb,
  response_body text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (owner_id, key)
);
create index idempotency_keys_expires_at on idempotency_keys (expires_at);
