import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusDir } from '../helpers/corpus.js';
import { simpleParser } from 'mailparser';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

const CORPUS = corpusDir('html') ?? '';
const haveCorpus = CORPUS !== '';
const files = haveCorpus ? fs.readdirSync(CORPUS).filter((f) => f.endsWith('.html')) : [];

/** The destination a tracked link's token carries (its signed body holds the URL after 33 bytes). */
function destination(tokenUrl: string): string {
  const token = tokenUrl.split('/v1/track/click/')[1]!.split('.')[0]!;
  return Buffer.from(token, 'base64url').subarray(33).toString('utf8');
}

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
    const r = await t.call('POST', '/v1/emails/', sendBody({ html: withLinks, text: undefined, tracking: { open: true, click: true } }));
    expect(r.status).toBe(202);
    await eventually('delivered', async () => ((await t.call('GET', `/v1/emails/${r.body.id}`)).body.status === 'delivered' ? true : undefined));
    const raw = await t.call('GET', `/v1/emails/${r.body.id}/raw`);
    const received = String((await simpleParser(Buffer.from(raw.body))).html);
    const tracked = received.match(/https?:\/\/[^"]*\/v1\/track\/click\/[\w.-]+/g) ?? [];
    const back = received
      .replace(/<a href="[^"]+" style="display:none !important[^>]*>&#8203;<\/a>/, '')
      .replace(/<img src="[^"]+\/v1\/track\/open\/[^"]+"[^>]*\/>/, '')
      .replace(/https?:\/\/[^"]*\/v1\/track\/click\/[\w.-]+/g, (u) => destination(u).replace(/&/g, '&amp;'));
    if (file.startsWith('edge--')) {
      // Quoting of rewritten hrefs changes here (single-quoted and unquoted ones come back double-quoted): see rewrite-html.test.ts.
      expect(tracked.map(destination).filter((d) => d !== 'taifa:honeypot')).toHaveLength(8);
      expect(received).not.toContain('disable-tracking');
      return;
    }
    // MIME ends a part with a line break and carries CRLF; otherwise not a byte may differ.
    const norm = (s: string) => s.replace(/\r\n/g, '\n').replace(/\n$/, '');
    expect(norm(back)).toBe(norm(withLinks));
    if (withLinks.includes('href="https://')) expect(tracked.length).toBeGreaterThan(0);
  });
});
