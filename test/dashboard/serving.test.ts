import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIST } from '../../src/api/dashboard.js';
import { testDatabases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// npm install builds the dashboard (the workspace's `prepare`), and npm test builds it again before the suites.
const built = fs.existsSync(`${DASHBOARD_DIST}/index.html`);
if (!built && process.env.CI === 'true')
  throw new Error(`The dashboard is not built (${DASHBOARD_DIST}): npm run build`);

describe.skipIf(!built).each(testDatabases())('the dashboard as served on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind);
  });
  afterAll(async () => t?.close());

  const get = (path: string) => fetch(t.url + path, { redirect: 'manual' });

  it('answers its page, never cached, at / and at each page of its own (deep links)', async () => {
    for (const path of ['/', '/login', '/emails', '/emails/0193b1c8-0000-7000-8000-000000000000', '/analytics']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const html = await res.text();
      expect(html).toContain('<title>Taifa Mail</title>');
      expect(html).toMatch(/<script type="module"[^>]* src="\/assets\/index-[\w-]+\.js"/);
    }
  });

  it('serves its hashed assets for a year, and nothing outside them', async () => {
    const html = await (await get('/')).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const res = await get(asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    expect((await get('/assets/nope.js')).status).toBe(404);
    expect((await get('/assets/..%2f..%2fpackage.json')).status).toBe(404);
    expect((await get('/no-such-page')).status).toBe(404);
  });

  it('lets its pages load only from this server, and never be framed', async () => {
    const res = await get('/emails');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('leaves the API as it was: /v1 paths still answer JSON', async () => {
    const res = await t.call('GET', '/v1/emails/');
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
  });
});
