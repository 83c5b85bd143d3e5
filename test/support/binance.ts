import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A valid v3 create-order body for the 1 USDT booking fee; `extra` adds or overrides fields. */
export const binanceOrderBody = (merchantTradeNo: string, extra: Record<string, unknown> = {}) => ({
  env: { terminalType: 'WEB' },
  merchantTradeNo,
  orderAmount: '1.00',
  currency: 'USDT',
  description: 'LeadsCalendar event booking',
  goodsDetails: [{ goodsType: '02', goodsCategory: 'Z000', referenceGoodsId: 'event-fee', goodsName: 'Event booking fee' }],
  ...extra,
});

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A merchant webhook endpoint; `answers` are used in turn, then Binance's documented success body. */
export async function binanceReceiver() {
  const received: Received[] = [];
  const answers: { status: number; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = answers.shift() ?? { status: 200, body: '{"returnCode":"SUCCESS","returnMessage":null}' };
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/binance`;
  const events = () => received.map((r) => JSON.parse(r.body) as { bizType: string; bizStatus: string; bizIdStr: string; data: string });
  return { server, url, received, answers, events };
}
