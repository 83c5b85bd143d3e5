import type { components } from '../api.gen.ts';
import { seg, type Call, type PostOptions } from './base.ts';

type S = components['schemas'];

/** API keys: shown once when created, stored hashed; `read` or `write` scope. */
export class ApiKeys {
  constructor(private readonly call: Call) {}
  create(params: S['CreateApiKey'], opts: PostOptions = {}): Promise<S['CreatedApiKey']> {
    return this.call('POST', '/api/v1/api-keys', { body: params, idempotencyKey: opts.idempotencyKey });
  }
  async list(): Promise<S['ApiKey'][]> {
    return (await this.call<{ apiKeys: S['ApiKey'][] }>('GET', '/api/v1/api-keys')).apiKeys;
  }
  /** Revokes a key: requests with it fail from now on. */
  revoke(id: string): Promise<S['ApiKey']> {
    return this.call('DELETE', `/api/v1/api-keys/${seg(id)}`);
  }
}

/** OAuth 2.0 clients for the client-credentials grant (POST /oauth/token). */
export class OAuthClients {
  constructor(private readonly call: Call) {}
  create(params: S['CreateOAuthClient'], opts: PostOptions = {}): Promise<S['CreatedOAuthClient']> {
    return this.call('POST', '/api/v1/oauth-clients', { body: params, idempotencyKey: opts.idempotencyKey });
  }
  async list(): Promise<S['OAuthClient'][]> {
    return (await this.call<{ oauthClients: S['OAuthClient'][] }>('GET', '/api/v1/oauth-clients')).oauthClients;
  }
  /** Revokes a client and ends its tokens at once. */
  revoke(id: string): Promise<S['OAuthClient']> {
    return this.call('DELETE', `/api/v1/oauth-clients/${seg(id)}`);
  }
}
