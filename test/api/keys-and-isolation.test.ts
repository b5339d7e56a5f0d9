import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/services/accounts.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

describe.each(testDatabases())('API keys and account isolation on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
  });
  afterAll(async () => t?.close());

  it('creates a key shown once, lists it without the secret, uses it, deletes it', async () => {
    const created = await t.call('POST', '/v1/api-keys', { name: 'CI deploys' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^tfm_k_[A-Za-z0-9]{32}$/);
    expect(created.body.prefix).toBe(created.body.key.slice(0, 10));

    const used = await t.call('GET', '/v1/domains', undefined, { key: created.body.key });
    expect(used.status).toBe(200);

    const list = await t.call('GET', '/v1/api-keys');
    const listed = list.body.find((k: { id: string }) => k.id === created.body.id);
    expect(listed).toMatchObject({ name: 'CI deploys', prefix: created.body.prefix });
    expect(listed.last_used_at).toMatch(/Z$/);
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);

    expect((await t.call('DELETE', `/v1/api-keys/${created.body.id}`)).status).toBe(200);
    expect((await t.call('GET', '/v1/domains', undefined, { key: created.body.key })).status).toBe(401);
    expect((await t.call('DELETE', `/v1/api-keys/${created.body.id}`)).status).toBe(404);
  });

  it('answers 401 before looking at the body: no key and a bad body is 401, not 422', async () => {
    for (const [method, path, body] of [
      ['POST', '/v1/domains', { name: 42 }],
      ['POST', '/v1/api-keys', { name: 42 }],
      ['GET', '/v1/emails/?limit=0', undefined],
    ] as const) {
      const r = await t.call(method, path, body, { key: null });
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.body.code).toBe('unauthorized');
    }
  });

  it('refuses a key name that is not a string', async () => {
    const r = await t.call('POST', '/v1/api-keys', { name: 42 });
    expect(r.status).toBe(422);
    expect(r.body.errors[0].field).toBe('name');
  });

  it("answers 404 for another account's email, domain, sender and key", async () => {
    await sandboxSender(t);
    const sent = await t.call('POST', '/v1/emails/', sendBody());
    expect(sent.status).toBe(202);
    const domains = await t.call('GET', '/v1/domains');
    const senders = await t.call('GET', '/v1/senders');
    const keys = await t.call('GET', '/v1/api-keys');

    const other = await createAccount(t.server.store, { name: 'Other', plan: 'free' });
    const as = { key: other.key };
    expect((await t.call('GET', `/v1/emails/${sent.body.id}`, undefined, as)).status).toBe(404);
    expect((await t.call('GET', `/v1/emails/${sent.body.id}/events`, undefined, as)).status).toBe(404);
    expect((await t.call('GET', `/v1/domains/${domains.body[0].id}`, undefined, as)).status).toBe(404);
    expect((await t.call('POST', `/v1/domains/${domains.body[0].id}/verify`, undefined, as)).status).toBe(404);
    expect((await t.call('DELETE', `/v1/domains/${domains.body[0].id}`, undefined, as)).status).toBe(404);
    expect((await t.call('DELETE', `/v1/senders/${senders.body[0].id}`, undefined, as)).status).toBe(404);
    expect((await t.call('DELETE', `/v1/api-keys/${keys.body[0].id}`, undefined, as)).status).toBe(404);
    expect((await t.call('GET', '/v1/domains', undefined, as)).body).toEqual([]);
    // Nor can the other account send from this account's sender.
    const r = await t.call('POST', '/v1/emails/', sendBody(), as);
    expect(r.status).toBe(422);
    expect(r.body.errors[0].field).toBe('from_.email');
    // The owner still sees everything.
    expect((await t.call('GET', `/v1/emails/${sent.body.id}`)).status).toBe(200);
    // A malformed id names nothing: 422 naming `id`; a well-formed unknown one is not found.
    expect((await t.call('GET', '/v1/emails/not-a-uuid')).status).toBe(422);
    expect((await t.call('GET', '/v1/emails/01890000-0000-7000-8000-000000000000')).status).toBe(404);
  });

  it('manages domains and senders: duplicates, bad names, sender on an unknown domain, delete', async () => {
    expect((await t.call('POST', '/v1/domains', { name: 'example.com' })).status).toBe(409);
    const bad = await t.call('POST', '/v1/domains', { name: 'not a domain' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('name');
    expect((await t.call('POST', '/v1/domains', {})).status).toBe(422);
    const unknown = await t.call('POST', '/v1/senders', { email: 'a@nowhere.test' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].field).toBe('email');
    expect((await t.call('POST', '/v1/senders', { email: 'hello@example.com' })).status).toBe(409);

    const d = await t.call('POST', '/v1/domains', { name: 'Temp.Example.ORG.' });
    expect(d.status).toBe(201);
    expect(d.body.name).toBe('temp.example.org');
    expect((await t.call('GET', `/v1/domains/${d.body.id}`)).body.name).toBe('temp.example.org');
    expect((await t.call('DELETE', `/v1/domains/${d.body.id}`)).status).toBe(200);
    expect((await t.call('GET', `/v1/domains/${d.body.id}`)).status).toBe(404);
    expect((await t.call('GET', '/v1/nothing-here')).status).toBe(404);
  });
});

describe('the operator command line', () => {
  it('`taifa accounts create` prints a working key for a new account', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/taifa-cli-`);
    try {
      const env = { ...process.env, TAIFA_DATA_DIR: dir, LOG_LEVEL: 'silent' };
      const { stdout } = await run('node', ['bin/taifa.js', 'accounts', 'create', '--name', 'Acme', '--plan', 'pro'], {
        env,
      });
      const key = /tfm_k_[A-Za-z0-9]{32}/.exec(stdout)?.[0];
      expect(key).toBeDefined();
      const bad = await run('node', ['bin/taifa.js', 'accounts', 'create', '--name', 'Acme', '--plan', 'platinum'], {
        env,
      }).catch((e: { code: number; stderr: string }) => e);
      expect((bad as { code: number }).code).toBe(2);
      const accountId = /Account (\S+) \(Acme, pro\)/.exec(stdout)?.[1];
      const limits = await run(
        'node',
        ['bin/taifa.js', 'accounts', 'set-limits', accountId!, '--daily', '1', '--plan', 'starter'],
        { env },
      );
      expect(limits.stdout).toContain('plan=starter daily=1 monthly=5000 batch=25');
      expect((await run('node', ['bin/taifa.js', 'accounts', 'list'], { env })).stdout).toContain(
        'overrides={"daily_limit":1}',
      );
      const t = await startTestServer('sqlite', {
        TAIFA_ROLES: 'api',
        DATABASE_URL: `sqlite:${dir}/taifa.db`,
        TAIFA_BOOTSTRAP_API_KEY: '',
      });
      try {
        expect((await t.call('GET', '/v1/domains', undefined, { key })).status).toBe(200);
        expect(t.server.bootstrapKey).toBeNull(); // an account existed, so no first account was made
        // The operator's override is what send enforces and validate reports.
        const v = await t.call(
          'POST',
          '/v1/emails/validate',
          { from_: { email: 'a@b.test' }, to: [{ email: 'c@d.test' }], subject: 's', text: 't' },
          { key },
        );
        expect(v.body).toMatchObject({ plan: 'starter', usage: { daily_limit: 1, monthly_limit: 5000 } });
      } finally {
        await t.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
