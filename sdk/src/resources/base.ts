import type { RequestOptions } from '../http.ts';

/** What a resource needs: one call per operation; all HTTP behaviour lives in the Transport. */
export type Call = <T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, opts?: RequestOptions) => Promise<T>;

/** Path segments are ids the caller passes: encoded, so an id can never change the path. */
export const seg = (id: string) => encodeURIComponent(id);

/** Options every POST method takes. */
export interface PostOptions {
  /** Your own idempotency key (e.g. your order id), reused if you call again; generated when omitted. */
  idempotencyKey?: string;
}
