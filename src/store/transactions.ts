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
    gatherUntilEnd(trx);
    const result = await work(trx);
    await writeAtEnd(trx);
    return result;
  });
}

/** What a transaction writes at its end, by key: the state gathered so far and how to write it. */
type EndWrites = Map<string, { state: unknown; write: (trx: Trx, state: unknown) => Promise<void> }>;
const endWrites = new WeakMap<Trx, EndWrites>();

/**
 * Marks `trx` as a write transaction whose work ends with writeAtEnd (the group commit's and
 * inWriteTransaction's do), so that writes can be gathered until then.
 */
export function gatherUntilEnd(trx: Trx): void {
  endWrites.set(trx, new Map());
}

/**
 * The state under `key` that `trx` writes at its end, made by `make` for the first caller; undefined
 * when the transaction has no end writes (the caller then writes its own at once). Hot rows that many
 * transactions update (the stats rollups) are written there, last, in one sorted statement: their locks
 * are then the last taken and held the shortest, and never taken before another row's.
 */
export function atEnd<T>(
  trx: Trx,
  key: string,
  make: () => T,
  write: (trx: Trx, state: T) => Promise<void>,
): T | undefined {
  const writes = endWrites.get(trx);
  if (!writes) return undefined;
  let entry = writes.get(key);
  if (!entry) {
    entry = { state: make(), write: write as (trx: Trx, state: unknown) => Promise<void> };
    writes.set(key, entry);
  }
  return entry.state as T;
}

/** Runs the end writes of `trx` (see atEnd), just before its commit. */
export async function writeAtEnd(trx: Trx): Promise<void> {
  const writes = endWrites.get(trx);
  if (!writes) return;
  endWrites.delete(trx);
  for (const { state, write } of writes.values()) await write(trx, state);
}
