import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { rawRequest, type RawAnswer } from '../helpers/raw-http.js';
import { settled, startTestServer, type TestServer } from '../helpers/server.js';
import { sendTracked } from '../tracking/tracked-email.js';

/** A Content-Security-Policy header as directive → sources. */
function policy(header: string | string[] | undefined): Map<string, string[]> {
  expect(typeof header).toBe('string');
  return new Map(
    String(header)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name!.toLowerCase(), sources]),
  );
}

/** The source list that governs `directive` (its own, else default-src). */
function sources(csp: Map<string, string[]>, directive: string): string[] {
  return csp.get(directive) ?? csp.get('default-src') ?? [];
}

/** Not renderable inside another site's frame, by either header. */
function expectNoFraming(r: RawAnswer, csp: Map<string, string[]>): void {
  expect(r.headers['x-frame-options']).toBe('DENY');
  expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
}

describe.each(testDatabases())('security headers on %s', (kind) => {
  let t: TestServer;
  const auth = () => ({ authorization: `Bearer ${t.key}` });
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  it('sends X-Content-Type-Options: nosniff on every kind of answer', async () => {
    const e = await sendTracked(t, { tracking: { open: true, click: true } });
    const unsubscribe = await t.call('POST', '/v1/emails/', sendBody({ unsubscribe: true }));
    const copy = await t.call('GET', `/v1/emails/${(await settled(t, unsubscribe.body.id, 'delivered')).id}/raw`);
    const unsubscribePath = /http:\/\/localhost:3000(\/v1\/unsubscribe\/[\w-]+\.[\w-]+)/.exec(copy.body)![1]!;
    const requests: Array<[string, { method?: string; path: string; headers?: Record<string, string> }, number]> = [
      ['JSON', { path: '/v1/domains', headers: auth() }, 200],
      ['no key', { path: '/v1/domains' }, 401],
      ['unknown route', { path: '/v1/nothing' }, 404],
      ['bad URL', { path: '/v1/emails/%zz', headers: auth() }, 400],
      ['health', { path: '/healthz' }, 200],
      ['OpenAPI', { path: '/v1/openapi.json' }, 200],
      ['docs', { path: '/docs' }, 200],
      ['home page', { path: '/' }, 200],
      ['raw message', { path: `/v1/emails/${e.id}/raw`, headers: auth() }, 200],
      ['pixel', { path: e.pixel }, 200],
      ['click', { path: e.links[0]! }, 302],
      ['unknown click', { path: '/v1/track/click/nonsense' }, 404],
      ['unsubscribe page', { path: unsubscribePath }, 200],
      ['unsubscribe not found', { path: '/v1/unsubscribe/nonsense' }, 404],
    ];
    for (const [what, request, status] of requests) {
      const r = await rawRequest(t.url, request);
      expect([what, r.status, r.headers['x-content-type-options']]).toEqual([what, status, 'nosniff']);
    }
  });

  it('serves /docs with a restrictive policy under which the page still loads everything it needs', async () => {
    for (const path of ['/docs', '/docs/']) {
      const page = await rawRequest(t.url, { path });
      expect([path, page.status]).toEqual([path, 200]);
      const csp = policy(page.headers['content-security-policy']);
      expectNoFraming(page, csp);
      expect(csp.get('default-src')).toEqual(["'none'"]);
      expect(csp.get('object-src') ?? csp.get('default-src')).toEqual(["'none'"]);
      // Scripts only from this server: nothing inline, nothing evaluated.
      expect(sources(csp, 'script-src')).toEqual(["'self'"]);
      const html = page.body.toString();
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, inline] of scripts) {
        expect(attributes).toMatch(/\bsrc="/);
        expect(inline!.trim()).toBe('');
      }
      expect(html).not.toMatch(/\son[a-z]+=/i); // no inline event handlers
      // Every asset the page names is on this server ('self') and served with the type nosniff demands.
      const assets = [...html.matchAll(/<(script|link)\b[^>]*?(?:src|href)="([^"]+)"[^>]*>/g)].map((m) => ({
        tag: m[1]!,
        rel: /rel="([^"]+)"/.exec(m[0])?.[1] ?? '',
        url: new URL(m[2]!, t.url + path),
      }));
      expect(assets.filter((a) => a.tag === 'script')).toHaveLength(3);
      for (const asset of assets) {
        expect(asset.url.origin).toBe(t.url);
        expect(
          sources(csp, asset.tag === 'script' ? 'script-src' : asset.rel === 'icon' ? 'img-src' : 'style-src'),
        ).toContain("'self'");
        const res = await rawRequest(t.url, { path: asset.url.pathname });
        expect([asset.url.pathname, res.status]).toEqual([asset.url.pathname, 200]);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        const type = String(res.headers['content-type']);
        if (asset.tag === 'script') expect(type).toMatch(/^(application|text)\/javascript\b/);
        else if (asset.rel === 'stylesheet') expect(type).toMatch(/^text\/css\b/);
        else expect(type).toMatch(/^image\//);
        if (asset.rel === 'stylesheet') {
          // What the stylesheets load (images as data: URIs, fonts) is allowed too.
          for (const [, target] of res.body.toString().matchAll(/url\(\s*["']?([a-z]+:)/gi))
            expect(sources(csp, 'img-src')).toContain(target!.toLowerCase());
        }
      }
      // The page's own script fetches the document, from this server.
      expect(sources(csp, 'connect-src')).toContain("'self'");
      expect((await rawRequest(t.url, { path: '/docs/json' })).status).toBe(200);
    }
  });

  it('serves a captured message with a policy that renders nothing and cannot be framed', async () => {
    const r = await t.call('POST', '/v1/emails/', sendBody({ html: '<script>alert(1)</script><p>Hi</p>' }));
    await settled(t, r.body.id, 'delivered');
    const raw = await rawRequest(t.url, { path: `/v1/emails/${r.body.id}/raw`, headers: auth() });
    expect([raw.status, raw.headers['content-type']]).toEqual([200, 'message/rfc822']);
    const csp = policy(raw.headers['content-security-policy']);
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.has('sandbox')).toBe(true);
    expectNoFraming(raw, csp);
  });

  it('keeps the pixel loadable from any mail client and the click a plain redirect', async () => {
    const e = await sendTracked(t, { tracking: { open: true, click: true } });
    const pixel = await rawRequest(t.url, { path: e.pixel });
    // Nothing that would stop another origin's page (webmail) from showing the image.
    expect(pixel.headers['cross-origin-resource-policy']).toBeUndefined();
    expect(pixel.headers['content-security-policy']).toBeUndefined();
    const click = await rawRequest(t.url, { path: e.links[0]! });
    expect([click.status, click.headers.location]).toEqual([302, 'https://shop.test/a?x=1&y=2']);
  });
});
