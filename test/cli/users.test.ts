import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { taifa } from '../helpers/cli.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';

// `taifa users create` against the database of a running server: the person it makes logs in to the dashboard
// there, with the password it printed or the one given on stdin.

const BOOTSTRAP_KEY = `tfm_k_${'U'.repeat(32)}`;

describe.each(testDatabases())('taifa users on %s', (kind) => {
  let dir: string;
  let db: TestDatabase;
  let server: ChildServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-cli-users-'));
    db = await createTestDatabase(kind, dir);
    env = { TAIFA_DATA_DIR: dir, DATABASE_URL: db.url };
    server = await startChildServer(
      { ...env, PORT: '0', TAIFA_ROLES: 'api', TAIFA_BOOTSTRAP_API_KEY: BOOTSTRAP_KEY },
      '',
      { readyMs: 120_000 },
    );
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const login = (email: string, password: string) =>
    fetch(`${server.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });

  it('creates a user with a generated password, printed once, that logs in', async () => {
    const made = await taifa(['users', 'create', '--email', 'Amina@Example.com', '--name', 'Amina'], { env });
    expect(made.code).toBe(0);
    const password = /shown only this once:\n\n {4}(\S+)\n/.exec(made.stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    const res = await login('amina@example.com', password!);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ email: 'Amina@Example.com', name: 'Amina' });
    // The same email again, in any case, is refused with one line and nothing written.
    const again = await taifa(['users', 'create', '--email', 'AMINA@example.com'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^taifa: .*already/m);
  });

  it('takes the password on stdin, and names what is missing or wrong', async () => {
    const made = await taifa(['users', 'create', '--email', 'ops@example.com', '--password-stdin'], {
      env,
      stdin: 'correct horse battery staple\n',
    });
    expect(made.code).toBe(0);
    expect(made.stdout).not.toMatch(/shown only this once/);
    expect((await login('ops@example.com', 'correct horse battery staple')).status).toBe(200);
    expect((await login('ops@example.com', 'correct horse battery staple\n')).status).toBe(401);

    const missing = await taifa(['users', 'create'], { env });
    expect([missing.code, missing.stderr.split('\n')[0]]).toEqual([2, 'taifa: --email is required']);
    const short = await taifa(['users', 'create', '--email', 'x@example.com', '--password-stdin'], {
      env,
      stdin: 'short\n',
    });
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/password/);
  });
});
