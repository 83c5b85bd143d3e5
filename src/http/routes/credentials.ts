import type { FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OAuthError, type ApiKeyRecord, type Credentials, type OAuthClientRecord } from '../../app/credentials.ts';
import { Problem, problemFor, sendProblem } from '../problem.ts';
import {
  ApiKey,
  CreateApiKeyBody,
  CreatedApiKey,
  CreatedOAuthClient,
  CreateOAuthClientBody,
  OAuthClient,
  OAuthErrorBody,
  TokenRequest,
  TokenResponse,
} from '../schemas.ts';
import type { App } from '../server.ts';
import type { Sessions } from '../sessions.ts';

export interface CredentialRouteDeps {
  sessions: Sessions;
  credentials: Credentials;
}

/** /oauth/token takes this many requests a minute from one client address. */
export const TOKEN_RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const;

const iso = (d: Date | null) => d?.toISOString() ?? null;

function apiKeyDto(k: ApiKeyRecord): z.infer<typeof ApiKey> {
  return {
    id: k.id,
    name: k.name,
    scope: k.scope,
    mode: k.mode,
    prefix: `lc_${k.mode}_${k.publicId}`,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: iso(k.lastUsedAt),
    revokedAt: iso(k.revokedAt),
  };
}

function oauthClientDto(c: OAuthClientRecord): z.infer<typeof OAuthClient> {
  return { id: c.id, clientId: c.clientId, name: c.name, scopes: c.scopes, mode: c.mode, createdAt: c.createdAt.toISOString(), lastUsedAt: iso(c.lastUsedAt), revokedAt: iso(c.revokedAt) };
}

const errors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem, 429: Problem };
const IdParams = z.object({ id: z.string().uuid() });

/** The client's id and secret, from HTTP Basic (RFC 6749 §2.3.1: each form-urlencoded) or the body; never both. */
function clientCredentials(req: FastifyRequest, body: z.infer<typeof TokenRequest>): { id: string; secret: string; basic: boolean } {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (!m || colon < 0) throw new OAuthError('invalid_client', 'The Authorization header must be HTTP Basic with client_id:client_secret.', 401);
    if (body.client_id !== undefined || body.client_secret !== undefined) throw new OAuthError('invalid_request', 'Authenticate the client one way: HTTP Basic or client_id and client_secret in the body, not both.');
    const unescape = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    try {
      return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)), basic: true };
    } catch {
      throw new OAuthError('invalid_client', 'The HTTP Basic credentials are not form-urlencoded.', 401);
    }
  }
  if (body.client_id === undefined || body.client_secret === undefined) throw new OAuthError('invalid_client', 'Send client_id and client_secret, as HTTP Basic authentication or in the body.', 401);
  return { id: body.client_id, secret: body.client_secret, basic: false };
}

/** The token endpoint answers RFC 6749 §5.2 errors, with no-store as §5.1 asks of every answer. */
function sendOAuthError(reply: FastifyReply, err: OAuthError, basic: boolean) {
  // §5.2: a 401 answers a client that authenticated with HTTP Basic (or tried to) with a challenge.
  if (err.status === 401 && basic) reply.header('www-authenticate', 'Basic realm="LeadsCalendar", charset="UTF-8"');
  return reply.status(err.status).headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({ error: err.error, error_description: err.description });
}

/** API keys, OAuth clients (/api/v1, for their owner) and the OAuth 2.0 token endpoint. */
export function registerCredentialRoutes(app: App, deps: CredentialRouteDeps) {
  const { sessions, credentials } = deps;
  const signedIn = async (req: FastifyRequest) => void (await sessions.requireUser(req));

  app.post(
    '/api/v1/api-keys',
    {
      preValidation: signedIn,
      schema: {
        tags: ['credentials'],
        summary: 'Create an API key; its secret is in this answer only',
        body: CreateApiKeyBody,
        response: { 201: CreatedApiKey, ...errors },
      },
    },
    async (req, reply) => {
      const p = await sessions.requireUser(req);
      const { key, secret } = await credentials.createApiKey(p.userId, req.body);
      return reply.status(201).send({ ...apiKeyDto(key), secret });
    },
  );

  app.get(
    '/api/v1/api-keys',
    { preValidation: signedIn, schema: { tags: ['credentials'], summary: 'Your API keys, live ones first, newest first (never their secrets)', response: { 200: z.object({ apiKeys: z.array(ApiKey) }), ...errors } } },
    async (req) => {
      const p = await sessions.requireUser(req);
      return { apiKeys: (await credentials.listApiKeys(p.userId)).map(apiKeyDto) };
    },
  );

  app.delete(
    '/api/v1/api-keys/:id',
    { preValidation: signedIn, schema: { tags: ['credentials'], summary: 'Revoke an API key: it stops working at once; revoking again is harmless', params: IdParams, response: { 200: ApiKey, ...errors } } },
    async (req) => {
      const p = await sessions.requireUser(req);
      return apiKeyDto(await credentials.revokeApiKey(p.userId, req.params.id));
    },
  );

  app.post(
    '/api/v1/oauth-clients',
    {
      preValidation: signedIn,
      schema: {
        tags: ['credentials'],
        summary: 'Create an OAuth 2.0 client for the client credentials grant; its secret is in this answer only',
        body: CreateOAuthClientBody,
        response: { 201: CreatedOAuthClient, ...errors },
      },
    },
    async (req, reply) => {
      const p = await sessions.requireUser(req);
      const { client, secret } = await credentials.createOAuthClient(p.userId, req.body);
      return reply.status(201).send({ ...oauthClientDto(client), clientSecret: secret });
    },
  );

  app.get(
    '/api/v1/oauth-clients',
    { preValidation: signedIn, schema: { tags: ['credentials'], summary: 'Your OAuth clients, live ones first, newest first', response: { 200: z.object({ oauthClients: z.array(OAuthClient) }), ...errors } } },
    async (req) => {
      const p = await sessions.requireUser(req);
      return { oauthClients: (await credentials.listOAuthClients(p.userId)).map(oauthClientDto) };
    },
  );

  app.delete(
    '/api/v1/oauth-clients/:id',
    {
      preValidation: signedIn,
      schema: { tags: ['credentials'], summary: 'Revoke an OAuth client and every access token it obtained', params: IdParams, response: { 200: OAuthClient, ...errors } },
    },
    async (req) => {
      const p = await sessions.requireUser(req);
      return oauthClientDto(await credentials.revokeOAuthClient(p.userId, req.params.id));
    },
  );

  app.post(
    '/oauth/token',
    {
      config: { rateLimit: TOKEN_RATE_LIMIT },
      schema: {
        tags: ['credentials'],
        summary: 'OAuth 2.0 client credentials grant (RFC 6749 §4.4): a bearer access token for 15 minutes',
        description:
          'Send `application/x-www-form-urlencoded` with `grant_type=client_credentials` and optionally `scope`; authenticate the client with HTTP Basic ' +
          '(`client_id:client_secret`) or with `client_id` and `client_secret` in the body. Errors follow RFC 6749 §5.2 (`error`, `error_description`), ' +
          'not RFC 9457: this is the one endpoint whose errors are not problem documents, so that standard OAuth clients understand them.',
        consumes: ['application/x-www-form-urlencoded'],
        // The client authenticates itself (HTTP Basic or the body), not with a bearer or a session.
        security: [],
        body: TokenRequest,
        response: { 200: TokenResponse, 400: OAuthErrorBody, 401: OAuthErrorBody, 429: Problem },
      },
      // A body that does not parse is an OAuth invalid_request here, not a problem document.
      errorHandler: (error, req, reply) => {
        if (hasZodFastifySchemaValidationErrors(error) || (error as { statusCode?: number }).statusCode === 400 || (error as { statusCode?: number }).statusCode === 415) {
          return sendOAuthError(reply, new OAuthError('invalid_request', 'Send an application/x-www-form-urlencoded body with grant_type=client_credentials.'), false);
        }
        const { body, headers } = problemFor(error, req);
        return sendProblem(reply, body, headers);
      },
    },
    async (req, reply) => {
      let basic = req.headers.authorization !== undefined;
      try {
        if (!String(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
          throw new OAuthError('invalid_request', 'Send the request as application/x-www-form-urlencoded (RFC 6749 §4.4.2).');
        }
        const client = clientCredentials(req, req.body);
        basic = client.basic;
        if (req.body.grant_type !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'This server grants client_credentials only.');
        const t = await credentials.issueAccessToken(client.id, client.secret, req.body.scope);
        return reply
          .headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
          .send({ access_token: t.accessToken, token_type: 'Bearer' as const, expires_in: t.expiresIn, scope: t.scopes.join(' ') });
      } catch (err) {
        if (err instanceof OAuthError) return sendOAuthError(reply, err, basic);
        throw err;
      }
    },
  );
}
