import type { Database } from '../db/database.ts';
import * as repo from '../db/repos/payments.ts';
import type { InboxEntry } from '../db/repos/payments.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { Logger } from '../observability/logger.ts';

interface Waiting {
  entry: InboxEntry;
  resolve: (stored: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * Writes verified provider notifications to the inbox with their processing jobs, durably, before
 * the provider is answered. A commit costs a disk flush, so notifications that arrive while one is
 * being written are written together by the next, in one transaction of two statements (group
 * commit): nothing waits for a timer, a lone notification is written at once, and under a burst the
 * batch grows to what arrived during the previous flush. If a batch fails, each of its
 * notifications is tried on its own, so one the database refuses cannot fail the others with it.
 */
export class NotificationInbox {
  #queue: Waiting[] = [];
  #inFlight = 0;

  constructor(
    private readonly db: Database,
    private readonly jobs: JobQueue,
    private readonly jobQueue: string,
    private readonly log: Logger,
    /** Transactions written at once; more overlap one flush with the next batch's statements. */
    private readonly concurrency = 2,
    /** Notifications per transaction, at most (nine parameters each). */
    private readonly maxBatch = 500,
  ) {}

  /** Resolves once the notification is stored with its job: true, or false if it had been before. */
  store(entry: InboxEntry): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#queue.push({ entry, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.concurrency && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.maxBatch);
      this.#inFlight++;
      void this.#write(batch).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #write(batch: Waiting[]): Promise<void> {
    try {
      const outcomes = await this.#commit(batch.map((w) => w.entry));
      batch.forEach((w, i) => w.resolve(outcomes[i]!));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      this.log.warn({ err, notifications: batch.length }, 'storing a batch of provider notifications failed; storing each on its own');
      for (const w of batch) {
        await this.#commit([w.entry]).then(
          ([stored]) => w.resolve(stored!),
          (e: unknown) => w.reject(e),
        );
      }
    }
  }

  /** One transaction: the new notifications and a job for each; a second copy within it is a duplicate. */
  async #commit(entries: InboxEntry[]): Promise<boolean[]> {
    const key = (e: InboxEntry) => `${e.provider}\0${e.providerEventId}`;
    const firstOf = new Map<string, number>();
    entries.forEach((e, i) => {
      if (!firstOf.has(key(e))) firstOf.set(key(e), i);
    });
    const distinct = [...firstOf.values()].map((i) => entries[i]!);
    const ids = await this.db.transaction(async (tx) => {
      const ids = await repo.storeNotifications(tx, distinct);
      const fresh = ids.filter((id): id is string => id !== null);
      await this.jobs.sendMany(tx, this.jobQueue, fresh.map((inboxId) => ({ data: { inboxId }, singletonKey: inboxId })));
      return ids;
    });
    const storedAt = new Map(distinct.map((e, i) => [key(e), ids[i] !== null]));
    return entries.map((e, i) => firstOf.get(key(e)) === i && storedAt.get(key(e)) === true);
  }
}
