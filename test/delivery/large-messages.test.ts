import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINKS } from '../../src/core/body-limits.js';
import { dkimKey, type DkimKey } from '../../src/delivery/dkim.js';
import { renderMime } from '../../src/delivery/render-mime.js';
import { rewriteHtml } from '../../src/tracking/links/rewrite-html.js';
import { trackedBodies, trackedTemplate, trackingPlan } from '../../src/tracking/links/tracked-bodies.js';
import { TrackingTokens } from '../../src/tracking/tokens.js';
import type { AttachmentRow, DomainRow, EmailRow } from '../../src/store/schema.js';
import { corpusDir } from '../helpers/corpus.js';

// Rendering a large email a piece at a time: the same bytes as in one go, with the event loop turning
// in between (so that the server keeps answering while a 5 MiB body goes to 50 recipients).

const MiB = 1024 * 1024;
const EMAIL_ID = '01890000-0000-7000-8000-000000000001';
const RECIPIENT_ID = '01890000-0000-7000-8000-000000000002';

let key: DkimKey;
beforeAll(() => {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  key = dkimKey('example.com', 'sel1', privateKey);
});

function email(html: string | null, text: string | null): EmailRow {
  return {
    id: EMAIL_ID,
    from_email: 'hello@example.com',
    from_name: 'Example',
    to_json: [{ email: 'jane@recipient.test', name: 'Jane' }],
    cc_json: null,
    bcc_json: null,
    reply_to_json: null,
    subject: 'Large',
    html_body: html,
    text_body: text,
    headers_json: { 'X-Campaign': 'big' },
    message_id: `<${EMAIL_ID}@example.com>`,
    created_at: Date.UTC(2026, 0, 1),
    tracking_json: null,
  } as unknown as EmailRow;
}

const attachment = (filename: string, content: Buffer, type = 'application/octet-stream') =>
  ({ filename, content, content_type: type }) as AttachmentRow;

/** The message as nodemailer composes it from whole strings and buffers, as renderMime once did. */
async function composedWhole(e: EmailRow, attachments: AttachmentRow[]): Promise<Buffer> {
  const composer = new MailComposer({
    from: { name: e.from_name ?? '', address: e.from_email },
    to: e.to_json.map((a) => ({ name: a.name ?? '', address: a.email })),
    cc: [],
    subject: e.subject,
    text: e.text_body ?? undefined,
    html: e.html_body ?? undefined,
    headers: e.headers_json ?? {},
    messageId: e.message_id,
    date: new Date(e.created_at),
    attachments: attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.content_type })),
  });
  return composer.compile().build();
}

/** How many times the event loop turned while `work` ran. */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let done = false;
  const tick = () => {
    turns++;
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  await work();
  done = true;
  return turns;
}

const paragraph = `<p>${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(40)}</p>\n`;
/** About `size` of HTML with `links` links spread through it. */
function largeHtml(size: number, links: number): string {
  const parts: string[] = ['<html><body>'];
  const paragraphs = Math.ceil(size / paragraph.length);
  for (let i = 0; i < paragraphs; i++) {
    parts.push(paragraph);
    const [from, to] = [Math.floor((i * links) / paragraphs), Math.floor(((i + 1) * links) / paragraphs)];
    for (let n = from; n < to; n++) parts.push(`<a href="https://shop.test/item/${n}?utm=x&amp;y=1">item</a>\n`);
  }
  return parts.join('') + '</body></html>';
}

/** The header blocks of a message and its parts, without the DKIM signature, random MIME boundaries numbered. */
function partHeaders(raw: Buffer): string[] {
  const text = raw.toString('latin1').replace(/^DKIM-Signature:.*\r\n(?:[ \t].*\r\n)*/, '');
  const boundaries = [...new Set([...text.matchAll(/boundary="([^"]+)"/g)].map((m) => m[1]!))];
  const numbered = boundaries.reduce((t, b, i) => t.split(b).join(`BOUNDARY-${i}`), text);
  return [...numbered.matchAll(/(?:^|--BOUNDARY-\d+\r\n)((?:[^\r\n]+\r\n)+)\r\n/g)].map((m) => m[1]!);
}

describe('rendering a large message', () => {
  it.each([
    ['short ASCII lines (7bit)', 'Hello\r\nthere\r\n'.repeat(20_000), '<p>hi</p>\n'.repeat(20_000)],
    ['long ASCII lines (quoted-printable)', 'x= '.repeat(200_000), largeHtml(MiB, 50)],
    [
      'mostly Latin with accents (quoted-printable)',
      'Grüße aus Köln. '.repeat(50_000),
      '<p>Ça va très bien</p>'.repeat(30_000),
    ],
    ['mostly CJK (base64)', '東京の天気は晴れです。'.repeat(40_000), '<p>東京</p>'.repeat(50_000)],
  ])('writes the same message as nodemailer given whole strings: %s', async (_what, text, html) => {
    const e = email(html, text);
    const files = [
      attachment('a.bin', randomBytes(300_000)),
      attachment('notes.txt', Buffer.from('line\n'.repeat(30_000)), 'text/plain'),
      attachment('fwd.eml', Buffer.from('Subject: fwd\r\n\r\nforwarded\r\n'), 'message/rfc822'),
    ];
    const ours = await renderMime(e, files, key);
    const whole = await composedWhole(e, files);
    // The same parts with the same headers (transfer encodings included)…
    expect(partHeaders(ours)).toHaveLength(7); // mixed, alternative, text, html and the three files
    expect(partHeaders(ours)).toEqual(partHeaders(whole));
    // …and the same content once decoded (where quoted-printable puts its soft line breaks may differ).
    const [a, b] = [await simpleParser(ours), await simpleParser(whole)];
    expect([a.html, a.text]).toEqual([b.html, b.text]);
    expect(a.attachments.map((f) => f.content.toString('base64'))).toEqual(
      b.attachments.map((f) => f.content.toString('base64')),
    );
  });

  it('lets the event loop turn many times while one copy of a 5 MiB body with a 24 MiB attachment renders', async () => {
    const e = email(largeHtml(5 * MiB - 64 * 1024, MAX_LINKS), 'text '.repeat(MiB));
    const files = [attachment('big.bin', randomBytes(24 * MiB))];
    let raw: Buffer = Buffer.alloc(0);
    const turns = await turnsDuring(async () => (raw = await renderMime(e, files, key)));
    expect(raw.length).toBeGreaterThan(38 * MiB);
    // Encoding and signing 40 MiB in 16 KiB and 128 KiB pieces: hundreds of turns; in one go, a handful.
    expect(turns).toBeGreaterThan(300);
  });

  it('lets the event loop turn while a 5 MiB body is rewritten for tracking and each copy filled in', async () => {
    const e = email(largeHtml(5 * MiB - 64 * 1024, MAX_LINKS), null);
    const plan = trackingPlan(
      e,
      { open_tracking: 1, click_tracking: 1, tracking_host: null } as DomainRow,
      'http://t.test',
    );
    let template = await trackedTemplate(e, plan);
    expect(await turnsDuring(async () => (template = await trackedTemplate(e, plan)))).toBeGreaterThan(50);
    expect(template.links).toHaveLength(MAX_LINKS + 1); // and the honeypot
    const tokens = new TrackingTokens('secret');
    expect(await turnsDuring(() => trackedBodies(e, plan, template, tokens, RECIPIENT_ID))).toBeGreaterThan(3);
  });

  it('leaves links past the cap as written (an email accepted before the cap)', async () => {
    const e = email(largeHtml(MiB, MAX_LINKS + 5), null);
    const plan = trackingPlan(
      e,
      { open_tracking: 0, click_tracking: 1, tracking_host: null } as DomainRow,
      'http://t.test',
    );
    const template = await trackedTemplate(e, plan);
    expect(template.links).toHaveLength(MAX_LINKS + 1);
    for (let i = MAX_LINKS; i < MAX_LINKS + 5; i++) expect(template.html).toContain(`https://shop.test/item/${i}?`);
  });
});

const CORPUS = corpusDir('html');

describe.skipIf(CORPUS === null)('rewriting HTML a chunk at a time', () => {
  // Every real email of the corpus, one after the other: a large document whose chunks end anywhere.
  const html = CORPUS
    ? fs
        .readdirSync(CORPUS)
        .filter((f) => f.endsWith('.html'))
        .map((f) => fs.readFileSync(path.join(CORPUS, f), 'utf8'))
        .join('\n')
    : '';
  const tracked = (u: string) => `https://t.test/c/${Buffer.from(u).toString('base64url')}`;

  it.each([1, 7, 100, 4096, 65_536])(
    'rewrites the same whatever the chunk size (%i characters)',
    async (chunkChars) => {
      const options = { clickUrl: tracked, pixelUrl: 'https://t.test/o/P', pixelPosition: 'bottom' as const };
      const whole = await rewriteHtml(html, { ...options, chunkChars: html.length });
      expect(whole).toContain('https://t.test/c/');
      expect(await rewriteHtml(html, { ...options, chunkChars })).toBe(whole);
    },
  );
});
