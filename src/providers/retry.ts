import { AppError, isAppError } from '../errors.ts';

/**
 * Retries for provider calls: capped exponential backoff with full jitter, never shorter than the
 * provider's Retry-After. Only retryable error kinds are retried (errors.ts decides which), and a
 * wait longer than `maxInlineWaitMs` (a quota cool-down) is not slept through here: the error goes
 * up to the job layer, which reschedules the work instead of holding a worker.
 */
export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxInlineWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 400, maxDelayMs: 8_000, maxInlineWaitMs: 30_000 };

export interface RetryHooks {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (info: { attempt: number; delayMs: number; error: AppError }) => void;
}

export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(exp / 2 + (exp / 2) * random());
  return Math.max(jittered, retryAfterMs ?? 0);
}

export async function withRetries<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY, hooks: RetryHooks = {}): Promise<T> {
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = hooks.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isAppError(err) || !err.retryable || attempt >= policy.maxAttempts) throw err;
      const delayMs = backoffDelay(attempt, policy, random, err.retryAfterMs);
      if (delayMs > policy.maxInlineWaitMs) throw err;
      hooks.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs);
    }
  }
}
