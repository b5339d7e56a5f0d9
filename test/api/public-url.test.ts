import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { settled, startTestServer, type TestServer } from '../helpers/server.js';

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Sends an email with links and an unsubscribe link; returns the kinds of our links in its copy, by origin. */
async function ourLinksInCopy(t: TestServer): Promise<Record<string, string[]>> {
  await sandboxSender(t);
  const sent = await t.call(
    'POST',
    '/v1/emails/',
    sendBody({
      html: '<p><a href="https://shop.test/a">Shop</a></p>',
      text: 'Shop: https://shop.test/b',
      unsubscribe: true,
    }),
  );
  expect(sent.status).toBe(202);
  await settled(t, sent.body.id, 'delivered');
  const raw = await t.call('GET', `/v1/emails/${sent.body.id}/raw`);
  expect(raw.status).toBe(200);
  // Quoted-printable may break a line inside a URL: join the soft breaks first.
  const text = String(raw.body).replace(/=\r?\n/g, '');
  const links: Record<string, Set<string>> = {};
  for (const m of text.matchAll(/(https?:\/\/[^/\s"'<>]+)\/v1\/(track\/open|track\/click|unsubscribe)?/g))
    (links[m[1]!] ??= new Set()).add(m[2] ?? 'other');
  return Object.fromEntries(Object.entries(links).map(([origin, kinds]) => [origin, [...kinds].sort()]));
}

const KINDS = ['track/click', 'track/open', 'unsubscribe'];

// With TAIFA_PUBLIC_URL unset, the links in the mail and the OpenAPI document's server are the listener itself: HOST
// and the port it listens on, also when PORT=0 lets the system choose it.
describe.each(testDatabases())('the default public URL on %s', (kind) => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('follows PORT into the tracking and unsubscribe links and the OpenAPI servers', async () => {
    const port = await freePort();
    t = await startTestServer(kind, { PORT: String(port), TAIFA_PUBLIC_URL: '', TAIFA_SANDBOX: 'true' });
    const listener = `http://127.0.0.1:${port}`;
    expect(t.url).toBe(listener);

    const openapi = await t.call('GET', '/v1/openapi.json', undefined, { key: null });
    expect(openapi.body.servers).toEqual([{ url: listener }]);
    expect(await ourLinksInCopy(t)).toEqual({ [listener]: KINDS });
  });

  it('names the port it took with PORT=0', async () => {
    t = await startTestServer(kind, { PORT: '0', TAIFA_PUBLIC_URL: '', TAIFA_SANDBOX: 'true' });
    const port = Number(new URL(t.url).port);
    expect(port).toBeGreaterThan(0);
    const listener = `http://127.0.0.1:${port}`;
    expect(t.server.config.publicUrl).toBe(listener);

    const openapi = await t.call('GET', '/v1/openapi.json', undefined, { key: null });
    expect(openapi.body.servers).toEqual([{ url: listener }]);
    expect(await ourLinksInCopy(t)).toEqual({ [listener]: KINDS });
  });

  it('keeps a TAIFA_PUBLIC_URL that is set, whatever the port', async () => {
    t = await startTestServer(kind, {
      PORT: '0',
      TAIFA_PUBLIC_URL: 'https://mail.example.com/',
      TAIFA_SANDBOX: 'true',
    });
    const openapi = await t.call('GET', '/v1/openapi.json', undefined, { key: null });
    expect(openapi.body.servers).toEqual([{ url: 'https://mail.example.com' }]);
    expect(await ourLinksInCopy(t)).toEqual({ 'https://mail.example.com': KINDS });
  });
});
