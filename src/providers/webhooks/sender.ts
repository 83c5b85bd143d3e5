import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { WebhookAttempt, WebhookRequest, WebhookSender } from '../../ports/webhook-sender.ts';

/**
 * Delivers webhooks over HTTP(S) to the URLs people give us, without letting those URLs reach
 * into our own network (SSRF). In live mode:
 *
 * - only `https:` URLs;
 * - the host name is resolved and every address it resolves to must be a public unicast address:
 *   no private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (169.254/16 — cloud
 *   metadata —, fe80::/10), CGNAT (100.64/10), multicast, broadcast, unspecified or reserved range,
 *   nor an IPv4-mapped or 6to4/Teredo form of one;
 * - the connection goes to the address that was checked: the check runs inside the socket's own
 *   `lookup`, so a DNS answer that changes between check and connect (rebinding) cannot slip by;
 * - redirects are not followed (a 3xx is an answer, logged, and counts as a failure).
 *
 * Sandbox mode allows http and loopback/private addresses: receivers under test run on this machine.
 */

export const RESPONSE_EXCERPT_BYTES = 1024;

export interface SenderOptions {
  mode: 'sandbox' | 'live';
  /** One attempt: connect, send and read the answer, in total. */
  timeoutMs: number;
  /** The User-Agent sent. */
  userAgent: string;
  /** Resolver (tests of the address rules use one that answers what they need). */
  lookup?: typeof dnsLookup;
}

/** Null when the address may be connected to in live mode; else the kind of address it is. */
export function forbiddenRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'invalid';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  return range === 'unicast' ? null : range;
}

class RefusedAddress extends Error {
  constructor(readonly host: string, readonly address: string, readonly range: string) {
    super(`${host} resolves to ${address} (${range}), which webhooks may not reach`);
    this.name = 'RefusedAddress';
  }
}

export function createWebhookSender(opts: SenderOptions): WebhookSender {
  const live = opts.mode === 'live';
  const resolve = opts.lookup ?? dnsLookup;

  /** Resolves every address of the host, refuses the whole host if any is forbidden, connects to the first. */
  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname, { all: true, family: options.family ?? 0, hints: options.hints ?? 0 }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as unknown as LookupAddress[];
      if (live) {
        for (const a of list) {
          const range = forbiddenRange(a.address);
          if (range) return callback(new RefusedAddress(hostname, a.address, range), '', 4);
        }
      }
      if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 4);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };

  return {
    refusal(raw: string): string | null {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return 'not a URL';
      }
      if (url.username || url.password) return 'a URL with a user name or password is not accepted; authenticate with the signature';
      if (live && url.protocol !== 'https:') return 'only https:// URLs are accepted';
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'only http:// and https:// URLs are accepted';
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (live && ipaddr.isValid(host)) {
        const range = forbiddenRange(host);
        if (range) return `the address ${host} is ${range}: webhooks go only to public addresses`;
      }
      if (live && (host === 'localhost' || host.endsWith('.localhost'))) return 'localhost is not reachable from LeadsCalendar';
      return null;
    },

    send(req: WebhookRequest): Promise<WebhookAttempt> {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const refused = this.refusal(req.url);
      if (refused) return Promise.resolve({ statusCode: null, durationMs: 0, responseExcerpt: null, error: refused });
      const url = new URL(req.url);
      const client = url.protocol === 'https:' ? https : http;
      return new Promise<WebhookAttempt>((done) => {
        let settled = false;
        const finish = (a: Omit<WebhookAttempt, 'durationMs'>) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          done({ ...a, durationMs: elapsed() });
        };
        const request = client.request(
          url,
          {
            method: 'POST',
            headers: {
              ...req.headers,
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(req.body)),
              'user-agent': opts.userAgent,
            },
            // A literal IP host skips lookup in Node; check it here for the same rules.
            lookup: guardedLookup,
            // No connection reuse across deliveries: each one is checked afresh.
            agent: false,
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (c: Buffer) => {
              if (size < RESPONSE_EXCERPT_BYTES) chunks.push(c);
              size += c.length;
              // Only the excerpt is kept: a receiver that streams forever is cut off.
              if (size >= RESPONSE_EXCERPT_BYTES) res.destroy();
            });
            const end = () => {
              const status = res.statusCode ?? null;
              const excerpt = excerptOf(Buffer.concat(chunks));
              const redirect = status !== null && status >= 300 && status < 400;
              finish({
                statusCode: status,
                responseExcerpt: excerpt,
                error: redirect ? `redirects are not followed (Location: ${String(res.headers.location ?? '').slice(0, 200)})` : null,
              });
            };
            res.on('end', end);
            res.on('close', end);
            res.on('error', end);
          },
        );
        const timer = setTimeout(() => {
          request.destroy(new Error(`no answer within ${opts.timeoutMs} ms`));
        }, opts.timeoutMs);
        request.on('error', (err: NodeJS.ErrnoException) => {
          finish({ statusCode: null, responseExcerpt: null, error: err instanceof RefusedAddress ? err.message : (err.code ? `${err.code}: ${err.message}` : err.message) });
        });
        request.end(req.body);
      });
    },
  };
}

/** At most 1 kB of the body, cut on a character boundary. */
function excerptOf(buf: Buffer): string | null {
  if (buf.length === 0) return null;
  const text = buf.subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
  // A multi-byte character cut in half decodes as U+FFFD at the end: drop it.
  return text.replace(/\uFFFD$/, '');
}
