import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIXEL_GIF } from '../../src/tracking/routes.js';
import { TrackingTokens } from '../../src/tracking/tokens.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender } from '../helpers/fixtures.js';
import { rawRequest, type RawAnswer } from '../helpers/raw-http.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';
import { detail, sendTracked, type TrackedEmail } from './tracked-email.js';

/** The pixel as the README promises it: the 43-byte GIF, never stored by a cache. */
function expectPixel(r: RawAnswer, what: string): void {
  expect([what, r.status, r.headers['content-type']]).toEqual([what, 200, 'image/gif']);
  expect(r.body.equals(PIXEL_GIF)).toBe(true);
  expect(r.body.length).toBe(43);
  expect(r.headers['cache-control']).toBe('no-store, no-cache, must-revalidate, private');
  expect([r.headers.pragma, r.headers.expires]).toEqual(['no-cache', '0']);
  expect(r.headers['x-content-type-options']).toBe('nosniff');
}

/** The invalid link answer: 404 `not_found`, no redirect. */
function expectInvalidLink(r: RawAnswer, what: string): void {
  expect([what, r.status, r.json?.code]).toEqual([what, 404, 'not_found']);
  expect(r.json.detail).toBe('Link not found.');
  expect(r.headers.location).toBeUndefined();
  expect(r.headers['x-request-id']).toBeTruthy();
}

describe.each(testDatabases())('hostile tracking tokens on %s', (kind) => {
  let t: TestServer;
  let e: TrackedEmail;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    await sandboxSender(t);
    e = await sendTracked(t, { tracking: { open: true, click: true } });
  });
  afterAll(async () => t?.close());

  it('answers the pixel with the GIF whatever the token looks like', async () => {
    const pixel = e.pixel;
    const cases: Array<[string, string]> = [
      ['10,001 characters', `/v1/track/open/${'a'.repeat(10_001)}`],
      // (Node's HTTP parser takes request lines and headers up to 16 KiB in all.)
      ['15,000 characters', `/v1/track/open/${'A.'.repeat(7_500)}`],
      ['a bad %-escape', '/v1/track/open/%zz'],
      ['a bad %-escape after a token', `${pixel}%zz`],
      ['a bad %-escape in the query', `${pixel}?x=%zz`],
      ['an empty token', '/v1/track/open/'],
      ['no token', '/v1/track/open'],
      ['a token with slashes', '/v1/track/open/a/b/c'],
      ['garbage', `/v1/track/open/${encodeURIComponent('<script>"\'')}`],
      ['a non-ASCII token', `/v1/track/open/${encodeURIComponent('é東京')}`],
      ['the real token', pixel],
    ];
    for (const [what, path] of cases) expectPixel(await rawRequest(t.url, { path }), what);
    const head = await rawRequest(t.url, { method: 'HEAD', path: '/v1/track/open/%zz' });
    expect([head.status, head.headers['content-type']]).toEqual([200, 'image/gif']);
  });

  it('answers a click token the router cannot route with the invalid link, never a redirect', async () => {
    const cases: Array<[string, string]> = [
      ['10,001 characters', `/v1/track/click/${'a'.repeat(10_001)}`],
      ['a bad %-escape', '/v1/track/click/%zz'],
      ['a bad %-escape after a token', `${e.links[0]!}%zz`],
      ['an empty token', '/v1/track/click/'],
      ['no token', '/v1/track/click'],
      ['a token with slashes', '/v1/track/click/a/b'],
    ];
    for (const [what, path] of cases) expectInvalidLink(await rawRequest(t.url, { path }), what);
  });

  it('accepts only the canonical spelling of a click token', async () => {
    // A genuine token (signed with the server's secret) whose base64url has both - and _ in it.
    const tokens = new TrackingTokens('test-secret');
    let token = '';
    for (let i = 0; !/-/.test(token) || !/_/.test(token); i++)
      token = tokens.sign({ kind: 'click', emailId: e.id, recipientId: e.recipientId, url: `https://shop.test/${i}` });
    const [body, mac] = token.split('.') as [string, string];
    const standard = (s: string) => s.replace(/-/g, '+').replace(/_/g, '/');
    // The MAC's 22nd character carries 2 bits and 4 unused ones: setting one decodes to the same bytes.
    const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = B64URL[B64URL.indexOf(mac.at(-1)!) ^ 1]!;
    const spellings: Array<[string, string]> = [
      ['an unused bit set', `${body}.${mac.slice(0, -1)}${last}`],
      ['two dots', `${body}..${mac}`],
      ['padding on the MAC', `${mac.length % 4 ? `${body}.${mac}==` : `${body}.${mac}=`}`],
      ['padding on the body', `${body}=.${mac}`],
      ['+ for -', standard(token).replace(/\//g, '_')],
      ['+ and / (escaped) for - and _', encodeURIComponent(standard(token))],
      ['a trailing slash', `${token}/`],
      ['a trailing slash and a query', `${token}/?utm=1`],
      ['a space', `${body}.${mac}%20`],
      ['a leading dot', `.${token}`],
    ];
    for (const [what, spelling] of spellings) {
      expectInvalidLink(await rawRequest(t.url, { path: `/v1/track/click/${spelling}` }), what);
    }
    // The canonical one redirects, and only it was recorded.
    const ok = await rawRequest(t.url, { path: `/v1/track/click/${token}` });
    expect([ok.status, ok.headers.location]).toEqual([302, expect.stringMatching(/^https:\/\/shop\.test\/\d+$/)]);
    const clicks = await eventually('the click', async () => {
      const events = (await detail(t, e.id)).events.filter((ev: { event_type: string }) => ev.event_type === 'click');
      return events.length > 0 ? events : undefined;
    });
    expect(clicks.map((c: { metadata: { url: string } }) => c.metadata.url)).toEqual([ok.headers.location]);
  });
});
