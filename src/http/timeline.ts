import type { z } from 'zod';
import type { AuditEntry } from '../app/events.ts';
import type { TimelineEntry } from './schemas.ts';

/** An audit trail entry as the API shows it. */
export function timelineEntryDto(a: AuditEntry): z.infer<typeof TimelineEntry> {
  const common = { id: a.id.toString(), at: a.at.toISOString(), reason: a.reason };
  if (a.paymentId === null) {
    return { ...common, subject: 'event', from: a.from as never, to: a.to as never };
  }
  return {
    ...common,
    subject: 'payment',
    paymentId: a.paymentId,
    provider: a.provider as 'paypal' | 'binance',
    providerReference: a.providerRef,
    from: a.from as never,
    to: a.to as never,
  };
}
