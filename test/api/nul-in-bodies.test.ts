import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// PostgreSQL cannot store a NUL in text: a NUL in a field that is stored as text was a 500 there (and stored
// as is on SQLite). Each is refused on both with a 422 naming the field, and nothing is written.
describe.each(testDatabases())('a NUL character in a request body, on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
    await sandboxSender(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  const count = async (table: 'emails' | 'api_keys' | 'suppressions' | 'webhooks') =>
    Number(
      (
        await t.server.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string | number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('is refused in the html and text of a send body (mail may not carry one either)', async () => {
    for (const field of ['html', 'text']) {
      const r = await t.call('POST', '/v1/emails', sendBody({ [field]: 'a\u0000b' }));
      expect([field, r.status, r.body.errors]).toEqual([
        field,
        422,
        [{ field, error: 'must not contain a NUL character (U+0000)' }],
      ]);
    }
    const batch = await t.call('POST', '/v1/emails/batch', [sendBody(), sendBody({ text: '\u0000' })]);
    expect(batch.status).toBe(202);
    expect(batch.body.results.map((x: { status: string }) => x.status)).toEqual(['queued', 'error']);
    expect(batch.body.results[1].rejection_reason).toContain('text: must not contain a NUL character');
    const dry = await t.call('POST', '/v1/emails/validate', sendBody({ html: '<p>\u0000</p>' }));
    expect(dry.body.valid).toBe(false);
    expect(dry.body.issues).toContainEqual({ field: 'content', error: expect.stringContaining('html') });
    expect(await count('emails')).toBe(1);
  });

  it('is refused in an API key name', async () => {
    const r = await t.call('POST', '/v1/api-keys', { name: 'CI\u0000' });
    expect([r.status, r.body.errors]).toEqual([
      422,
      [{ field: 'name', error: 'must be one line without control characters' }],
    ]);
    expect(await count('api_keys')).toBe(1);
  });

  it("makes a suppression's reason or tag invalid", async () => {
    const r = await t.call('POST', '/v1/suppressions', {
      suppressions: [
        { address: 'a@recipient.test', type: 'bounce', reason: 'said so\u0000' },
        { address: 'b@recipient.test', type: 'unsubscribe', domain: 'example.com', tag: 'news\u0000' },
        { address: 'c@recipient.test', type: 'bounce', reason: 'asked\nby phone' },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: { status: string; errors: unknown[] }) => [x.status, x.errors])).toEqual([
      ['invalid', [{ field: 'suppressions[0].reason', error: 'must not contain a NUL character (U+0000)' }]],
      ['invalid', [{ field: 'suppressions[1].tag', error: 'must be one line without control characters' }]],
      ['added', []],
    ]);
    expect(await count('suppressions')).toBe(1);
  });

  it("is refused in a webhook's tag", async () => {
    const r = await t.call('POST', '/v1/webhooks', { url: 'https://hooks.example.test/x', tag: 'news\u0000' });
    expect([r.status, r.body.errors]).toEqual([
      422,
      [{ field: 'tag', error: 'must be one line without control characters' }],
    ]);
    expect(await count('webhooks')).toBe(0);
  });
});
