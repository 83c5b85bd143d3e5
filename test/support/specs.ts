import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * The providers' official specification files and signed vectors live outside the repository
 * (third-party data, never committed): in ../shared/specs beside the clone, as CI has it.
 * Where the folder is absent (a user's machine) tests that need it skip with a notice;
 * under CI=true they must run, so a missing folder fails them instead.
 */
export const SPECS_DIR = resolve(process.env.LEADSCALENDAR_SPECS_DIR ?? resolve(import.meta.dirname, '../../../shared/specs'));

export const specsAvailable = existsSync(SPECS_DIR);

/** Pass as the `skip` option of a test or suite that reads the specs. */
export function specsSkip(): string | false {
  if (specsAvailable) return false;
  if (process.env.CI === 'true') throw new Error(`CI=true but the provider specs folder is missing: ${SPECS_DIR}`);
  return `provider specs not found at ${SPECS_DIR} (set LEADSCALENDAR_SPECS_DIR); skipping`;
}

export function specPath(...parts: string[]): string {
  return resolve(SPECS_DIR, ...parts);
}

export function readSpecJson<T = any>(...parts: string[]): T {
  return JSON.parse(readFileSync(specPath(...parts), 'utf8')) as T;
}

export function readSpecText(...parts: string[]): string {
  return readFileSync(specPath(...parts), 'utf8');
}

/** One of PayPal's real signed webhook deliveries (samples/webhook-signed), with what verifies it. */
export interface PaypalSignedVector {
  name: string;
  body: Buffer;
  headers: Record<string, string>;
  webhookId: string;
  certPem: string;
  crc: number;
}

export function paypalSignedVectors(): PaypalSignedVector[] {
  const dir = specPath('paypal', 'samples', 'webhook-signed');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.body.json'))
    .map((f) => {
      const meta = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8'));
      return {
        name: f,
        body: readFileSync(`${dir}/${meta.body_file}`),
        headers: meta.headers,
        webhookId: meta.webhook_id,
        certPem: readFileSync(`${dir}/${meta.cert_file}`, 'utf8'),
        crc: meta.crc32_decimal,
      };
    });
}
