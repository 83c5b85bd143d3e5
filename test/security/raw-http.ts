import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `bytes` as they are over one TCP connection and reads the first response, for requests
 * fetch() refuses to send (broken framing, oversized headers, undecodable paths).
 */
export function rawRequest(url: string, bytes: string): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer to ${JSON.stringify(bytes.slice(0, 60))} within 10 s`));
    }, 10_000);
    const done = () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return false;
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const rest = Buffer.concat(chunks).subarray(Buffer.byteLength(text.slice(0, split + 4)));
      const length = Number(headers['content-length']);
      if (Number.isFinite(length) && rest.length < length) return false;
      clearTimeout(timer);
      socket.destroy();
      // Only the first answer's body: a server may answer what followed on the connection too.
      const body = (Number.isFinite(length) ? rest.subarray(0, length) : rest).toString('utf8');
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body });
      return true;
    };
    socket.on('data', (c) => {
      chunks.push(c);
      done();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (!done()) {
        clearTimeout(timer);
        reject(new Error(`connection closed without an answer to ${JSON.stringify(bytes.slice(0, 60))}`));
      }
    });
    socket.write(bytes);
  });
}
