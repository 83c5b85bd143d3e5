-- When an event whose money went back was taken off Google Calendar. A removal that could not run
-- (the grant needed reconnecting) leaves it null, so the reconnect finds the event and tries again.
alter table events add column off_calendar_at timestamptz;
create index events_awaiting_removal on events (user_id) where on_calendar_at is not null and off_calendar_at is null;
