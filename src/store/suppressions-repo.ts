import { CompiledQuery, sql } from 'kysely';
import type { SuppressionType } from '../model.js';
import { parameterMarkers, textKey } from './dialects/statement-text.js';
import type { Db, SuppressionRow, Trx } from './schema.js';

/** A suppression to store (its id and time included). */
export type NewSuppression = SuppressionRow;

/** What the send path reads of a suppression. */
export type SuppressionMatch = Pick<SuppressionRow, 'account_id' | 'type' | 'key' | 'domain' | 'tag' | 'created_at'>;

/** Rows per multi-row statement: 10 columns each, well inside both databases' parameter limits. */
const ROWS_PER_STATEMENT = 400;
const SCOPE = ['account_id', 'key', 'type', 'domain', 'tag'] as const;

/** The scope of a row as one string: what the unique constraint compares. */
export function scopeKey(s: Pick<SuppressionRow, (typeof SCOPE)[number]>): string {
  return [s.account_id, s.key, s.type, s.domain, s.tag].join('\0');
}

/**
 * Stores suppressions in multi-row statements, in the caller's transaction; one already there (same
 * account, list, address and scope) is left as it was, with its first reason and date. Returns the
 * scope keys (see scopeKey) of the rows added.
 */
export async function addSuppressions(trx: Trx, rows: readonly NewSuppression[]): Promise<Set<string>> {
  const added = new Set<string>();
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    const inserted = await trx
      .insertInto('suppressions')
      .values(chunk)
      .onConflict((oc) => oc.columns([...SCOPE]).doNothing())
      .returning([...SCOPE])
      .execute();
    for (const r of inserted) added.add(scopeKey(r));
  }
  return added;
}

const texts = new Map<string, string>();
const TEXT_CACHE_SIZE = 1_000;

/** The look-up's text for these numbers of values, written once (it runs for every accepted email). */
function lookupText(db: Db, n: { accounts: number; keys: number; domains: number; tags: number }): string {
  const cacheKey = `${textKey(db)}\0${n.accounts}\0${n.keys}\0${n.domains}\0${n.tags}`;
  let text = texts.get(cacheKey);
  if (text === undefined) {
    const marker = parameterMarkers(db);
    const list = (count: number) => Array.from({ length: count }, marker).join(', ');
    // '' stands for "every domain" and "every tag": bounces and complaints match whatever the scope.
    text =
      'select "account_id", "type", "key", "domain", "tag", "created_at" from "suppressions"' +
      ` where "account_id" in (${list(n.accounts)}) and "key" in (${list(n.keys)})` +
      ` and "domain" in (''${n.domains ? `, ${list(n.domains)}` : ''})` +
      ` and "tag" in (''${n.tags ? `, ${list(n.tags)}` : ''})`;
    texts.set(cacheKey, text);
    if (texts.size > TEXT_CACHE_SIZE) texts.delete(texts.keys().next().value!);
  }
  return text;
}

/**
 * The suppressions of these accounts for these address keys that can apply to mail from these
 * sending domains with these tags, in one query answered from the unique index (account, key, …).
 * A superset when several accounts or domains are asked at once: the rules pick per recipient.
 */
export async function findSuppressions(
  db: Db,
  q: { accountIds: string[]; keys: string[]; domains: string[]; tags: string[] },
): Promise<SuppressionMatch[]> {
  if (q.accountIds.length === 0 || q.keys.length === 0) return [];
  const text = lookupText(db, {
    accounts: q.accountIds.length,
    keys: q.keys.length,
    domains: q.domains.length,
    tags: q.tags.length,
  });
  const params = [...q.accountIds, ...q.keys, ...q.domains, ...q.tags];
  const result = await db.executeQuery<SuppressionMatch>(CompiledQuery.raw(text, params));
  // PostgreSQL's bigint arrives as a number (see open-postgres), SQLite's integer too.
  return result.rows;
}

/** Filters of the list. */
export interface SuppressionFilter {
  type?: SuppressionType;
  /** Part of the address, any letter case. */
  q?: string;
  /** Unsubscribes of this sending domain. */
  domain?: string;
  limit: number;
  offset: number;
}

/** An account's suppressions, newest first. */
export async function listSuppressions(db: Db, accountId: string, f: SuppressionFilter): Promise<SuppressionRow[]> {
  let query = db.selectFrom('suppressions').selectAll().where('account_id', '=', accountId);
  if (f.type) query = query.where('type', '=', f.type);
  if (f.domain !== undefined) query = query.where('domain', '=', f.domain);
  if (f.q) {
    const pattern = `%${f.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(sql<boolean>`lower("key") like ${pattern} escape '\\'`);
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).offset(f.offset).execute();
}

/** An address's suppressions on one list, optionally of one domain and tag, oldest first. */
export async function getSuppressions(
  db: Db,
  accountId: string,
  s: { type: SuppressionType; key: string; domain?: string; tag?: string },
): Promise<SuppressionRow[]> {
  let query = db
    .selectFrom('suppressions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('key', '=', s.key)
    .where('type', '=', s.type);
  if (s.domain !== undefined) query = query.where('domain', '=', s.domain);
  if (s.tag !== undefined) query = query.where('tag', '=', s.tag);
  return query.orderBy('created_at').orderBy('id').execute();
}

/** Deletes an address's suppressions on one list, optionally of one domain and tag; returns how many. */
export async function deleteSuppressions(
  trx: Trx,
  accountId: string,
  s: { type: SuppressionType; key: string; domain?: string; tag?: string },
): Promise<number> {
  let query = trx
    .deleteFrom('suppressions')
    .where('account_id', '=', accountId)
    .where('key', '=', s.key)
    .where('type', '=', s.type);
  if (s.domain !== undefined) query = query.where('domain', '=', s.domain);
  if (s.tag !== undefined) query = query.where('tag', '=', s.tag);
  const r = await query.executeTakeFirst();
  return Number(r.numDeletedRows);
}
