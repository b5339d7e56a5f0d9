import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { hit, sendTracked } from './tracked-email.js';

/** Links that must reach the recipient exactly as written, whatever the tracking settings. */
const UNSUBSCRIBE_LINKS = [
  'http://localhost:3000/v1/unsubscribe/tok123', // ours (TAIFA_PUBLIC_URL)
  'HTTP://LOCALHOST:3000/v1/unsubscribe?t=1', // ours, spelled otherwise
  'https://lists.example.com/unsub/abc?u=1', // the email's List-Unsubscribe target
  '{{unsubscribe}}',
  '{{{unsubscribe_url}}}',
  '*|UNSUB|*', // other mailers' merge tags (ours, such as %unsubscribe_url%, are replaced: test/unsubscribe)
];
const LIST_UNSUBSCRIBE = '<https://lists.example.com/unsub/abc?u=1>, <mailto:unsub@example.com?subject=unsubscribe>';

const trackedIn = (body: string) => body.match(/\/v1\/track\/click\/[\w.-]+/g) ?? [];

describe.each(testDatabases())('links tracking leaves alone, through the send path on %s', (kind) => {
  let t: TestServer;
  let domainId: string;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    domainId = await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  const html = (extra: string[] = []) =>
    [...UNSUBSCRIBE_LINKS, ...extra].map((href) => `<a href="${href}">u</a>`).join('\n') +
    '\n<a data-unsubscribe href="https://shop.test/preferences">Manage e-mail</a>\n<a href="https://shop.test/a">Shop</a>\n<a href="http://localhost:3000/v1/unsubscribers">not ours</a>';
  const text = (extra: string[] = []) =>
    [...UNSUBSCRIBE_LINKS, ...extra].join('\n') + '\nShop at https://shop.test/a today.';

  it('never rewrites unsubscribe links, in the HTML or the text part', async () => {
    const e = await sendTracked(t, {
      html: html(),
      text: text(),
      headers: { 'List-Unsubscribe': LIST_UNSUBSCRIBE },
      tracking: { open: false, click: true },
    });
    for (const href of UNSUBSCRIBE_LINKS) {
      expect(e.html).toContain(`<a href="${href}">u</a>`);
      expect(e.text).toContain(href);
    }
    expect(e.html).toContain('<a data-unsubscribe href="https://shop.test/preferences">Manage e-mail</a>');
    // The shop link and the look-alike of our path are tracked, plus the honeypot; in text, the shop link.
    expect(trackedIn(e.html)).toHaveLength(3);
    expect(e.html).not.toContain('https://shop.test/a"');
    expect(e.html).not.toContain('/v1/unsubscribers');
    expect(trackedIn(e.text)).toHaveLength(1);
    expect(e.text).not.toContain('https://shop.test/a');
  });

  it("also leaves links to the unsubscribe endpoint under the domain's tracking host", async () => {
    await t.call('PATCH', `/v1/domains/${domainId}`, { tracking_host: 'track.example.com' });
    try {
      const ours = 'http://track.example.com/v1/unsubscribe/tok456';
      const e = await sendTracked(t, {
        html: html([ours]),
        text: text([ours]),
        tracking: { open: false, click: true },
      });
      expect(e.html).toContain(`<a href="${ours}">u</a>`);
      expect(e.text).toContain(ours);
      expect(e.html).toContain('http://track.example.com/v1/track/click/');
    } finally {
      await t.call('PATCH', `/v1/domains/${domainId}`, { tracking_host: null });
    }
  });

  it('leaves a link too long to sign untracked rather than send a link that would answer 404', async () => {
    const tooLong = `https://shop.test/?q=${'a'.repeat(7000)}`;
    const long = `https://shop.test/?q=${'b'.repeat(5000)}`;
    const e = await sendTracked(t, {
      html: `<a href="${tooLong}">x</a><a href="${long}">y</a>`,
      text: `${tooLong}\n${long}`,
      tracking: { open: false, click: true },
    });
    expect(e.html).toContain(`<a href="${tooLong}">x</a>`);
    expect(e.text).toContain(tooLong);
    expect(e.text).not.toContain(long);
    expect(e.links).toHaveLength(1);
    const res = await hit(t, e.links[0]!);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(long);
  });
});
