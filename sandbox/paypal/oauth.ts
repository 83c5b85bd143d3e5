import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { SANDBOX_CREDENTIALS } from '../credentials.ts';
import { PaypalApiError } from './errors.ts';
import type { PaypalState } from './state.ts';

/**
 * `POST /v1/oauth2/token` (client credentials, HTTP Basic) and the Bearer check every other
 * route makes. PayPal hands back the same token while it is valid, with a shrinking expires_in.
 */

export const TOKEN_TTL_SECONDS = 32_400;
export const APP_ID = 'APP-80W284485P519543T';
const SCOPE =
  'https://uri.paypal.com/services/payments/futurepayments https://uri.paypal.com/services/payments/realtimepayment https://uri.paypal.com/services/payments/payment/authcapture openid https://uri.paypal.com/services/payments/refund https://uri.paypal.com/services/applications/webhooks https://uri.paypal.com/services/payments/orders/readwrite';

/** The OAuth-style failure (not PayPal's REST error shape). */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : { id: decoded.slice(0, i), secret: decoded.slice(i + 1) };
}

export function registerOAuthRoutes(app: FastifyInstance, ctx: SandboxContext, state: PaypalState) {
  app.post('/v1/oauth2/token', { config: { sandbox: { provider: 'paypal', operation: 'oauth.token' } } }, async (req, reply) => {
    state.tokenRequests++;
    const creds = basicCredentials(req.headers.authorization);
    const expected = SANDBOX_CREDENTIALS.paypal;
    if (!creds || creds.id !== expected.clientId || creds.secret !== expected.clientSecret) {
      throw new OAuthError(401, 'invalid_client', 'Client Authentication failed');
    }
    const grant = (req.body as Record<string, unknown> | undefined)?.grant_type;
    if (grant === undefined || grant === '') throw new OAuthError(400, 'unsupported_grant_type', 'Grant Type is NULL');
    if (grant !== 'client_credentials') throw new OAuthError(400, 'unsupported_grant_type', 'unsupported grant_type');
    const now = ctx.now();
    let current = [...state.tokens.values()].find((t) => t.expiresAt > now + 1000);
    if (!current) {
      current = { token: `A21AA${randomBytes(48).toString('base64url')}`, expiresAt: now + TOKEN_TTL_SECONDS * 1000 };
      state.tokens.set(current.token, current);
    }
    return reply.status(200).send({
      scope: SCOPE,
      access_token: current.token,
      token_type: 'Bearer',
      app_id: APP_ID,
      expires_in: Math.floor((current.expiresAt - now) / 1000),
      nonce: `${new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z')}${randomBytes(16).toString('base64url')}`,
    });
  });
}

/** A missing, unknown or expired bearer token: 401 AUTHENTICATION_FAILURE. */
export function authenticate(req: FastifyRequest, ctx: SandboxContext, state: PaypalState): void {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const token = m ? state.tokens.get(m[1]!) : undefined;
  if (!token || token.expiresAt <= ctx.now()) throw new PaypalApiError(401);
}
