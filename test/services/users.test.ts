import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { newId } from '../../src/ids.js';
import { createAccount } from '../../src/services/accounts.js';
import { logIn } from '../../src/services/sessions.js';
import { bootstrapDashboardUser, createUser } from '../../src/services/users.js';
import { SessionTokens } from '../../src/session-tokens.js';
import { migrateToLatest, openStore, type Store } from '../../src/store/database.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';

/** The error a call failed with, as the API would answer it. */
async function refusal(p: Promise<unknown>): Promise<{ status: number; code: string; fields: string[] }> {
  try {
    await p;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { status: error.status, code: error.code, fields: (error.errors ?? []).map((e) => e.field) };
  }
  throw new Error('it did not fail');
}

describe.each(testDatabases())('dashboard users on %s', (kind) => {
  let dir: string;
  let db: TestDatabase;
  let store: Store;
  let accountId: string;
  const tokens = new SessionTokens('test-secret');

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-users-'));
    db = await createTestDatabase(kind, dir);
    store = openStore(db.url);
    await migrateToLatest(store);
    accountId = (await createAccount(store, { name: 'Acme', plan: 'pro' })).accountId;
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a user with a generated password, shown once, stored only as a scrypt hash', async () => {
    const { user, password } = await createUser(store, { accountId, email: '  Jabari@Example.com ' });
    expect(user).toEqual({
      id: expect.any(String),
      email: 'Jabari@Example.com',
      name: 'Jabari',
      account_id: accountId,
    });
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    const row = await store.db.selectFrom('users').selectAll().where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ email_key: 'jabari@example.com', account_id: accountId });
    expect(row.password_hash).toMatch(/^scrypt:32768:8:1:[\w-]{22}:[\w-]{43}$/);
    expect(row.password_hash).not.toContain(password);
    expect((await logIn({ store, tokens }, 'jabari@example.com', password!))?.user).toEqual(user);
    expect(await logIn({ store, tokens }, 'jabari@example.com', `${password}x`)).toBeNull();
  });

  it('takes a given password and name, and returns no password', async () => {
    const created = await createUser(store, {
      accountId,
      email: 'kesi@example.com',
      name: 'Kesi W.',
      password: 'my own password',
    });
    expect(created).toMatchObject({ password: null, user: { name: 'Kesi W.' } });
    expect(await logIn({ store, tokens }, 'KESI@example.com', 'my own password')).not.toBeNull();
  });

  it('refuses a second user with the same email in any letter case (409), and bad input naming the field (422)', async () => {
    await createUser(store, { accountId, email: 'lulu@example.com', password: 'password one' });
    expect(
      await refusal(createUser(store, { accountId, email: 'LULU@example.COM', password: 'password two' })),
    ).toEqual({ status: 409, code: 'user_exists', fields: [] });
    const bad: Array<[Parameters<typeof createUser>[1], string]> = [
      [{ accountId, email: 'not an address' }, 'email'],
      [{ accountId, email: `${'a'.repeat(250)}@example.com` }, 'email'],
      [{ accountId, email: 'm@example.com', password: 'short' }, 'password'],
      [{ accountId, email: 'm@example.com', password: 'x'.repeat(1025) }, 'password'],
      [{ accountId, email: 'm@example.com', name: 'Two\nlines' }, 'name'],
      [{ accountId, email: 'm@example.com', name: 'n'.repeat(101) }, 'name'],
    ];
    for (const [input, field] of bad)
      expect(await refusal(createUser(store, input))).toEqual({
        status: 422,
        code: 'validation_error',
        fields: [field],
      });
    expect(await refusal(createUser(store, { accountId: newId(), email: 'm@example.com' }))).toMatchObject({
      status: 404,
    });
    // Nothing of the refused ones was written.
    const m = await store.db.selectFrom('users').select('id').where('email_key', '=', 'm@example.com').execute();
    expect(m).toEqual([]);
  });

  it('bootstraps a user only while none can log in', async () => {
    // Users exist (above): nothing is made, in sandbox mode or with an admin named.
    expect(await bootstrapDashboardUser(store, { admin: null, sandbox: true })).toBeNull();
    expect(
      await bootstrapDashboardUser(store, {
        admin: { email: 'x@example.com', password: 'long enough' },
        sandbox: false,
      }),
    ).toBeNull();
  });
});
