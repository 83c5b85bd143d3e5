// API problem documents in people's words: per field for forms, one sentence otherwise.
import { ApiError } from './api.ts';
import { t } from './strings.ts';

/** One sentence for an error that belongs to no field. */
export function problemText(err: unknown): string {
  if (err instanceof ApiError) {
    // The server's detail is written for people (a 401 says whether to sign in or to reconnect Google).
    if (err.problem?.detail) return err.problem.detail;
    if (err.status === 401) return t.errors.signedOut;
    return t.errors.generic;
  }
  if (err instanceof TypeError) return t.errors.network;
  return t.errors.generic;
}

/** Moves focus to the first field, in the form's order, that has an error (after the render that shows it). */
export function focusFirstError<F extends string>(order: readonly F[], inputOf: Record<F, string>, errors: Partial<Record<F, unknown>>): void {
  const first = order.find((f) => errors[f]);
  if (first) setTimeout(() => document.getElementById(inputOf[first])?.focus());
}
