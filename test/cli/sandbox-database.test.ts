import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { printedKey, taifa } from '../helpers/cli.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';

// The command line administers the server it runs beside: started from the same folder with the same
// environment (or `--sandbox` for `npm run sandbox`), it uses the same database, says which, and a key it
// prints works against that server.

async function status(server: ChildServer, key: string): Promise<number> {
  return (await fetch(`${server.url}/v1/domains`, { headers: { authorization: `Bearer ${key}` } })).status;
}

describe.each(testDatabases())('the command line beside a sandbox server on %s', (kind) => {
  let cwd: string;
  let db: TestDatabase;
  let server: ChildServer | null = null;
  beforeEach(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-cli-sandbox-'));
    db = await createTestDatabase(kind, cwd);
  });
  afterEach(async () => {
    await server?.stop();
    server = null;
    await db.drop();
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  it('uses the running sandbox server’s database with --sandbox, and says which', async () => {
    // As `npm run sandbox` in a fresh folder: its data in ./data/sandbox (SQLite), or a PostgreSQL URL with a password.
    const pg = kind === 'postgres' ? new URL(db.url) : null;
    if (pg) pg.password = 'not-checked-by-trust-auth';
    const env: Record<string, string> = pg ? { DATABASE_URL: pg.toString() } : {};
    server = await startChildServer(
      { ...env, PORT: '0', TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api', TAIFA_BOOTSTRAP_API_KEY: '' },
      '',
      { cwd, readyMs: 120_000 },
    );
    const expected = pg
      ? `Database: postgres://postgres:********@${pg.host}${pg.pathname}`
      : 'Database: sqlite:data/sandbox/taifa.db';

    const made = await taifa(['accounts', 'create', '--name', 'Acme', '--sandbox'], { cwd, env });
    expect(made.code).toBe(0);
    expect(made.stdout.split('\n')[0]).toBe(expected);
    expect(made.stdout).not.toContain('not-checked-by-trust-auth');
    expect(await status(server, printedKey(made))).toBe(200);

    // TAIFA_SANDBOX=true in the environment, as the server has it, is the same.
    const same = await taifa(['accounts', 'create', '--name', 'Beta'], { cwd, env: { ...env, TAIFA_SANDBOX: 'true' } });
    expect(same.stdout.split('\n')[0]).toBe(expected);
    expect(await status(server, printedKey(same))).toBe(200);

    if (kind === 'sqlite') {
      // Without it, the command line works on ./data, which the sandbox server never reads: it says so.
      const apart = await taifa(['accounts', 'create', '--name', 'Elsewhere'], { cwd });
      expect(apart.code).toBe(0);
      expect(apart.stdout.split('\n')[0]).toBe('Database: sqlite:data/taifa.db');
      expect(apart.stderr).toContain("the sandbox's database (sqlite:data/sandbox/taifa.db) is not the one used here");
      expect(apart.stderr).toContain('add --sandbox');
      expect(await status(server, printedKey(apart))).toBe(401);
    }
  }, 240_000);
});
