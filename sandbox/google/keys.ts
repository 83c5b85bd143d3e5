import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT, type JWK } from 'jose';
import selfsigned from 'selfsigned';

export interface IdTokenKeyData {
  privateKeyPem: string;
  certPem: string;
}

/**
 * The key that signs emulated id_tokens, published like Google's: a PEM X.509 map at
 * /oauth2/v1/certs (what google-auth-library's verifyIdToken reads) and a JWKS at /oauth2/v3/certs.
 */
export class IdTokenSigner {
  private constructor(
    readonly kid: string,
    private readonly privateKey: KeyObject,
    readonly certPem: string,
    readonly jwk: JWK,
  ) {}

  static async create(): Promise<IdTokenSigner> {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'federated-signon.system.gserviceaccount.com' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 30 * 86_400_000),
    });
    return IdTokenSigner.fromData({ privateKeyPem: pems.private, certPem: pems.cert });
  }

  /** A stored key: id_tokens signed before a restart keep verifying after it. */
  static async fromData(data: IdTokenKeyData): Promise<IdTokenSigner> {
    const privateKey = createPrivateKey(data.privateKeyPem);
    const kid = createHash('sha1').update(data.certPem).digest('hex');
    const jwk = { ...(await exportJWK(createPublicKey(privateKey))), kid, alg: 'RS256', use: 'sig' };
    return new IdTokenSigner(kid, privateKey, data.certPem, jwk);
  }

  toData(): IdTokenKeyData {
    return { privateKeyPem: this.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem: this.certPem };
  }

  sign(claims: Record<string, unknown>): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' }).sign(this.privateKey);
  }

  publicKey(): KeyObject {
    return createPublicKey(this.privateKey);
  }
}
