// A list read a page at a time from a cursor-paged API list (events, payments): the first page on
// mount, the next one on request, with its busy and error states.
import { useEffect, useState } from 'preact/hooks';
import { problemText } from './errors.ts';

export interface Pages<T> {
  items: T[] | null;
  cursor: string | null;
  busy: boolean;
  error: string | null;
  more(): void;
}

/** `fetch` is called with the cursor (null: the first page); the component re-mounts when its filters change. */
export function usePages<T>(fetch: (cursor: string | null) => Promise<{ items: T[]; nextCursor: string | null }>): Pages<T> {
  const [items, setItems] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const load = async (from: string | null) => {
    setBusy(true);
    try {
      const page = await fetch(from);
      setItems((prev) => [...(from ? (prev ?? []) : []), ...page.items]);
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(problemText(err));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(null), []);
  return { items, cursor, busy, error, more: () => void (cursor && load(cursor)) };
}
