import type { FastifyInstance } from 'fastify';
import type { ProviderEmulator, ProviderErrorResponse, SandboxContext } from '../context.ts';

/** The emulated Binance (skeleton: routes arrive with the provider sandbox work). */
export class BinanceEmulator implements ProviderEmulator {
  readonly provider = 'binance' as const;
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
