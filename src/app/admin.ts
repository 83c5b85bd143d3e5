import type { Database } from '../db/database.ts';
import { outcomesPerDay } from '../db/repos/instance-settings.ts';
import type { PaymentState } from '../domain/payment-state.ts';

/** The admin area: who may enter it, and the payments chart it shows. */

export const PAYMENT_DAYS = { default: 30, max: 366 } as const;

export type Outcome = 'succeeded' | 'failed' | 'expired' | 'refunded';

/** Which payment states count as which outcome, on the day the payment entered them. */
const OUTCOME_OF: Partial<Record<PaymentState, Outcome>> = {
  captured: 'succeeded',
  declined: 'failed',
  error: 'failed',
  expired: 'expired',
  refunded: 'refunded',
  // Taken back by the payer's bank or the provider: the money went back, as with a refund.
  reversed: 'refunded',
};

export interface DayCounts {
  /** A UTC calendar day, YYYY-MM-DD. */
  date: string;
  succeeded: number;
  failed: number;
  expired: number;
  refunded: number;
}

export class Admins {
  readonly #emails: ReadonlySet<string>;

  constructor(
    private readonly db: Database,
    emails: readonly string[],
  ) {
    this.#emails = new Set(emails.map((e) => e.toLowerCase()));
  }

  /** By the e-mail Google gave at the last sign-in (users.email follows it), case-insensitively. */
  isAdmin(email: string): boolean {
    return this.#emails.has(email.toLowerCase());
  }

  /**
   * The last `days` UTC days, today included, oldest first, every day present (zeros included),
   * each counting the payments that reached an outcome that day. A payment refunded a week after
   * it succeeded counts as succeeded on its day and refunded on the later one.
   */
  async paymentsPerDay(days: number, now = new Date()): Promise<DayCounts[]> {
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const since = new Date(today - (days - 1) * 86_400_000);
    const rows = await outcomesPerDay(this.db, Object.keys(OUTCOME_OF), since);
    const series: DayCounts[] = Array.from({ length: days }, (_, i) => ({
      date: new Date(since.getTime() + i * 86_400_000).toISOString().slice(0, 10),
      succeeded: 0,
      failed: 0,
      expired: 0,
      refunded: 0,
    }));
    const byDate = new Map(series.map((d) => [d.date, d]));
    for (const r of rows) {
      const d = byDate.get(r.day);
      const outcome = OUTCOME_OF[r.state as PaymentState];
      if (d && outcome) d[outcome] += r.count;
    }
    return series;
  }
}
