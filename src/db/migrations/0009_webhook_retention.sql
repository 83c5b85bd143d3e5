-- Webhook retention: the periodic prune (src/app/webhooks.ts) looks for dispatched events older
-- than WEBHOOK_RETENTION_DAYS, oldest first; without this index it would read the whole outbox.
create index webhook_events_dispatched on webhook_events (created_at) where dispatched_at is not null;
