// Suppressions for bench/send --suppressions N: stored through the store's repository (as the API would
// store them, in multi-row statements), none of them an address the load sends to, so that the bench
// measures the look-up every accepted email makes against a table of N rows.
import { newId } from '../src/ids.js';
import type { SuppressionType } from '../src/model.js';
import { openStore } from '../src/store/database.js';
import type { SuppressionRow } from '../src/store/schema.js';
import { addSuppressions } from '../src/store/suppressions-repo.js';

const BATCH = 10_000;

/** Stores `n` suppressions for the only account: a third each bounces, complaints, unsubscribes from `domain`. */
export async function storeBenchSuppressions(databaseUrl: string, n: number, domain: string): Promise<void> {
  const store = openStore(databaseUrl);
  try {
    const account = await store.db.selectFrom('accounts').select('id').executeTakeFirstOrThrow();
    const types: SuppressionType[] = ['bounce', 'complaint', 'unsubscribe'];
    for (let from = 0; from < n; from += BATCH) {
      const rows: SuppressionRow[] = [];
      for (let i = from; i < Math.min(n, from + BATCH); i++) {
        const type = types[i % 3]!;
        const address = `suppressed${i}@recipient.example`;
        rows.push({
          id: newId(),
          account_id: account.id,
          type,
          address,
          key: address,
          domain: type === 'unsubscribe' ? domain : '',
          tag: type === 'unsubscribe' && i % 2 === 0 ? 'receipt' : '',
          reason: 'bench',
          source_email_id: null,
          created_at: Date.now(),
        });
      }
      await store.db.transaction().execute((trx) => addSuppressions(trx, rows));
    }
  } finally {
    await store.close();
  }
}

/** Deletes every suppression (the bench database's own). */
export async function clearBenchSuppressions(databaseUrl: string): Promise<void> {
  const store = openStore(databaseUrl);
  try {
    await store.db.deleteFrom('suppressions').execute();
  } finally {
    await store.close();
  }
}
