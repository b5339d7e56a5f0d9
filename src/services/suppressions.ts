import { errors, type FieldError } from '../core/errors.js';
import { suppressionKey } from '../core/suppression-address.js';
import { checkSuppression, MAX_REASON_LENGTH, type CheckedSuppression } from '../core/suppression-input.js';
import { newId } from '../ids.js';
import type { SuppressionType } from '../model.js';
import type { Store } from '../store/database.js';
import type { GroupCommitter } from '../store/group-commit.js';
import type { SuppressionRow, Trx } from '../store/schema.js';
import {
  addSuppressions,
  deleteSuppressions,
  getSuppressions,
  listSuppressions,
  scopeKey,
  type SuppressionFilter,
} from '../store/suppressions-repo.js';

/** What the suppression use cases need. */
export interface SuppressionDeps {
  store: Store;
  /** Background writes (suppressions are written beside delivery outcomes). */
  committer: GroupCommitter;
}

/** The most suppressions one request may add. */
export const MAX_SUPPRESSIONS_PER_REQUEST = 10_000;

/** One item of a request, with the errors the route's schema found in it (fields named from the body's root). */
export interface SuppressionItem {
  index: number;
  value: Record<string, unknown>;
  schemaErrors: FieldError[];
}

/** What became of one item. */
export interface ItemResult {
  address: string;
  type: string;
  status: 'added' | 'already_suppressed' | 'invalid';
  errors: FieldError[];
}

function row(
  accountId: string,
  s: CheckedSuppression,
  now: number,
  sourceEmailId: string | null = null,
): SuppressionRow {
  return { id: newId(), account_id: accountId, ...s, source_email_id: sourceEmailId, created_at: now };
}

/**
 * Stores checked suppressions in one transaction and tells, per row, whether it was added or already
 * there (a row given twice is added once, then already there).
 */
export async function storeSuppressions(
  deps: SuppressionDeps,
  accountId: string,
  list: readonly CheckedSuppression[],
): Promise<boolean[]> {
  const now = Date.now();
  const rows = list.map((s) => row(accountId, s, now));
  const added = await deps.committer.run((trx) => addSuppressions(trx, rows), accountId);
  return rows.map((r) => added.delete(scopeKey(r)));
}

/**
 * POST /v1/suppressions: each item checked and stored on its own, with a result per item. 422 when
 * there is nothing to store because every item is invalid.
 */
export async function addSuppressionItems(
  deps: SuppressionDeps,
  accountId: string,
  items: readonly SuppressionItem[],
): Promise<{ added: number; already_suppressed: number; invalid: number; results: ItemResult[] }> {
  const results: ItemResult[] = [];
  const valid: Array<{ at: number; value: CheckedSuppression }> = [];
  for (const item of items) {
    const checked = checkSuppression(item.value);
    const prefix = `suppressions[${item.index}]`;
    const errs = item.schemaErrors.length
      ? item.schemaErrors
      : checked.ok
        ? []
        : checked.errors.map((e) => ({ field: `${prefix}.${e.field}`, error: e.error }));
    const address = typeof item.value.address === 'string' ? item.value.address.trim() : '';
    const type = typeof item.value.type === 'string' ? item.value.type : '';
    results.push({ address, type, status: 'invalid', errors: errs });
    if (checked.ok && errs.length === 0) valid.push({ at: results.length - 1, value: checked.value });
  }
  if (valid.length === 0) throw errors.validation(results.flatMap((r) => r.errors));
  const added = await storeSuppressions(
    deps,
    accountId,
    valid.map((v) => v.value),
  );
  valid.forEach((v, i) => {
    const result = results[v.at];
    if (result) result.status = added[i] ? 'added' : 'already_suppressed';
  });
  const count = (status: ItemResult['status']) => results.filter((r) => r.status === status).length;
  return { added: count('added'), already_suppressed: count('already_suppressed'), invalid: count('invalid'), results };
}

/**
 * Adds one suppression in the caller's transaction, for the events that add one themselves: a hard
 * bounce (with its delivery outcome), a complaint (with its event). False when the address was
 * already on that list in that scope, or is not an address.
 */
export async function addSuppression(
  trx: Trx,
  s: {
    accountId: string;
    type: SuppressionType;
    address: string;
    domain?: string;
    tag?: string;
    reason: string | null;
    sourceEmailId: string | null;
    now: number;
  },
): Promise<boolean> {
  const key = suppressionKey(s.address);
  if (!key) return false;
  const checked: CheckedSuppression = {
    type: s.type,
    address: s.address.trim(),
    key,
    domain: s.domain ?? '',
    tag: s.tag ?? '',
    reason: s.reason === null ? null : s.reason.slice(0, MAX_REASON_LENGTH),
  };
  const added = await addSuppressions(trx, [row(s.accountId, checked, s.now, s.sourceEmailId)]);
  return added.size > 0;
}

/** An account's suppressions, newest first. */
export async function suppressionList(
  store: Store,
  accountId: string,
  f: SuppressionFilter,
): Promise<SuppressionRow[]> {
  return listSuppressions(store.db, accountId, f);
}

/** The address in a path, as compared; 422 naming `address` when it is not one. */
function keyOf(address: string): string {
  const key = suppressionKey(address);
  if (!key) throw errors.validation([{ field: 'address', error: 'is not a valid email address' }]);
  return key;
}

/** Where a read or delete applies: one list, and for unsubscribes optionally one domain and tag. */
export interface SuppressionTarget {
  type: SuppressionType;
  address: string;
  domain?: string;
  tag?: string;
}

function scope(t: SuppressionTarget): { domain?: string; tag?: string } {
  if (t.type !== 'unsubscribe' && (t.domain !== undefined || t.tag !== undefined))
    throw errors.validation([
      { field: t.domain !== undefined ? 'domain' : 'tag', error: 'applies to unsubscribes only' },
    ]);
  return { domain: t.domain?.trim().toLowerCase(), tag: t.tag?.trim() };
}

/** An address's rows on one list (several for unsubscribes: one per domain and tag); 404 when none. */
export async function addressSuppressions(
  store: Store,
  accountId: string,
  t: SuppressionTarget,
): Promise<SuppressionRow[]> {
  const rows = await getSuppressions(store.db, accountId, { type: t.type, key: keyOf(t.address), ...scope(t) });
  if (rows.length === 0) throw errors.notFound(`${t.address} on the ${t.type} list`);
  return rows;
}

/** Takes an address off a list (unsubscribes: every scope, one domain's or one tag's); 404 when it was not on it. */
export async function removeSuppressions(
  deps: SuppressionDeps,
  accountId: string,
  t: SuppressionTarget,
): Promise<number> {
  const where = { type: t.type, key: keyOf(t.address), ...scope(t) };
  const n = await deps.committer.run((trx) => deleteSuppressions(trx, accountId, where), accountId);
  if (n === 0) throw errors.notFound(`${t.address} on the ${t.type} list`);
  return n;
}
