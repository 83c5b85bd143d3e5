export { LeadsCalendar, ConfigurationError, SDK_VERSION, type LeadsCalendarOptions, type ResponseInfo } from './client.ts';
export * from './errors.ts';
export { MemoryTokenCache, RedisTokenCache, type RedisLike, type TokenCache } from './auth/token-cache.ts';
export { CursorList, type Page } from './pagination.ts';
export { constructEvent, signatureHeader, SIGNATURE_HEADER, DEFAULT_TOLERANCE_SECONDS, type VerifyOptions } from './webhooks.ts';
export { SandboxError, type SandboxOutcome } from './sandbox.ts';
export * from './types.ts';

import { constructEvent, signatureHeader } from './webhooks.ts';
/** `webhooks.constructEvent(rawBody, signatureHeader, secret)`, as the docs write it. */
export const webhooks = { constructEvent, signatureHeader };
export type { StreamMessage } from './sse.ts';
export type { Receipt } from './resources/events.ts';
