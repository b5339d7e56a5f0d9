import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey } from '../../src/ids.js';
import { testDatabases } from '../helpers/databases.js';
import { startTestServer, type Res, type TestServer } from '../helpers/server.js';

/** Failures per minute an address may make (the default). */
const LIMIT = 20;

describe.each(testDatabases())('failed authentication from one address on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    // Behind a trusted proxy, X-Forwarded-For says which client a request comes from.
    t = await startTestServer(kind, { TAIFA_ROLES: 'api', TAIFA_TRUST_PROXY: '127.0.0.1' });
  });
  afterAll(async () => t?.close());

  const from = (address: string, key: string | null) =>
    t.call('GET', '/v1/domains', undefined, { key, headers: { 'x-forwarded-for': address } });

  function expectLimited(r: Res, what: string): void {
    expect([what, r.status, r.body.code]).toEqual([what, 429, 'too_many_auth_failures']);
    expect(typeof r.body.detail).toBe('string');
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  }

  it('answers 429 with Retry-After once an address has failed too often, whatever the key', async () => {
    const attacker = '203.0.113.7';
    // The owner of the bootstrap key works from the same address (say, the same office NAT).
    expect((await from(attacker, t.key)).status).toBe(200);
    for (let i = 0; i < LIMIT; i++) {
      const r = await from(attacker, i % 2 ? newApiKey() : 'tfm_k_short');
      expect([i, r.status, r.body.code]).toEqual([i, 401, 'unauthorized']);
    }
    for (const [what, key] of [
      ['an unknown key', newApiKey()],
      ['a malformed key', 'not-a-key'],
      ['no key', null],
    ] as const) {
      expectLimited(await from(attacker, key), what);
    }
    // A POST with a body is refused before its body is read, too.
    const post = await t.call(
      'POST',
      '/v1/domains',
      { name: 42 },
      { key: null, headers: { 'x-forwarded-for': attacker } },
    );
    expectLimited(post, 'a POST');
    // The key that already works from there keeps working: someone else's failures do not lock its owner out.
    expect((await from(attacker, t.key)).status).toBe(200);
    // Other addresses are not affected.
    expect((await from('203.0.113.8', newApiKey())).status).toBe(401);
    expect((await from('198.51.100.1', t.key)).status).toBe(200);
  });

  it('counts an IPv6 client by its /64, the block one host usually holds', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await from(`2001:db8:1:2::${i + 1}`, newApiKey())).status).toBe(401);
    expectLimited(await from('2001:db8:1:2:ffff:ffff:ffff:ffff', newApiKey()), 'same /64');
    expect((await from('2001:db8:1:3::1', newApiKey())).status).toBe(401);
  });

  it('lets through, from a blocked address, only keys this server has seen authenticate', async () => {
    const created = await t.call(
      'POST',
      '/v1/api-keys',
      { name: 'new' },
      { headers: { 'x-forwarded-for': '192.0.2.1' } },
    );
    const attacker = '192.0.2.99';
    for (let i = 0; i < LIMIT; i++) await from(attacker, newApiKey());
    // A genuine key never used here before waits, like any other unknown key, until the window ends.
    expectLimited(await from(attacker, created.body.key), 'a key not seen yet');
    expect((await from('192.0.2.1', created.body.key)).status).toBe(200);
    // Once it has authenticated (from anywhere), it gets through.
    expect((await from(attacker, created.body.key)).status).toBe(200);
  });
});
