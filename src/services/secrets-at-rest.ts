import { keyIdOf, sealedPrefix, SecretKeyError, type SecretBox, type SecretPurpose } from '../secret-box.js';
import type { Store } from '../store/database.js';
import {
  replaceSecret,
  SECRET_COLUMNS,
  secretsNotStartingWith,
  type SecretColumn,
  type StoredSecret,
} from '../store/secrets-repo.js';

// Stored secrets are sealed when written (services/domains.ts, services/webhooks.ts). What was stored
// before encryption existed is sealed here, by the application at start rather than by a migration:
// a migration is frozen in time and must not import application code (it would need this key
// derivation and format, which may change with a later version), it runs on `taifa migrate` where no
// secret may be configured, and rows written plain by a process of an older version during a rolling
// upgrade would be missed by a one-time migration. Each start finds the few rows not sealed under the
// current key through one scan per column; sealing is idempotent and conditional on the row being
// unchanged, so processes starting together do not trip over each other.

/** What each secret column is for (bound into its sealed values). */
const PURPOSES: Record<SecretColumn['column'], SecretPurpose> = {
  dkim_private_key: 'dkim-private-key',
  secret: 'webhook-secret',
  previous_secret: 'webhook-secret',
};

/** Rows read at a time. */
const BATCH = 500;

/** What a pass over the stored secrets found and did. */
export interface SecretsReport {
  /** Plain values sealed under the current key. */
  sealed: number;
  /** Values sealed under the previous key and sealed again under the current one (a rotation). */
  resealed: number;
  /** Values still under the previous key (at start: a rotation is under way). */
  underPrevious: number;
}

/** Every stored value not sealed under the current key, a batch at a time. */
async function* notUnderCurrentKey(store: Store, box: SecretBox): AsyncGenerator<[SecretColumn, StoredSecret]> {
  const prefix = sealedPrefix(box.keyId);
  for (const c of SECRET_COLUMNS) {
    let afterId = '';
    for (;;) {
      const rows = await secretsNotStartingWith(store.db, c, { prefix, afterId, limit: BATCH });
      for (const row of rows) yield [c, row];
      if (rows.length < BATCH) break;
      afterId = rows[rows.length - 1]!.id;
    }
  }
}

/**
 * Checks, before anything is written, that every stored secret can be opened with this box: plain, or
 * sealed under TAIFA_SECRET or TAIFA_SECRET_PREVIOUS. A value sealed under another secret would only fail
 * later, message after message: this is a SecretKeyError now, naming the key ids. With `decrypt`, values
 * under the previous key are opened too (an altered one is found before a rotation writes).
 */
async function checkOpenable(store: Store, box: SecretBox, decrypt: boolean): Promise<void> {
  const unknown = new Map<string, number>();
  for await (const [c, row] of notUnderCurrentKey(store, box)) {
    const id = keyIdOf(row.value);
    if (id === null) continue;
    if (!box.knows(row.value)) unknown.set(id, (unknown.get(id) ?? 0) + 1);
    else if (decrypt) box.open(row.value, PURPOSES[c.column]);
  }
  if (unknown.size === 0) return;
  const found = [...unknown].map(([id, n]) => `${n} under key id ${id}`).join(', ');
  throw new SecretKeyError(
    `The database holds DKIM keys or webhook secrets encrypted under another TAIFA_SECRET (${found}); this ` +
      `TAIFA_SECRET's key id is ${box.keyId}${box.previousKeyId ? `, TAIFA_SECRET_PREVIOUS's ${box.previousKeyId}` : ''}. ` +
      'Start with the TAIFA_SECRET they were written with; to change it, set the old one as TAIFA_SECRET_PREVIOUS ' +
      'and run `taifa secrets rotate`.',
  );
}

/**
 * At start: refuses a TAIFA_SECRET that does not open the stored secrets (SecretKeyError), then seals the
 * values still stored plain. Values under the previous key are left for `taifa secrets rotate` (other
 * processes may not have the new secret yet) and counted.
 */
export async function sealPlainSecrets(store: Store, box: SecretBox): Promise<SecretsReport> {
  await checkOpenable(store, box, false);
  const report: SecretsReport = { sealed: 0, resealed: 0, underPrevious: 0 };
  for await (const [c, row] of notUnderCurrentKey(store, box)) {
    if (keyIdOf(row.value) !== null) {
      report.underPrevious++;
      continue;
    }
    const sealed = box.seal(row.value, PURPOSES[c.column]);
    if (await replaceSecret(store.db, c, row.id, row.value, sealed)) report.sealed++;
  }
  return report;
}
/**
 * `taifa secrets rotate`: seals every stored secret under the current key, opening those under the
 * previous one (TAIFA_SECRET_PREVIOUS) or plain. Nothing is written unless every value can be opened.
 * Safe to run again, and while servers run (with both secrets): a value changed meanwhile is left to
 * its writer, who sealed it under the current key.
 */
export async function rotateStoredSecrets(store: Store, box: SecretBox): Promise<SecretsReport> {
  await checkOpenable(store, box, true);
  const report: SecretsReport = { sealed: 0, resealed: 0, underPrevious: 0 };
  for await (const [c, row] of notUnderCurrentKey(store, box)) {
    const purpose = PURPOSES[c.column];
    const sealed = box.seal(box.open(row.value, purpose), purpose);
    if (!(await replaceSecret(store.db, c, row.id, row.value, sealed))) continue;
    if (keyIdOf(row.value) === null) report.sealed++;
    else report.resealed++;
  }
  return report;
}
