import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { freePort, sandboxEnv } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { openLogFile } from '../support/log-files.ts';
import { startMain, type Started } from '../support/process.ts';
import { waitFor } from '../support/wait.ts';

/**
 * What the chaos run fires at: one sandbox (in this process, so the providers and what they did
 * survive the app's deaths), two app processes on one fresh PostgreSQL database with the secrets a
 * deployment shares, and a small front proxy standing for the load balancer: payers, the API
 * clients and the providers' notifications all go through it, to whichever instance is alive.
 */

export interface AppProcess {
  name: string;
  port: number;
  proc: Started | null;
  /** Set while the process is up and has answered /readyz since its last start. */
  up: boolean;
  starts: number;
}

export interface Cluster {
  /** The public address (the proxy). */
  url: string;
  sandbox: Sandbox;
  db: TestDatabase;
  apps: [AppProcess, AppProcess];
  /** SIGKILLs one app process and starts it again; resolves once it is ready. */
  killAndRestart(app: AppProcess, downMs: number): Promise<void>;
  close(): Promise<void>;
}

const open = new Set<() => Promise<void>>();

/** Closes every cluster still open (an interrupted run must not leave app processes and databases behind). */
export async function closeAll(): Promise<void> {
  await Promise.all([...open].map((close) => close().catch(() => {})));
}

export async function startCluster(opts: { seed: number; env?: Record<string, string>; log?: (line: string) => void }): Promise<Cluster> {
  const log = opts.log ?? (() => {});
  const proxyPort = await freePort();
  const url = `http://127.0.0.1:${proxyPort}`;
  const sandboxLog = openLogFile('chaos-sandbox');
  const sandbox = await startSandbox({
    port: 0,
    // On disk only, for the log scan; at the apps' level, so a long run writes little.
    logger: createLogger('error', { write: (line: string) => sandboxLog.write(line) }),
    faultSeed: opts.seed,
    settings: { paypalWebhookUrl: `${url}/webhooks/paypal`, binanceWebhookUrl: `${url}/webhooks/binance` },
    // The providers retry for hours; seconds here, and as many attempts as a run needs to see two deaths.
    webhooks: { retryDelayMs: (n) => Math.min(500 * 2 ** (n - 1), 5_000) },
  });
  const db = await createTestDatabase('postgres', { migrated: false });
  const dataDir = await mkdtemp(join(tmpdir(), 'lc-chaos-'));
  const shared = {
    ...sandboxEnv(sandbox),
    DATABASE_URL: db.url!,
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: url,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    ...opts.env,
  };
  const ports = [await freePort(), await freePort()];
  while (ports[1] === ports[0]) ports[1] = await freePort();
  const apps: [AppProcess, AppProcess] = [
    { name: 'A', port: ports[0]!, proc: null, up: false, starts: 0 },
    { name: 'B', port: ports[1]!, proc: null, up: false, starts: 0 },
  ];

  const start = async (app: AppProcess) => {
    app.proc = startMain({ ...shared, PORT: String(app.port) });
    app.starts++;
    const proc = app.proc;
    void proc.exited.then((code) => {
      if (app.proc === proc) app.up = false;
      if (code !== null && code !== 0) log(`instance ${app.name} exited ${code}: ${proc.stderr.join('').slice(-2000)}`);
    });
    await waitFor(`instance ${app.name} to be ready`, () => fetch(`http://127.0.0.1:${app.port}/readyz`).then((r) => r.ok, () => false), 90_000, 100).catch((err) => {
      throw new Error(`${err.message}\n${proc.stderr.join('').slice(-4000)}`);
    });
    app.up = true;
  };

  let next = 0;
  const proxy = createServer((req, res) => {
    void forward(req).then(
      ({ status, headers, body }) => {
        res.writeHead(status, headers);
        res.end(body);
      },
      () => {
        res.writeHead(502, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ type: 'about:blank', title: 'Bad Gateway', status: 502, detail: 'no instance answered (chaos proxy)' }));
      },
    );
  });

  /** To a live instance, round robin; refused connections (a dead instance) go to the other one. */
  async function forward(req: IncomingMessage): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    for (let tries = 0; tries < 4; tries++) {
      const live = apps.filter((a) => a.up);
      const target = (live.length ? live : apps)[next++ % (live.length || apps.length)]!;
      try {
        return await new Promise((resolve, reject) => {
          const out = httpRequest({ host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
            const parts: Buffer[] = [];
            r.on('data', (c: Buffer) => parts.push(c));
            r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers as Record<string, string | string[]>, body: Buffer.concat(parts) }));
            r.on('error', reject);
          });
          out.on('error', (err: NodeJS.ErrnoException) => reject(Object.assign(err, { refused: err.code === 'ECONNREFUSED' })));
          out.end(body);
        });
      } catch (err) {
        // Refused: nothing reached that instance, so sending it to the other one is safe.
        if (!(err as { refused?: boolean }).refused) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error('no instance');
  }
  await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', r));

  const close = async () => {
    open.delete(close);
    for (const a of apps) {
      a.up = false;
      a.proc?.child.kill('SIGKILL');
      await a.proc?.exited;
    }
    await new Promise<void>((r) => (proxy as Server).close(() => r()));
    proxy.closeAllConnections();
    await sandbox.close();
    await db.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  open.add(close);
  // However this process ends, its app processes end with it (the database needs a live process to drop).
  process.once('exit', () => {
    for (const a of apps) a.proc?.child.kill('SIGKILL');
  });
  try {
    // One after the other: the first applies the migrations.
    await start(apps[0]);
    await start(apps[1]);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    url,
    sandbox,
    db,
    apps,
    async killAndRestart(app, downMs) {
      const proc = app.proc!;
      app.up = false;
      proc.child.kill('SIGKILL');
      await proc.exited;
      await new Promise((r) => setTimeout(r, downMs));
      await start(app);
    },
    close,
  };
}
