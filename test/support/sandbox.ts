import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox/server.ts';

/** A sandbox on a free port, closed when the calling test's suite ends. */
export async function withSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ port: 0, ...opts });
}

/** POST /__sandbox/faults, as a person or a test would switch a fault on. */
export async function addFault(sandbox: Sandbox, fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${sandbox.url}/__sandbox/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  if (res.status !== 201) throw new Error(`fault not accepted: ${res.status} ${await res.text()}`);
}
