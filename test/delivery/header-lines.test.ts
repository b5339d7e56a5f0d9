import { promises as dnsPromises } from 'node:dns';
import { dkimVerify } from 'mailauth';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sendBody } from '../helpers/fixtures.js';
import { settled, startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

// RFC 5322 §2.1.1: a line of a message is at most 998 characters (and should be at most 78). The
// longest inputs the send body allows, relayed to a real SMTP sink: every line of the raw message as
// the sink got it must fit, the DKIM signature must still verify, and each value must decode back.

/** A 253-character address (the longest smtp-server takes) with a 64-character local part. */
function longestAddress(i: number): string {
  const local = `${String(i).padStart(2, '0')}${'l'.repeat(62)}`;
  const domain = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(55)}.test`;
  return `${local}@${domain}`;
}

/** The header block of a raw message, one string per line (folds are separate lines). */
const headerLines = (raw: Buffer): string[] => raw.toString('latin1').split('\r\n\r\n')[0]!.split('\r\n');
const allLines = (raw: Buffer): string[] => raw.toString('latin1').split(/\r\n/);

/** A line over 78 characters that could have been folded: it has white space after its first character. */
const foldable = (line: string) => line.length > 78 && /\S\s/.test(line.slice(1));

/** A header value as a mail reader shows it: mailparser decodes a Subject's encoded-words, so it reads it as one. */
const decoded = async (value: unknown) => (await simpleParser(`Subject: ${String(value)}\r\n\r\n`)).subject;

const addresses = (a: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((o) => o.value.map((v) => [v.name, v.address]));

describe.each(testDatabases())('header lines of outgoing messages on %s', (kind) => {
  let t: TestServer;
  let dns: DnsServer;
  let sink: SmtpSink;
  let resolver: dnsPromises.Resolver;

  beforeAll(async () => {
    dns = await startDnsServer({});
    sink = await startSmtpSink();
    t = await startTestServer(kind, {
      TAIFA_DELIVERY: 'relay',
      TAIFA_SMTP_RELAY_URL: `smtp://127.0.0.1:${sink.port}`,
      TAIFA_DNS_SERVERS: dns.address,
    });
    await verifiedDomain(t, dns);
    resolver = new dnsPromises.Resolver();
    resolver.setServers([dns.address]);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await dns?.close();
  });

  /** Sends, waits until relayed, and returns the copies the sink received with the first one parsed. */
  async function relay(overrides: Record<string, unknown>): Promise<{ raws: Buffer[]; parsed: ParsedMail }> {
    const sent = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ tracking: { open: false, click: false }, ...overrides }),
    );
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    await settled(t, sent.body.id, 'sent');
    const raws = sink.messages.filter((m) => m.raw.includes(sent.body.message_id.slice(1, -1))).map((m) => m.raw);
    expect(raws.length).toBeGreaterThan(0);
    for (const raw of raws) {
      const verdict = await dkimVerify(raw, {
        resolver: (name: string, type: string) => resolver.resolve(name, type as 'TXT'),
      });
      expect(verdict.results[0]?.status.result).toBe('pass');
    }
    return { raws, parsed: await simpleParser(raws[0]!) };
  }

  /** No line of the message passes 998 characters; no header line passes 78 where it could have been folded. */
  function expectLinesFit(raw: Buffer): void {
    const long = allLines(raw).filter((l) => l.length > 998);
    expect(long.map((l) => `${l.length}: ${l.slice(0, 40)}…`)).toEqual([]);
    expect(headerLines(raw).filter(foldable)).toEqual([]);
  }

  it('sends a 998-character subject and 2,000-character headers without spaces on lines that fit', async () => {
    const subject = 's'.repeat(998);
    const token = 'T'.repeat(2000);
    const longName = `X-${'n'.repeat(74)}`;
    const { raws, parsed } = await relay({
      subject,
      headers: { 'X-Long-Token': token, [longName]: 'v'.repeat(2000) },
    });
    for (const raw of raws) expectLinesFit(raw);
    expect(parsed.subject).toBe(subject);
    expect(await decoded(parsed.headers.get('x-long-token'))).toBe(token);
    expect(await decoded(parsed.headers.get(longName.toLowerCase()))).toBe('v'.repeat(2000));
  });

  it('folds values with spaces at white space, and encodes long words of non-ASCII text', async () => {
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`)
      .join(' ')
      .slice(0, 998)
      .trim();
    const unicode = 'é'.repeat(998);
    const spaced = 'a b '.repeat(500).trim();
    const { raws, parsed } = await relay({
      subject: words,
      headers: { 'X-Unicode': 'ж'.repeat(2000), 'X-Spaced': spaced, 'X-Mixed': `start ${'m'.repeat(1990)} end` },
    });
    for (const raw of raws) expectLinesFit(raw);
    expect(parsed.subject).toBe(words);
    expect(await decoded(parsed.headers.get('x-unicode'))).toBe('ж'.repeat(2000));
    expect(parsed.headers.get('x-spaced')).toBe(spaced); // folded, not encoded
    expect(await decoded(parsed.headers.get('x-mixed'))).toBe(`start ${'m'.repeat(1990)} end`);
    const { parsed: second } = await relay({ subject: unicode });
    expect(second.subject).toBe(unicode);
  });

  it('sends the longest display names and addresses, 50 recipients in To, and long unsubscribe links', async () => {
    const to = Array.from({ length: 50 }, (_, i) => ({
      email: longestAddress(i),
      name: i % 2 ? `${'N'.repeat(250)} ${i}` : `"Quoted\\${'q'.repeat(240)}" ${i}`,
    }));
    const { raws, parsed } = await relay({
      from_: { email: 'hello@example.com', name: 'F'.repeat(256) },
      reply_to: { email: longestAddress(99), name: `Ünïcode ${'ü'.repeat(240)}` },
      to,
      unsubscribe: true,
      tags: Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'t'.repeat(254)}`),
    });
    expect(raws).toHaveLength(50);
    for (const raw of raws) expectLinesFit(raw);
    expect(addresses(parsed.from)).toEqual([['F'.repeat(256), 'hello@example.com']]);
    expect(addresses(parsed.replyTo)).toEqual([[`Ünïcode ${'ü'.repeat(240)}`, longestAddress(99)]]);
    expect(addresses(parsed.to)).toEqual(to.map((a) => [a.name, a.email]));
    const unsubscribe = parsed.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '';
    expect(unsubscribe).toMatch(/^List-Unsubscribe:\s+<http:\/\/localhost:3000\/v1\/unsubscribe\/[\w.-]+>,\s+<mailto:/);
  });

  it('refuses a header that cannot be encoded (References, In-Reply-To, List-*) holding a word too long for a line', async () => {
    for (const name of ['References', 'In-Reply-To', 'List-Unsubscribe', 'List-Id']) {
      const r = await t.call(
        'POST',
        '/v1/emails/',
        sendBody({ headers: { [name]: `<${'r'.repeat(1500)}@example.com>` } }),
      );
      expect(r.status).toBe(422);
      expect(r.body.code).toBe('validation_error');
      expect(r.body.errors.map((e: { field: string }) => e.field)).toEqual([`headers.${name}`]);
    }
    // Long values of these headers made of words that fit are folded, not refused.
    const refs = Array.from({ length: 25 }, (_, i) => `<${i}${'r'.repeat(60)}@example.com>`).join(' ');
    const { raws, parsed } = await relay({ headers: { References: refs } });
    for (const raw of raws) expectLinesFit(raw);
    expect(parsed.references).toEqual(refs.split(' '));
  });
});
