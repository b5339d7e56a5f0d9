import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { newApiKey } from '../../src/ids.js';
import { startServer } from '../../src/server.js';
import { createTestDatabase, testDatabases, type TestDatabase } from '../helpers/databases.js';

// The data folder holds the database and the generated secret: only the user the server runs as may read
// them. A fresh folder is made 0700 and its files 0600; a folder or files found looser are tightened at
// start, and the log says which. (Each test starts servers twice: allowed two minutes on a busy machine.)
vi.setConfig({ testTimeout: 120_000 });

const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** A folder path that does not exist yet, under a temp folder of its own. */
function freshDataDir(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-modes-'));
  roots.push(root);
  return path.join(root, 'data', 'taifa');
}

/**
 * Starts a server on `dataDir` (its SQLite file there by default, or `db`), TAIFA_SECRET unset, logging into
 * `lines`; `key` is the first account's (made on the first start).
 */
async function start(dataDir: string, db: TestDatabase | null, lines: string[] = [], key = newApiKey()) {
  const config = loadConfig({
    PORT: '0',
    TAIFA_DATA_DIR: dataDir,
    ...(db ? { DATABASE_URL: db.url } : {}),
    TAIFA_BOOTSTRAP_API_KEY: key,
    TAIFA_HELO_NAME: 'mta.taifa.test',
    TAIFA_INBOUND_SMTP_PORT: '0',
    TAIFA_SANDBOX: 'true',
  });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const server = await startServer(config, pino({ level: 'info' }, sink));
  const call = (method: string, p: string, body?: unknown) =>
    fetch(server.url + p, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return { server, call, key };
}

describe('the SQLite data folder', () => {
  it('is created 0700, with the database, its WAL and shared-memory files and the secret 0600', async () => {
    const dataDir = freshDataDir();
    const { server, call } = await start(dataDir, null);
    try {
      // A write, so that the WAL has frames in it.
      expect((await call('POST', '/v1/domains', { name: 'example.com' })).status).toBe(201);
      expect(mode(dataDir)).toBe('700');
      for (const f of ['taifa.db', 'taifa.db-wal', 'taifa.db-shm', 'secret'])
        expect([f, mode(path.join(dataDir, f))]).toEqual([f, '600']);
    } finally {
      await server.close();
    }
  });

  it('is tightened at start when it or its files are readable by others, and the log names each', async () => {
    const dataDir = freshDataDir();
    const first = await start(dataDir, null);
    await first.call('POST', '/v1/domains', { name: 'example.com' });
    await first.server.close();
    // As an earlier version left them (0755 and 0644), with a WAL and shared-memory file as a crash leaves them.
    fs.chmodSync(dataDir, 0o755);
    for (const f of ['taifa.db', 'secret']) fs.chmodSync(path.join(dataDir, f), 0o644);
    for (const f of ['taifa.db-wal', 'taifa.db-shm']) fs.writeFileSync(path.join(dataDir, f), '', { mode: 0o644 });
    fs.chmodSync(path.join(dataDir, 'taifa.db-wal'), 0o644);
    fs.chmodSync(path.join(dataDir, 'taifa.db-shm'), 0o664);

    const lines: string[] = [];
    const again = await start(dataDir, null, lines, first.key);
    try {
      expect(mode(dataDir)).toBe('700');
      for (const f of ['taifa.db', 'taifa.db-wal', 'taifa.db-shm', 'secret'])
        expect([f, mode(path.join(dataDir, f))]).toEqual([f, '600']);
      const changes = lines
        .map((l) => JSON.parse(l) as { msg: string; path?: string; from?: string; to?: string })
        .filter((l) => l.msg.includes('permissions'));
      expect(changes.map((c) => [path.basename(c.path ?? ''), c.from, c.to]).sort()).toEqual(
        [
          ['secret', '644', '600'],
          ['taifa', '755', '700'],
          ['taifa.db', '644', '600'],
          ['taifa.db-shm', '664', '600'],
          ['taifa.db-wal', '644', '600'],
        ].sort(),
      );
      // And it still works.
      expect((await again.call('GET', '/v1/domains')).status).toBe(200);
    } finally {
      await again.server.close();
    }
  });
});

describe.each(testDatabases().filter((k) => k === 'postgres'))('the data folder with the database on %s', (kind) => {
  it('holds the generated secret 0600 in a folder made 0700, and is tightened when found looser', async () => {
    const dataDir = freshDataDir();
    const db = await createTestDatabase(kind, dataDir);
    try {
      const first = await start(dataDir, db);
      await first.server.close();
      expect(mode(dataDir)).toBe('700');
      expect(mode(path.join(dataDir, 'secret'))).toBe('600');
      fs.chmodSync(dataDir, 0o750);
      const lines: string[] = [];
      const again = await start(dataDir, db, lines);
      await again.server.close();
      expect(mode(dataDir)).toBe('700');
      expect(lines.some((l) => l.includes('permissions') && l.includes('"from":"750"'))).toBe(true);
    } finally {
      await db.drop();
    }
  });
});
