import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Migrator, type Kysely, type Migration } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.js';
import { migrateToLatest, openStore, type Store } from '../../src/store/database.js';
import * as m0001 from '../../src/store/migrations/0001-foundation.js';
import * as m0002 from '../../src/store/migrations/0002-plans-scheduling.js';
import * as m0003 from '../../src/store/migrations/0003-search.js';
import * as m0004 from '../../src/store/migrations/0004-tracking.js';
import * as m0005 from '../../src/store/migrations/0005-counted-engagement.js';
import * as m0006 from '../../src/store/migrations/0006-lean-event-indexes.js';
import * as m0007 from '../../src/store/migrations/0007-suppressions.js';
import * as m0008 from '../../src/store/migrations/0008-unsubscribe-links.js';
import * as m0009 from '../../src/store/migrations/0009-webhooks.js';
import * as m0010 from '../../src/store/migrations/0010-stats-rollups.js';
import * as m0011 from '../../src/store/migrations/0011-account-events.js';
import * as m0012 from '../../src/store/migrations/0012-address-local-parts.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';

/** The migrations of the version before dashboard logins. */
const BEFORE: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-plans-scheduling': m0002,
  '0003-search': m0003,
  '0004-tracking': m0004,
  '0005-counted-engagement': m0005,
  '0006-lean-event-indexes': m0006,
  '0007-suppressions': m0007,
  '0008-unsubscribe-links': m0008,
  '0009-webhooks': m0009,
  '0010-stats-rollups': m0010,
  '0011-account-events': m0011,
  '0012-address-local-parts': m0012,
};

describe.each(testDatabases())('the dashboard logins migration on %s', (kind) => {
  let dir: string;
  let db: TestDatabase;
  let store: Store;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-migrate-'));
    db = await createTestDatabase(kind, dir);
    store = openStore(db.url);
  });
  afterEach(async () => {
    await store.close();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('migrates a database with users, emails and all, keeping one user per address', async () => {
    const migrator = new Migrator({ db: store.db, provider: { getMigrations: async () => BEFORE } });
    const { error } = await migrator.migrateToLatest();
    expect(error).toBeUndefined();
    // What an older version holds: owner users without an email, and (set by hand) some with one, twice in two cases.
    const raw = store.db as unknown as Kysely<any>;
    const accountId = newId();
    await raw
      .insertInto('accounts')
      .values({ id: accountId, name: 'Acme', plan: 'pro', limits: null, settings: null, created_at: 1 })
      .execute();
    const users = [
      { id: newId(), email: null, name: 'Owner', created_at: 1 },
      { id: newId(), email: null, name: 'Owner 2', created_at: 2 },
      { id: newId(), email: 'Amina@Example.com', name: 'Amina', created_at: 3 },
      { id: newId(), email: 'amina@example.com', name: 'Amina again', created_at: 4 },
      { id: newId(), email: 'baraka@example.com', name: 'Baraka', created_at: 5 },
    ];
    for (const u of users)
      await raw
        .insertInto('users')
        .values({ ...u, account_id: accountId })
        .execute();
    await raw
      .insertInto('api_keys')
      .values({
        id: newId(),
        account_id: accountId,
        user_id: users[0]!.id,
        name: 'k',
        prefix: 'tfm_k_abcd',
        key_hash: 'h',
        created_at: 1,
        last_used_at: null,
      })
      .execute();

    expect(await migrateToLatest(store)).toEqual(['0013-dashboard-logins']);
    const rows = await store.db
      .selectFrom('users')
      .select(['name', 'email', 'email_key', 'password_hash'])
      .orderBy('created_at')
      .execute();
    expect(rows).toEqual([
      { name: 'Owner', email: null, email_key: null, password_hash: null },
      { name: 'Owner 2', email: null, email_key: null, password_hash: null },
      { name: 'Amina', email: 'Amina@Example.com', email_key: 'amina@example.com', password_hash: null },
      { name: 'Amina again', email: 'amina@example.com', email_key: null, password_hash: null },
      { name: 'Baraka', email: 'baraka@example.com', email_key: 'baraka@example.com', password_hash: null },
    ]);
    // The key is unique; the sessions table is there, tied to its user.
    await expect(
      store.db.updateTable('users').set({ email_key: 'amina@example.com' }).where('name', '=', 'Baraka').execute(),
    ).rejects.toThrow();
    await store.db
      .insertInto('sessions')
      .values({ id: newId(), user_id: users[2]!.id, created_at: 1, expires_at: 2 })
      .execute();
    expect(await store.db.selectFrom('sessions').select('user_id').execute()).toEqual([{ user_id: users[2]!.id }]);
  });
});
