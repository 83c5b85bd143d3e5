import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per app instance, so that tests can build several apps in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'leadscalendar_' });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'leadscalendar_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    jobsCompleted: new Counter({
      name: 'leadscalendar_jobs_total',
      help: 'Jobs run, by queue and outcome',
      labelNames: ['queue', 'outcome'] as const,
      registers: [registry],
    }),
    notificationsRejected: new Counter({
      name: 'leadscalendar_provider_notifications_rejected_total',
      help: 'Provider notifications refused because their signature did not verify, by provider',
      labelNames: ['provider'] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'leadscalendar_job_duration_seconds',
      help: 'Job run time by queue',
      labelNames: ['queue'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
