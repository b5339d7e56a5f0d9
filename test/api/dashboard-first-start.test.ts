import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskedConfig } from '../../src/config.js';
import { startChildServer } from '../helpers/child-server.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';
import { login } from '../helpers/dashboard.js';

/** The JSON log lines a start printed before it was ready. */
const logLines = (stdout: string): Array<Record<string, unknown>> =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe.each(testDatabases())('the dashboard user of the first start on %s', (kind) => {
  let dir: string;
  let db: TestDatabase;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-first-user-'));
    db = await createTestDatabase(kind, dir);
  });
  afterEach(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the admin of TAIFA_BOOTSTRAP_ADMIN_EMAIL and _PASSWORD when no user can log in, once', async () => {
    const env = {
      PORT: '0',
      TAIFA_DATA_DIR: dir,
      DATABASE_URL: db.url,
      TAIFA_ROLES: 'api',
      TAIFA_BOOTSTRAP_API_KEY: '',
      TAIFA_PUBLIC_URL: 'https://mail.example.test',
      TAIFA_BOOTSTRAP_ADMIN_EMAIL: 'Admin@Example.com',
      TAIFA_BOOTSTRAP_ADMIN_PASSWORD: 'the admin password',
    };
    const first = await startChildServer(env);
    try {
      const said = logLines(first.stdout).find((l) => String(l.msg).startsWith('created the dashboard user'));
      expect(said).toMatchObject({ email: 'Admin@Example.com', url: 'https://mail.example.test' });
      expect(first.stdout).not.toContain('the admin password');
      const res = await login(first, 'admin@example.com', 'the admin password');
      expect(res.status).toBe(200);
      const me = await fetch(`${first.url}/v1/auth/me`, { headers: { cookie: res.cookie! } });
      expect(((await me.json()) as { account: unknown }).account).toMatchObject({ name: 'Default', plan: 'business' });
    } finally {
      await first.stop();
    }
    // Started again, even with another admin named, it makes no second user: one can log in.
    const second = await startChildServer({
      ...env,
      TAIFA_BOOTSTRAP_ADMIN_EMAIL: 'other@example.com',
      TAIFA_BOOTSTRAP_ADMIN_PASSWORD: 'another password',
    });
    try {
      expect(second.stdout).not.toContain('created the dashboard user');
      expect((await login(second, 'other@example.com', 'another password')).status).toBe(401);
      expect((await login(second, 'admin@example.com', 'the admin password')).status).toBe(200);
    } finally {
      await second.stop();
    }
  });

  it('creates a demo user in sandbox mode, says so with its password once, and the password logs in', async () => {
    const env = { PORT: '0', TAIFA_DATA_DIR: dir, DATABASE_URL: db.url, TAIFA_ROLES: 'api', TAIFA_SANDBOX: 'true' };
    const first = await startChildServer(env);
    let password: string;
    try {
      const said = logLines(first.stdout).find((l) => String(l.msg).includes('demo dashboard user'));
      expect(said?.msg).toContain('SANDBOX MODE');
      expect(said).toMatchObject({ email: 'demo@example.com', password: expect.stringMatching(/^[A-Za-z0-9]{20}$/) });
      password = said!.password as string;
      expect(said!.msg).toContain(password);
      expect((await login(first, 'demo@example.com', password)).status).toBe(200);
    } finally {
      await first.stop();
    }
    const second = await startChildServer(env);
    try {
      expect(second.stdout).not.toContain('demo dashboard user');
      expect((await login(second, 'demo@example.com', password)).status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});

describe('the bootstrap admin variables', () => {
  const base = { TAIFA_DATA_DIR: os.tmpdir() };

  it('go together, with a real address and a password of 8 characters or more', () => {
    expect(() => loadConfig({ ...base, TAIFA_BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, TAIFA_BOOTSTRAP_ADMIN_PASSWORD: 'long enough' })).toThrow(ConfigError);
    expect(() =>
      loadConfig({ ...base, TAIFA_BOOTSTRAP_ADMIN_EMAIL: 'admin', TAIFA_BOOTSTRAP_ADMIN_PASSWORD: 'long enough' }),
    ).toThrow(/TAIFA_BOOTSTRAP_ADMIN_EMAIL must be an email address/);
    expect(() =>
      loadConfig({
        ...base,
        TAIFA_BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com',
        TAIFA_BOOTSTRAP_ADMIN_PASSWORD: 'short',
      }),
    ).toThrow(/at least 8 characters/);
  });

  it('show the password masked in the printed configuration', () => {
    const config = loadConfig({
      ...base,
      TAIFA_BOOTSTRAP_ADMIN_EMAIL: 'admin@example.com',
      TAIFA_BOOTSTRAP_ADMIN_PASSWORD: 'the admin password',
    });
    const printed = maskedConfig(config);
    expect(printed).toMatchObject({ bootstrapAdminEmail: 'admin@example.com', bootstrapAdminPassword: '********' });
    expect(JSON.stringify(printed)).not.toContain('the admin password');
  });
});
