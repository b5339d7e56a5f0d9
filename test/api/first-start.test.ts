import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startChildServer as startTaifa } from '../helpers/child-server.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';

const run = promisify(execFile);

describe.each(testDatabases())('the first start on %s', (kind) => {
  let dir: string;
  let db: TestDatabase;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-first-'));
    db = await createTestDatabase(kind, dir);
  });
  afterEach(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the first account, prints its key once with a curl line that works, and says loudly it is in sandbox mode', async () => {
    const env = {
      PORT: '0',
      TAIFA_DATA_DIR: dir,
      DATABASE_URL: db.url,
      TAIFA_SANDBOX: 'true',
      TAIFA_ROLES: 'api',
      TAIFA_BOOTSTRAP_API_KEY: '',
    };
    const first = await startTaifa(env);
    await first.stop();
    expect(first.stdout).toContain('SANDBOX MODE');
    const key = /Its API key is shown only this once:\s+(tfm_k_[A-Za-z0-9]{32})/.exec(first.stdout)?.[1];
    expect(key).toBeDefined();
    const curl = /curl -s (\S+) -H "Authorization: Bearer (tfm_k_[A-Za-z0-9]{32})"/.exec(first.stdout);
    expect(curl?.[2]).toBe(key);
    expect(curl?.[1]).toBe(`${first.url}/v1/domains`);

    // Started again on the same data, it prints no key (the account exists), and the printed key still works.
    const second = await startTaifa(env);
    try {
      expect(second.stdout).not.toMatch(/tfm_k_[A-Za-z0-9]{32}/);
      const ok = await fetch(`${second.url}/v1/domains`, { headers: { authorization: `Bearer ${key}` } });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual([]);
      const wrong = await fetch(`${second.url}/v1/domains`, {
        headers: { authorization: `Bearer tfm_k_${'x'.repeat(32)}` },
      });
      expect(wrong.status).toBe(401);
    } finally {
      await second.stop();
    }
  });

  it('`taifa accounts create` prints a key that works against this database', async () => {
    const env = { ...process.env, TAIFA_DATA_DIR: dir, DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
    const { stdout } = await run(
      process.execPath,
      ['bin/taifa.js', 'accounts', 'create', '--name', 'Acme', '--plan', 'pro'],
      { env },
    );
    const key = /tfm_k_[A-Za-z0-9]{32}/.exec(stdout)?.[0];
    expect(key).toBeDefined();
    const server = await startTaifa({
      PORT: '0',
      TAIFA_DATA_DIR: dir,
      DATABASE_URL: db.url,
      TAIFA_ROLES: 'api',
      TAIFA_BOOTSTRAP_API_KEY: '',
    });
    try {
      expect(server.stdout).not.toContain('shown only this once'); // an account existed: no first account is made
      const v = await fetch(`${server.url}/v1/emails/validate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from_: { email: 'a@b.test' }, to: [{ email: 'c@d.test' }], subject: 's', text: 't' }),
      });
      expect(v.status).toBe(200);
      expect(await v.json()).toMatchObject({ plan: 'pro', usage: { daily_limit: 5000 } });
    } finally {
      await server.stop();
    }
  });
});
