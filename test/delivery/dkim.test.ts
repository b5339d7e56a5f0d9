import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { dkimSign, dkimVerify } from 'mailauth';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { dkimKey, dkimSignature, type DkimKey } from '../../src/delivery/dkim.js';

const DOMAIN = 'example.com';
const SELECTOR = 'sel1';

let key: DkimKey;
let pem: string;
let publicKey: string;

beforeAll(() => {
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'der' },
  });
  pem = pair.privateKey;
  publicKey = pair.publicKey.toString('base64');
  key = dkimKey(DOMAIN, SELECTOR, pem);
});

/** A loopback resolver: the one TXT record of our selector, and nothing else (no DNS is asked). */
async function resolver(name: string, rrtype: string): Promise<string[][]> {
  if (rrtype === 'TXT' && name === `${SELECTOR}._domainkey.${DOMAIN}`) return [[`v=DKIM1; k=rsa; p=${publicKey}`]];
  throw Object.assign(new Error(`no ${rrtype} record for ${name}`), { code: 'ENOTFOUND' });
}

async function signed(message: string | Buffer): Promise<Buffer> {
  const raw = Buffer.from(message);
  return Buffer.concat([Buffer.from(await dkimSignature(raw, key)), raw]);
}

async function verdict(message: Buffer): Promise<string | undefined> {
  const { results } = await dkimVerify(message, { resolver });
  expect(results).toHaveLength(1);
  return results[0]?.status.result;
}

/** The bh= tag of a DKIM-Signature header, unfolded. */
function bodyHash(signature: string): string | undefined {
  return /\bbh=([^;]+)/.exec(signature.replace(/\r\n[ \t]/g, ''))?.[1]?.trim();
}

async function compose(options: ConstructorParameters<typeof MailComposer>[0]): Promise<Buffer> {
  return new MailComposer(options).compile().build();
}

const HEAD =
  'From: Sender <sender@example.com>\r\nTo: someone@recipient.test\r\nSubject: Hello\r\n' +
  'Date: Mon, 01 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n';

const cases: Array<[string, () => Promise<string | Buffer>]> = [
  ['a simple ASCII message', async () => `${HEAD}\r\nHello there.\r\n`],
  ['an empty body', async () => `${HEAD}\r\n`],
  ['trailing blank lines and whitespace runs', async () => `${HEAD}\r\n a  b\t\tc \t\r\n\r\n  \r\nd \r\n\r\n\r\n \t`],
  ['a body of blank lines only', async () => `${HEAD}\r\n\r\n \r\n\t\r\n`],
  ['a body without a final line break', async () => `${HEAD}\r\nno line break  `],
  ['LF line breaks', async () => `${HEAD}\r\nline one\n\nline  two \n\n`.replace(/\r\n/g, '\n')],
  [
    'long folded headers and odd header whitespace',
    async () =>
      'From: Sender <sender@example.com>\r\n' +
      `To: ${Array.from({ length: 12 }, (_, i) => `person${i} <person${i}@recipient.test>`).join(',\r\n\t ')}\r\n` +
      'Subject   :   spaced \t  out\r\n   and folded  \r\n' +
      'cc:lower@recipient.test\r\nX-Unsigned: whatever\r\nCc: second@recipient.test\r\n' +
      'Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n\r\nbody\r\n',
  ],
  [
    'a composed UTF-8 message with an encoded-word subject and an attachment',
    () =>
      compose({
        from: { name: 'Zoë Ñandú', address: 'sender@example.com' },
        to: [{ name: 'Ünïcode Person', address: 'someone@recipient.test' }],
        subject: `Résumé ✓ — ${'a long subject that nodemailer folds '.repeat(4)}`,
        text: 'Grüße,\n\nthe  team  \n\n\n',
        html: '<p>Grüße</p>',
        headers: { 'List-Unsubscribe': '<https://example.com/u/1>', 'X-Custom': 'kept' },
        messageId: '<2@example.com>',
        date: new Date(0),
        attachments: [{ filename: 'a.bin', content: Buffer.alloc(3000, 7) }],
      }),
  ],
  // Bodies past the signer's 128 KiB slice, so that slices end (and hold back blank lines) in every kind of place.
  ['a large body with blank lines, spaces and bare LFs across many slices', async () => `${HEAD}\r\n${largeBody()}`],
  ['a body of one 300 KiB line', async () => `${HEAD}\r\n${'x y\t'.repeat(75_000)}\r\n`],
  ['a body that ends in 200 KiB of blank lines', async () => `${HEAD}\r\nend\r\n${' \r\n\t\r\n'.repeat(40_000)}`],
];

/** About 1.5 MiB of lines of text, white space and nothing, with CRLF and bare LF breaks, the same every run. */
function largeBody(): string {
  const pieces = ['text  and\tmore ', '', '   ', '\t', 'x', 'trailing \t ', 'a'.repeat(900)];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const lines: string[] = [];
  for (let size = 0; size < 1.5 * 1024 * 1024;) {
    const line = pieces[next() % pieces.length]! + (next() % 5 === 0 ? '\n' : '\r\n');
    lines.push(line);
    size += line.length;
  }
  return lines.join('') + '\r\n\r\n  ';
}

describe('DKIM signer', () => {
  it.each(cases)('signs %s so that mailauth verifies it', async (_name, make) => {
    const message = await make();
    expect(await verdict(await signed(message))).toBe('pass');
  });

  it.each(cases)('hashes the body of %s as mailauth does', async (_name, make) => {
    const message = Buffer.from(await make());
    const ours = await dkimSignature(message, key);
    // The typings ask for the key at the top level; mailauth 4 reads it from signatureData.
    const signer = { signingDomain: DOMAIN, selector: SELECTOR, privateKey: pem };
    const theirs = await dkimSign(message, { ...signer, signatureData: [signer] });
    expect(theirs.errors).toEqual([]);
    expect(bodyHash(ours)).toBe(bodyHash(theirs.signatures));
  });

  it('writes the tags in the same order, the signed fields from the bottom up, in lines of at most 78', async () => {
    const to = Array.from({ length: 30 }, (_, i) => `person${i}@recipient.test`).join(', ');
    const message = Buffer.from(
      `${HEAD}X-Other: y\r\nTo: ${to}\r\nMIME-Version: 1.0\r\nSubject: ${'x'.repeat(200)}\r\n\r\nhi\r\n`,
    );
    const header = await dkimSignature(message, key);
    expect(header.endsWith('\r\n')).toBe(true);
    for (const line of header.slice(0, -2).split('\r\n')) expect(line.length).toBeLessThanOrEqual(78);
    const unfolded = header.replace(/\r\n /g, ' ');
    const tags = unfolded
      .slice('DKIM-Signature: '.length)
      .split(';')
      .map((t) => t.trim().split('=')[0]);
    expect(tags).toEqual(['v', 'a', 'c', 'd', 'h', 'q', 's', 't', 'bh', 'b']);
    expect(unfolded.replace(/: /g, ':')).toContain(' h=Subject:MIME-Version:To:Message-ID:Date:Subject:To:From;');
    expect(await verdict(Buffer.concat([Buffer.from(header), message]))).toBe('pass');
  });

  it('signs the bytes of 8-bit bodies as they are', async () => {
    const message = Buffer.concat([
      Buffer.from(`${HEAD}Content-Type: text/plain; charset=utf-8\r\n\r\n`),
      Buffer.from('ÿ à\u00a0é\r\n'),
    ]);
    expect(await verdict(await signed(message))).toBe('pass');
  });

  it('fails a message whose body was changed', async () => {
    const message = await signed(`${HEAD}\r\nPay 10 EUR.\r\n`);
    // mailauth's verdict for a body hash that does not match.
    expect(await verdict(Buffer.from(message.toString().replace('10 EUR', '99 EUR')))).toBe('neutral');
  });

  it('fails a message whose signed header was changed', async () => {
    const message = await signed(`${HEAD}\r\nHello.\r\n`);
    expect(await verdict(Buffer.from(message.toString().replace('Subject: Hello', 'Subject: Hallo')))).toBe('fail');
  });

  it('still passes when an unsigned header is added', async () => {
    const message = await signed(`${HEAD}\r\nHello.\r\n`);
    expect(await verdict(Buffer.concat([Buffer.from('Received: from somewhere\r\n'), message]))).toBe('pass');
  });

  it('refuses a message without a From field', async () => {
    await expect(dkimSignature(Buffer.from('Subject: x\r\n\r\nbody\r\n'), key)).rejects.toThrow(/From/);
  });
});
