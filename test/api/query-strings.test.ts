import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe.each(testDatabases())('query strings no list can serve, on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
    await sandboxSender(t);
    expect((await t.call('POST', '/v1/emails', sendBody({ tags: ['welcome'] }))).status).toBe(202);
  });
  afterAll(async () => {
    await t?.close();
  });

  const expectRefused = async (path: string, field: string, error: string) => {
    const r = await t.call('GET', path);
    expect([path, r.status, r.body.code]).toEqual([path, 422, 'validation_error']);
    expect(r.body.errors).toContainEqual({ field, error: expect.stringContaining(error) });
  };

  it('refuses a page or limit of Infinity (or a number too large to be finite) by its bounds', async () => {
    await expectRefused('/v1/emails?page=Infinity', 'page', 'must be at most 100000');
    await expectRefused('/v1/emails?page=1e400', 'page', 'must be at most 100000');
    await expectRefused('/v1/emails?limit=-Infinity', 'limit', 'must be at least 1');
    await expectRefused('/v1/suppressions?limit=Infinity', 'limit', 'must be at most 100');
    await expectRefused('/v1/events?limit=Infinity', 'limit', 'must be at most 1000');
    await expectRefused('/v1/emails/scheduled?page=Infinity', 'page', 'must be at most 100000');
    await expectRefused('/v1/webhooks?page=Infinity', 'page', 'must be at most 100000');
  });

  it('refuses a NUL in any parameter, which no stored text can hold, naming it', async () => {
    const nul = 'a%00b';
    for (const [path, field] of [
      [`/v1/emails/search?tag=${nul}`, 'tag'],
      [`/v1/emails/search?q=${nul}`, 'q'],
      [`/v1/emails/updates?since=2026-01-01T00:00:00Z&after_id=${nul}`, 'after_id'],
      [`/v1/events?recipient=${nul}`, 'recipient'],
      [`/v1/events?tag=${nul}`, 'tag'],
      [`/v1/events?domain=${nul}`, 'domain'],
      [`/v1/stats?tag=${nul}`, 'tag'],
      [`/v1/stats/tags?domain=${nul}`, 'domain'],
      [`/v1/suppressions?q=${nul}`, 'q'],
      [`/v1/suppressions?domain=${nul}`, 'domain'],
      [`/v1/suppressions/bounce/${nul}%40example.com`, 'address'],
    ] as const)
      await expectRefused(path, field, 'must not contain a NUL character');
    // The same parameters without the NUL are served.
    expect((await t.call('GET', '/v1/events?tag=welcome')).status).toBe(200);
    expect((await t.call('GET', '/v1/emails/search?tag=welcome')).body).toHaveLength(1);
  });
});
