import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/server.js';
import { HitBuffer } from '../../src/tracking/recording/hit-buffer.js';
import type { Hit } from '../../src/tracking/hit.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender } from '../helpers/fixtures.js';
import { eventually, startTestServer } from '../helpers/server.js';
import { CHROME, holdEventWrites, RULES, sendTracked } from './tracked-email.js';

describe.each(testDatabases())('the recording thread on %s', (kind) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('hands the hits a dead thread had not written to the next one', async () => {
    const t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    cleanups.push(() => t.close());
    await sandboxSender(t);
    const e = await sendTracked(t);
    let recorded = 0;
    const recorder = await HitBuffer.start(
      {
        databaseUrl: t.db.url,
        secret: 'test-secret',
        scannerFiles: { agents: [], ranges: [] },
        rules: RULES,
        logLevel: 'silent',
      },
      { log: pino({ level: 'silent' }), maxPending: 1_000, onRecorded: () => recorded++ },
    );
    cleanups.push(() => recorder.close());
    // While the lock is held nothing can be written, so the hits are still the thread's when it dies.
    const release = await holdEventWrites(t);
    const urls = ['https://shop.test/a', 'https://shop.test/b', 'https://shop.test/c'];
    const at = Date.now();
    for (const [i, url] of urls.entries()) {
      const hit: Hit = {
        kind: 'click',
        emailId: e.id,
        recipientId: e.recipientId,
        url,
        ua: CHROME,
        ip: '203.0.113.7',
        referer: null,
        at: at + i,
      };
      expect(recorder.add(hit)).toBeUndefined();
    }
    // The thread has them: handed over, and none settled (the lock holds their write).
    await eventually('the hits handed to the thread', async () => (recorder.handedOver === 3 ? true : undefined));
    expect(recorded).toBe(0);
    // As a crash would: the thread ends with the hits unwritten.
    await (recorder as unknown as { thread: Worker }).thread.terminate();
    await release();
    // Only the next thread can write them, and only if it is handed what the dead one held.
    await eventually('the hits recorded by the next thread', async () => (recorded === 3 ? true : undefined));
    await recorder.drain();
    expect(recorded).toBe(3);
    const clicks = await t.server.store.db
      .selectFrom('email_events')
      .select('metadata')
      .where('email_id', '=', e.id)
      .where('event_type', '=', 'click')
      .execute();
    expect(clicks.map((c) => c.metadata?.url).sort()).toEqual(urls);
  });

  it('keeps the process alive until what it was given is written, and no longer', async () => {
    const t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    cleanups.push(() => t.close());
    await sandboxSender(t);
    const e = await sendTracked(t);
    // Nothing but the recorder holds that process open: it must still write the click, then exit on its own.
    const { stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'test/tracking/record-and-exit.ts', t.db.url, e.id, e.recipientId],
      { timeout: 30_000 },
    );
    expect(stderr).toBe('');
    const clicks = await t.server.store.db
      .selectFrom('email_events')
      .select('event_type')
      .where('email_id', '=', e.id)
      .where('event_type', '=', 'click')
      .execute();
    expect(clicks).toHaveLength(1);
  });

  it('keeps the server from starting when it cannot start, saying why', async () => {
    const t = await startTestServer(kind);
    cleanups.push(() => t.close());
    const bad = path.join(t.dataDir, 'agents.txt');
    fs.writeFileSync(bad, 'GoogleImageProxy not-a-kind\n');
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      TAIFA_DATA_DIR: t.dataDir,
      DATABASE_URL: t.db.url,
      TAIFA_SECRET: 'test-secret',
      TAIFA_SCANNER_AGENTS_FILE: bad,
    });
    await expect(startServer(config, pino({ level: 'silent' }))).rejects.toThrow(
      /recording thread could not start: .*agents\.txt: bad line/,
    );
  });
});

describe('the recording thread and an in-memory SQLite database', () => {
  it('refuses it, since the thread could not see what the server writes', async () => {
    const t = await startTestServer('sqlite');
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      TAIFA_DATA_DIR: t.dataDir,
      DATABASE_URL: 'sqlite::memory:',
      TAIFA_SECRET: 'test-secret',
    });
    try {
      await expect(startServer(config, pino({ level: 'silent' }))).rejects.toThrow(
        /tracking needs a database file or PostgreSQL/,
      );
      // Without the tracking role there is no thread, and an in-memory database serves.
      const api = await startServer({ ...config, roles: new Set(['api']) }, pino({ level: 'silent' }));
      await api.close();
    } finally {
      await t.close();
    }
  });
});
