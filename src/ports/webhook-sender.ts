/**
 * Sending one webhook delivery, as the use cases see it; src/providers/webhooks/ implements it.
 * One attempt per call: the schedule of retries is the caller's.
 */

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** What one attempt gave: an answer (any status), or no answer and why. Never throws for the network. */
export interface WebhookAttempt {
  statusCode: number | null;
  durationMs: number;
  /** The start of the response body, at most 1 kB of text. */
  responseExcerpt: string | null;
  /** Why there is no answer (timeout, refused address, connection error), or why a redirect was not followed. */
  error: string | null;
}

export interface WebhookSender {
  /**
   * Why this URL can never be delivered to under the current rules (scheme, a literal private
   * address), in words for the person who gave it; null when it may be. Host names are resolved and
   * checked again at every attempt.
   */
  refusal(url: string): string | null;
  send(req: WebhookRequest): Promise<WebhookAttempt>;
}
