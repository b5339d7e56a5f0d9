import { sql } from 'kysely';
import type { EmailStatus } from '../model.js';
import { insertSearchRows, isIndexedWord, matchingEmails, type SearchGroups } from './dialects/search.js';
import type { Db, EmailRow, Trx } from './schema.js';

/** What the store reads of a parsed search (core/search-query.ts builds it). */
export interface TokenSearch {
  /** Groups of whole index tokens (`to:jane@`, `tag:receipt`): an email must hold one token of every group. */
  fields: string[][];
  text: Array<{ kind: 'word' | 'phrase'; value: string }>;
}

/** Adds accepted emails' tokens to the search index, in the caller's transaction. */
export async function indexEmails(
  trx: Trx,
  list: Array<{ id: string; accountId: string; createdAt: number; tokens: string[] }>,
): Promise<void> {
  await insertSearchRows(trx, list);
}

/** A search's match conditions: each group is OR-ed inside and AND-ed with the others. */
function groups(q: TokenSearch): SearchGroups {
  const out: SearchGroups = q.fields.map((g) => g.map((token) => ({ token })));
  q.text.forEach((t, i) => {
    const last = i === q.text.length - 1;
    out.push([
      t.kind === 'phrase' ? { token: t.value, phrase: true } : { token: t.value, prefix: last && t.value.length >= 2 },
    ]);
  });
  return out;
}

/** An account's emails matching a parsed query (and optional exact statuses), newest first. */
export async function searchEmails(
  db: Db,
  accountId: string,
  q: TokenSearch,
  opts: { statuses: EmailStatus[]; limit: number; offset: number },
): Promise<EmailRow[]> {
  const gs = groups(q);
  const last = gs[gs.length - 1]?.[0];
  // Whether a word is a whole token of one of the account's emails. The last word of a query matches
  // as a prefix only when it is not (someone still typing "recei"): a prefix query must merge every
  // matching term's list, which on a common word ("receipt" also prefixes "receipts@…") cost 60 ms at
  // a million emails, while the exact term walks newest first and stops at the page. Asked of the
  // caller's own emails only, so that another account's data cannot change what a search finds.
  if (last?.prefix && (await isIndexedWord(db, accountId, last.token))) last.prefix = false;
  const statusFilter = opts.statuses.length ? sql`AND e.status IN (${sql.join(opts.statuses)})` : sql``;
  if (gs.length === 0) {
    let query = db.selectFrom('emails').selectAll().where('account_id', '=', accountId);
    if (opts.statuses.length) query = query.where('status', 'in', opts.statuses);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit).offset(opts.offset).execute();
  }
  return matchingEmails(db, accountId, gs, { where: statusFilter, limit: opts.limit, offset: opts.offset });
}
