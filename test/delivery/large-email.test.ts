import { randomBytes } from 'node:crypto';
import { promises as dnsPromises } from 'node:dns';
import { dkimVerify } from 'mailauth';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_COPY_BYTES, MAX_LINKS } from '../../src/core/body-limits.js';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sendBody } from '../helpers/fixtures.js';
import { eventually, settled, startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

// The largest emails the limits let through, delivered for real: the server keeps answering while each
// recipient's tracked copy of a multi-megabyte body is rendered, and a copy that would still come out
// larger than MAX_COPY_BYTES once encoded is not sent.

const MiB = 1024 * 1024;
const RECIPIENTS = 12;
const paragraph = `<p>${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(40)}</p>\n`;

/** About 2 MiB of HTML with MAX_LINKS links spread through it. */
function largeHtml(): string {
  const paragraphs = Math.ceil((2 * MiB) / paragraph.length);
  const parts = ['<html><body>'];
  for (let i = 0; i < paragraphs; i++) {
    parts.push(paragraph);
    const [from, to] = [Math.floor((i * MAX_LINKS) / paragraphs), Math.floor(((i + 1) * MAX_LINKS) / paragraphs)];
    for (let n = from; n < to; n++) parts.push(`<a href="https://shop.test/item/${n}">item ${n}</a>\n`);
  }
  return parts.join('') + '</body></html>';
}

describe.each(testDatabases())('large emails on %s', (kind) => {
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

  const copiesOf = (messageId: string) => sink.messages.filter((m) => m.raw.includes(messageId.slice(1, -1)));

  it(`keeps answering /healthz while ${RECIPIENTS} tracked copies of a 2 MiB body with ${MAX_LINKS} links go out`, async () => {
    const to = Array.from({ length: RECIPIENTS }, (_, i) => ({ email: `reader${i}@recipient.test` }));
    const sent = await t.call('POST', '/v1/emails/', sendBody({ to, html: largeHtml(), text: 'Our catalogue.' }));
    expect(sent.status).toBe(202);
    // Ask again and again until the last copy has reached the sink, noting how far delivery was at each answer.
    const answers: Array<{ status: number; copies: number }> = [];
    while (copiesOf(sent.body.message_id).length < RECIPIENTS) {
      const r = await fetch(`${t.url}/healthz`);
      await r.text();
      answers.push({ status: r.status, copies: copiesOf(sent.body.message_id).length });
    }
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.copies > 0 && a.copies < RECIPIENTS).length).toBeGreaterThan(0);
    await settled(t, sent.body.id, 'sent');

    const copies = copiesOf(sent.body.message_id);
    for (const c of copies) expect(c.raw.length).toBeLessThanOrEqual(MAX_COPY_BYTES);
    // Each copy has every link tracked (and the hidden honeypot link), signed for its own recipient.
    const html = String((await simpleParser(copies[0]!.raw)).html);
    expect(html.match(/href="http:\/\/localhost:3000\/v1\/track\/click\//g)).toHaveLength(MAX_LINKS + 1);
    const resolver = new dnsPromises.Resolver();
    resolver.setServers([dns.address]);
    const verdict = await dkimVerify(copies[0]!.raw, {
      resolver: (name: string, type: string) => resolver.resolve(name, type as 'TXT'),
    });
    expect(verdict.results[0]?.status.result).toBe('pass');
  }, 180_000);

  it('does not send a copy that comes out larger than the cap once encoded, and says why', async () => {
    // Accepted (each body is 5 MiB, the request under 40 MiB), but quoted-printable nearly triples "a=========".
    const body = 'a========='.repeat((5 * MiB) / 10);
    const sent = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({
        to: [{ email: 'one@recipient.test' }, { email: 'two@recipient.test' }],
        html: body,
        text: body,
        tracking: { open: false, click: false },
        attachments: [{ filename: 'big.bin', content_base64: randomBytes(18 * MiB).toString('base64') }],
      }),
    );
    expect(sent.status).toBe(202);
    // (Polled in the database: the API's detail carries both 5 MiB bodies each time.)
    const status = async () =>
      (await t.server.store.db.selectFrom('emails').select('status').where('id', '=', sent.body.id).executeTakeFirst())
        ?.status;
    await eventually('the email to fail', async () => ((await status()) === 'failed' ? true : undefined), 150_000);
    const detail = (await t.call('GET', `/v1/emails/${sent.body.id}`)).body;
    for (const r of detail.recipients) {
      expect(r.status).toBe('failed');
      expect(r.last_reply.text).toMatch(/the message is 5\d\.\d MiB once encoded; a copy may be at most 50 MiB/);
    }
    expect(copiesOf(sent.body.message_id)).toEqual([]);
  }, 180_000);
});
