import type { FastifyInstance } from 'fastify';
import type { ProviderEmulator, ProviderErrorResponse, SandboxContext } from '../context.ts';

/** The emulated Google (skeleton: routes arrive with the provider sandbox work). */
export class GoogleEmulator implements ProviderEmulator {
  readonly provider = 'google' as const;
  constructor(private readonly ctx: SandboxContext) {}
  register(_app: FastifyInstance): void {}
  errorResponse(_operation: string, status: number): ProviderErrorResponse {
    return { status, body: { error: status } };
  }
  snapshot(): unknown {
    return {};
  }
  reset(): void {}
}
