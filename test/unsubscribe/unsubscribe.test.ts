import { dkimVerify } from 'mailauth';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { settled, startTestServer, type TestServer } from '../helpers/server.js';

// Unsubscribe links end to end: the headers and placeholders of each recipient's copy (as the sandbox
// captured it), the one-click, page and mailto ways in, and what an unsubscribe stops afterwards.

const UNSUB_URL = /http:\/\/localhost:3000(\/v1\/unsubscribe\/[\w-]+\.[\w-]+)/;

describe.each(testDatabases())('unsubscribe links on %s', (kind) => {
  let t: TestServer;
  let domainId: string;
  let smtp: ReturnType<typeof nodemailer.createTransport>;

  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    domainId = await sandboxSender(t);
    await sandboxSender(t, 'other.test');
    smtp = nodemailer.createTransport({ host: '127.0.0.1', port: t.server.inboundPort ?? 0, ignoreTLS: true });
  });
  afterAll(async () => t?.close());

  /** Sends, waits until delivered, and returns the email id and each recipient's captured copy. */
  async function send(overrides: Record<string, unknown>) {
    const r = await t.call('POST', '/v1/emails/', sendBody(overrides));
    expect(r.status).toBe(202);
    await settled(t, r.body.id, 'delivered');
    const to = (overrides.to as Array<{ email: string }> | undefined)?.map((a) => a.email) ?? ['jane@recipient.test'];
    const copies: Record<string, string> = {};
    for (const address of to) {
      const raw = await t.call('GET', `/v1/emails/${r.body.id}/raw?recipient=${encodeURIComponent(address)}`);
      expect(raw.status).toBe(200);
      copies[address] = raw.body as string;
    }
    return { id: r.body.id as string, copies, raw: copies[to[0]!]! };
  }

  /** The path of a copy's List-Unsubscribe https URL and its mailto address. */
  async function headerTargets(raw: string): Promise<{ path: string; mailto: string; post: unknown }> {
    const parsed = await simpleParser(Buffer.from(raw));
    const value = String(parsed.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '');
    const path = UNSUB_URL.exec(value)?.[1] ?? '';
    const mailto = /<mailto:([^>]+)>/.exec(value.replace(/\r?\n\s*/g, ' '))?.[1] ?? '';
    const post = parsed.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line.replace(/^[^:]*:\s*/, '');
    return { path, mailto, post };
  }

  const suppressions = (address: string) =>
    t.server.store.db
      .selectFrom('suppressions')
      .select(['type', 'domain', 'tag'])
      .where('address', '=', address)
      .execute();
  const unsubscribeEvents = async (id: string) =>
    (
      (await t.call('GET', `/v1/emails/${id}/events`)).body as Array<{
        event_type: string;
        recipient: string;
        metadata: unknown;
      }>
    ).filter((e) => e.event_type === 'unsubscribe');
  const post = (path: string, body: string, type = 'application/x-www-form-urlencoded') =>
    fetch(t.url + path, { method: 'POST', headers: { 'content-type': type }, body });

  it('adds the headers when the domain setting or the send body says so, and not otherwise', async () => {
    expect((await send({})).raw).not.toMatch(/^List-Unsubscribe/im);
    const on = await send({ unsubscribe: true });
    expect((await t.call('GET', `/v1/emails/${on.id}`)).body.unsubscribe).toBe(true);
    const targets = await headerTargets(on.raw);
    expect(targets.path).toMatch(/^\/v1\/unsubscribe\//);
    expect(targets.mailto).toMatch(/^unsubscribe\+[\w-]+\.[\w-]+@tfm-bounces\.example\.com$/);
    expect(targets.mailto.split('@')[0]!.length).toBeLessThanOrEqual(64);
    expect(targets.post).toBe('List-Unsubscribe=One-Click');

    const patched = await t.call('PATCH', `/v1/domains/${domainId}`, { unsubscribe_links: true });
    expect(patched.status).toBe(200);
    expect(patched.body.unsubscribe_links).toBe(true);
    expect((await send({})).raw).toMatch(/^List-Unsubscribe:/im);
    expect((await send({ unsubscribe: false })).raw).not.toMatch(/^List-Unsubscribe/im);
    expect(
      (await t.call('PATCH', `/v1/domains/${domainId}`, { unsubscribe_links: false })).body.unsubscribe_links,
    ).toBe(false);
    expect((await t.call('POST', '/v1/emails/', sendBody({ unsubscribe: 'yes' }))).status).toBe(422);
    // An email's own List-Unsubscribe is kept, and ours not added.
    const own = await send({ unsubscribe: true, headers: { 'List-Unsubscribe': '<https://lists.example.com/u/1>' } });
    expect(own.raw).toContain('List-Unsubscribe: <https://lists.example.com/u/1>');
    expect(own.raw).not.toMatch(/List-Unsubscribe-Post|\/v1\/unsubscribe\//);
  });

  it('replaces the placeholders per recipient in HTML and text, and then adds the headers', async () => {
    const to = [{ email: 'ann.ph@recipient.test' }, { email: 'ben.ph@recipient.test' }];
    const e = await send({
      to,
      tags: ['news'],
      html: '<p><a href="%unsubscribe_url%">Unsubscribe</a> <a href="%tag_unsubscribe_url%">less news</a> |*UNSUBSCRIBE*|</p>',
      text: 'Unsubscribe: %unsubscribe_url%',
      tracking: { open: true, click: true },
    });
    const paths: string[] = [];
    for (const { email } of to) {
      const parsed = await simpleParser(Buffer.from(e.copies[email]!));
      const html = String(parsed.html);
      expect(html).not.toMatch(/%unsubscribe_url%|%tag_unsubscribe_url%|\|\*UNSUBSCRIBE\*\|/);
      const links = [...html.matchAll(/href="([^"]+)"/g)]
        .map((m) => m[1]!)
        .filter((u) => u.includes('/v1/unsubscribe/'));
      // Both links as written (never behind a tracking redirect), each its own token.
      expect(links).toHaveLength(2);
      expect(new Set(links).size).toBe(2);
      expect(html).toContain(`${links[0]}</p>`);
      expect(parsed.text).toMatch(UNSUB_URL);
      paths.push(UNSUB_URL.exec(String(parsed.text))![1]!);
      expect((await headerTargets(e.copies[email]!)).path).toMatch(/^\/v1\/unsubscribe\//);
    }
    expect(paths[0]).not.toBe(paths[1]);
  });

  it('signs both headers with DKIM: h= names them, and a changed one fails', async () => {
    const domain = await t.call('GET', `/v1/domains/${domainId}`);
    const dkim = domain.body.records.find((r: { purpose: string }) => r.purpose === 'dkim');
    const resolver = async (name: string, type: string) => {
      if (type === 'TXT' && name === dkim.name) return [[dkim.value]];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    const { raw } = await send({ unsubscribe: true });
    const ok = await dkimVerify(Buffer.from(raw), { resolver });
    expect(ok.results[0]?.status.result).toBe('pass');
    const h =
      /\bh=([^;]+);/
        .exec(raw.replace(/\r?\n\s+/g, ''))?.[1]
        ?.toLowerCase()
        .split(':') ?? [];
    expect(h).toEqual(expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post']));
    for (const tampered of [
      raw.replace('List-Unsubscribe-Post: List-Unsubscribe=One-Click', 'List-Unsubscribe-Post: List-Unsubscribe=Nope'),
      raw.replace('<http://localhost:3000/v1/unsubscribe/', '<http://evil.test:3000/v1/unsubscribe/'),
    ]) {
      expect(tampered).not.toBe(raw);
      const bad = await dkimVerify(Buffer.from(tampered), { resolver });
      expect(bad.results[0]?.status.result).toBe('fail');
    }
  });

  it('unsubscribes at once on a one-click POST: an event, a suppression, the domain’s next email rejected', async () => {
    const address = 'oneclick@recipient.test';
    const e = await send({ to: [{ email: address }], unsubscribe: true });
    const { path } = await headerTargets(e.raw);
    const res = await post(path, 'List-Unsubscribe=One-Click');
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    const events = await unsubscribeEvents(e.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      recipient: address,
      metadata: { scope: 'domain', domain: 'example.com', via: 'one_click' },
    });
    expect(await suppressions(address)).toEqual([{ type: 'unsubscribe', domain: 'example.com', tag: '' }]);
    // Twice: one suppression still (and one more event, for the second request).
    expect((await post(path, 'List-Unsubscribe=One-Click')).status).toBe(200);
    expect(await suppressions(address)).toHaveLength(1);
    expect(await unsubscribeEvents(e.id)).toHaveLength(2);
    // Multipart and mislabelled one-click requests are answered as one-click too.
    const multipart = '--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n';
    const viaMultipart = await post(path, multipart, 'multipart/form-data; boundary=b');
    expect([viaMultipart.status, await viaMultipart.text()]).toEqual([200, 'Unsubscribed.\n']);
    const viaText = await post(path, 'List-Unsubscribe=One-Click', 'text/plain');
    expect([viaText.status, await viaText.text()]).toEqual([200, 'Unsubscribed.\n']);
    expect(await suppressions(address)).toHaveLength(1);

    const next = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: address }] }));
    await settled(t, next.body.id, 'rejected');
    const other = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ from_: { email: 'hello@other.test' }, to: [{ email: address }] }),
    );
    await settled(t, other.body.id, 'delivered');
  });

  it('unsubscribes from one tag only with the tag link', async () => {
    const address = 'tagged@recipient.test';
    const e = await send({
      to: [{ email: address }],
      tags: ['digest', 'weekly'],
      html: '<a href="%tag_unsubscribe_url%">x</a>',
    });
    const path = UNSUB_URL.exec(String((await simpleParser(Buffer.from(e.raw))).html))![1]!;
    expect((await post(path, 'List-Unsubscribe=One-Click')).status).toBe(200);
    expect(await suppressions(address)).toEqual([{ type: 'unsubscribe', domain: 'example.com', tag: 'digest' }]);
    expect((await unsubscribeEvents(e.id))[0]?.metadata).toMatchObject({ scope: 'tag', tag: 'digest' });
    const digest = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: address }], tags: ['digest'] }));
    await settled(t, digest.body.id, 'rejected');
    const plain = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: address }], tags: ['receipts'] }));
    await settled(t, plain.body.id, 'delivered');
  });

  it('shows a page on GET that changes nothing; its button unsubscribes, and "subscribe again" undoes it', async () => {
    const address = 'page@recipient.test';
    const e = await send({ to: [{ email: address }], unsubscribe: true });
    const { path } = await headerTargets(e.raw);
    const page = await fetch(t.url + path);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/<title>[^<]+<\/title>/);
    expect(html).toContain(`<form method="post" action="${path}">`);
    expect(html).not.toMatch(/<script|<link|src=/);
    expect(await suppressions(address)).toEqual([]);
    expect(await unsubscribeEvents(e.id)).toEqual([]);

    const confirmed = await post(path, '');
    expect(confirmed.status).toBe(200);
    const done = await confirmed.text();
    expect(done).toContain(`action="${path}/resubscribe"`);
    expect(await suppressions(address)).toHaveLength(1);
    expect((await unsubscribeEvents(e.id))[0]?.metadata).toMatchObject({ via: 'page' });

    const again = await post(`${path}/resubscribe`, '');
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('subscribed again');
    expect(await suppressions(address)).toEqual([]);
  });

  it('answers a bad token with a 404 page', async () => {
    const { path } = await headerTargets((await send({ unsubscribe: true })).raw);
    const forged = path.slice(0, -2) + (path.endsWith('AA') ? 'BA' : 'AA');
    for (const p of [forged, '/v1/unsubscribe/nonsense']) {
      for (const res of [await fetch(t.url + p), await post(p, 'List-Unsubscribe=One-Click')]) {
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type')).toContain('text/html');
        expect(await res.text()).toContain('<html lang="en">');
      }
    }
  });

  it('unsubscribes by mail to the mailto address, through the inbound listener', async () => {
    const address = 'bymail@recipient.test';
    const e = await send({ to: [{ email: address }], unsubscribe: true });
    const { mailto } = await headerTargets(e.raw);
    const sent = await smtp.sendMail({ from: address, to: mailto, subject: 'unsubscribe', text: 'unsubscribe' });
    expect(sent.response).toMatch(/^250/);
    expect(await suppressions(address)).toEqual([{ type: 'unsubscribe', domain: 'example.com', tag: '' }]);
    expect((await unsubscribeEvents(e.id))[0]?.metadata).toMatchObject({ via: 'mailto' });
    // A forged token is no mailbox of ours.
    const forged = mailto.replace(/^unsubscribe\+./, (m) => m.slice(0, -1) + (m.endsWith('A') ? 'B' : 'A'));
    await expect(smtp.sendMail({ from: address, to: forged, text: 'x' })).rejects.toThrow(/550/);
  });
});
