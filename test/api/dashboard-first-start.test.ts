import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskedConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/server.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';
import { login } from '../helpers/dashboard.js';

/** A start of Taifa Mail (the API role) on the test's data, with what it logged. */
interface Start {
  server: Server;
  url: string;
  log: Array<Record<string, unknown>>;
  /** Everything it logged, as written. */
  text: () => string;
}

describe.each(testDatabases())('the dashboard user of the first start on %s', (kind) => {
  let dir: string;
  let db: TestDatabase;
  const running: Server[] = [];

  /** Starts a server on this test's database and data folder with `env`, keeping its log lines. */
  const start = async (env: Record<string, string>): Promise<Start> => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      TAIFA_DATA_DIR: dir,
      DATABASE_URL: db.url,
      TAIFA_SECRET: 'test-secret',
      TAIFA_ROLES: 'api',
      TAIFA_INBOUND_SMTP_PORT: '0',
      ...env,
    });
    const server = await startServer(config, log);
    running.push(server);
    return {
      server,
      url: server.url,
      log: lines.map((l) => JSON.parse(l) as Record<string, unknown>),
      text: () => lines.join(''),
    };
  };
  const stop = async (s: Start) => {
    await s.server.close();
    running.splice(running.indexOf(s.server), 1);
  };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-first-user-'));
    db = await createTestDatabase(kind, dir);
  });
  afterEach(async () => {
    for (const s of running.splice(0)) await s.close();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the admin of TAIFA_BOOTSTRAP_ADMIN_EMAIL and _PASSWORD when no user can log in, once', async () => {
    const env = {
      TAIFA_PUBLIC_URL: 'https://mail.example.test',
      TAIFA_BOOTSTRAP_ADMIN_EMAIL: 'Admin@Example.com',
      TAIFA_BOOTSTRAP_ADMIN_PASSWORD: 'the admin password',
    };
    const first = await start(env);
    const said = first.log.find((l) => String(l.msg).startsWith('created the dashboard user'));
    expect(said).toMatchObject({ email: 'Admin@Example.com', url: 'https://mail.example.test' });
    expect(first.text()).not.toContain('the admin password');
    expect(first.server.bootstrapUser).toEqual({ email: 'Admin@Example.com', password: null });
    const res = await login(first, 'admin@example.com', 'the admin password');
    expect(res.status).toBe(200);
    const me = await fetch(`${first.url}/v1/auth/me`, { headers: { cookie: res.cookie! } });
    expect(((await me.json()) as { account: unknown }).account).toMatchObject({ name: 'Default', plan: 'business' });
    await stop(first);

    // Started again, even with another admin named, it makes no second user: one can log in.
    const second = await start({
      ...env,
      TAIFA_BOOTSTRAP_ADMIN_EMAIL: 'other@example.com',
      TAIFA_BOOTSTRAP_ADMIN_PASSWORD: 'another password',
    });
    expect(second.text()).not.toContain('created the dashboard user');
    expect(second.server.bootstrapUser).toBeNull();
    expect((await login(second, 'other@example.com', 'another password')).status).toBe(401);
    expect((await login(second, 'admin@example.com', 'the admin password')).status).toBe(200);
  });

  it('creates a demo user in sandbox mode, says so with its password once, and the password logs in', async () => {
    const first = await start({ TAIFA_SANDBOX: 'true' });
    const said = first.log.find((l) => String(l.msg).includes('demo dashboard user'));
    expect(said?.msg).toContain('SANDBOX MODE');
    expect(said).toMatchObject({ email: 'demo@example.com', password: expect.stringMatching(/^[A-Za-z0-9]{20}$/) });
    const password = said!.password as string;
    expect(said!.msg).toContain(password);
    expect(first.server.bootstrapUser).toEqual({ email: 'demo@example.com', password });
    expect((await login(first, 'demo@example.com', password)).status).toBe(200);
    await stop(first);

    const second = await start({ TAIFA_SANDBOX: 'true' });
    expect(second.text()).not.toContain('demo dashboard user');
    expect((await login(second, 'demo@example.com', password)).status).toBe(200);
  });

  it('creates no user outside sandbox mode unless asked to', async () => {
    const s = await start({});
    expect(s.server.bootstrapUser).toBeNull();
    expect(s.text()).not.toContain('dashboard user');
    const users = await s.server.store.db.selectFrom('users').select(['email', 'password_hash']).execute();
    expect(users).toEqual([{ email: null, password_hash: null }]); // the first account's owner user alone
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
