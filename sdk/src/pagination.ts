/** One page of a cursor-paged list, as the API answers it. */
export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * A list that is both awaitable (the first page) and async-iterable (every item, fetching pages
 * as the loop needs them): `for await (const e of lc.events.list())`.
 */
export class CursorList<T> implements AsyncIterable<T>, PromiseLike<Page<T>> {
  constructor(private readonly fetchPage: (cursor: string | undefined) => Promise<Page<T>>) {}

  then<A = Page<T>, B = never>(onfulfilled?: ((page: Page<T>) => A | PromiseLike<A>) | null, onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.fetchPage(undefined).then(onfulfilled, onrejected);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let cursor: string | undefined;
    do {
      const page = await this.fetchPage(cursor);
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** Every item, up to `limit` (a guard against loading an unbounded list into memory). */
  async toArray(limit = 10_000): Promise<T[]> {
    const out: T[] = [];
    for await (const item of this) {
      if (out.length >= limit) throw new RangeError(`more than ${limit} items; iterate instead`);
      out.push(item);
    }
    return out;
  }
}
