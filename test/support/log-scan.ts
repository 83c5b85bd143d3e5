import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SANDBOX_CREDENTIALS } from '../../sandbox/credentials.ts';
import { KNOWN_SECRETS_DIR, LOG_DIR } from './log-files.ts';

/**
 * The log scan: after the suite, no line any app instance logged (test-results/logs, see
 * log-files.ts) holds a configured secret, an issued token, an authorization code or a session
 * id. Tokens are found by their shape, the prefixes the emulators and the app give them; the
 * secrets that have none (configured credentials, generated session secrets, session ids, CSRF
 * tokens) by value, as the tests configured or received them.
 *
 * Run: `node --import tsx test/support/log-scan.ts [log folder] [known secrets folder]`.
 */

export interface Finding {
  file: string;
  /** 1-based. */
  line: number;
  kind: string;
  /** The line around the secret, with every secret found in it masked. */
  excerpt: string;
}

export interface ScanResult {
  files: number;
  lines: number;
  findings: Finding[];
}

export interface KnownSecret {
  kind: string;
  value: string;
}

/** Not preceded by a character of the token itself, so a shape is not found inside a longer string. */
const START = String.raw`(?<![A-Za-z0-9_+/-])`;

/** Issued tokens and codes, by the shapes their issuers give them. */
export const SHAPES: { kind: string; pattern: RegExp }[] = [
  // The Google emulator (sandbox/google/oauth.ts), with Google's own prefixes; in a URL, their
  // slashes are encoded.
  { kind: 'Google access token', pattern: new RegExp(`${START}ya29\\.[A-Za-z0-9_-]{20,}`, 'g') },
  { kind: 'Google refresh token', pattern: new RegExp(`${START}1(?://|%2[Ff]%2[Ff])0[A-Za-z0-9_-]{20,}`, 'g') },
  { kind: 'Google authorization code', pattern: new RegExp(`${START}4(?:/|%2[Ff])0[A-Za-z0-9_-]{20,}`, 'g') },
  { kind: 'ID token (JWT)', pattern: new RegExp(`${START}eyJ[A-Za-z0-9_-]{10,}\\.eyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{20,}`, 'g') },
  // The PayPal emulator (sandbox/paypal/oauth.ts), as PayPal's.
  { kind: 'PayPal access token', pattern: new RegExp(`${START}A21AA[A-Za-z0-9_-]{20,}`, 'g') },
  // The app's own credentials (src/app/credentials.ts, src/app/webhooks.ts). The logger keeps
  // their prefix and public id and replaces the secret part, which these shapes then miss.
  { kind: 'API key', pattern: new RegExp(`${START}lc_(?:test|live)_[0-9a-f]{12}_[A-Za-z0-9_-]{43}`, 'g') },
  { kind: 'OAuth client secret', pattern: new RegExp(`${START}lcs_(?:test|live)_[A-Za-z0-9_-]{43}`, 'g') },
  { kind: 'API access token', pattern: new RegExp(`${START}lct_(?:test|live)_[A-Za-z0-9_-]{43}`, 'g') },
  { kind: 'webhook signing secret', pattern: new RegExp(`${START}whsec_[A-Za-z0-9_-]{20,}`, 'g') },
  // A signed session cookie: 32 random bytes, a dot, the HMAC (@fastify/cookie), maybe URL-encoded.
  { kind: 'session cookie', pattern: new RegExp(`${START}[A-Za-z0-9_-]{43}\\.(?:[A-Za-z0-9+/]|%2[BFbf]){43}(?![A-Za-z0-9+/])`, 'g') },
  // The emulators' signing keys, or any other.
  // The whole key, its line breaks as a JSON line escapes them, so that no excerpt shows any of it.
  { kind: 'private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\\\s]*(?:-----END [A-Z ]*PRIVATE KEY-----)?/g },
  // Credentials as an Authorization header carries them, whatever they are.
  { kind: 'Basic credentials', pattern: /\bBasic [A-Za-z0-9+/]{16,}={0,2}/g },
  { kind: 'bearer token', pattern: /\bBearer [A-Za-z0-9._~+/-]{16,}/g },
];

/** The secrets every test configures: the sandbox credentials the app is given (sandboxEnv). */
export function configuredSecrets(): KnownSecret[] {
  const c = SANDBOX_CREDENTIALS;
  return [
    { kind: 'Google client secret', value: c.google.clientSecret },
    { kind: 'PayPal client secret', value: c.paypal.clientSecret },
    { kind: 'Binance API key', value: c.binance.apiKey },
    { kind: 'Binance secret key', value: c.binance.secretKey },
  ];
}

/** The secrets the tests recorded (log-files.ts recordSecret), one JSON object a line. */
export function recordedSecrets(dir: string): KnownSecret[] {
  if (!existsSync(dir)) return [];
  const out: KnownSecret[] = [];
  for (const name of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line.trim()) out.push(JSON.parse(line) as KnownSecret);
    }
  }
  return out;
}

/** Enough to tell which value it was, never enough to use it. */
export function mask(value: string): string {
  return `${value.slice(0, Math.min(4, Math.floor(value.length / 4)))}…[${value.length} chars]`;
}

const RUN = /[A-Za-z0-9_-]{16,}/g;

/**
 * Looking every recorded value up in every line would cost lines × values (a suite records
 * thousands of session ids). Each is indexed by its longest base64url run instead, and a line's
 * runs are looked up in that index, so a value is found where it stands apart from its
 * neighbours (quoted, after `=`, between spaces or dots), as a leaked value does. The few
 * configured secrets are searched for in every line, wherever they stand.
 */
export class KnownIndex {
  readonly #byRun = new Map<string, KnownSecret[]>();
  readonly #everyLine: KnownSecret[] = [];

  constructor(recorded: KnownSecret[], everyLine: KnownSecret[] = []) {
    const seen = new Set<string>();
    for (const s of everyLine) {
      seen.add(s.value);
      this.#everyLine.push(s);
    }
    for (const s of recorded) {
      if (seen.has(s.value)) continue;
      seen.add(s.value);
      // As it is, and URL-encoded (`+` as `%2B` joins the `2B` to the run that follows).
      const runs = new Set([s.value, encodeURIComponent(s.value)].map((v) => (v.match(RUN) ?? []).sort((x, y) => y.length - x.length)[0]));
      if (runs.has(undefined)) this.#everyLine.push(s);
      else for (const run of runs) this.#byRun.set(run!, [...(this.#byRun.get(run!) ?? []), s]);
    }
  }

  /** Each known value in the line: where, and its text as it appears there. */
  find(line: string): { secret: KnownSecret; index: number; text: string }[] {
    const candidates = new Set(this.#everyLine);
    for (const m of line.matchAll(RUN)) this.#byRun.get(m[0])?.forEach((s) => candidates.add(s));
    const out: { secret: KnownSecret; index: number; text: string }[] = [];
    for (const secret of candidates) {
      for (const text of new Set([secret.value, encodeURIComponent(secret.value)])) {
        const index = line.indexOf(text);
        if (index >= 0) {
          out.push({ secret, index, text });
          break;
        }
      }
    }
    return out;
  }
}

const EXCERPT_CHARS = 60;

/** Scans lines of text; `file` only names them in the findings. */
export function scanLines(file: string, lines: string[], index: KnownIndex, findings: Finding[]): void {
  lines.forEach((line, i) => {
    const hits: { kind: string; index: number; text: string }[] = [];
    for (const { kind, pattern } of SHAPES) {
      for (const m of line.matchAll(pattern)) hits.push({ kind, index: m.index!, text: m[0] });
    }
    for (const { secret, index: at, text } of index.find(line)) hits.push({ kind: secret.kind, index: at, text });
    if (!hits.length) return;
    let masked = line;
    // Longest first, so that a value inside another is masked with it.
    for (const h of [...hits].sort((a, b) => b.text.length - a.text.length)) masked = masked.split(h.text).join(mask(h.text));
    // One finding per kind and line: a line that repeats a value says nothing more.
    const kinds = new Map(hits.map((h) => [h.kind, h]));
    for (const [kind, h] of kinds) {
      // A value inside a longer one (a session id in its cookie) is masked with it: near where it was.
      const found = masked.indexOf(mask(h.text));
      const at = found >= 0 ? found : Math.min(h.index, masked.length);
      const start = Math.max(0, at - EXCERPT_CHARS);
      const excerpt = `${start > 0 ? '…' : ''}${masked.slice(start, at + mask(h.text).length + EXCERPT_CHARS)}${at + mask(h.text).length + EXCERPT_CHARS < masked.length ? '…' : ''}`;
      findings.push({ file, line: i + 1, kind, excerpt });
    }
  });
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const p = join(dir, name);
      return statSync(p).isDirectory() ? listFiles(p) : [p];
    })
    .sort();
}

/** Every file under `logDir`, against the shapes, the configured secrets and those recorded in `knownDir`. */
export function scanLogs(logDir = LOG_DIR, knownDir = KNOWN_SECRETS_DIR): ScanResult {
  const index = new KnownIndex(recordedSecrets(knownDir), configuredSecrets());
  const findings: Finding[] = [];
  const files = listFiles(logDir);
  let lines = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const fileLines = text.split('\n');
    if (fileLines.at(-1) === '') fileLines.pop();
    lines += fileLines.length;
    scanLines(file, fileLines, index, findings);
  }
  return { files: files.length, lines, findings };
}

/** The report scripts/test.mjs prints; at most `limit` findings, then how many more. */
export function formatReport(result: ScanResult, root = process.cwd(), limit = 50): string {
  const out = result.findings.slice(0, limit).map((f) => `${relative(root, f.file)}:${f.line}: ${f.kind}: ${f.excerpt}`);
  if (result.findings.length > limit) out.push(`… and ${result.findings.length - limit} more`);
  out.push(`log scan: ${result.files} files, ${result.lines} lines, ${result.findings.length} findings`);
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [logDir, knownDir] = process.argv.slice(2);
  const result = scanLogs(logDir ? resolve(logDir) : LOG_DIR, knownDir ? resolve(knownDir) : KNOWN_SECRETS_DIR);
  console.log(formatReport(result));
  process.exitCode = result.findings.length ? 1 : 0;
}
