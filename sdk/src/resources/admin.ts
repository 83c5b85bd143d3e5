import type { components } from '../api.gen.ts';
import type { Call } from './base.ts';

type S = components['schemas'];

/** The instance settings, for accounts listed in the instance's ADMIN_EMAILS (404 for anyone else). */
export class Admin {
  constructor(private readonly call: Call) {}
  settings(): Promise<S['AdminSettings']> {
    return this.call('GET', '/api/v1/admin/settings');
  }
  updateSettings(settings: S['InstanceSettings']): Promise<S['AdminSettings']> {
    return this.call('PUT', '/api/v1/admin/settings', { body: settings });
  }
  /** Payment outcomes per UTC day over the last `days` days (1 to 366). */
  paymentsPerDay(days = 30): Promise<S['PaymentsPerDay']> {
    return this.call('GET', '/api/v1/admin/payments-per-day', { query: { days } });
  }
}
