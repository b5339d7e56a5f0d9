import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  CHROME,
  delivered,
  engagement,
  hit,
  HTML,
  receivedParts,
  sendTracked,
  waitEvents,
  type Engagement,
} from './tracked-email.js';

describe.each(testDatabases())('open and click tracking on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_TRUST_PROXY: '127.0.0.1' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  it('injects a pixel and rewrites http(s) links (not mailto:, not the text part when htmlonly)', async () => {
    const e = await sendTracked(t, { tracking: { click: 'htmlonly' } });
    expect(e.pixel).toMatch(/^\/v1\/track\/open\/[\w-]+\.[\w-]+$/);
    expect(e.links).toHaveLength(2);
    expect(e.honeypot).toMatch(/^\/v1\/track\/click\//);
    expect(e.html).toContain('<a href="mailto:x@y.test">mail</a>');
    expect(e.text).toContain('https://shop.test/a');
    const all = await sendTracked(t, { tracking: { click: true } });
    expect(all.text).not.toContain('https://shop.test/a');
    expect(all.text).toMatch(/\/v1\/track\/click\//);
    const none = await sendTracked(t, { tracking: { open: false, click: false } });
    expect(none.html).toBe(HTML);
  });

  it('puts no pixel in a text-only email, and tracks its links', async () => {
    const e = await sendTracked(t, {
      html: undefined,
      text: 'Read https://shop.test/text-only today.',
      tracking: { open: true, click: true },
    });
    const { raw, text } = await receivedParts(t, e.id);
    expect(raw).not.toContain('/v1/track/open/');
    expect(raw).not.toMatch(/text\/html/i);
    expect(text).toMatch(/^Read http:\/\/localhost:3000\/v1\/track\/click\/[\w-]+\.[\w-]+ today\.\s*$/);
  });

  it('puts the pixel where the email asks (tracking.pixel_position), over the domain setting', async () => {
    const top = await sendTracked(t, { tracking: { pixel_position: 'top' } });
    expect(top.html).toMatch(
      /^<html><body><a href="[^"]+\/v1\/track\/click\/[^"]+" style="display:none[^>]*>&#8203;<\/a><img src="[^"]+\/v1\/track\/open\/[^"]+"[^>]*\/><p>Hi<\/p>/,
    );
    const bottom = await sendTracked(t, { tracking: { pixel_position: 'bottom' } });
    expect(bottom.html).toMatch(/<img src="[^"]+\/v1\/track\/open\/[^"]+"[^>]*\/><\/body><\/html>$/);
  });

  it('refuses bad tracking values with 422 naming the field', async () => {
    for (const [tracking, field] of [
      [{ click: 'yes' }, 'tracking.click'],
      [{ open: 'yes' }, 'tracking.open'],
      [{ pixel_position: 'middle' }, 'tracking.pixel_position'],
      [{ clicks: true }, 'tracking.clicks'],
      ['on', 'tracking'],
    ] as const) {
      const r = await t.call('POST', '/v1/emails/', sendBody({ tracking }));
      expect(r.status).toBe(422);
      expect(r.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
  });

  it("uses the domain's tracking host and pixel position, changed with PATCH /v1/domains/{id}", async () => {
    const domains = await t.call('GET', '/v1/domains');
    const id = domains.body[0].id;
    const bad = await t.call('PATCH', `/v1/domains/${id}`, { pixel_position: 'middle' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('pixel_position');
    const patched = await t.call('PATCH', `/v1/domains/${id}`, {
      tracking_host: 'Track.Example.com',
      pixel_position: 'top',
    });
    expect(patched.body).toMatchObject({
      tracking_host: 'track.example.com',
      pixel_position: 'top',
      open_tracking: true,
      click_tracking: true,
    });
    try {
      const r = await t.call('POST', '/v1/emails/', sendBody({ html: HTML }));
      await delivered(t, r.body.id);
      expect((await receivedParts(t, r.body.id)).html).toMatch(
        /^<html><body><a href="http:\/\/track\.example\.com\/v1\/track\/click\/[^"]+" style="display:none[^>]*>&#8203;<\/a><img src="http:\/\/track\.example\.com\/v1\/track\/open\//,
      );
      const off = await t.call('PATCH', `/v1/domains/${id}`, { open_tracking: false, click_tracking: false });
      expect(off.body).toMatchObject({ open_tracking: false, click_tracking: false });
      const plain = await t.call('POST', '/v1/emails/', sendBody({ html: HTML }));
      await delivered(t, plain.body.id);
      expect((await receivedParts(t, plain.body.id)).html).toBe(HTML);
    } finally {
      await t.call('PATCH', `/v1/domains/${id}`, {
        tracking_host: null,
        pixel_position: 'bottom',
        open_tracking: true,
        click_tracking: true,
      });
    }
  });

  it('answers the 43-byte GIF uncached; counts a person once per window; logs scanners without counting them', async () => {
    const e = await sendTracked(t);
    const res = await hit(t, e.pixel);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(res.headers.get('cache-control')).toBe('no-store, no-cache, must-revalidate, private');
    expect((await res.arrayBuffer()).byteLength).toBe(43);
    await waitEvents(t, e.id, 1);
    await hit(t, e.pixel); // again at once: coalesced
    await waitEvents(t, e.id, 2);
    await hit(t, e.pixel, 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)');
    const d = await waitEvents(t, e.id, 3, { opened_count: 1 });
    expect(engagement(d)).toEqual([
      ['open', '', '', false],
      ['open', '', '', true],
      ['open', 'gmail', 'ua', false],
    ]);
    expect(d.opened_count).toBe(1);
    expect(d.opened_at).toBe(d.events.find((x: Engagement) => x.event_type === 'open').created_at);
    const open = d.events.find((x: Engagement) => x.event_type === 'open');
    expect(open.metadata).toMatchObject({ ua: CHROME, ip: '127.0.0.1', bot: '' });
  });

  it('redirects a click to the original URL, counts it with its address and referer, and back-fills the missing open', async () => {
    const e = await sendTracked(t);
    const res = await hit(t, e.links[0]!, CHROME, { referer: 'https://mail.example.net/inbox' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.test/a?x=1&y=2');
    const d = await waitEvents(t, e.id, 2, { clicked_count: 1, opened_count: 1 });
    expect(engagement(d)).toEqual([
      ['click', '', '', false],
      ['open', '', '', false],
    ]);
    const click = d.events.find((x: Engagement) => x.event_type === 'click');
    const open = d.events.find((x: Engagement) => x.event_type === 'open');
    expect(open.metadata.backfilled).toBe(true);
    expect(d).toMatchObject({
      clicked_count: 1,
      opened_count: 1,
      clicked_at: click.created_at,
      opened_at: click.created_at,
    });
    expect(click.metadata).toMatchObject({
      url: 'https://shop.test/a?x=1&y=2',
      ua: CHROME,
      ip: '127.0.0.1',
      referer: 'https://mail.example.net/inbox',
      bot: '',
    });
    // The same link again at once is coalesced; another link counts; the first click time stays.
    await hit(t, e.links[0]!);
    await hit(t, e.links[1]!);
    const after = await waitEvents(t, e.id, 4, { clicked_count: 2 });
    expect(after.opened_count).toBe(1);
    expect(after.clicked_at).toBe(click.created_at);
  });

  it("classifies by the visitor's address behind a trusted proxy (Apple Mail Privacy Protection)", async () => {
    const e = await sendTracked(t);
    await fetch(t.url + e.pixel, { headers: { 'user-agent': 'Mozilla/5.0', 'x-forwarded-for': '17.58.63.1' } });
    const d = await waitEvents(t, e.id, 1);
    expect(engagement(d)).toEqual([['open', 'apple', 'ip', false]]);
    expect(d.events.find((x: Engagement) => x.event_type === 'open').metadata.ip).toBe('17.58.63.1');
    expect(d.opened_count).toBe(0);
  });

  it('redirects to URLs with non-ASCII characters, percent-encoded (never a 500)', async () => {
    const e = await sendTracked(t, {
      html: '<a href="https://shop.test/café/東京?q=ü">x</a>',
      tracking: { open: false, click: true },
    });
    const res = await hit(t, e.links[0]!);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://shop.test/caf%C3%A9/%E6%9D%B1%E4%BA%AC?q=%C3%BC');
  });

  it('never redirects a forged or tampered token; a bad pixel token still gets the GIF', async () => {
    const e = await sendTracked(t);
    const [body, mac] = e.links[0]!.split('/').pop()!.split('.');
    const forged = Buffer.from(body!, 'base64url');
    forged.write('https://evil.test/xx', 33);
    const bad = await hit(t, `/v1/track/click/${forged.toString('base64url')}.${mac}`);
    expect(bad.status).toBe(404);
    expect(bad.headers.get('location')).toBeNull();
    expect((await hit(t, '/v1/track/click/nonsense')).status).toBe(404);
    const pixel = await hit(t, '/v1/track/open/nonsense');
    expect(pixel.status).toBe(200);
    expect(pixel.headers.get('content-type')).toBe('image/gif');
  });
});
