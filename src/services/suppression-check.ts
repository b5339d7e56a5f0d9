import { suppressionKey } from '../core/suppression-address.js';
import { suppressionFor, type SendingScope, type Suppression } from '../core/suppression-rules.js';
import type { Db } from '../store/schema.js';
import { findSuppressions } from '../store/suppressions-repo.js';

/** A recipient and the mail it would get: whose, from which domain, with which tags. */
export interface RecipientInScope extends SendingScope {
  address: string;
}

const distinct = (values: Iterable<string>) => [...new Set(values)];

/**
 * For each recipient (by index), the suppression that stops it, or null: one indexed query for all of
 * them, whatever their number, accounts and domains. On the send path (once per accepted email) and
 * in the worker (once per claimed batch).
 */
export async function suppressionsOf(
  db: Db,
  recipients: readonly RecipientInScope[],
): Promise<Array<Suppression | null>> {
  const keys = recipients.map((r) => suppressionKey(r.address));
  const rows = await findSuppressions(db, {
    accountIds: distinct(recipients.map((r) => r.accountId)),
    keys: distinct(keys.filter((k): k is string => k !== null)),
    domains: distinct(recipients.map((r) => r.domain)),
    tags: distinct(recipients.flatMap((r) => r.tags)),
  });
  if (rows.length === 0) return recipients.map(() => null);
  return recipients.map((r, i) => {
    const key = keys[i];
    return key ? suppressionFor(key, r, rows) : null;
  });
}
