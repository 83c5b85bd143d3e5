import { pino, type Logger, type LoggerOptions } from 'pino';

export const REDACTED = '[redacted]';

/**
 * Key names whose values never reach a log line, at any depth, compared without case, `-` and
 * `_` (`access_token`, `X-Api-Key`, `set-cookie`). A key that contains one of these is a secret
 * (`refreshToken`, `googleClientSecret`, `webhookSecret`).
 */
const SECRET_KEY_PARTS = [
  'token',
  'secret',
  'password',
  'passwd',
  'apikey',
  'authorization',
  'cookie',
  'signature',
  'privatekey',
  'encryptionkey',
  'codeverifier',
  'credential',
];
/** Header names of provider signatures that the parts above miss. */
const SECRET_KEYS = new Set(['paypaltransmissionsig', 'sig']);

/**
 * Fields of a database error that carry the statement's values: node-postgres and PGlite put the
 * failing row in `detail` and PGlite adds `params`; our own wrappers may add `values`. The SQL text
 * (`query`) stays, as what ran is needed to debug and holds only placeholders.
 */
const SQL_VALUE_KEYS = new Set(['params', 'values', 'parameters', 'bind', 'binds']);
const DB_ERROR_KEYS = ['severity', 'routine', 'query', 'internalQuery', 'constraint', 'schema'];

/** OAuth values in URLs and query strings: `?code=…&state=…` on the sign-in callback. */
const URL_SECRET_PARAM = /([?&#](?:code|state|access_token|refresh_token|id_token|token|client_secret|code_verifier|key|signature|sig)=)[^&#\s"'<>]*/gi;

/**
 * LeadsCalendar's own credentials wherever they appear in a text (a message that quotes a header,
 * an error that echoes input): API keys `lc_test_…`, client secrets `lcs_live_…`, access tokens
 * `lct_test_…`. Their prefix makes them recognisable; client ids (`lcc_…`) are not secret.
 */
const OWN_CREDENTIAL = /\b(lc_(?:test|live)_[0-9a-f]{12}_|lc[st]_(?:test|live)_)[A-Za-z0-9_-]{20,}/g;

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

function isSecretKey(key: string): boolean {
  const k = normalizeKey(key);
  return SECRET_KEYS.has(k) || SECRET_KEY_PARTS.some((part) => k.includes(part));
}

function looksLikeDbError(obj: Record<string, unknown>): boolean {
  return DB_ERROR_KEYS.some((k) => k in obj) && ('message' in obj || 'code' in obj);
}

/**
 * A copy of a parsed log line with every secret replaced by {@link REDACTED}: by key name at any
 * depth, OAuth `code`/`state` values in URLs and query objects, and the values of failed SQL
 * statements. The input is plain JSON (pino has serialized errors and broken cycles already).
 */
export function redactLogValue(value: unknown, parentKey = ''): unknown {
  if (typeof value === 'string') {
    const own = value.includes('_') ? value.replace(OWN_CREDENTIAL, `$1${REDACTED}`) : value;
    return own.includes('=') ? own.replace(URL_SECRET_PARAM, `$1${REDACTED}`) : own;
  }
  if (Array.isArray(value)) return value.map((v) => redactLogValue(v, parentKey));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const isQuery = ['query', 'querystring', 'searchparams'].includes(normalizeKey(parentKey));
  const dbError = looksLikeDbError(obj);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(obj)) {
    if (isSecretKey(key) || SQL_VALUE_KEYS.has(key) || (dbError && key === 'detail') || (isQuery && (key === 'code' || key === 'state'))) {
      out[key] = REDACTED;
    } else {
      out[key] = redactLogValue(v, key);
    }
  }
  return out;
}

/** Redacts one serialized log line; a line that is not JSON (it always is) passes unchanged. */
function redactLine(line: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return line;
  }
  return `${JSON.stringify(redactLogValue(parsed))}\n`;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    // Redaction works on the finished line, after every serializer and child binding, so that no
    // nesting, serializer or logged Error can put a secret out of its reach; pino's `redact` only
    // knows fixed paths.
    hooks: { streamWrite: redactLine },
    base: { service: 'leadscalendar' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

export type { Logger };
