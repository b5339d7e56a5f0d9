import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { classifyHit } from '../../src/core/bot-classification.js';
import { loadScannerLists } from '../../src/tracking/scanner-lists.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

const CHROME = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const HTML = '<html><body><p>Hi</p><a href="https://shop.test/a?x=1&amp;y=2">Shop</a> <a href="https://shop.test/b">B</a> <a href="mailto:x@y.test">mail</a></body></html>';

interface Links { pixel: string; links: string[]; honeypot: string; html: string; text: string }

describe.each(testDatabases())('open and click tracking on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_TRUST_PROXY: '127.0.0.1' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  /** Sends, waits for delivery, and returns the tracking URLs (as paths) of the recipient's copy. */
  async function send(extra: Record<string, unknown> = {}, sentLongAgo = true): Promise<{ id: string } & Links> {
    const r = await t.call('POST', '/v1/emails/', sendBody({ html: HTML, text: 'Visit https://shop.test/a now.', ...extra }));
    await eventually('delivered', async () => ((await t.call('GET', `/v1/emails/${r.body.id}`)).body.status === 'delivered' ? true : undefined));
    if (sentLongAgo) await t.server.store.db.updateTable('email_recipients').set({ last_attempt_at: Date.now() - 3_600_000 }).where('email_id', '=', r.body.id).execute();
    const raw = await t.call('GET', `/v1/emails/${r.body.id}/raw`);
    const parsed = await simpleParser(Buffer.from(raw.body));
    const html = String(parsed.html || '');
    const path = (u: string) => new URL(u.replace(/&amp;/g, '&')).pathname;
    const pixel = /<img src="([^"]+\/v1\/track\/open\/[^"]+)"/.exec(html)?.[1];
    const anchors = [...html.matchAll(/<a href="([^"]+)"([^>]*)>/g)];
    return {
      id: r.body.id, html, text: parsed.text ?? '',
      pixel: pixel ? path(pixel) : '',
      links: anchors.filter((a) => a[1]!.includes('/v1/track/click/') && !a[2]!.includes('display:none')).map((a) => path(a[1]!)),
      honeypot: anchors.filter((a) => a[2]!.includes('display:none')).map((a) => path(a[1]!))[0] ?? '',
    };
  }
  const hit = (p: string, ua = CHROME) => fetch(t.url + p, { headers: { 'user-agent': ua }, redirect: 'manual' });
  const detail = async (id: string) => (await t.call('GET', `/v1/emails/${id}`)).body;
  const engagement = (d: { events: Array<{ event_type: string; metadata: Record<string, unknown> }> }) =>
    d.events.filter((e) => e.event_type === 'open' || e.event_type === 'click').map((e) => [e.event_type, e.metadata.bot, e.metadata.reason, Boolean(e.metadata.coalesced)]);
  // The detail reads the email row and its events in separate queries: wait until both show the hit.
  const waitEvents = (id: string, n: number, counts: Record<string, number> = {}) => eventually(`${n} engagement events`, async () => {
    const d = await detail(id);
    return engagement(d).length >= n && Object.entries(counts).every(([k, v]) => d[k] === v) ? d : undefined;
  });

  it('injects a pixel and rewrites http(s) links (not mailto:, not the text part when htmlonly)', async () => {
    const e = await send({ tracking: { click: 'htmlonly' } });
    expect(e.pixel).toMatch(/^\/v1\/track\/open\/[\w-]+\.[\w-]+$/);
    expect(e.links).toHaveLength(2);
    expect(e.honeypot).toMatch(/^\/v1\/track\/click\//);
    expect(e.html).toContain('<a href="mailto:x@y.test">mail</a>');
    expect(e.text).toContain('https://shop.test/a');
    const all = await send({ tracking: { click: true } });
    expect(all.text).not.toContain('https://shop.test/a');
    expect(all.text).toMatch(/\/v1\/track\/click\//);
    const none = await send({ tracking: { open: false, click: false } });
    expect(none.html).toBe(HTML);
  });

  it("uses the domain's tracking host and pixel position, changed with PATCH /v1/domains/{id}", async () => {
    const domains = await t.call('GET', '/v1/domains');
    const id = domains.body[0].id;
    const bad = await t.call('PATCH', `/v1/domains/${id}`, { pixel_position: 'middle' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('pixel_position');
    const patched = await t.call('PATCH', `/v1/domains/${id}`, { tracking_host: 'Track.Example.com', pixel_position: 'top' });
    expect(patched.body).toMatchObject({ tracking_host: 'track.example.com', pixel_position: 'top', open_tracking: true, click_tracking: true });
    try {
      const r = await t.call('POST', '/v1/emails/', sendBody({ html: HTML }));
      await eventually('delivered', async () => ((await t.call('GET', `/v1/emails/${r.body.id}`)).body.status === 'delivered' ? true : undefined));
      const html = String((await simpleParser(Buffer.from((await t.call('GET', `/v1/emails/${r.body.id}/raw`)).body))).html);
      expect(html).toMatch(/^<html><body><a href="http:\/\/track\.example\.com\/v1\/track\/click\/[^"]+" style="display:none[^>]*>&#8203;<\/a><img src="http:\/\/track\.example\.com\/v1\/track\/open\//);
      const off = await t.call('PATCH', `/v1/domains/${id}`, { open_tracking: false, click_tracking: false });
      expect(off.body).toMatchObject({ open_tracking: false, click_tracking: false });
      const plain = await t.call('POST', '/v1/emails/', sendBody({ html: HTML }));
      await eventually('delivered', async () => ((await t.call('GET', `/v1/emails/${plain.body.id}`)).body.status === 'delivered' ? true : undefined));
      expect(String((await simpleParser(Buffer.from((await t.call('GET', `/v1/emails/${plain.body.id}/raw`)).body))).html)).toBe(HTML);
    } finally {
      await t.call('PATCH', `/v1/domains/${id}`, { tracking_host: null, pixel_position: 'bottom', open_tracking: true, click_tracking: true });
    }
  });

  it('answers the 43-byte GIF uncached; counts a person once per window; logs scanners without counting them', async () => {
    const e = await send();
    const res = await hit(e.pixel);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('cache-control')).toBe('no-store, no-cache, must-revalidate, private');
    expect((await res.arrayBuffer()).byteLength).toBe(43);
    await waitEvents(e.id, 1);
    await hit(e.pixel); // again at once: coalesced
    await waitEvents(e.id, 2);
    await hit(e.pixel, 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)');
    const d = await waitEvents(e.id, 3, { opened_count: 1 });
    expect(engagement(d)).toEqual([['open', '', '', false], ['open', '', '', true], ['open', 'gmail', 'ua', false]]);
    expect(d.opened_count).toBe(1);
    expect(d.opened_at).toMatch(/Z$/);
    const open = d.events.find((x: { event_type: string }) => x.event_type === 'open');
    expect(open.metadata).toMatchObject({ ua: CHROME, ip: '127.0.0.1', bot: '' });
  });

  it('redirects a click to the original URL, counts it, and back-fills the missing open', async () => {
    const e = await send();
    const res = await hit(e.links[0]!);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.test/a?x=1&y=2');
    const d = await waitEvents(e.id, 2, { clicked_count: 1, opened_count: 1 });
    expect(engagement(d)).toEqual([['click', '', '', false], ['open', '', '', false]]);
    expect(d.events.find((x: { event_type: string }) => x.event_type === 'open').metadata.backfilled).toBe(true);
    expect(d).toMatchObject({ clicked_count: 1, opened_count: 1 });
    const click = d.events.find((x: { event_type: string }) => x.event_type === 'click');
    expect(click.metadata).toMatchObject({ url: 'https://shop.test/a?x=1&y=2', ua: CHROME });
    // The same link again at once is coalesced; another link counts.
    await hit(e.links[0]!);
    await hit(e.links[1]!);
    const after = await waitEvents(e.id, 4, { clicked_count: 2 });
    expect(after.opened_count).toBe(1);
  });

  it('treats a visitor who follows the honeypot as a machine, before and after', async () => {
    const e = await send();
    await hit(e.links[0]!);
    await waitEvents(e.id, 2, { clicked_count: 1 });
    const trap = await hit(e.honeypot);
    expect(trap.status).toBe(204);
    await hit(e.links[1]!);
    const d = await waitEvents(e.id, 4, { clicked_count: 0 });
    const clicks = d.events.filter((x: { event_type: string }) => x.event_type === 'click').map((x: { metadata: Record<string, unknown> }) => [x.metadata.bot, x.metadata.reason]);
    expect(clicks).toEqual([['generic', 'honeypot'], ['generic', 'honeypot'], ['generic', 'honeypot']]);
    expect(d.clicked_count).toBe(0);
  });

  it("classifies by the visitor's address behind a trusted proxy (Apple Mail Privacy Protection)", async () => {
    const e = await send();
    await fetch(t.url + e.pixel, { headers: { 'user-agent': 'Mozilla/5.0', 'x-forwarded-for': '17.58.63.1' } });
    const d = await waitEvents(e.id, 1);
    expect(engagement(d)).toEqual([['open', 'apple', 'ip', false]]);
    expect(d.events.find((x: { event_type: string }) => x.event_type === 'open').metadata.ip).toBe('17.58.63.1');
    expect(d.opened_count).toBe(0);
  });

  it('counts a hit seconds after sending as a prefetch', async () => {
    const e = await send({}, false);
    await hit(e.pixel);
    const d = await waitEvents(e.id, 1);
    expect(engagement(d)).toEqual([['open', 'generic', 'prefetch', false]]);
    expect(d.opened_count).toBe(0);
    expect(d.opened_at ?? null).toBeNull();
  });

  it('redirects to URLs with non-ASCII characters, percent-encoded (never a 500)', async () => {
    const e = await send({ html: '<a href="https://shop.test/café/東京?q=ü">x</a>', tracking: { open: false, click: true } });
    const res = await hit(e.links[0]!);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.test/caf%C3%A9/%E6%9D%B1%E4%BA%AC?q=%C3%BC');
  });

  it('never redirects a forged or tampered token; a bad pixel token still gets the GIF', async () => {
    const e = await send();
    const [body, mac] = e.links[0]!.split('/').pop()!.split('.');
    const forged = Buffer.from(body!, 'base64url');
    forged.write('https://evil.test/xx', 33);
    const bad = await hit(`/v1/track/click/${forged.toString('base64url')}.${mac}`);
    expect(bad.status).toBe(404);
    expect(bad.headers.get('location')).toBeNull();
    expect((await hit('/v1/track/click/nonsense')).status).toBe(404);
    const pixel = await hit('/v1/track/open/nonsense');
    expect(pixel.status).toBe(200);
    expect(pixel.headers.get('content-type')).toBe('image/gif');
  });
});

describe('scanner lists and classification', () => {
  const lists = loadScannerLists();
  it('knows scanner user agents, HTTP libraries and headless browsers', () => {
    expect(lists.agent('Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)')).toBe('gmail');
    expect(lists.agent('YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html')).toBe('generic');
    expect(lists.agent('Mozilla/5.0 HeadlessChrome/120.0')).toBe('generic');
    expect(lists.agent('python-requests/2.31')).toBe('generic');
    expect(lists.agent('Mozilla/5.0 (compatible; Googlebot/2.1)')).toBe('generic');
    expect(lists.agent('')).toBe('generic');
    expect(lists.agent(CHROME)).toBeNull();
  });
  it('knows the address ranges of Apple, Google, Microsoft, Proofpoint and Mimecast', () => {
    expect(lists.address('17.58.100.1')).toBe('apple');
    expect(lists.address('66.249.84.10')).toBe('gmail');
    expect(lists.address('40.107.3.4')).toBe('microsoft');
    expect(lists.address('148.163.130.1')).toBe('proofpoint');
    expect(lists.address('205.139.110.20')).toBe('mimecast');
    expect(lists.address('::ffff:17.1.1.1')).toBe('apple');
    expect(lists.address('203.0.113.5')).toBeNull();
    expect(lists.address('not an ip')).toBeNull();
  });
  it('puts the user agent first, then the address, then timing', () => {
    expect(classifyHit(lists, { ua: CHROME, ip: '17.1.1.1', at: 100_000, sentAt: 0, prefetchMs: 10_000 })).toEqual({ bot: 'apple', reason: 'ip' });
    expect(classifyHit(lists, { ua: CHROME, ip: '203.0.113.5', at: 5_000, sentAt: 0, prefetchMs: 10_000 })).toEqual({ bot: 'generic', reason: 'prefetch' });
    expect(classifyHit(lists, { ua: CHROME, ip: '203.0.113.5', at: 50_000, sentAt: 0, prefetchMs: 10_000 })).toEqual({ bot: '', reason: '' });
  });
});

describe('a click when the database is down', () => {
  it('still redirects', async () => {
    const t = await startTestServer('sqlite', { TAIFA_SANDBOX: 'true' });
    try {
      await sandboxSender(t);
      const r = await t.call('POST', '/v1/emails/', sendBody({ html: HTML }));
      await eventually('delivered', async () => ((await t.call('GET', `/v1/emails/${r.body.id}`)).body.status === 'delivered' ? true : undefined));
      const raw = await t.call('GET', `/v1/emails/${r.body.id}/raw`);
      const html = String((await simpleParser(Buffer.from(raw.body))).html);
      const link = new URL(/<a href="([^"]+\/v1\/track\/click\/[^"]+)">Shop/.exec(html)![1]!).pathname;
      await t.server.store.db.destroy();
      const res = await fetch(t.url + link, { redirect: 'manual', headers: { 'user-agent': CHROME } });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('https://shop.test/a?x=1&y=2');
    } finally {
      await t.server.app.close();
      await t.server.worker?.stop().catch(() => undefined);
    }
  });
});
