import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEvent } from '../../src/services/new-event.js';
import { recordEvents } from '../../src/store/events-repo.js';
import { claimDueDeliveries, recordAttemptResults, type AttemptResult } from '../../src/store/webhook-outbox-repo.js';
import { inWriteTransaction } from '../../src/store/transactions.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { settled, startTestServer, type TestServer } from '../helpers/server.js';

// The outbox is written in the transaction of the event: committed together, or not at all.
describe.each(testDatabases())('the webhook outbox on %s', (kind) => {
  let t: TestServer;
  let emailId: string;
  let accountId: string;
  const outbox = async () =>
    (await t.server.store.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', 'w1').execute())
      .length;

  beforeAll(async () => {
    // No webhooks role: rows stay in the outbox, where this test counts them.
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api,worker' });
    await sandboxSender(t);
    const r = await t.call('POST', '/v1/emails', sendBody());
    emailId = r.body.id;
    await settled(t, emailId, 'delivered');
    const email = await t.server.store.db
      .selectFrom('emails')
      .select('account_id')
      .where('id', '=', emailId)
      .executeTakeFirstOrThrow();
    accountId = email.account_id;
    const now = Date.now();
    await t.server.store.db
      .insertInto('webhooks')
      .values({
        id: 'w1',
        account_id: accountId,
        url: 'http://127.0.0.1:9/',
        event_types: JSON.stringify(['email.opened']),
        secret: 'whsec_' + Buffer.alloc(24, 1).toString('base64'),
        enabled: 1,
        human_only: 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
  afterAll(async () => t?.close());

  const open = () => newEvent({ emailId, accountId }, 'open', { ua: 'test' }, Date.now());

  it('writes no delivery for an event whose transaction rolled back', async () => {
    await expect(
      inWriteTransaction(t.server.store.db, async (trx) => {
        await recordEvents(trx, [open()]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await outbox()).toBe(0);
  });

  it('writes one delivery per wanted event with the event it carries, and none for events not wanted', async () => {
    const ev = open();
    const sent = newEvent({ emailId, accountId }, 'sent', null, Date.now());
    await inWriteTransaction(t.server.store.db, (trx) => recordEvents(trx, [ev, sent]));
    const rows = await t.server.store.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('webhook_id', '=', 'w1')
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ event_id: ev.id, event_type: 'email.opened', status: 'pending' });
    expect(JSON.parse(rows[0]!.payload)).toMatchObject({
      type: 'email.opened',
      data: { email_id: emailId, event_id: ev.id, metadata: { ua: 'test' } },
    });
  });

  it('records a flush of results in one go, and moves only the deliveries still leased to their worker', async () => {
    const db = t.server.store.db;
    const events = Array.from({ length: 21 }, open);
    await inWriteTransaction(db, (trx) => recordEvents(trx, events));
    const now = Date.now();
    const mine = await claimDueDeliveries(db, { workerId: 'a', now, leaseMs: 1, limit: 100, busy: [] });
    expect(mine).toHaveLength(22);
    // Worker a's lease runs out and worker b takes the first delivery.
    const theirs = await claimDueDeliveries(db, { workerId: 'b', now: now + 10, leaseMs: 60_000, limit: 1, busy: [] });
    expect(theirs).toHaveLength(1);
    const result = (id: string, i: number): AttemptResult => ({
      deliveryId: id,
      webhookId: 'w1',
      workerId: 'a',
      attemptedAt: now + i,
      durationMs: 5,
      statusCode: i % 2 === 0 ? 200 : 503,
      error: null,
      responseBody: i % 2 === 0 ? 'ok' : 'busy',
      status: i % 2 === 0 ? 'succeeded' : 'pending',
      nextAttemptAt: i % 2 === 0 ? null : now + 60_000,
      endpointHealthy: i % 2 === 0,
    });
    const results = mine.map((d, i) => result(d.id, i));
    await inWriteTransaction(db, (trx) => recordAttemptResults(trx, results, { now, disableReason: null }));
    const rows = await db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', 'w1').execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const taken = theirs[0]!.id;
    expect(byId.get(taken)).toMatchObject({ locked_by: 'b', status: 'pending', attempts: 0 });
    for (const [i, d] of mine.entries()) {
      if (d.id === taken) continue;
      expect(byId.get(d.id)).toMatchObject({
        locked_by: null,
        locked_until: null,
        attempts: 1,
        status: i % 2 === 0 ? 'succeeded' : 'pending',
        last_status_code: i % 2 === 0 ? 200 : 503,
        updated_at: now,
      });
      expect(Number(byId.get(d.id)!.last_attempt_at)).toBe(now + i);
      if (i % 2 === 1) expect(Number(byId.get(d.id)!.next_attempt_at)).toBe(now + 60_000);
    }
    // Every attempt is logged, the taken one's too.
    const attempts = await db.selectFrom('webhook_attempts').select('delivery_id').execute();
    expect(new Set(attempts.map((a) => a.delivery_id))).toEqual(new Set(mine.map((d) => d.id)));
  });
});
