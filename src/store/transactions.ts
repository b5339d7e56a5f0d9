import type { Kysely } from 'kysely';
import { boundWriteTransaction } from './dialects/write-transactions.js';
import type { Database, Trx } from './schema.js';

/**
 * Runs `work` in a write transaction of its own, bounded as every write that stamps `updated_at` is
 * (see WRITE_STEP_TIMEOUT_MS): for the services' rare writes that do not go through a group commit.
 */
export async function inWriteTransaction<T>(db: Kysely<Database>, work: (trx: Trx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await boundWriteTransaction(trx);
    return work(trx);
  });
}
