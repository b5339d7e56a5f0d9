import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/services/accounts.js';
import type { Plan } from '../../src/model.js';
import { updateAccountLimits } from '../../src/store/accounts-repo.js';
import { promoteDueEmails } from '../../src/services/scheduling.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

describe.each(testDatabases())('batch and scheduled sending on %s', (kind) => {
  let t: TestServer;
  const keys: Partial<Record<Plan, string>> = {};
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    await sandboxSender(t);
    for (const plan of ['free', 'starter', 'pro', 'business'] as const) {
      const a = await createAccount(t.server.store, { name: plan, plan });
      keys[plan] = a.key;
      const as = { key: a.key };
      const d = await t.call('POST', '/v1/domains', { name: `${plan}.test` }, as);
      await t.call('POST', `/v1/domains/${d.body.id}/verify`, undefined, as);
      await t.call('POST', '/v1/senders', { email: `hello@${plan}.test` }, as);
    }
  });
  afterAll(async () => t?.close());

  it('accepts a batch: each email on its own, counts and per-email results', async () => {
    const r = await t.call('POST', '/v1/emails/batch', [
      sendBody({ subject: 'one' }),
      sendBody({ to: [{ email: 'not-an-address' }] }),
      sendBody({ subject: 'three', to: [{ email: 'b@recipient.test' }] }),
    ]);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ total: 3, sent: 2, failed: 1 });
    expect(r.body.results[0]).toMatchObject({ status: 'queued', rejection_reason: null });
    expect(r.body.results[1]).toMatchObject({ id: null, status: 'error' });
    expect(r.body.results[1].rejection_reason).toContain('to[0].email');
    for (const i of [0, 2]) {
      await eventually('batch email delivered', async () =>
        (await t.call('GET', `/v1/emails/${r.body.results[i].id}`)).body.status === 'delivered' ? true : undefined,
      );
    }
  });

  it('refuses batches on the free plan (403) and over the plan cap (422 naming the cap)', async () => {
    const free = await t.call('POST', '/v1/emails/batch', [sendBody({ from_: { email: 'hello@free.test' } })], {
      key: keys.free,
    });
    expect(free.status).toBe(403);
    const body = Array.from({ length: 26 }, () => sendBody({ from_: { email: 'hello@starter.test' } }));
    const over = await t.call('POST', '/v1/emails/batch', body, { key: keys.starter });
    expect(over.status).toBe(422);
    expect(over.body.detail).toContain('25');
    expect(over.body.errors[0].field).toBe('body');
    expect((await t.call('POST', '/v1/emails/batch', body.slice(0, 25), { key: keys.starter })).status).toBe(202);
  });

  it('answers 202 when no email of a batch is valid, each result an error, and writes nothing', async () => {
    const count = async () =>
      Number(
        (
          await t.server.store.db
            .selectFrom('emails')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const r = await t.call('POST', '/v1/emails/batch', [sendBody({ subject: '' }), { nope: true }]);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ total: 2, sent: 0, failed: 2 });
    expect(r.body.results).toEqual([
      { id: null, status: 'error', rejection_reason: expect.stringContaining('subject') },
      { id: null, status: 'error', rejection_reason: expect.stringContaining('nope') },
    ]);
    // The same with an Idempotency-Key: replayed, still nothing written.
    const headers = { 'Idempotency-Key': 'all-invalid' };
    const first = await t.call('POST', '/v1/emails/batch', [sendBody({ to: [] })], { headers });
    expect(first.status).toBe(202);
    expect(await t.call('POST', '/v1/emails/batch', [sendBody({ to: [] })], { headers })).toMatchObject({
      status: 202,
      body: first.body,
    });
    expect(await count()).toBe(before);
    // A body that is not a non-empty array is still refused as a whole.
    for (const body of [{ not: 'an array' }, []]) {
      const bad = await t.call('POST', '/v1/emails/batch', body);
      expect(bad.status).toBe(422);
      expect(bad.body.errors[0].field).toBe('body');
    }
  });

  it('caps batches at 50 on pro and 100 on business, or at the operator override', async () => {
    for (const [plan, cap] of [
      ['pro', 50],
      ['business', 100],
    ] as const) {
      const as = { key: keys[plan]! };
      const body = Array.from({ length: cap + 1 }, (_, i) =>
        sendBody({ from_: { email: `hello@${plan}.test` }, subject: `cap ${i}` }),
      );
      const over = await t.call('POST', '/v1/emails/batch', body, as);
      expect([plan, over.status]).toEqual([plan, 422]);
      expect(over.body.detail).toContain(String(cap));
      const full = await t.call('POST', '/v1/emails/batch', body.slice(0, cap), as);
      expect([plan, full.status, full.body.sent]).toEqual([plan, 202, cap]);
    }
    const a = await createAccount(t.server.store, { name: 'override', plan: 'business' });
    await updateAccountLimits(t.server.store.db, a.accountId, { limits: { batch_max: 3 } });
    const over = await t.call(
      'POST',
      '/v1/emails/batch',
      Array.from({ length: 4 }, () => sendBody()),
      { key: a.key },
    );
    expect(over.status).toBe(422);
    expect(over.body.detail).toContain('at most 3');
  });

  it('schedules with send_at: scheduled event, listed with seconds_until_send, sent at its time', async () => {
    const r = await t.call('POST', '/v1/emails/', sendBody({ send_at: inMinutes(10) }));
    expect(r.status).toBe(202);
    expect(r.body.status).toBe('scheduled');
    const list = await t.call('GET', '/v1/emails/scheduled');
    const item = list.body.find((e: { id: string }) => e.id === r.body.id);
    expect(item).toMatchObject({ status: 'scheduled', subject: 'Hello' });
    expect(item.seconds_until_send).toBeGreaterThan(500);
    expect(item.seconds_until_send).toBeLessThanOrEqual(600);
    const detail = await t.call('GET', `/v1/emails/${r.body.id}`);
    expect(detail.body.events.map((e: { event_type: string }) => e.event_type)).toEqual(['scheduled']);
    expect(detail.body.scheduled_at).toMatch(/Z$/);

    // When it falls due (the scheduler asked as if ten minutes had passed), it goes out.
    const promoted = await promoteDueEmails(t.server.store, {
      now: Date.now(),
      dueBy: Date.now() + 11 * 60_000,
    });
    expect(promoted).toContain(r.body.id);
    t.server.worker?.wake();
    const done = await eventually('scheduled email delivered', async () => {
      const d = await t.call('GET', `/v1/emails/${r.body.id}`);
      return d.body.status === 'delivered' ? d.body : undefined;
    });
    expect(done.events.map((e: { event_type: string }) => e.event_type)).toEqual([
      'scheduled',
      'queued',
      'sent',
      'delivered',
    ]);
    expect((await t.call('GET', '/v1/emails/scheduled')).body.map((e: { id: string }) => e.id)).not.toContain(
      r.body.id,
    );
  });

  it('cancels a scheduled email (404 once it is not scheduled) and sends another now', async () => {
    const a = await t.call('POST', '/v1/emails/', sendBody({ send_at: inMinutes(60) }));
    const cancelled = await t.call('DELETE', `/v1/emails/scheduled/${a.body.id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ id: a.body.id, status: 'cancelled' });
    expect((await t.call('DELETE', `/v1/emails/scheduled/${a.body.id}`)).status).toBe(404);
    const d = await t.call('GET', `/v1/emails/${a.body.id}`);
    expect(d.body.status).toBe('cancelled');
    expect(d.body.events.map((e: { event_type: string }) => e.event_type)).toEqual(['scheduled', 'cancelled']);
    expect(d.body.recipients[0].status).toBe('cancelled');

    const b = await t.call('POST', '/v1/emails/', sendBody({ send_at: inMinutes(60) }));
    const now = await t.call('POST', `/v1/emails/scheduled/${b.body.id}/send-now`);
    expect(now.body).toEqual({ id: b.body.id, status: 'queued' });
    await eventually('sent now', async () =>
      (await t.call('GET', `/v1/emails/${b.body.id}`)).body.status === 'delivered' ? true : undefined,
    );
    expect((await t.call('POST', `/v1/emails/scheduled/${b.body.id}/send-now`)).status).toBe(404);
  });

  it("gives a cancelled email's recipients back to the quota of the day and month they were taken from", async () => {
    const a = await createAccount(t.server.store, { name: 'refund', plan: 'starter' });
    await updateAccountLimits(t.server.store.db, a.accountId, { limits: { daily_limit: 3 } });
    const as = { key: a.key };
    const d = await t.call('POST', '/v1/domains', { name: 'refund.test' }, as);
    await t.call('POST', `/v1/domains/${d.body.id}/verify`, undefined, as);
    await t.call('POST', '/v1/senders', { email: 'hello@refund.test' }, as);
    const from = { from_: { email: 'hello@refund.test' } };
    const two = [{ email: 'a@recipient.test' }, { email: 'b@recipient.test' }];
    const scheduled = await t.call('POST', '/v1/emails/', sendBody({ ...from, to: two, send_at: inMinutes(30) }), as);
    expect(scheduled.status).toBe(202);
    const usage = async () => (await t.call('POST', '/v1/emails/validate', sendBody(from), as)).body.usage;
    expect(await usage()).toMatchObject({ daily: 2, monthly: 2 });
    expect(
      (await t.call('POST', '/v1/emails/', sendBody({ ...from, to: [...two, { email: 'c@recipient.test' }] }), as))
        .status,
    ).toBe(429);

    expect((await t.call('DELETE', `/v1/emails/scheduled/${scheduled.body.id}`, undefined, as)).status).toBe(200);
    expect(await usage()).toMatchObject({ daily: 0, monthly: 0 });
    expect(
      (await t.call('POST', '/v1/emails/', sendBody({ ...from, to: [...two, { email: 'c@recipient.test' }] }), as))
        .status,
    ).toBe(202);
    // Cancelling again gives nothing back twice.
    expect((await t.call('DELETE', `/v1/emails/scheduled/${scheduled.body.id}`, undefined, as)).status).toBe(404);
    expect(await usage()).toMatchObject({ daily: 3, monthly: 3 });
  });

  it('lists every scheduled email, past a thousand, and pages them on request', async () => {
    const a = await createAccount(t.server.store, { name: 'many', plan: 'business' });
    const as = { key: a.key };
    const d = await t.call('POST', '/v1/domains', { name: 'many.test' }, as);
    await t.call('POST', `/v1/domains/${d.body.id}/verify`, undefined, as);
    await t.call('POST', '/v1/senders', { email: 'hello@many.test' }, as);
    const ids: string[] = [];
    for (let b = 0; b < 11; b++) {
      const body = Array.from({ length: 100 }, (_, i) =>
        sendBody({ from_: { email: 'hello@many.test' }, send_at: inMinutes(60 + b * 100 + i) }),
      );
      const r = await t.call('POST', '/v1/emails/batch', body, as);
      expect(r.body.sent).toBe(100);
      ids.push(...r.body.results.map((x: { id: string }) => x.id));
    }
    const all = await t.call('GET', '/v1/emails/scheduled', undefined, as);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toContain('application/json');
    expect(all.body.map((e: { id: string }) => e.id)).toEqual(ids); // soonest first
    expect(all.body[1099]).toMatchObject({
      status: 'scheduled',
      subject: 'Hello',
      to_addresses: ['jane@recipient.test'],
      tags: null,
    });
    const page = await t.call('GET', '/v1/emails/scheduled?page=2&limit=500', undefined, as);
    expect(page.body.map((e: { id: string }) => e.id)).toEqual(ids.slice(1000));
    expect((await t.call('GET', '/v1/emails/scheduled?limit=20', undefined, as)).body).toHaveLength(20);
    for (const bad of ['limit=0', 'limit=1001', 'page=x']) {
      const r = await t.call('GET', `/v1/emails/scheduled?${bad}`, undefined, as);
      expect([bad, r.status]).toEqual([bad, 422]);
      expect(r.body.errors[0].field).toBe(bad.split('=')[0]);
    }
  });

  it('two schedulers racing for the same due email send it once', async () => {
    const r = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ send_at: inMinutes(2), to: [{ email: 'race@recipient.test' }] }),
    );
    const later = Date.now() + 3 * 60_000;
    const results = await Promise.all(
      Array.from({ length: 4 }, () => promoteDueEmails(t.server.store, { now: Date.now(), dueBy: later })),
    );
    expect(results.flat().filter((id) => id === r.body.id)).toHaveLength(1);
    t.server.worker?.wake();
    const d = await eventually('raced email delivered', async () => {
      const x = await t.call('GET', `/v1/emails/${r.body.id}`);
      return x.body.status === 'delivered' ? x.body : undefined;
    });
    expect(d.events.filter((e: { event_type: string }) => e.event_type === 'sent')).toHaveLength(1);
    expect(d.events.filter((e: { event_type: string }) => e.event_type === 'queued')).toHaveLength(1);
  });

  it('forgets Idempotency-Keys older than 24 hours (the purge the scheduler runs hourly)', async () => {
    const accountId = (
      await t.server.store.db.selectFrom('accounts').select('id').orderBy('created_at').executeTakeFirstOrThrow()
    ).id;
    await t.server.store.db
      .insertInto('idempotency_keys')
      .values({
        account_id: accountId,
        key: 'ancient',
        request_hash: 'x',
        status_code: 202,
        response: '{}',
        created_at: Date.now() - 25 * 3_600_000,
      })
      .execute();
    const { purgeIdempotencyKeys } = await import('../../src/store/idempotency-repo.js');
    await purgeIdempotencyKeys(t.server.store.db, Date.now());
    const left = await t.server.store.db
      .selectFrom('idempotency_keys')
      .select('key')
      .where('key', '=', 'ancient')
      .execute();
    expect(left).toEqual([]);
    // Keys of the last 24 hours stay (a send with a key writes one).
    await t.call('POST', '/v1/emails/', sendBody(), { headers: { 'Idempotency-Key': 'recent' } });
    await purgeIdempotencyKeys(t.server.store.db, Date.now());
    expect(
      await t.server.store.db.selectFrom('idempotency_keys').select('key').where('key', '=', 'recent').execute(),
    ).toHaveLength(1);
  });

  it('checks send_at: format, 1 minute to 30 days ahead, and the plan', async () => {
    for (const [sendAt, why] of [
      ['tomorrow', 'ISO 8601'],
      [inMinutes(0.5), '1 minute'],
      [inMinutes(31 * 24 * 60), '30 days'],
      ['2026-06-01T09:00:00', 'time zone'],
    ]) {
      const r = await t.call('POST', '/v1/emails/', sendBody({ send_at: sendAt }));
      expect(r.status).toBe(422);
      expect(r.body.errors[0].field).toBe('send_at');
      expect(r.body.errors[0].error).toContain(why);
    }
    const free = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ from_: { email: 'hello@free.test' }, send_at: inMinutes(10) }),
      { key: keys.free },
    );
    expect(free.status).toBe(403);
    expect(free.body.code).toBe('plan_feature_unavailable');
  });
});
