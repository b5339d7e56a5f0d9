import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';
import { sandboxSender } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { CHROME, holdEventWrites, sendTracked } from './tracked-email.js';
import { TcpProxy } from './tcp-proxy.js';

// Every answer waits (at most briefly) for its own write, as under a burst of hits: the hardest case.
const WAIT_FOR_WRITES = { TAIFA_SANDBOX: 'true', TAIFA_TRACKING_MAX_PENDING: '0' };

/**
 * The database stops answering after the email went out: writes neither succeed nor fail, which is
 * what must not hold the GIF or the redirect. SQLite: another connection holds the write lock (the
 * recording thread waits for it, up to its 10 s). PostgreSQL: reached through a proxy that swallows
 * connections.
 */
describe.each(testDatabases())('tracking when the database is down (%s)', (kind) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  async function serverAbout(): Promise<{ t: TestServer; down: () => Promise<void> }> {
    if (kind === 'sqlite') {
      const t = await startTestServer(kind, WAIT_FOR_WRITES);
      let release: (() => Promise<void>) | null = null;
      // Let go before closing, so that the server's own shutdown is not what the test waits on.
      cleanups.push(async () => {
        await release?.();
        await t.close();
      });
      return { t, down: async () => void (release = await holdEventWrites(t)) };
    }
    const target = new URL(process.env.TAIFA_TEST_DATABASE_URL!);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    cleanups.push(() => proxy.close());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-down-'));
    const db: TestDatabase = await createTestDatabase('postgres', dir);
    cleanups.push(async () => {
      await db.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const proxied = new URL(db.url);
    proxied.host = `127.0.0.1:${proxy.port}`;
    const t = await startTestServer(kind, { ...WAIT_FOR_WRITES, DATABASE_URL: proxied.toString() });
    // Back up before closing, so that the server's own shutdown is not what the test waits on.
    cleanups.push(async () => {
      proxy.forward();
      await t.close();
    });
    return { t, down: async () => proxy.blackhole() };
  }

  it('still answers the GIF and the redirect', async () => {
    const { t, down } = await serverAbout();
    await sandboxSender(t);
    const e = await sendTracked(t);
    await down();
    // Not a speed figure but a hang guard: the answer must come long before the pool's own 5 s connection
    // timeout would fail the write, i.e. without waiting for the database at all.
    const signal = () => AbortSignal.timeout(2_500);
    const pixel = await fetch(t.url + e.pixel, { headers: { 'user-agent': CHROME }, signal: signal() });
    expect(pixel.status).toBe(200);
    expect(pixel.headers.get('content-type')).toBe('image/gif');
    expect((await pixel.arrayBuffer()).byteLength).toBe(43);
    const click = await fetch(t.url + e.links[0]!, {
      redirect: 'manual',
      headers: { 'user-agent': CHROME },
      signal: signal(),
    });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe('https://shop.test/a?x=1&y=2');
  });
});
