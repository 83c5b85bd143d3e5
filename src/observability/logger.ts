import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths whose values never reach a log line. Fastify logs request headers on error paths, and our
 * own log calls may carry provider payloads, so the list covers both shapes.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["paypal-transmission-sig"]',
  'req.headers["binancepay-signature"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.Authorization',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.client_secret',
  '*.password',
  '*.secret',
  '*.secretKey',
  '*.apiKey',
  '*.token',
  'access_token',
  'refresh_token',
  'id_token',
  'client_secret',
  'secret',
  'token',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: 'leadscalendar' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

export type { Logger };
