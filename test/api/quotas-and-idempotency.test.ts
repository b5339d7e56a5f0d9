import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/services/accounts.js';
import { updateAccountLimits } from '../../src/store/accounts-repo.js';
import { testDatabases } from '../helpers/databases.js';
import { sendBody } from '../helpers/fixtures.js';
import { startTestServer, type Res, type TestServer } from '../helpers/server.js';

describe.each(testDatabases())('quotas, idempotency and rate limits on %s', (kind) => {
  let t: TestServer;
  async function account(plan: 'free' | 'starter' | 'pro', domain: string, limits?: Record<string, number>) {
    const a = await createAccount(t.server.store, { name: domain, plan });
    if (limits) await updateAccountLimits(t.server.store.db, a.accountId, { limits });
    const as = { key: a.key };
    const d = await t.call('POST', '/v1/domains', { name: domain }, as);
    await t.call('POST', `/v1/domains/${d.body.id}/verify`, undefined, as);
    await t.call('POST', '/v1/senders', { email: `hello@${domain}` }, as);
    return as;
  }
  const from = (domain: string) => ({ from_: { email: `hello@${domain}` } });
  /** Whole seconds from `ms` until the next UTC day or month begins. */
  const untilNext = (period: 'day' | 'month', ms: number) => {
    const d = new Date(ms);
    const next =
      period === 'day'
        ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)
        : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    return Math.ceil((next - ms) / 1000);
  };
  /** Sends `request` and checks its 429's Retry-After: the seconds left, when it was answered, until `period` ends. */
  async function refusedUntilNext(period: 'day' | 'month', request: () => Promise<Res>): Promise<Res> {
    const before = Date.now();
    const r = await request();
    const after = Date.now();
    expect(r.status).toBe(429);
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(untilNext(period, after));
    expect(retryAfter).toBeLessThanOrEqual(untilNext(period, before));
    return r;
  }

  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
  });
  afterAll(async () => t?.close());

  it('counts recipients against the daily limit exactly, even under concurrency, and answers 429 past it', async () => {
    const as = await account('pro', 'quota.test', { daily_limit: 10, requests_per_second: 1000 });
    // 30 concurrent single-recipient sends for 10 units: exactly 10 get through.
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.call('POST', '/v1/emails/', sendBody({ ...from('quota.test'), to: [{ email: `r${i}@recipient.test` }] }), as),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    const refused = await refusedUntilNext('day', () =>
      t.call('POST', '/v1/emails/', sendBody(from('quota.test')), as),
    );
    expect(refused.body.code).toBe('quota_exceeded');
    expect(refused.body.detail).toContain('daily send limit of 10');
    const count = Number(
      (
        await t.server.store.db
          .selectFrom('emails')
          .innerJoin('senders', 'senders.account_id', 'emails.account_id')
          .where('senders.email', '=', 'hello@quota.test')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(count).toBe(10);

    const v = await t.call('POST', '/v1/emails/validate', sendBody(from('quota.test')), as);
    expect(v.body).toMatchObject({ valid: false, can_send: false, plan: 'pro', usage: { daily: 10, daily_limit: 10 } });
    expect(v.body.issues).toEqual([expect.objectContaining({ field: 'limits' })]);
  });

  it('refuses a request whose recipients would cross the monthly limit, taking nothing', async () => {
    const as = await account('pro', 'monthly.test', { monthly_limit: 3, requests_per_second: 1000 });
    const four = [1, 2, 3, 4].map((i) => ({ email: `m${i}@recipient.test` }));
    const r = await refusedUntilNext('month', () =>
      t.call('POST', '/v1/emails/', sendBody({ ...from('monthly.test'), to: four }), as),
    );
    expect(r.body.detail).toContain('monthly');
    const v = await t.call('POST', '/v1/emails/validate', sendBody(from('monthly.test')), as);
    expect(v.body.usage).toMatchObject({ daily: 0, monthly: 0, monthly_limit: 3 });
    expect(
      (await t.call('POST', '/v1/emails/', sendBody({ ...from('monthly.test'), to: four.slice(0, 3) }), as)).status,
    ).toBe(202);
  });

  /** Rows an accepted email writes, and the quota it takes: what must not move when nothing is sent. */
  async function footprint() {
    const db = t.server.store.db;
    const rows = async (
      table: 'emails' | 'email_recipients' | 'email_events' | 'usage_counters' | 'idempotency_keys',
    ) =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const units = (await db.selectFrom('usage_counters').select('count').execute()).reduce(
      (sum, r) => sum + Number(r.count),
      0,
    );
    return {
      emails: await rows('emails'),
      recipients: await rows('email_recipients'),
      events: await rows('email_events'),
      counters: await rows('usage_counters'),
      units,
      idempotency: await rows('idempotency_keys'),
    };
  }

  it('validates without writing anything: no email, recipient, event or quota unit', async () => {
    const as = await account('pro', 'dry.test', { requests_per_second: 1000 });
    const before = await footprint();
    const bodies = [
      sendBody({ ...from('dry.test'), to: [{ email: 'a@recipient.test' }, { email: 'b@recipient.test' }] }),
      sendBody({ ...from('dry.test'), send_at: new Date(Date.now() + 3_600_000).toISOString() }),
      sendBody({ ...from('dry.test'), subject: '' }),
      sendBody({ from_: { email: 'nobody@dry.test' } }),
    ];
    for (const body of bodies) {
      const r = await t.call('POST', '/v1/emails/validate', body, {
        ...as,
        headers: { 'Idempotency-Key': 'not-for-validate' },
      });
      expect(r.status).toBe(200);
    }
    expect(await footprint()).toEqual(before);
  });

  it('refuses a batch over the quota with 429 and writes nothing', async () => {
    const as = await account('starter', 'batchquota.test', { daily_limit: 3, requests_per_second: 1000 });
    const two = [{ email: 'a@recipient.test' }, { email: 'b@recipient.test' }];
    const before = await footprint();
    const r = await t.call(
      'POST',
      '/v1/emails/batch',
      [sendBody({ ...from('batchquota.test'), to: two }), sendBody({ ...from('batchquota.test'), to: two })],
      as,
    );
    expect(r.status).toBe(429);
    expect(r.body).toMatchObject({ code: 'quota_exceeded' });
    expect(r.body.detail).toContain('daily send limit of 3');
    expect(await footprint()).toEqual(before);
    // Within the quota, the same sender goes through.
    expect(
      (await t.call('POST', '/v1/emails/batch', [sendBody({ ...from('batchquota.test'), to: two })], as)).status,
    ).toBe(202);
  });

  it('replays the first answer for a repeated Idempotency-Key and refuses it with another body', async () => {
    const as = await account('pro', 'idem.test', { requests_per_second: 1000 });
    const body = sendBody({ ...from('idem.test'), subject: 'Once' });
    const headers = { 'Idempotency-Key': 'order-1234-confirmation' };
    const first = await t.call('POST', '/v1/emails/', body, { ...as, headers });
    expect(first.status).toBe(202);
    const again = await Promise.all([1, 2, 3].map(() => t.call('POST', '/v1/emails/', body, { ...as, headers })));
    for (const r of again) expect(r).toMatchObject({ status: 202, body: first.body });
    const other = await t.call('POST', '/v1/emails/', { ...body, subject: 'Twice?' }, { ...as, headers });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('idempotency_key_reused');
    const v = await t.call('POST', '/v1/emails/validate', body, as);
    expect(v.body.usage.daily).toBe(1); // one email written, one unit of quota taken

    // Concurrent first uses of a new key: one email.
    const k2 = { 'Idempotency-Key': 'burst-key' };
    const burst = await Promise.all(
      Array.from({ length: 8 }, () =>
        t.call('POST', '/v1/emails/', { ...body, subject: 'Burst' }, { ...as, headers: k2 }),
      ),
    );
    expect(new Set(burst.map((r) => r.body.id)).size).toBe(1);
    expect(burst.every((r) => r.status === 202)).toBe(true);
    expect((await t.call('POST', '/v1/emails/validate', body, as)).body.usage.daily).toBe(2);
  });

  it('takes the same body with its keys in another order, at any depth, for the same request', async () => {
    const as = await account('starter', 'idemorder.test', { requests_per_second: 1000 });
    const body = {
      from_: { email: 'hello@idemorder.test', name: 'Shop' },
      to: [
        { email: 'a@recipient.test', name: 'A' },
        { email: 'b@recipient.test', name: 'B' },
      ],
      subject: 'Order',
      text: 'Thanks',
      headers: { 'X-Order': '1', 'X-Campaign': 'spring' },
      tracking: { open: true, click: false },
    };
    const reordered = {
      tracking: { click: false, open: true },
      headers: { 'X-Campaign': 'spring', 'X-Order': '1' },
      text: 'Thanks',
      subject: 'Order',
      to: [
        { name: 'A', email: 'a@recipient.test' },
        { name: 'B', email: 'b@recipient.test' },
      ],
      from_: { name: 'Shop', email: 'hello@idemorder.test' },
    };
    const headers = { 'Idempotency-Key': 'order-in-any-order' };
    const first = await t.call('POST', '/v1/emails/', body, { ...as, headers });
    expect(first.status).toBe(202);
    const again = await t.call('POST', '/v1/emails/', reordered, { ...as, headers });
    expect(again).toMatchObject({ status: 202, body: first.body });
    // The order of an array's items is part of the request.
    const swapped = { ...body, to: [body.to[1], body.to[0]] };
    expect((await t.call('POST', '/v1/emails/', swapped, { ...as, headers })).body.code).toBe('idempotency_key_reused');

    const batchHeaders = { 'Idempotency-Key': 'batch-in-any-order' };
    const batch = await t.call('POST', '/v1/emails/batch', [body, { ...body, subject: 'Two' }], {
      ...as,
      headers: batchHeaders,
    });
    expect(batch.status).toBe(202);
    const batchAgain = await t.call('POST', '/v1/emails/batch', [reordered, { ...reordered, subject: 'Two' }], {
      ...as,
      headers: batchHeaders,
    });
    expect(batchAgain).toMatchObject({ status: 202, body: batch.body });
    // One email from the send (it was replayed), two from the batch: three of each recipient's quota units.
    expect((await t.call('POST', '/v1/emails/validate', body, as)).body.usage.daily).toBe(6);
  });

  it('still replays a key stored before the canonical form, for a body whose keys were already in order', async () => {
    const as = await account('pro', 'idemold.test', { requests_per_second: 1000 });
    const body = { from_: { email: 'hello@idemold.test' }, subject: 'Old', text: 'Hi', to: [{ email: 'o@r.test' }] };
    const headers = { 'Idempotency-Key': 'from-before' };
    const first = await t.call('POST', '/v1/emails/', body, { ...as, headers });
    expect(first.status).toBe(202);
    // Its record as the previous version wrote it: SHA-256 of the route, a NUL and the body as JSON.stringify wrote it.
    await t.server.store.db
      .updateTable('idempotency_keys')
      .set({
        request_hash: createHash('sha256').update('send').update('\0').update(JSON.stringify(body)).digest('hex'),
      })
      .where('key', '=', 'from-before')
      .execute();
    expect(await t.call('POST', '/v1/emails/', body, { ...as, headers })).toMatchObject({
      status: 202,
      body: first.body,
    });
  });

  it('answers a deeply nested body with a key as a validation error, not a crash', async () => {
    const as = await account('starter', 'idemdeep.test', { requests_per_second: 1000 });
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const raw = `{"from_":{"email":"hello@idemdeep.test"},"to":[{"email":"d@r.test"}],"subject":"s","text":"t","tags":${deep}}`;
    for (const [path, payload] of [
      ['/v1/emails/', raw],
      ['/v1/emails/batch', `[${raw}]`],
    ] as const) {
      const r = await t.call('POST', path, undefined, { ...as, raw: payload, headers: { 'Idempotency-Key': path } });
      expect([path, r.status]).toEqual([path, path.endsWith('batch') ? 202 : 422]);
    }
  });

  it('works for batches too', async () => {
    const as = await account('starter', 'idembatch.test', { requests_per_second: 1000 });
    const body = [sendBody(from('idembatch.test')), sendBody(from('idembatch.test'))];
    const headers = { 'Idempotency-Key': 'batch-77' };
    const first = await t.call('POST', '/v1/emails/batch', body, { ...as, headers });
    const second = await t.call('POST', '/v1/emails/batch', body, { ...as, headers });
    expect(second.body).toEqual(first.body);
    expect((await t.call('POST', '/v1/emails/batch', body.slice(0, 1), { ...as, headers })).status).toBe(409);
  });

  it('limits requests per key per second with 429, Retry-After and RateLimit headers', async () => {
    const as = await account('free', 'rate.test');
    const results = await Promise.all(Array.from({ length: 25 }, () => t.call('GET', '/v1/domains', undefined, as)));
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    expect(ok.length).toBeGreaterThan(0);
    expect(limited.length).toBeGreaterThan(0);
    expect(ok[0]!.headers.get('ratelimit-limit')).toBe('10');
    expect(Number(ok[0]!.headers.get('ratelimit-remaining'))).toBeGreaterThanOrEqual(0);
    expect(limited[0]!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited[0]!.body).toMatchObject({ code: 'rate_limited' });
    // Another key is not affected.
    expect((await t.call('GET', '/v1/domains')).status).toBe(200);
  });
});
