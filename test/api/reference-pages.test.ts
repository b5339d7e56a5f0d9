import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIST } from '../../src/api/dashboard.js';
import { testDatabases } from '../helpers/databases.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The URLs a page or stylesheet names (src, href, url()), resolved against where it was served from. */
function namedUrls(text: string, base: string): URL[] {
  const found = [
    ...text.matchAll(/\b(?:src|href)\s*=\s*["']([^"']+)["']/g),
    ...text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g),
    ...text.matchAll(/@import\s+["']([^"']+)["']/g),
  ].map((m) => m[1]!);
  return found.filter((u) => !u.startsWith('data:')).map((u) => new URL(u, base));
}

describe.each(testDatabases())('the pages that point people to the API on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
  });
  afterAll(async () => t?.close());

  it("serves the reference as Taifa Mail's, with everything it loads from this server", async () => {
    for (const path of ['/docs', '/docs/']) {
      const page = await rawRequest(t.url, { path });
      expect([path, page.status]).toEqual([path, 200]);
      const html = page.body.toString();
      expect(/<title>([^<]*)<\/title>/.exec(html)?.[1]).toBe('Taifa Mail API reference');
      expect(html).not.toMatch(/swagger ui<\/title>|favicon-(16|32)x/i);
      // Every script, stylesheet and icon, and whatever the stylesheets and the page's own script name in turn.
      const assets = namedUrls(html, t.url + path);
      expect(assets.length).toBeGreaterThanOrEqual(6);
      for (const asset of assets) {
        expect([asset.href, asset.origin]).toEqual([asset.href, t.url]);
        const res = await rawRequest(t.url, { path: asset.pathname });
        expect([asset.pathname, res.status]).toEqual([asset.pathname, 200]);
        const type = String(res.headers['content-type']);
        if (/css|javascript/.test(type) && !asset.pathname.endsWith('-bundle.js'))
          for (const inner of namedUrls(res.body.toString(), asset.href))
            expect([asset.pathname, inner.origin]).toEqual([asset.pathname, t.url]);
      }
      const icon = assets.find((a) => a.pathname.endsWith('favicon.svg'));
      expect(icon).toBeDefined();
      const svg = await rawRequest(t.url, { path: icon!.pathname });
      expect([svg.headers['content-type'], svg.body.toString()]).toEqual([
        'image/svg+xml',
        expect.stringMatching(/^<svg/),
      ]);
    }
    // The page's script: Taifa Mail's layout (no top bar with the framework's logo and its box for other
    // documents), no validator badge fetched from elsewhere, the document from this server.
    const init = (await rawRequest(t.url, { path: '/docs/static/swagger-initializer.js' })).body.toString();
    expect(init).toContain('"layout":"BaseLayout"');
    expect(init).toMatch(/validatorUrl: null/);
    const code = init.split('\n').filter((line) => !line.trim().startsWith('//'));
    expect(code.filter((line) => /https?:\/\//.test(line))).toEqual([]);
    expect(init).toContain("resolveUrl('./json')");
    // The only image it holds is Taifa Mail's icon.
    const icon = (await rawRequest(t.url, { path: '/docs/static/theme/favicon.svg' })).body.toString();
    const images = [...init.matchAll(/data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)/g)];
    for (const [, b64] of images) expect(Buffer.from(b64!, 'base64').toString()).toBe(icon);
    const doc = (await rawRequest(t.url, { path: '/docs/json' })).json;
    expect(doc.info.title).toBe('Taifa Mail API');
  });

  it('answers GET / with the dashboard where it is served', async () => {
    const home = await rawRequest(t.url, { path: '/' });
    expect(home.status).toBe(200);
    expect(home.body.toString()).toContain(fs.existsSync(`${DASHBOARD_DIST}/index.html`) ? '<div id="root">' : '/docs');
  });

  it('answers GET / with a small page of its own that points to the reference where the dashboard is not', async () => {
    // A process without the api role serves no dashboard, but still the reference and the health check.
    const t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'tracking,worker' });
    try {
      await expectHomePage(t);
    } finally {
      await t.close();
    }
  });
});

async function expectHomePage(t: TestServer): Promise<void> {
  const home = await rawRequest(t.url, { path: '/' });
  expect([home.status, home.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
  const html = home.body.toString();
  expect(/<title>([^<]*)<\/title>/.exec(html)?.[1]).toBe('Taifa Mail');
  expect(html).toContain('<h1>Taifa Mail</h1>');
  const links = [...html.matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].map((m) => [m[1], m[2]]);
  expect(links).toEqual([
    ['/docs', 'API reference'],
    ['/v1/openapi.json', 'OpenAPI document'],
    ['/healthz', 'Health'],
  ]);
  for (const [href] of links) expect([href, (await rawRequest(t.url, { path: href! })).status]).toEqual([href, 200]);
  // Self-contained: nothing to load, nothing to run, and the headers the other pages carry.
  expect(html).not.toMatch(/<(script|img|link|iframe)\b/i);
  expect(namedUrls(html, t.url + '/').filter((u) => !links.some(([href]) => href === u.pathname))).toEqual([]);
  expect(home.headers['x-content-type-options']).toBe('nosniff');
  expect(home.headers['x-frame-options']).toBe('DENY');
  expect(home.headers['referrer-policy']).toBe('no-referrer');
  const csp = String(home.headers['content-security-policy']);
  expect(csp).toMatch(/default-src 'none'/);
  expect(csp).toMatch(/frame-ancestors 'none'/);
  expect(csp).not.toMatch(/script-src/);
  // Not part of the API: the document does not list it.
  const paths = Object.keys((await t.call('GET', '/v1/openapi.json', undefined, { key: null })).body.paths);
  expect(paths).not.toContain('/');
}
