import { sql } from 'kysely';
import type { Db } from './schema.js';

/** The columns that hold secrets: sealed (`enc:…`), or plain as stored before encryption. */
export const SECRET_COLUMNS = [
  { table: 'domains', column: 'dkim_private_key' },
  { table: 'webhooks', column: 'secret' },
  { table: 'webhooks', column: 'previous_secret' },
] as const;

/** One of SECRET_COLUMNS. */
export type SecretColumn = (typeof SECRET_COLUMNS)[number];

/** A stored secret and the row it is in. */
export interface StoredSecret {
  id: string;
  value: string;
}

/**
 * Up to `limit` values of a secret column that do not start with `prefix` (those not sealed under the
 * current key), in id order after `afterId`. The comparison is on a substring, not LIKE, so that nothing
 * in the prefix is a wildcard.
 */
export async function secretsNotStartingWith(
  db: Db,
  c: SecretColumn,
  page: { prefix: string; afterId: string; limit: number },
): Promise<StoredSecret[]> {
  const col = sql.ref(c.column);
  const { rows } = await sql<StoredSecret>`
    select id, ${col} as value from ${sql.table(c.table)}
    where ${col} is not null and substr(${col}, 1, ${page.prefix.length}) <> ${page.prefix} and id > ${page.afterId}
    order by id limit ${page.limit}`.execute(db);
  return rows;
}

/** Replaces a stored secret unless it changed meanwhile (a rotation through the API); whether it was replaced. */
export async function replaceSecret(db: Db, c: SecretColumn, id: string, from: string, to: string): Promise<boolean> {
  const col = sql.ref(c.column);
  const result =
    await sql`update ${sql.table(c.table)} set ${col} = ${to} where id = ${id} and ${col} = ${from}`.execute(db);
  return Number(result.numAffectedRows ?? 0) > 0;
}
