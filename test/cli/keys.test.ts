import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { printedKey, taifa } from '../helpers/cli.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';

// `taifa keys create|list|revoke` against the database of a running server: a key made here authenticates
// there, the list shows it, and once revoked it is refused.

const BOOTSTRAP_KEY = `tfm_k_${'K'.repeat(32)}`;

/** The status the server answers a request with `key`, once it has settled on one other than `unless`. */
async function statusWith(server: ChildServer, key: string, unless?: number): Promise<number> {
  // A server caches a key's owner for a second: a revoked key is refused within it.
  for (let tries = 0; ; tries++) {
    const s = (await fetch(`${server.url}/v1/api-keys`, { headers: { authorization: `Bearer ${key}` } })).status;
    if (s !== unless || tries >= 50) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.each(testDatabases())('taifa keys on %s', (kind) => {
  let dir: string;
  let db: TestDatabase;
  let server: ChildServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-cli-keys-'));
    db = await createTestDatabase(kind, dir);
    env = { TAIFA_DATA_DIR: dir, DATABASE_URL: db.url, TAIFA_SANDBOX: 'true' };
    server = await startChildServer(
      { ...env, PORT: '0', TAIFA_ROLES: 'api', TAIFA_BOOTSTRAP_API_KEY: BOOTSTRAP_KEY },
      '',
      {
        readyMs: 120_000,
      },
    );
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a key that works, lists it, and revokes it so that it is refused', async () => {
    // One account (the server's first): the commands act for it without --account.
    const made = await taifa(['keys', 'create', '--name', 'CI deploys'], { env });
    expect(made.code).toBe(0);
    const key = printedKey(made);
    expect(made.stdout).toMatch(/^Account: \S+ \(Default\)$/m);
    const id = /API key (\S+) \(CI deploys\)/.exec(made.stdout)?.[1];
    expect(await statusWith(server, key)).toBe(200);

    const listed = await taifa(['keys', 'list'], { env });
    expect(listed.code).toBe(0);
    const rows = listed.stdout.split('\n');
    expect(rows).toContainEqual(expect.stringMatching(/^ID\s+NAME\s+PREFIX\s+CREATED\s+LAST USED$/));
    expect(rows).toContainEqual(
      expect.stringMatching(new RegExp(`^${id}\\s+CI deploys\\s+${key.slice(0, 10)}\\s+\\d{4}-`)),
    );
    expect(rows).toContainEqual(expect.stringMatching(/\s+Default key\s+tfm_k_KKKK\s+/));
    // The API lists the same keys.
    const api = await fetch(`${server.url}/v1/api-keys`, { headers: { authorization: `Bearer ${BOOTSTRAP_KEY}` } });
    expect(((await api.json()) as Array<{ id: string; name: string }>).map((k) => k.name).sort()).toEqual([
      'CI deploys',
      'Default key',
    ]);

    const revoked = await taifa(['keys', 'revoke', id!], { env });
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked API key ${id}`);
    expect(await statusWith(server, key, 200)).toBe(401);
    expect(await statusWith(server, BOOTSTRAP_KEY)).toBe(200);
    expect((await taifa(['keys', 'list'], { env })).stdout).not.toContain('CI deploys');

    // Revoking it again: no such key, said in one line.
    const again = await taifa(['keys', 'revoke', id!], { env });
    expect([again.code, again.stderr]).toEqual([1, 'taifa: API key not found.\n']);
  }, 240_000);

  it('asks for --account once there are several accounts, and acts for the one named', async () => {
    // A database of its own, with two accounts made here.
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-cli-accounts-'));
    const ownDb = await createTestDatabase(kind, own);
    const ownEnv = { TAIFA_DATA_DIR: own, DATABASE_URL: ownDb.url };
    try {
      const first = await taifa(['accounts', 'create', '--name', 'First'], { env: ownEnv });
      const other = await taifa(['accounts', 'create', '--name', 'Other'], { env: ownEnv });
      const otherId = /Account (\S+) \(Other, free\)/.exec(other.stdout)?.[1];
      const unnamed = await taifa(['keys', 'list'], { env: ownEnv });
      expect(unnamed.code).toBe(2);
      expect(unnamed.stderr.split('\n')[0]).toBe(
        'taifa: there are 2 accounts: say which with --account ID (`taifa accounts list` lists them)',
      );
      expect(unnamed.stderr).not.toMatch(/\n\s+at /);

      const made = await taifa(['keys', 'create', '--account', otherId!], { env: ownEnv });
      expect(made.stdout).toContain(`Account: ${otherId} (Other)`);
      const listed = await taifa(['keys', 'list', '--account', otherId!], { env: ownEnv });
      expect(listed.stdout).toContain(printedKey(made).slice(0, 10));
      expect(listed.stdout).toContain(printedKey(other).slice(0, 10));
      expect(listed.stdout).not.toContain(printedKey(first).slice(0, 10));

      const unknown = await taifa(['keys', 'list', '--account', '01900000-0000-7000-8000-000000000000'], {
        env: ownEnv,
      });
      expect([unknown.code, unknown.stderr]).toEqual([1, 'taifa: Account not found.\n']);
    } finally {
      await ownDb.drop();
      fs.rmSync(own, { recursive: true, force: true });
    }
  }, 240_000);
});
