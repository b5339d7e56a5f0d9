import { sql, type Kysely, type Transaction } from 'kysely';
import type { SearchQuery } from '../core/search-query.js';
import type { Database, EmailRow } from './schema.js';
import { isPostgres } from './sql-text.js';

type Db = Kysely<Database> | Transaction<Database>;

// The only place that knows how each database searches: SQLite's FTS5 table, PostgreSQL's tsvector
// with a GIN index. Both hold the same application-computed tokens (core/search-query.ts).

function tsLexeme(token: string): string {
  return `'${token.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function ftsString(token: string): string {
  return `"${token.replace(/"/g, '""')}"`;
}

/** Adds accepted emails' tokens to the search index (multi-row statements), in the caller's transaction. */
export async function indexEmails(
  trx: Db,
  list: Array<{ id: string; accountId: string; createdAt: number; tokens: string[] }>,
): Promise<void> {
  const pg = isPostgres(trx);
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

/** A search's match conditions: each group is OR-ed inside and AND-ed with the others. */
function groups(
  q: SearchQuery,
  tag: string | undefined,
): Array<Array<{ token: string; phrase?: boolean; prefix?: boolean }>> {
  const out: Array<Array<{ token: string; phrase?: boolean; prefix?: boolean }>> = [];
  const field = (name: string, values: string[]) => {
    if (values.length) out.push(values.map((v) => ({ token: `${name}:${v}` })));
  };
  field('to', q.to);
  field('from', q.from);
  field('domain', q.domain);
  field('tag', [...q.tag, ...(tag ? [tag.toLowerCase()] : [])]);
  q.text.forEach((t, i) => {
    const last = i === q.text.length - 1;
    out.push([
      t.kind === 'phrase' ? { token: t.value, phrase: true } : { token: t.value, prefix: last && t.value.length >= 2 },
    ]);
  });
  return out;
}

function ftsMatch(accountId: string, gs: ReturnType<typeof groups>): string {
  const parts = [`account : ${ftsString(accountId)}`];
  for (const g of gs) {
    const alts = g.map((c) => `doc : ${ftsString(c.token)}${c.prefix ? ' *' : ''}`);
    parts.push(alts.length > 1 ? `(${alts.join(' OR ')})` : alts[0]!);
  }
  return parts.join(' AND ');
}

function tsQuery(gs: ReturnType<typeof groups>): string {
  return gs
    .map((g) => {
      const alts = g.map((c) =>
        c.phrase ? c.token.split(' ').map(tsLexeme).join(' <-> ') : `${tsLexeme(c.token)}${c.prefix ? ':*' : ''}`,
      );
      return alts.length > 1 ? `(${alts.join(' | ')})` : `(${alts[0]})`;
    })
    .join(' & ');
}

/**
 * Whether a word is a whole token of one of the account's emails. The last word of a query matches
 * as a prefix only when it is not (someone still typing "recei"): a prefix query must merge every
 * matching term's list, which on a common word ("receipt" also prefixes "receipts@…") cost 60 ms at
 * a million emails, while the exact term walks newest first and stops at the page. Asked of the
 * caller's own emails only, so that another account's data cannot change what a search finds.
 */
async function isIndexedWord(db: Db, accountId: string, word: string): Promise<boolean> {
  const r = isPostgres(db)
    ? await sql`SELECT 1 FROM email_search WHERE account_id = ${accountId} AND doc @@ ${tsLexeme(word)}::tsquery LIMIT 1`.execute(
        db,
      )
    : await sql`SELECT 1 FROM email_search WHERE email_search MATCH ${`account : ${ftsString(accountId)} AND doc : ${ftsString(word)}`} LIMIT 1`.execute(
        db,
      );
  return r.rows.length > 0;
}

/** An account's emails matching a parsed query (and optional exact status and tag), newest first. */
export async function searchEmails(
  db: Db,
  accountId: string,
  q: SearchQuery,
  opts: { statuses: string[]; tag?: string; limit: number; offset: number },
): Promise<EmailRow[]> {
  const gs = groups(q, opts.tag);
  const last = gs[gs.length - 1]?.[0];
  if (last?.prefix && (await isIndexedWord(db, accountId, last.token))) last.prefix = false;
  const statusFilter = opts.statuses.length ? sql`AND e.status IN (${sql.join(opts.statuses)})` : sql``;
  if (gs.length === 0) {
    let query = db.selectFrom('emails').selectAll().where('account_id', '=', accountId);
    if (opts.statuses.length) query = query.where('status', 'in', opts.statuses);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).offset(opts.offset).execute();
  }
  if (isPostgres(db)) {
    const r = await sql<EmailRow>`SELECT e.* FROM email_search s JOIN emails e ON e.id = s.email_id
      WHERE s.account_id = ${accountId} AND s.doc @@ ${tsQuery(gs)}::tsquery ${statusFilter}
      ORDER BY s.created_at DESC, s.email_id DESC LIMIT ${opts.limit} OFFSET ${opts.offset}`.execute(db);
    return r.rows;
  }
  const r = await sql<EmailRow>`SELECT e.* FROM email_search s JOIN emails e ON e.id = s.email_id
    WHERE email_search MATCH ${ftsMatch(accountId, gs)} ${statusFilter}
    ORDER BY s.rowid DESC LIMIT ${opts.limit} OFFSET ${opts.offset}`.execute(db);
  return r.rows;
}
