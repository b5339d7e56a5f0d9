import { sql } from 'kysely';
import type { Db } from './schema.js';

/** Whether the database answers a query at all. */
export async function databaseAnswers(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
