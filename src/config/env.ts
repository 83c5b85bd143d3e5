import { z } from 'zod';
import { RATE_PATTERN, SETTING_BOUNDS } from '../domain/instance-settings.ts';

/**
 * Every setting LeadsCalendar reads from the environment, validated once at start.
 *
 * The app knows nothing of the sandbox but its address: in sandbox mode the launcher (`npm start`)
 * starts the provider emulators first and passes their URL (SANDBOX_URL) and credentials here, as
 * live mode passes the real ones. Session and encryption secrets are generated into the data
 * folder in sandbox mode. In live mode nothing has a default that could leak into production:
 * every missing or malformed variable is reported, all at once.
 */

const port = z.coerce.number().int().min(0).max(65535);
const url = z.string().url().transform((s) => s.replace(/\/+$/, ''));
const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const base = z.object({
  APP_MODE: z.enum(['sandbox', 'live']).default('sandbox'),
  // Default by mode (see loadConfig): an emulated sign-in needs no real account, so it stays local.
  HOST: z.string().min(1).optional(),
  PORT: port.default(3000),
  PUBLIC_BASE_URL: url.optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  JOB_POLL_INTERVAL_SECONDS: z.coerce.number().min(0.5).max(60).default(2),
  JOB_MAINTENANCE_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  /** Where the launcher's sandbox listens; the default for every provider base URL in sandbox mode. */
  SANDBOX_URL: url.optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ENCRYPTION_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)')
    .optional(),
  TRUST_PROXY: boolean.default(false),
  // Requests one credential (API key, access token, session, else client address) may make to
  // /api/v1 per minute, counted across every instance.
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
  EVENT_PRICE_MINOR: z.coerce.number().int().min(SETTING_BOUNDS.priceMinor.min).max(SETTING_BOUNDS.priceMinor.max).default(100),
  EVENT_PRICE_CURRENCY: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD').default('USD'),
  PAYMENT_TTL_MINUTES: z.coerce.number().int().min(SETTING_BOUNDS.paymentWindowMinutes.min).max(SETTING_BOUNDS.paymentWindowMinutes.max).default(30),
  // Minutes before an unpaid event's deadline that its reminder mail goes; 0: none. Default: see loadConfig.
  PAYMENT_REMINDER_MINUTES: z.coerce.number().int().min(0).max(7 * 24 * 60).optional(),
  // Where mail goes: smtp:// (STARTTLS when offered) or smtps://, the login in the user part. May hold a password.
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s/?#]+\/?(?:\?[^\s#]*)?$/i, 'must be an smtp:// or smtps:// URL such as smtps://user:password@mail.example.com:465')
    .optional(),
  MAIL_FROM: z
    .string()
    .regex(/^(?:[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, 'must be an address, or a name and an address: LeadsCalendar <bookings@example.com>')
    .optional(),
  // AUTHORIZE: hold the money, capture it once the event is on the calendar (void if it cannot get
  // there: no fee lost). CAPTURE: take it at approval, refund if the event cannot be confirmed.
  PAYPAL_INTENT: z.enum(['AUTHORIZE', 'CAPTURE']).default('AUTHORIZE'),
  PAYPAL_BRAND_NAME: z.string().min(1).max(127).default('LeadsCalendar'),
  // USDT per 1 USD for Binance Pay orders, a decimal (up to 8 places); Binance orders are priced from USD.
  BINANCE_USDT_RATE: z
    .string()
    .regex(RATE_PATTERN, 'must be a positive decimal with at most 8 decimals, e.g. 1 or 0.9985')
    .refine((v) => /[1-9]/.test(v), 'must be greater than 0')
    .default('1'),
  // Who may change the settings above at run time (web Settings page, /api/v1/admin/*): Google
  // account e-mails, comma-separated, compared case-insensitively. Empty: no admin area.
  ADMIN_EMAILS: z
    .string()
    .transform((v) => v.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.string().email('each must be an e-mail address, e.g. ADMIN_EMAILS=ops@example.com,lead@example.com')))
    .default([]),
  // A payment still open this long after its last change is checked with its provider (lost notifications).
  PAYMENT_RECONCILE_AFTER_SECONDS: z.coerce.number().int().min(1).max(24 * 3600).default(180),
  // How often each instance looks for payments due a check.
  PAYMENT_RECONCILE_INTERVAL_SECONDS: z.coerce.number().min(0.5).max(3600).default(60),
  // Live status streams: a comment line this often keeps proxies from closing an idle stream.
  SSE_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(300).default(15),
  SSE_MAX_STREAMS_PER_USER: z.coerce.number().int().min(1).max(1000).default(10),
  SSE_MAX_STREAMS: z.coerce.number().int().min(1).max(100_000).default(1000),
  GOOGLE_RECONNECT_WINDOW_HOURS: z.coerce.number().min(0).max(30 * 24).default(72),
  GOOGLE_SEND_UPDATES: z.enum(['all', 'externalOnly', 'none']).default('all'),
  CALENDAR_CONFLICTS: z.enum(['warn', 'block']).default('warn'),
  // Outgoing webhooks (docs/webhooks.md): one attempt's time limit, the backoff between attempts,
  // how long attempts go on (an endpoint failing that long is disabled), and a rotation's overlap.
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().min(0.01).max(3600).default(60),
  WEBHOOK_RETRY_MAX_DELAY_SECONDS: z.coerce.number().min(0.01).max(7 * 24 * 3600).default(12 * 3600),
  WEBHOOK_RETRY_WINDOW_SECONDS: z.coerce.number().min(1).max(30 * 24 * 3600).default(3 * 24 * 3600),
  WEBHOOK_SECRET_OVERLAP_SECONDS: z.coerce.number().int().min(0).max(30 * 24 * 3600).default(24 * 3600),
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  PAYPAL_CLIENT_ID: z.string().min(1).optional(),
  PAYPAL_CLIENT_SECRET: z.string().min(1).optional(),
  PAYPAL_WEBHOOK_ID: z.string().min(1).optional(),
  BINANCE_API_KEY: z.string().regex(/^[A-Za-z0-9]{1,128}$/, 'must be the Binance Pay API key as the Merchant portal shows it: letters and digits only').optional(),
  BINANCE_SECRET_KEY: z.string().min(1).optional(),
  // Provider hosts: the real services in live mode, the sandbox in sandbox mode, overridable in both.
  GOOGLE_OAUTH_BASE_URL: url.optional(),
  GOOGLE_API_BASE_URL: url.optional(),
  PAYPAL_API_BASE_URL: url.optional(),
  BINANCE_API_BASE_URL: url.optional(),
});

type Raw = z.infer<typeof base>;

const PROVIDER_CREDENTIALS = [
  'GOOGLE_CLIENT_ID',
  'GOOGLE_CLIENT_SECRET',
  'PAYPAL_CLIENT_ID',
  'PAYPAL_CLIENT_SECRET',
  'PAYPAL_WEBHOOK_ID',
  'BINANCE_API_KEY',
  'BINANCE_SECRET_KEY',
] as const satisfies readonly (keyof Raw)[];

const LIVE_REQUIRED = ['PUBLIC_BASE_URL', 'SESSION_SECRET', 'ENCRYPTION_KEY', 'SMTP_URL', 'MAIL_FROM', ...PROVIDER_CREDENTIALS] as const satisfies readonly (keyof Raw)[];

const PROVIDER_BASE_URLS = ['GOOGLE_OAUTH_BASE_URL', 'GOOGLE_API_BASE_URL', 'PAYPAL_API_BASE_URL', 'BINANCE_API_BASE_URL'] as const satisfies readonly (keyof Raw)[];

export interface ProviderEndpoints {
  /** null: Google's own OAuth hosts (accounts.google.com, oauth2.googleapis.com, …). */
  googleOAuth: string | null;
  googleApi: string;
  paypalApi: string;
  binanceApi: string;
}

export interface Config {
  mode: 'sandbox' | 'live';
  host: string;
  port: number;
  publicBaseUrl: string;
  database: { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };
  /** Where rate-limit counts live when set (shared by every instance); unset: in the database. */
  redisUrl: string | undefined;
  dataDir: string;
  logLevel: Raw['LOG_LEVEL'];
  shutdownTimeoutMs: number;
  jobPollIntervalSeconds: number;
  /** How often jobs left active by a dead worker (past their expiry) are found and retried. */
  jobMaintenanceIntervalSeconds: number;
  trustProxy: boolean;
  /** /api/v1 requests one credential may make per minute (routes with a limit of their own aside). */
  apiRateLimitPerMinute: number;
  /** Lower-cased; the admin area (instance settings, payments chart) is theirs alone. */
  adminEmails: string[];
  pricing: { minor: number; currency: string };
  paymentTtlMinutes: number;
  mail: {
    /** May hold the mail server's password: never log it. */
    smtpUrl: string;
    from: string;
    /** Minutes before an unpaid event's deadline that its reminder goes; 0: no reminder. */
    reminderMinutes: number;
  };
  payments: {
    paypalIntent: 'AUTHORIZE' | 'CAPTURE';
    paypalBrandName: string;
    binanceUsdtRate: string;
    reconcileAfterSeconds: number;
    reconcileIntervalSeconds: number;
  };
  /** Live status streams (GET /api/v1/events/{id}/stream). */
  liveStatus: { heartbeatSeconds: number; maxStreamsPerUser: number; maxStreams: number };
  /** Outgoing webhooks: in live mode only https and public addresses (see providers/webhooks). */
  webhooks: { timeoutMs: number; retryBaseSeconds: number; retryMaxDelaySeconds: number; retryWindowSeconds: number; secretOverlapSeconds: number };
  google: { clientId: string; clientSecret: string };
  calendar: { reconnectWindowHours: number; sendUpdates: 'all' | 'externalOnly' | 'none'; conflicts: 'warn' | 'block' };
  /** Sandbox mode only, when the launcher said where the emulators listen: linked from the UI. */
  sandboxUrl: string | null;
  /** Undefined in sandbox mode until the data folder provides one (see secrets.ts). */
  sessionSecret: string | undefined;
  encryptionKey: string | undefined;
  paypal: { clientId: string; clientSecret: string; webhookId: string };
  binance: { apiKey: string; secretKey: string };
  endpoints: ProviderEndpoints;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `LeadsCalendar cannot start: the configuration has ${problems.length} problem(s):\n` +
        problems.map((p) => `  - ${p}`).join('\n') +
        '\nSee .env.example for every variable and its meaning.',
    );
    this.name = 'ConfigError';
  }
}

const LIVE_ENDPOINTS: ProviderEndpoints = {
  googleOAuth: null,
  googleApi: 'https://www.googleapis.com',
  paypalApi: 'https://api-m.paypal.com',
  binanceApi: 'https://bpay.binanceapi.com',
};

/** Sandbox mode's sender; live mode requires MAIL_FROM. `.localhost` is reserved: it can never be someone's domain. */
export const SANDBOX_MAIL_FROM = 'LeadsCalendar sandbox <bookings@leadscalendar.localhost>';

/**
 * Ten minutes before the deadline: time enough to pay, late enough that a person in the middle of
 * paying is rarely reminded. A short payment window gets its middle instead (a 1-minute one, none).
 */
export function defaultReminderMinutes(ttlMinutes: number): number {
  return Math.min(10, Math.floor(ttlMinutes / 2));
}

/** Reads and validates the environment; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset: `FOO=` in a .env file means "no value", not "the empty value".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = base.safeParse(cleaned);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.');
      problems.push(`${key}: ${issue.message}${cleaned[key] === undefined ? '' : ' (the value is set but invalid)'}`);
    }
  }
  // Checked on the raw values too, so one start reports malformed and missing variables together.
  if (cleaned.APP_MODE === 'live') {
    for (const key of LIVE_REQUIRED) if (cleaned[key] === undefined) problems.push(`${key}: required in live mode`);
    const publicUrl = cleaned.PUBLIC_BASE_URL;
    if (publicUrl && !publicUrl.startsWith('https://'))
      problems.push('PUBLIC_BASE_URL: must be an https:// URL in live mode (cookies are Secure, providers call it back)');
  }
  else {
    // The emulators' credentials and address come from the launcher; the app has no copy of them.
    const missing = [
      ...PROVIDER_CREDENTIALS.filter((k) => cleaned[k] === undefined),
      // The sandbox's mail server: it keeps every mail in its outbox (/__sandbox/mail).
      ...(cleaned.SMTP_URL === undefined ? ['SMTP_URL'] : []),
      ...(cleaned.SANDBOX_URL === undefined ? PROVIDER_BASE_URLS.filter((k) => cleaned[k] === undefined) : []),
    ];
    if (missing.length)
      problems.push(
        `sandbox mode needs the provider emulators' address and credentials, and ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set. ` +
          'Start with `npm start`, which runs the sandbox and passes them, or set SANDBOX_URL (or each *_BASE_URL) and the credentials yourself',
      );
  }
  if (parsed.success && parsed.data.EVENT_PRICE_CURRENCY !== 'USD') {
    problems.push(
      `EVENT_PRICE_CURRENCY: Binance Pay orders are priced in USDT from a USD price (BINANCE_USDT_RATE is USDT per USD), so the price must be in USD; got ${parsed.data.EVENT_PRICE_CURRENCY}`,
    );
  }
  if (parsed.success && parsed.data.PAYMENT_REMINDER_MINUTES !== undefined && parsed.data.PAYMENT_REMINDER_MINUTES > 0 && parsed.data.PAYMENT_REMINDER_MINUTES >= parsed.data.PAYMENT_TTL_MINUTES) {
    problems.push(
      `PAYMENT_REMINDER_MINUTES: the reminder goes this long before the payment deadline, so it must be less than PAYMENT_TTL_MINUTES (${parsed.data.PAYMENT_TTL_MINUTES}); 0 sends none`,
    );
  }
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  const raw = parsed.data;
  const live = raw.APP_MODE === 'live';

  const sandboxUrl = live ? null : (raw.SANDBOX_URL ?? null);
  const defaults: Partial<ProviderEndpoints> = live
    ? LIVE_ENDPOINTS
    : sandboxUrl
      ? { googleOAuth: sandboxUrl, googleApi: sandboxUrl, paypalApi: sandboxUrl, binanceApi: sandboxUrl }
      : {};
  // Checked above: in either mode every credential is present by now.
  const secret = (k: (typeof PROVIDER_CREDENTIALS)[number]): string => raw[k]!;
  const endpoint = (v: string | undefined, d: string | null | undefined): string => (v ?? d)!;

  return {
    mode: raw.APP_MODE,
    host: raw.HOST ?? (live ? '0.0.0.0' : '127.0.0.1'),
    port: raw.PORT,
    publicBaseUrl: raw.PUBLIC_BASE_URL ?? `http://localhost:${raw.PORT}`,
    database: raw.DATABASE_URL ? { kind: 'postgres', url: raw.DATABASE_URL } : { kind: 'pglite', dataDir: `${raw.DATA_DIR}/pglite` },
    redisUrl: raw.REDIS_URL,
    dataDir: raw.DATA_DIR,
    logLevel: raw.LOG_LEVEL,
    shutdownTimeoutMs: raw.SHUTDOWN_TIMEOUT_MS,
    jobPollIntervalSeconds: raw.JOB_POLL_INTERVAL_SECONDS,
    jobMaintenanceIntervalSeconds: raw.JOB_MAINTENANCE_INTERVAL_SECONDS,
    trustProxy: raw.TRUST_PROXY,
    apiRateLimitPerMinute: raw.API_RATE_LIMIT_PER_MINUTE,
    adminEmails: raw.ADMIN_EMAILS,
    pricing: { minor: raw.EVENT_PRICE_MINOR, currency: raw.EVENT_PRICE_CURRENCY },
    paymentTtlMinutes: raw.PAYMENT_TTL_MINUTES,
    mail: {
      // Present by now: required in both modes (checked above).
      smtpUrl: raw.SMTP_URL!,
      from: raw.MAIL_FROM ?? SANDBOX_MAIL_FROM,
      reminderMinutes: raw.PAYMENT_REMINDER_MINUTES ?? defaultReminderMinutes(raw.PAYMENT_TTL_MINUTES),
    },
    payments: {
      paypalIntent: raw.PAYPAL_INTENT,
      paypalBrandName: raw.PAYPAL_BRAND_NAME,
      binanceUsdtRate: raw.BINANCE_USDT_RATE,
      reconcileAfterSeconds: raw.PAYMENT_RECONCILE_AFTER_SECONDS,
      reconcileIntervalSeconds: raw.PAYMENT_RECONCILE_INTERVAL_SECONDS,
    },
    liveStatus: {
      heartbeatSeconds: raw.SSE_HEARTBEAT_SECONDS,
      maxStreamsPerUser: raw.SSE_MAX_STREAMS_PER_USER,
      maxStreams: raw.SSE_MAX_STREAMS,
    },
    webhooks: {
      timeoutMs: raw.WEBHOOK_TIMEOUT_MS,
      retryBaseSeconds: raw.WEBHOOK_RETRY_BASE_SECONDS,
      retryMaxDelaySeconds: raw.WEBHOOK_RETRY_MAX_DELAY_SECONDS,
      retryWindowSeconds: raw.WEBHOOK_RETRY_WINDOW_SECONDS,
      secretOverlapSeconds: raw.WEBHOOK_SECRET_OVERLAP_SECONDS,
    },
    calendar: {
      reconnectWindowHours: raw.GOOGLE_RECONNECT_WINDOW_HOURS,
      sendUpdates: raw.GOOGLE_SEND_UPDATES,
      conflicts: raw.CALENDAR_CONFLICTS,
    },
    sandboxUrl,
    sessionSecret: raw.SESSION_SECRET,
    encryptionKey: raw.ENCRYPTION_KEY,
    google: { clientId: secret('GOOGLE_CLIENT_ID'), clientSecret: secret('GOOGLE_CLIENT_SECRET') },
    paypal: {
      clientId: secret('PAYPAL_CLIENT_ID'),
      clientSecret: secret('PAYPAL_CLIENT_SECRET'),
      webhookId: secret('PAYPAL_WEBHOOK_ID'),
    },
    binance: { apiKey: secret('BINANCE_API_KEY'), secretKey: secret('BINANCE_SECRET_KEY') },
    endpoints: {
      googleOAuth: raw.GOOGLE_OAUTH_BASE_URL ?? defaults.googleOAuth ?? null,
      googleApi: endpoint(raw.GOOGLE_API_BASE_URL, defaults.googleApi),
      paypalApi: endpoint(raw.PAYPAL_API_BASE_URL, defaults.paypalApi),
      binanceApi: endpoint(raw.BINANCE_API_BASE_URL, defaults.binanceApi),
    },
  };
}
