/** One Server-Sent Event: its name (`message` when unnamed), id and data (parsed JSON). */
export interface StreamMessage<T = unknown> {
  event: string;
  id: string | null;
  data: T;
}

/**
 * Server-Sent Events (the WHATWG format) from a byte stream: fields up to a blank line make one
 * event; comment lines (heartbeats) and `retry:` are skipped.
 */
export async function* readEvents<T = unknown>(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamMessage<T>> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let id: string | null = null;
  let data: string[] = [];
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (data.length) yield { event: event || 'message', id, data: JSON.parse(data.join('\n')) as T };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
  }
}
