import { createSign, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import selfsigned from 'selfsigned';

/**
 * How PayPal signs a webhook delivery: RSA-SHA256 ("SHA256withRSA") over
 * `transmissionId|transmissionTime|webhookId|crc32(body)`, the CRC32 (IEEE) of the raw body bytes
 * written as an unsigned decimal; the certificate holding the public key is served at
 * PAYPAL-CERT-URL. The CRC here is computed with our own table, independently of the product's
 * verifier (which uses zlib), so a bug in one cannot hide in the other.
 */

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32Unsigned(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = CRC_TABLE[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function signedMessage(transmissionId: string, transmissionTime: string, webhookId: string, body: string): string {
  return `${transmissionId}|${transmissionTime}|${webhookId}|${crc32Unsigned(Buffer.from(body, 'utf8'))}`;
}

export interface WebhookSignature {
  'PAYPAL-TRANSMISSION-ID': string;
  'PAYPAL-TRANSMISSION-TIME': string;
  'PAYPAL-TRANSMISSION-SIG': string;
  'PAYPAL-CERT-URL': string;
  'PAYPAL-AUTH-ALGO': 'SHA256withRSA';
  'PAYPAL-AUTH-VERSION': 'v2';
}

export interface WebhookKeyData {
  certId: string;
  certPem: string;
  privateKeyPem: string;
  forgeryKeyPem: string;
}

export class WebhookSigner {
  private constructor(
    /** Like PayPal's CERT-360caa42-fca2a594-a5cafa77. */
    readonly certId: string,
    readonly certPem: string,
    private readonly privateKeyPem: string,
    /** A key whose certificate is never served: what a forger would sign with. */
    private readonly forgeryKeyPem: string,
  ) {}

  static async create(): Promise<WebhookSigner> {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'messageverificationcerts.sandbox.paypal.com' }], {
      keySize: 2048,
      algorithm: 'sha256',
      keyPair: { privateKey: keys.privateKey, publicKey: keys.publicKey },
    });
    const forgery = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const hex = randomBytes(12).toString('hex');
    const certId = `CERT-${hex.slice(0, 8)}-${hex.slice(8, 16)}-${hex.slice(16, 24)}`;
    return new WebhookSigner(certId, pems.cert, keys.privateKey, forgery.privateKey);
  }

  /** A stored key and certificate: webhooks signed before a restart keep verifying after it. */
  static fromData(d: WebhookKeyData): WebhookSigner {
    return new WebhookSigner(d.certId, d.certPem, d.privateKeyPem, d.forgeryKeyPem);
  }

  toData(): WebhookKeyData {
    return { certId: this.certId, certPem: this.certPem, privateKeyPem: this.privateKeyPem, forgeryKeyPem: this.forgeryKeyPem };
  }

  signMessage(message: string, forged = false): string {
    return createSign('RSA-SHA256').update(message, 'utf8').sign(forged ? this.forgeryKeyPem : this.privateKeyPem, 'base64');
  }

  /** Headers for one delivery attempt (each attempt is a new transmission, as with PayPal). */
  sign(body: string, opts: { certUrl: string; webhookId: string; now: number; forged: boolean }): WebhookSignature {
    const transmissionId = randomUUID();
    const transmissionTime = new Date(opts.now).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      'PAYPAL-TRANSMISSION-ID': transmissionId,
      'PAYPAL-TRANSMISSION-TIME': transmissionTime,
      'PAYPAL-TRANSMISSION-SIG': this.signMessage(signedMessage(transmissionId, transmissionTime, opts.webhookId, body), opts.forged),
      'PAYPAL-CERT-URL': opts.certUrl,
      'PAYPAL-AUTH-ALGO': 'SHA256withRSA',
      'PAYPAL-AUTH-VERSION': 'v2',
    };
  }
}
