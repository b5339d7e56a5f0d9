import { sql, type RawBuilder } from 'kysely';
import type { Db, EmailRow, Trx } from '../schema.js';
import { dialectOf } from './dialect.js';

// How each database searches: SQLite's FTS5 table, PostgreSQL's tsvector with a GIN index. Both hold
// the same application-computed tokens (core/search-query.ts); search-repo.ts decides what to match.

/** One alternative of a search condition: a token, matched whole, as a phrase, or as a prefix. */
export interface SearchTerm {
  token: string;
  phrase?: boolean;
  prefix?: boolean;
}

/** A search's match conditions: each group is OR-ed inside and AND-ed with the others. */
export type SearchGroups = SearchTerm[][];

function tsLexeme(token: string): string {
  return `'${token.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function ftsString(token: string): string {
  return `"${token.replace(/"/g, '""')}"`;
}

function ftsMatch(accountId: string, gs: SearchGroups): string {
  const parts = [`account : ${ftsString(accountId)}`];
  for (const g of gs) {
    const alts = g.map((c) => `doc : ${ftsString(c.token)}${c.prefix ? ' *' : ''}`);
    parts.push(alts.length > 1 ? `(${alts.join(' OR ')})` : (alts[0] ?? ''));
  }
  return parts.join(' AND ');
}

function tsQuery(gs: SearchGroups): string {
  return gs
    .map((g) => {
      const alts = g.map((c) =>
        c.phrase ? c.token.split(' ').map(tsLexeme).join(' <-> ') : `${tsLexeme(c.token)}${c.prefix ? ':*' : ''}`,
      );
      return alts.length > 1 ? `(${alts.join(' | ')})` : `(${alts[0] ?? ''})`;
    })
    .join(' & ');
}

/** Adds emails' tokens to the search index (multi-row statements), in the caller's transaction. */
export async function insertSearchRows(
  trx: Trx,
  list: ReadonlyArray<{ id: string; accountId: string; createdAt: number; tokens: string[] }>,
): Promise<void> {
  const pg = dialectOf(trx) === 'postgres';
  for (let i = 0; i < list.length; i += 400) {
    const rows = list.slice(i, i + 400).map((e) =>
      pg
        ? sql`(${e.id}, ${e.accountId}, ${e.createdAt}, ${e.tokens
            .slice(0, 16000)
            .map((t, n) => `${tsLexeme(t)}:${n + 1}`)
            .join(' ')}::tsvector)`
        : sql`(${e.id}, ${e.accountId}, ${e.tokens.join(' ')})`,
    );
    if (pg)
      await sql`INSERT INTO email_search (email_id, account_id, created_at, doc) VALUES ${sql.join(rows)}`.execute(trx);
    else await sql`INSERT INTO email_search (email_id, account, doc) VALUES ${sql.join(rows)}`.execute(trx);
  }
}

/** Whether `word` is a whole token of one of the account's emails. */
export async function isIndexedWord(db: Db, accountId: string, word: string): Promise<boolean> {
  const r =
    dialectOf(db) === 'postgres'
      ? await sql`SELECT 1 FROM email_search WHERE account_id = ${accountId} AND doc @@ ${tsLexeme(word)}::tsquery LIMIT 1`.execute(
          db,
        )
      : await sql`SELECT 1 FROM email_search WHERE email_search MATCH ${`account : ${ftsString(accountId)} AND doc : ${ftsString(word)}`} LIMIT 1`.execute(
          db,
        );
  return r.rows.length > 0;
}

/** An account's emails matching every group, newest first, with an extra SQL condition on the email `e`. */
export async function matchingEmails(
  db: Db,
  accountId: string,
  gs: SearchGroups,
  o: { where: RawBuilder<unknown>; limit: number; offset: number },
): Promise<EmailRow[]> {
  if (dialectOf(db) === 'postgres') {
    const r = await sql<EmailRow>`SELECT e.* FROM email_search s JOIN emails e ON e.id = s.email_id
      WHERE s.account_id = ${accountId} AND s.doc @@ ${tsQuery(gs)}::tsquery ${o.where}
      ORDER BY s.created_at DESC, s.email_id DESC LIMIT ${o.limit} OFFSET ${o.offset}`.execute(db);
    return r.rows;
  }
  const r = await sql<EmailRow>`SELECT e.* FROM email_search s JOIN emails e ON e.id = s.email_id
    WHERE email_search MATCH ${ftsMatch(accountId, gs)} ${o.where}
    ORDER BY s.rowid DESC LIMIT ${o.limit} OFFSET ${o.offset}`.execute(db);
  return r.rows;
}

/**
 * How many of an account's emails hold every one of `tokens` (whole tokens), counted up to `max` at
 * most: whether the email set of an events filter is small enough to read the events email by email.
 */
export async function countEmailsWithTokens(
  db: Db,
  accountId: string,
  tokens: readonly string[],
  max: number,
): Promise<number> {
  const r = await sql<{
    n: number | string;
  }>`SELECT count(*) AS n FROM (${emailIdsWithTokens(db, accountId, tokens)} LIMIT ${max}) AS s`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** The ids of an account's emails that hold every one of `tokens`, as a subquery (`email_id IN (…)`). */
export function emailIdsWithTokens(db: Db, accountId: string, tokens: readonly string[]): RawBuilder<unknown> {
  const gs: SearchGroups = tokens.map((token) => [{ token }]);
  return dialectOf(db) === 'postgres'
    ? sql`SELECT email_id FROM email_search WHERE account_id = ${accountId} AND doc @@ ${tsQuery(gs)}::tsquery`
    : sql`SELECT email_id FROM email_search WHERE email_search MATCH ${ftsMatch(accountId, gs)}`;
}
