/**
 * A payment provider as the use cases see it, in LeadsCalendar's words; src/providers/paypal/ and
 * src/providers/binance/ implement it. The app never sees a provider's wire format: it asks for a
 * checkout, reads the truth back as a {@link Snapshot}, and is woken by a {@link Notice}.
 *
 * Every method makes one attempt (the caller retries: a job with backoff) and carries an
 * idempotency key derived from our payment id and the operation, so a retry after a lost answer or
 * a crash never moves money twice. Failures are AppErrors of the kinds in DESIGN.md:
 * - `rate_limited` (with `retryAfterMs` when the provider said), `provider_unavailable` (no answer
 *   within the deadline, a 5xx, a transport error): retry later with the same key.
 * - `declined`: the provider refused the money movement (instrument declined, refund refused);
 *   retrying will not help.
 * - `unauthorized`: our merchant credentials were refused (a configuration problem).
 * - `invalid_request`, `not_found`, `conflict`, `forbidden`: the call cannot succeed as asked.
 * - `signature_invalid`: only from `readNotification`; never a business outcome.
 */

export type ProviderId = 'paypal' | 'binance';

/** Integer minor units (see domain/money.ts for each currency's decimals) and an ISO/crypto code. */
export interface Money {
  minor: bigint;
  currency: string;
}

export interface Call {
  /** Derived from our payment id and the operation, e.g. `<paymentId>-capture`. */
  idempotencyKey: string;
  /** Aborts the provider call (and its token fetch) when the caller's deadline passes. */
  signal?: AbortSignal | undefined;
}

/** What the app asks a provider to collect. */
export interface CheckoutRequest {
  /** Our payment id (a UUID). Comes back in the provider's answers and notifications. */
  paymentId: string;
  eventId: string;
  /** What the payer sees ("Event booking: Team sync, 2 June 10:00"). */
  description: string;
  /** The price in fiat (e.g. 100 USD minor units); Binance converts it to its crypto amount. */
  price: Money;
  /** The payment deadline (the event's `pendingUntil`). */
  expiresAt: Date;
  /** Where the payer's browser comes back after paying, and after giving up. */
  returnUrl: string;
  cancelUrl: string;
  /** Where the provider posts notifications about this order, when it takes one per order. */
  notifyUrl: string;
  /**
   * PayPal: AUTHORIZE holds the money at approval (captured once the event is on the calendar),
   * CAPTURE takes it at approval. The app sends the setting in force when the payment starts (an
   * admin may change it at any time); absent, the adapter's configured intent. Others ignore it.
   */
  intent?: 'AUTHORIZE' | 'CAPTURE';
  /**
   * Crypto providers: units of the charge currency per 1 unit of the price's currency (USDT per
   * USD), a decimal string. The app sends the setting in force; absent, the adapter's configured rate.
   */
  rate?: string;
}

/** What the payer must do next. */
export type NextAction =
  | { type: 'redirect'; url: string }
  | { type: 'scan'; checkoutUrl: string; qrContent: string; deeplink: string | null; universalUrl: string | null };

export interface Checkout {
  /** The provider's id for the order (PayPal order id, Binance prepayId). */
  ref: string;
  /** Our reference as the provider stores it (PayPal custom_id, Binance merchantTradeNo). */
  merchantRef: string;
  /** What the provider will take: the price itself, or its crypto equivalent. */
  charge: Money;
  /** Crypto only: the price in `charge.currency` per 1 unit of the price's currency, as a decimal string. */
  rate: string | null;
  /** When the order stops accepting payment, as the provider said. */
  expiresAt: Date;
  action: NextAction;
}

/**
 * The provider's truth about one order, in our vocabulary. Statuses:
 * - `open`: created, the payer has not acted; `approved`: the payer approved, nothing is taken yet
 *   (PayPal: we authorize or capture next); `pending`: the payer paid but the provider has not
 *   settled it (a PENDING capture, a scanned Binance order).
 * - `authorized`: funds held (PayPal AUTHORIZE); `captured`: money taken.
 * - `declined`, `expired`, `cancelled`: no money taken; final for this order.
 * - `voided`: a hold released; `refunded`: money returned in full; `reversed`: taken back by the
 *   payer's bank or the provider (a chargeback).
 */
export type SnapshotStatus =
  | 'open'
  | 'approved'
  | 'pending'
  | 'authorized'
  | 'captured'
  | 'declined'
  | 'expired'
  | 'cancelled'
  | 'voided'
  | 'refunded'
  | 'reversed';

export interface Snapshot {
  ref: string;
  status: SnapshotStatus;
  /** Our reference as the provider echoes it (custom_id, merchantTradeNo); null when absent. */
  merchantRef: string | null;
  /** The amount the provider holds or took (or asks for, before payment). */
  amount: Money | null;
  /** PayPal: the authorization and capture ids, once they exist. */
  authorizationRef: string | null;
  captureRef: string | null;
  /** The last refund's id, once one exists. */
  refundRef: string | null;
  /** A provider's own words for a decline or a pending state (PENDING_REVIEW, ECHECK, …). */
  reason: string | null;
}

/** The references the app stores for one payment; what each operation needs. */
export interface PaymentRefs {
  paymentId: string;
  ref: string;
  merchantRef: string;
  authorizationRef: string | null;
  captureRef: string | null;
}

/**
 * A verified notification, reduced to what wakes the core. The core never trusts its contents for
 * money: it fetches the order (`fetch`) and settles from that. `hint` is for logs and metrics.
 */
export interface Notice {
  /** Unique per provider notification, for the inbox (PayPal event id; Binance bizIdStr + status). */
  providerEventId: string;
  /** The provider's own type (PAYMENT.CAPTURE.COMPLETED, PAY_SUCCESS, …). */
  providerType: string;
  /** Our payment id, when the notification carries our reference. */
  paymentId: string | null;
  /** The provider's order id, when the notification names it. */
  ref: string | null;
  hint: 'authorized' | 'captured' | 'pending' | 'declined' | 'expired' | 'cancelled' | 'voided' | 'refunded' | 'reversed' | 'ignored';
}

export interface RawNotification {
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
  receivedAt: Date;
}

/** How the provider answers its own notification when it was accepted (stored or a duplicate). */
export interface Acknowledgement {
  status: number;
  contentType: string | null;
  body: string;
}

export interface PaymentProvider {
  readonly id: ProviderId;
  /**
   * Whether money is held first and taken by `capture` (PayPal AUTHORIZE). When false, an approved
   * or paid order has taken the money already, and only `refund` returns it.
   */
  readonly holdsFunds: boolean;
  /**
   * Whether the payer's action alone moves the money (Binance Pay: paying the order is the
   * payment). When false, money moves only when we authorize or capture (PayPal), so an order we
   * closed on our side can never take money by itself.
   */
  readonly payerCompletes: boolean;

  /** Creates the provider's order for a payment. The key makes a repeat return the same order. */
  createCheckout(req: CheckoutRequest, call: Call): Promise<Checkout>;

  /** The truth, read from the provider. */
  fetch(refs: PaymentRefs, call: Call): Promise<Snapshot>;

  /**
   * After the payer approved (status `approved`): takes the money (CAPTURE) or holds it
   * (AUTHORIZE). A provider whose payer pays directly (Binance) returns `fetch`. "Already done"
   * is success: the answer is the snapshot after it.
   */
  completeApproval(refs: PaymentRefs, call: Call): Promise<Snapshot>;

  /** Takes held funds (`holdsFunds` only; others throw invalid_request). "Already captured" is success. */
  capture(refs: PaymentRefs, call: Call): Promise<Snapshot>;

  /**
   * Makes sure no money moves: releases a hold (void), or closes an order not yet paid. "Already
   * voided/closed/expired" is success. A paid order cannot be closed: `conflict`.
   */
  release(refs: PaymentRefs, call: Call): Promise<Snapshot>;

  /** Returns the money in full. The key makes a repeat return the first refund. */
  refund(refs: PaymentRefs, amount: Money, reason: string, call: Call): Promise<Snapshot>;

  /** Verifies the raw bytes first (throws `signature_invalid`), then reduces the body to a Notice. */
  readNotification(raw: RawNotification): Promise<Notice>;

  /** The answer the provider expects when a notification was accepted. */
  readonly acknowledgement: Acknowledgement;
}
