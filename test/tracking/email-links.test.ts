import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/services/accounts.js';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { eventually, settled, startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';
import { detail, engagement, hit } from './tracked-email.js';

const HTML =
  '<html><body><p>Your order</p><a href="https://shop.test/a?x=1&amp;y=2">Order</a> <a href="https://shop.test/b">Help</a> ' +
  '<a href="https://shop.test/a?x=1&amp;y=2">Order again</a> <a href="mailto:help@shop.test">Mail us</a></body></html>';
const TEXT = 'Your order: https://shop.test/a?x=1&y=2 and https://shop.test/text.';
const DESTINATIONS = ['https://shop.test/a?x=1&y=2', 'https://shop.test/b', 'https://shop.test/text'];

interface Links {
  recipient: string;
  pixel_url: string | null;
  links: Array<{ url: string; tracked_url: string }>;
}

/** The tracking URLs a delivered copy has: its pixel and its tracked links, each once, HTML first (no honeypot). */
async function copyUrls(raw: Buffer): Promise<{ pixel: string | null; clicks: string[] }> {
  const parsed = await simpleParser(raw);
  const html = parsed.html === false ? '' : String(parsed.html ?? '');
  const clicks = [
    ...[...html.matchAll(/<a href="([^"]+\/v1\/track\/click\/[^"]+)"([^>]*)>/g)]
      .filter((m) => !m[2]!.includes('display:none'))
      .map((m) => m[1]!.replace(/&amp;/g, '&')),
    ...[...(parsed.text ?? '').matchAll(/https?:\/\/\S+?\/v1\/track\/click\/[\w-]+\.[\w-]+/g)].map((m) => m[0]),
  ];
  return {
    pixel: /<img src="([^"]+\/v1\/track\/open\/[^"]+)"/.exec(html)?.[1] ?? null,
    clicks: [...new Set(clicks)],
  };
}

/** A URL of a copy, on the test server: copies point at TAIFA_PUBLIC_URL, the server listens on a port of its own. */
const onServer = (u: string) => new URL(u).pathname;

describe.each(testDatabases())('GET /v1/emails/{id}/links in sandbox mode on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  const send = async (extra: Record<string, unknown>) => {
    const r = await t.call('POST', '/v1/emails/', sendBody(extra));
    expect(r.status).toBe(202);
    return r.body.id as string;
  };

  it("lists each recipient's pixel and tracked links, exactly as in their copy, which redirect and record", async () => {
    const id = await send({
      to: [{ email: 'jane@recipient.test' }],
      cc: [{ email: 'Carl@Recipient.test' }],
      html: HTML,
      text: TEXT,
      tracking: { open: true, click: true },
    });
    await settled(t, id, 'delivered');
    const r = await t.call<Links[]>('GET', `/v1/emails/${id}/links`);
    expect(r.status).toBe(200);
    expect(r.body.map((x) => x.recipient)).toEqual(['jane@recipient.test', 'Carl@Recipient.test']);
    for (const entry of r.body) {
      const raw = await t.call('GET', `/v1/emails/${id}/raw?recipient=${encodeURIComponent(entry.recipient)}`);
      const copy = await copyUrls(Buffer.from(raw.body));
      expect(entry.pixel_url).toBe(copy.pixel);
      expect(entry.pixel_url).toMatch(/^http:\/\/localhost:3000\/v1\/track\/open\/[\w-]+\.[\w-]+$/);
      expect(entry.links.map((l) => l.tracked_url)).toEqual(copy.clicks);
      expect(entry.links.map((l) => l.url)).toEqual(DESTINATIONS);
    }
    const [jane, carl] = r.body as [Links, Links];
    expect(jane.pixel_url).not.toBe(carl.pixel_url);

    // Carl's mail client fetches the pixel as soon as the copy arrives: a machine's prefetch, recorded but not counted.
    const gif = await hit(t, onServer(carl.pixel_url!));
    expect([gif.status, gif.headers.get('content-type'), (await gif.arrayBuffer()).byteLength]).toEqual([
      200,
      'image/gif',
      43,
    ]);
    const prefetched = await eventually('the prefetch', async () => {
      const d = await detail(t, id);
      return engagement(d).length === 1 ? d : undefined;
    });
    expect(prefetched.events.find((e: { event_type: string }) => e.event_type === 'open')).toMatchObject({
      recipient: 'Carl@Recipient.test',
      metadata: { bot: 'generic', reason: 'prefetch' },
    });
    expect(prefetched.opened_count).toBe(0);

    // Jane reads it an hour later: her open and her click count.
    await t.server.store.db
      .updateTable('email_recipients')
      .set({ last_attempt_at: Date.now() - 3_600_000 })
      .where('email_id', '=', id)
      .where('address', '=', 'jane@recipient.test')
      .execute();
    expect((await hit(t, onServer(jane.pixel_url!))).status).toBe(200);
    const click = await hit(t, onServer(jane.links[1]!.tracked_url));
    expect([click.status, click.headers.get('location')]).toEqual([302, 'https://shop.test/b']);
    const counted = await eventually('the open and the click', async () => {
      const d = await detail(t, id);
      return d.opened_count === 1 && d.clicked_count === 1 ? d : undefined;
    });
    expect(engagement(counted)).toEqual([
      ['open', 'generic', 'prefetch', false],
      ['open', '', '', false],
      ['click', '', '', false],
    ]);
    const clickEvent = counted.events.find((e: { event_type: string }) => e.event_type === 'click');
    expect(clickEvent).toMatchObject({ recipient: 'jane@recipient.test', metadata: { url: 'https://shop.test/b' } });
  });

  it('lists no pixel and no links for an untracked email, and only the text links of a text-only one', async () => {
    const untracked = await send({ html: HTML, text: TEXT, tracking: { open: false, click: false } });
    expect((await t.call('GET', `/v1/emails/${untracked}/links`)).body).toEqual([
      { recipient: 'jane@recipient.test', pixel_url: null, links: [] },
    ]);
    const textOnly = await send({ html: null, text: TEXT, tracking: { open: true, click: true } });
    // Before the copy is rendered too: the URLs do not wait for delivery.
    const before = await t.call<Links[]>('GET', `/v1/emails/${textOnly}/links`);
    expect(before.body[0]!.pixel_url).toBeNull();
    expect(before.body[0]!.links.map((l) => l.url)).toEqual(['https://shop.test/a?x=1&y=2', 'https://shop.test/text']);
    await settled(t, textOnly, 'delivered');
    const raw = await t.call('GET', `/v1/emails/${textOnly}/raw`);
    expect(before.body[0]!.links.map((l) => l.tracked_url)).toEqual((await copyUrls(Buffer.from(raw.body))).clicks);
    const htmlOnly = await send({ text: null, html: HTML, tracking: { open: true, click: 'htmlonly' } });
    const links = (await t.call<Links[]>('GET', `/v1/emails/${htmlOnly}/links`)).body[0]!;
    expect(links.pixel_url).toMatch(/\/v1\/track\/open\//);
    expect(links.links.map((l) => l.url)).toEqual(DESTINATIONS.slice(0, 2));
  });

  it("answers 404 for another account's email and for an unknown one", async () => {
    const id = await send({ html: HTML });
    const other = await createAccount(t.server.store, { name: 'Other', plan: 'pro' });
    const theirs = await t.call('GET', `/v1/emails/${id}/links`, undefined, { key: other.key });
    expect([theirs.status, theirs.body.code]).toEqual([404, 'not_found']);
    const unknown = await t.call('GET', '/v1/emails/019d2c4e-5f10-7c22-8e01-0a6b2d9c4e11/links');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'not_found']);
    expect((await t.call('GET', `/v1/emails/${id}/links`, undefined, { key: null })).status).toBe(401);
  });
});

describe.each(testDatabases())('GET /v1/emails/{id}/links when delivering through a relay on %s', (kind) => {
  let t: TestServer;
  let dns: DnsServer;
  let sink: SmtpSink;
  beforeAll(async () => {
    dns = await startDnsServer({});
    sink = await startSmtpSink();
    t = await startTestServer(kind, {
      TAIFA_DELIVERY: 'relay',
      TAIFA_SMTP_RELAY_URL: `smtp://127.0.0.1:${sink.port}`,
      TAIFA_DNS_SERVERS: dns.address,
    });
    await verifiedDomain(t, dns);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await dns?.close();
  });

  it('has the URLs of the copies the relay received, one per recipient', async () => {
    const r = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({
        to: [{ email: 'jane@recipient.test' }, { email: 'omar@recipient.test' }],
        html: HTML,
        text: TEXT,
        tracking: { open: true, click: true },
      }),
    );
    expect(r.status).toBe(202);
    await settled(t, r.body.id, 'sent');
    const messages = await sink.waitForMessages(2);
    const links = (await t.call<Links[]>('GET', `/v1/emails/${r.body.id}/links`)).body;
    expect(links.map((l) => l.recipient)).toEqual(['jane@recipient.test', 'omar@recipient.test']);
    for (const entry of links) {
      const received = messages.find((m) => m.recipients.includes(entry.recipient));
      const copy = await copyUrls(received!.raw);
      expect(entry.pixel_url).toBe(copy.pixel);
      expect(entry.links.map((l) => l.tracked_url)).toEqual(copy.clicks);
      expect(entry.links.map((l) => l.url)).toEqual(DESTINATIONS);
    }
    const click = await hit(t, onServer(links[1]!.links[0]!.tracked_url));
    expect([click.status, click.headers.get('location')]).toEqual([302, DESTINATIONS[0]]);
    await eventually('the click', async () => {
      const d = await detail(t, r.body.id);
      return d.events.some(
        (e: { event_type: string; recipient: string }) =>
          e.event_type === 'click' && e.recipient === 'omar@recipient.test',
      )
        ? true
        : undefined;
    });
  });
});
