import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Targets inside our own networks, by address and by a name that resolves to one. */
const PRIVATE_TARGETS: Array<[url: string, error: string]> = [
  ['http://127.0.0.1/', 'is a loopback address'],
  ['http://10.0.0.1/', 'is a private address'],
  ['http://169.254.169.254/', 'is a link-local address (cloud metadata)'],
  ['http://[::1]/', 'is a loopback address'],
  ['http://[::ffff:127.0.0.1]/', 'is a loopback address (127.0.0.1) in IPv6 form'],
  ['https://internal.example.test/hooks', 'resolves to 127.0.0.1, a loopback address'],
];
const WHY = ': webhooks may only target public addresses';

describe.each(testDatabases())('webhook targets on %s', (kind) => {
  let dns: DnsServer;
  let guarded: TestServer;
  let open: TestServer;
  beforeAll(async () => {
    dns = await startDnsServer({
      a: { 'internal.example.test': ['127.0.0.1'], 'public.example.test': ['93.184.215.14'] },
    });
    // API role only: nothing is posted anywhere; DNS goes to the loopback server.
    const env = { TAIFA_ROLES: 'api', TAIFA_DNS_SERVERS: dns.address };
    [guarded, open] = await Promise.all([
      startTestServer(kind, { ...env, TAIFA_ALLOW_PRIVATE_WEBHOOKS: 'false' }),
      startTestServer(kind, { ...env, TAIFA_ALLOW_PRIVATE_WEBHOOKS: 'true' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([guarded?.close(), open?.close()]);
    await dns?.close();
  });

  it('refuses private, loopback and metadata targets at create time, saying why', async () => {
    for (const [url, error] of PRIVATE_TARGETS) {
      const r = await guarded.call('POST', '/v1/webhooks', { url });
      expect([url, r.status, r.body.code, r.body.errors]).toEqual([
        url,
        422,
        'validation_error',
        [{ field: 'url', error: error + WHY }],
      ]);
    }
    expect((await guarded.call('GET', '/v1/webhooks')).body).toEqual([]);
  });

  it('refuses them when PATCH changes the URL, and keeps the URL it had', async () => {
    const r = await guarded.call('POST', '/v1/webhooks', { url: 'https://public.example.test/hooks' });
    expect(r.status).toBe(201);
    for (const [url, error] of PRIVATE_TARGETS) {
      const p = await guarded.call('PATCH', `/v1/webhooks/${r.body.id}`, { url, enabled: false });
      expect([url, p.status, p.body.errors]).toEqual([url, 422, [{ field: 'url', error: error + WHY }]]);
    }
    expect((await guarded.call('GET', `/v1/webhooks/${r.body.id}`)).body).toMatchObject({
      url: 'https://public.example.test/hooks',
      enabled: true,
    });
  });

  it('accepts them all with TAIFA_ALLOW_PRIVATE_WEBHOOKS=true', async () => {
    const r = await open.call('POST', '/v1/webhooks', { url: 'https://public.example.test/hooks' });
    for (const [url] of PRIVATE_TARGETS) {
      const c = await open.call('POST', '/v1/webhooks', { url });
      expect([url, c.status]).toEqual([url, 201]);
      const p = await open.call('PATCH', `/v1/webhooks/${r.body.id}`, { url });
      expect([url, p.status]).toEqual([url, 200]);
      expect(p.body.url).toBe(c.body.url);
    }
  });
});
