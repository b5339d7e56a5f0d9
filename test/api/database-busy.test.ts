import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// A write the database cannot take in time (another connection holds the lock it needs) is answered
// 503 database_busy with Retry-After, in the error shape, and leaves nothing written: not a 500.
describe.each(testDatabases())('a busy database on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_ROLES: 'api' });
  });
  afterAll(async () => t?.close());

  /** Holds, from a second connection, what POST /v1/webhooks must lock, until `release` is called. */
  async function holdLock(): Promise<() => Promise<void>> {
    if (kind === 'sqlite') {
      const other = new Database(t.db.url.slice('sqlite:'.length));
      other.exec('BEGIN IMMEDIATE');
      return async () => {
        other.exec('ROLLBACK');
        other.close();
      };
    }
    const client = new pg.Client({ connectionString: t.db.url });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT id FROM accounts FOR UPDATE');
    return async () => {
      await client.query('ROLLBACK');
      await client.end();
    };
  }

  it('answers 503 database_busy with Retry-After, and writes nothing', async () => {
    const release = await holdLock();
    let r;
    try {
      r = await t.call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['email.delivered'] });
    } finally {
      await release();
    }
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ detail: expect.stringContaining('nothing was written'), code: 'database_busy' });
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.headers.get('x-request-id')).toBeTruthy();
    expect(await t.server.store.db.selectFrom('webhooks').select('id').execute()).toEqual([]);
    // Once the lock is gone, the same request goes through.
    const again = await t.call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['email.delivered'] });
    expect(again.status).toBe(201);
  }, 30_000);
});
