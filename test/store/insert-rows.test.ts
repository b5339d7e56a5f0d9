import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openStore, type Store } from '../../src/store/database.js';
import { insertRows } from '../../src/store/insert-rows.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';

describe.each(testDatabases())('insertRows on %s', (kind) => {
  let dir: string;
  let db: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-insert-'));
    db = await createTestDatabase(kind, dir);
    store = openStore(db.url);
    await migrateToLatest(store);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const account = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    name: `Account ${id}`,
    plan: 'pro',
    created_at: 1_700_000_000_000,
    ...extra,
  });

  it('writes what Kysely would: every row, values as given, text with quotes and nulls included', async () => {
    await insertRows(store.db, 'accounts', [
      account('a1'),
      account('a2', { name: `O'Brien "&" Co` }),
      account('a3'),
    ] as never);
    const rows = await store.db
      .selectFrom('accounts')
      .select(['id', 'name', 'plan', 'created_at'])
      .where('id', 'in', ['a1', 'a2', 'a3'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 'a1', name: 'Account a1', plan: 'pro', created_at: 1_700_000_000_000 },
      { id: 'a2', name: `O'Brien "&" Co`, plan: 'pro', created_at: 1_700_000_000_000 },
      { id: 'a3', name: 'Account a3', plan: 'pro', created_at: 1_700_000_000_000 },
    ]);
  });

  it('leaves rows with an undefined value to Kysely (the column takes its default, as Kysely gives it)', async () => {
    const domain = (id: string, extra: Record<string, unknown> = {}) => ({
      id,
      account_id: 'a1',
      name: `${id}.test`,
      status: 'pending',
      dkim_selector: 's',
      dkim_private_key: 'k',
      dkim_public_key: 'k',
      return_path_host: 'b.test',
      records: '[]',
      open_tracking: 1,
      click_tracking: 0,
      tracking_host: null,
      created_at: 1,
      updated_at: 1,
      ...extra,
    });
    await insertRows(store.db, 'domains', [domain('d1', { pixel_position: 'top' })] as never);
    await insertRows(store.db, 'domains', [domain('d2', { pixel_position: undefined })] as never);
    const rows = await store.db
      .selectFrom('domains')
      .select(['id', 'pixel_position', 'click_tracking', 'tracking_host'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 'd1', pixel_position: 'top', click_tracking: 0, tracking_host: null },
      { id: 'd2', pixel_position: 'bottom', click_tracking: 0, tracking_host: null },
    ]);
  });

  it('is one statement: a row that fails writes none of the others', async () => {
    await expect(insertRows(store.db, 'accounts', [account('c1'), account('a1')] as never)).rejects.toThrow();
    expect(await store.db.selectFrom('accounts').select('id').where('id', '=', 'c1').execute()).toEqual([]);
  });
});
