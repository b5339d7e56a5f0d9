import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusDir } from '../helpers/corpus.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eligibleLinks, mapBack } from './eligible-links.js';
import { delivered, receivedParts } from './tracked-email.js';

const CORPUS = corpusDir('html') ?? '';
const haveCorpus = CORPUS !== '';
const files = haveCorpus ? fs.readdirSync(CORPUS).filter((f) => f.endsWith('.html')) : [];

/** The destination a tracked link's token carries (its signed body holds the URL after 33 bytes). */
function destination(tokenUrl: string): string {
  const token = tokenUrl.split('/v1/track/click/')[1]!.split('.')[0]!;
  return Buffer.from(token, 'base64url').subarray(33).toString('utf8');
}
const TRACKED_ATTR = /[\w:-]+="(https?:\/\/[^"]*\/v1\/track\/click\/[\w.-]+)"/g;
const HONEYPOT = /<a href="[^"]+\/v1\/track\/click\/[^"]+" style="display:none !important[^>]*>&#8203;<\/a>/g;
const PIXEL = /<img src="[^"]+\/v1\/track\/open\/[^"]+"[^>]*\/>/g;
/** Our unsubscribe placeholders, replaced in each copy by its own (untracked) unsubscribe URL. */
const UNSUBSCRIBE_PLACEHOLDER = /%unsubscribe_url%|%tag_unsubscribe_url%|\|\*UNSUBSCRIBE\*\|/g;
const UNSUBSCRIBE_URL = /http:\/\/localhost:3000\/v1\/unsubscribe\/[\w.-]+/g;

// Every real template goes through the whole send path (API → queue → render → DKIM → capture) with
// tracking on; what arrives must be the template itself once the tracked links are read back and the
// pixel and honeypot are taken out.
describe.skipIf(!haveCorpus).each(testDatabases())('real HTML emails through the send path on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  it.each(files)('%s', async (file) => {
    const html = fs.readFileSync(path.join(CORPUS, file), 'utf8');
    // Make the template's placeholders real links, so that there is something to track.
    const withLinks = html.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => `https://example.com/${name}`);
    const oracle = await eligibleLinks(withLinks);
    const r = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ html: withLinks, text: undefined, tracking: { open: true, click: true } }),
    );
    expect(r.status).toBe(202);
    await delivered(t, r.body.id);
    const received = (await receivedParts(t, r.body.id)).html;
    expect(received.match(HONEYPOT)).toHaveLength(1);
    expect(received.match(PIXEL)).toHaveLength(1);
    const { back, expected, targets } = mapBack(
      received.replace(HONEYPOT, '').replace(PIXEL, ''),
      withLinks,
      oracle,
      TRACKED_ATTR,
      destination,
    );
    // One tracked link per eligible link of the input, each carrying that link's destination.
    expect(targets).toEqual(oracle.links.map((l) => l.target));
    // Then not a byte may differ, with two normalisations and nothing else: MIME carries CRLF line ends
    // (the parser hands back what was on the wire) and ends the part with a line break of its own. The
    // tricky-markup file needs none more: a rewritten href is put back as the input's own attribute text
    // (single-quoted, unquoted, relative, with blanks, uppercase name), and its `disable-tracking`
    // attributes are expected gone (README: the attribute is removed on output).
    const norm = (s: string) => s.replace(/\r\n/g, '\n').replace(/\n$/, '');
    // Our unsubscribe placeholders become the copy's own unsubscribe URL (test/unsubscribe), left untracked.
    expect(norm(back).replace(UNSUBSCRIBE_URL, '(unsubscribe)')).toBe(
      norm(expected).replace(UNSUBSCRIBE_PLACEHOLDER, '(unsubscribe)'),
    );
  });
});
