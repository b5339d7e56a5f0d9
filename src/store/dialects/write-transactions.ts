import { sql } from 'kysely';
import type { Db, Trx } from '../schema.js';
import { dialectOf } from './dialect.js';

/**
 * How long one statement, or one pause between statements, of a write transaction may last on
 * PostgreSQL before the server aborts it, in milliseconds. Writes that stamp `emails.updated_at` run
 * under it so that a change cannot become visible long after its stamp: GET /v1/emails/updates hides
 * changes younger than TAIFA_UPDATES_SETTLE_MS (default 5 s), which must stay above stamp-to-commit.
 * (PostgreSQL 15 has no whole-transaction timeout; our write transactions are a handful of statements.)
 * SQLite needs no bound: one process, and Kysely runs its transactions one at a time.
 */
export const WRITE_STEP_TIMEOUT_MS = 2000;

/** Applies WRITE_STEP_TIMEOUT_MS to the current transaction (PostgreSQL; a no-op on SQLite). */
export async function boundWriteTransaction(trx: Trx): Promise<void> {
  if (dialectOf(trx) === 'sqlite') return;
  const ms = String(WRITE_STEP_TIMEOUT_MS);
  await sql`SELECT set_config('statement_timeout', ${ms}, true), set_config('idle_in_transaction_session_timeout', ${ms}, true)`.execute(
    trx,
  );
}

/**
 * How many write transactions of one kind may commit at once: one on SQLite, which has one writer;
 * a few on PostgreSQL, where each round trip of one would otherwise hold the others up.
 */
export function concurrentWriters(db: Db): number {
  return dialectOf(db) === 'postgres' ? 4 : 1;
}
