import type { Insertable, Kysely } from 'kysely';
import type { DomainRecord, DomainStatus } from '../model.js';
import type { Database, DomainRow, DomainsTable } from './schema.js';

/** Stores a new domain. */
export async function insertDomain(db: Kysely<Database>, row: Insertable<DomainsTable>): Promise<void> {
  await db.insertInto('domains').values(row).execute();
}

/** An account's domains, oldest first. */
export async function listDomains(db: Kysely<Database>, accountId: string): Promise<DomainRow[]> {
  return db
    .selectFrom('domains')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** One of an account's domains, or undefined. */
export async function getDomain(db: Kysely<Database>, accountId: string, id: string): Promise<DomainRow | undefined> {
  return db
    .selectFrom('domains')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** One of an account's domains by name, or undefined. */
export async function findDomainByName(
  db: Kysely<Database>,
  accountId: string,
  name: string,
): Promise<DomainRow | undefined> {
  return db
    .selectFrom('domains')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('name', '=', name)
    .executeTakeFirst();
}

/** A domain by id, whatever its account (for the delivery worker). */
export async function getDomainById(db: Kysely<Database>, id: string): Promise<DomainRow | undefined> {
  return db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Deletes one of an account's domains (and its senders); false when not found. */
export async function deleteDomain(db: Kysely<Database>, accountId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('domains').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Changes a domain's tracking and unsubscribe settings. */
export async function updateDomainSettings(
  db: Kysely<Database>,
  id: string,
  s: {
    open_tracking?: number;
    click_tracking?: number;
    pixel_position?: 'top' | 'bottom';
    tracking_host?: string | null;
    unsubscribe_links?: number;
    updated_at: number;
  },
): Promise<void> {
  await db.updateTable('domains').set(s).where('id', '=', id).execute();
}

/** Saves the outcome of a verification run. */
export async function saveVerification(
  db: Kysely<Database>,
  id: string,
  v: { status: DomainStatus; records: DomainRecord[]; now: number; verifiedAt: number | null },
): Promise<void> {
  await db
    .updateTable('domains')
    .set({
      status: v.status,
      records: JSON.stringify(v.records),
      last_checked_at: v.now,
      updated_at: v.now,
      verified_at: v.verifiedAt,
    })
    .where('id', '=', id)
    .execute();
}
