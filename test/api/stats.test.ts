import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAT_COUNTS } from '../../src/model.js';
import { createAccount } from '../../src/services/accounts.js';
import { copyOf, newEvent } from '../../src/services/new-event.js';
import { recordEvents } from '../../src/store/events-repo.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { settled, startTestServer, type TestServer } from '../helpers/server.js';

const RATES = ['delivered', 'opened', 'clicked', 'bounced', 'complained'];
const DAY = 86_400_000;

/** The counts of an answer's bucket or entry that are not zero. */
const nonZero = (o: Record<string, unknown>) =>
  Object.fromEntries(STAT_COUNTS.filter((c) => o[c] !== 0).map((c) => [c, o[c]]));

describe.each(testDatabases())('the stats API on %s', (kind) => {
  let t: TestServer;
  /** An email of the account, delivered to one recipient, that the boundary tests add events to. */
  let spare: { id: string; recipient: { id: string; email_id: string; account_id: string; address: string } };

  const send = async (from: string, to: string[], tags?: string[]) => {
    const r = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ from_: { email: from }, to: to.map((email) => ({ email })), ...(tags ? { tags } : {}) }),
    );
    expect(r.status).toBe(202);
    await settled(t, r.body.id, 'delivered');
    return r.body.id as string;
  };

  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    await sandboxSender(t, 'a.test');
    await sandboxSender(t, 'b.test');
    await send('hello@a.test', ['one@x.test', 'two@x.test'], ['welcome', 'news']);
    await send('hello@b.test', ['three@x.test'], ['news']);
    const id = await send('hello@A.test', ['four@x.test']);
    const recipient = await t.server.store.db
      .selectFrom('email_recipients')
      .select(['id', 'email_id', 'account_id', 'address'])
      .where('email_id', '=', id)
      .executeTakeFirstOrThrow();
    spare = { id, recipient };
  });
  afterAll(async () => t?.close());

  /** Records `delivered` events on the spare email at the given times, as the worker would. */
  const deliveredAt = (...times: string[]) =>
    t.server.store.db.transaction().execute((trx) =>
      recordEvents(
        trx,
        times.map((at) => newEvent(copyOf(spare.recipient), 'delivered', null, Date.parse(at))),
      ),
    );

  it('answers every day of the last week by default, with counts, rates and totals', async () => {
    const r = await t.call('GET', '/v1/stats');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ resolution: 'day', tag: null, domain: null });
    const now = Date.now();
    const firstDay = Math.floor((now - 7 * DAY) / DAY) * DAY;
    expect(r.body.since).toBe(new Date(firstDay).toISOString());
    expect(r.body.buckets.map((b: { start: string }) => Date.parse(b.start))).toEqual(
      Array.from({ length: (Date.parse(r.body.until) - firstDay) / DAY }, (_, i) => firstDay + i * DAY),
    );
    expect(Date.parse(r.body.until)).toBeGreaterThan(now);
    expect(Date.parse(r.body.until) - now).toBeLessThanOrEqual(DAY);
    for (const b of r.body.buckets) {
      expect(Object.keys(b).sort()).toEqual(['start', ...STAT_COUNTS, 'rates'].sort());
      expect(Object.keys(b.rates).sort()).toEqual([...RATES].sort());
    }
    expect(nonZero(r.body.totals)).toEqual({ accepted: 4, sent: 4, delivered: 4 });
    expect(r.body.totals.rates).toEqual({ delivered: 1, opened: 0, clicked: 0, bounced: 0, complained: 0 });
    const today = r.body.buckets.at(-1);
    expect(nonZero(today)).toEqual({ accepted: 4, sent: 4, delivered: 4 });
    expect(r.body.buckets.slice(0, -1).every((b: Record<string, unknown>) => b.accepted === 0)).toBe(true);
  });

  it('filters by tag and by sending domain (any letter case) without counting an email twice', async () => {
    const totals = async (query: string) => {
      const r = await t.call('GET', `/v1/stats?${query}`);
      expect(r.status).toBe(200);
      return r.body.totals.accepted;
    };
    expect(await totals('tag=news')).toBe(3);
    expect(await totals('tag=welcome')).toBe(2);
    expect(await totals('tag=none')).toBe(0);
    expect(await totals('domain=b.test')).toBe(1);
    expect(await totals('domain=A.TEST')).toBe(3);
    expect(await totals('domain=a.test&tag=news')).toBe(2);
    const r = await t.call('GET', '/v1/stats?domain=A.test&tag=news');
    expect(r.body).toMatchObject({ tag: 'news', domain: 'a.test' });
  });

  it('totals per tag and per domain, most accepted first', async () => {
    const tags = await t.call('GET', '/v1/stats/tags');
    expect(tags.status).toBe(200);
    expect(tags.body.tags.map((e: Record<string, unknown>) => [e.tag, nonZero(e)])).toEqual([
      ['news', { accepted: 3, sent: 3, delivered: 3 }],
      ['welcome', { accepted: 2, sent: 2, delivered: 2 }],
    ]);
    expect(tags.body.tags[0].rates.delivered).toBe(1);
    const domains = await t.call('GET', '/v1/stats/domains');
    expect(domains.body.domains.map((e: Record<string, unknown>) => [e.domain, e.accepted])).toEqual([
      ['a.test', 3],
      ['b.test', 1],
    ]);
    const ofDomain = await t.call('GET', '/v1/stats/tags?domain=b.test');
    expect(ofDomain.body.tags.map((e: Record<string, unknown>) => [e.tag, e.accepted])).toEqual([['news', 1]]);
    const ofTag = await t.call('GET', '/v1/stats/domains?tag=welcome');
    expect(ofTag.body.domains.map((e: Record<string, unknown>) => [e.domain, e.accepted])).toEqual([['a.test', 2]]);
    // Whole hours around the range asked for.
    const hours = await t.call('GET', '/v1/stats/tags?since=2025-03-01T10:30:00Z&until=2025-03-01T12:00:01Z');
    expect(hours.body).toEqual({ since: '2025-03-01T10:00:00.000Z', until: '2025-03-01T13:00:00.000Z', tags: [] });
  });

  it('puts each event in its UTC hour, day and month, the boundaries exactly', async () => {
    await deliveredAt(
      '2025-01-31T23:59:59.999Z',
      '2025-02-01T00:00:00.000Z',
      '2025-02-01T00:59:59.999Z',
      '2025-02-01T01:00:00.000Z',
      '2025-02-28T23:59:59.999Z',
      '2025-03-01T00:00:00.000Z',
    );
    const delivered = async (query: string) => {
      const r = await t.call('GET', `/v1/stats?domain=a.test&${query}`);
      expect(r.status).toBe(200);
      return [r.body.since, r.body.until, r.body.buckets.map((b: { start: string; delivered: number }) => b.delivered)];
    };
    expect(await delivered('resolution=hour&since=2025-01-31T23:00:00Z&until=2025-02-01T02:00:00Z')).toEqual([
      '2025-01-31T23:00:00.000Z',
      '2025-02-01T02:00:00.000Z',
      [1, 2, 1],
    ]);
    // A bucket is whole: a range starting inside an hour counts all of it; an offset is read as such.
    expect(await delivered('resolution=hour&since=2025-02-01T01:59:00%2B02:00&until=2025-02-01T00:00:00.001Z')).toEqual(
      ['2025-01-31T23:00:00.000Z', '2025-02-01T01:00:00.000Z', [1, 2]],
    );
    expect(await delivered('resolution=day&since=2025-01-31T00:00:00Z&until=2025-02-02T00:00:00Z')).toEqual([
      '2025-01-31T00:00:00.000Z',
      '2025-02-02T00:00:00.000Z',
      [1, 3],
    ]);
    expect(await delivered('resolution=month&since=2025-01-15T00:00:00Z&until=2025-03-02T00:00:00Z')).toEqual([
      '2025-01-01T00:00:00.000Z',
      '2025-04-01T00:00:00.000Z',
      [1, 4, 1],
    ]);
    // The month of February in days: the 28 days are all there, zeros included.
    const days = await t.call('GET', '/v1/stats?resolution=day&since=2025-02-01T00:00:00Z&until=2025-03-01T00:00:00Z');
    expect(days.body.buckets).toHaveLength(28);
    expect(days.body.buckets.map((b: { delivered: number }) => b.delivered).filter(Boolean)).toEqual([3, 1]);
    expect(days.body.totals).toMatchObject({ delivered: 4, accepted: 0, rates: { delivered: 0 } });
  });

  it('refuses bad input with 422 naming the field', async () => {
    for (const [query, field] of [
      ['resolution=week', 'resolution'],
      ['since=yesterday', 'since'],
      ['until=2025-01-01', 'until'],
      ['since=2025-01-01T00:00:00', 'since'],
      ['since=2025-02-01T00:00:00Z&until=2025-02-01T00:00:00Z', 'since'],
      ['since=2025-03-01T00:00:00Z&until=2025-02-01T00:00:00Z', 'since'],
      ['since=2024-01-01T00:00:00Z&until=2025-03-01T00:00:00Z', 'since'],
      ['resolution=hour&since=2025-01-01T00:00:00Z&until=2025-03-01T00:00:00Z', 'resolution'],
      ['since=2025-01-01T00:00:00Z&since=2025-01-02T00:00:00Z', 'since'],
      [`tag=${'x'.repeat(257)}`, 'tag'],
    ] as const) {
      const r = await t.call('GET', `/v1/stats?${query}`);
      expect([query, r.status, r.body.code]).toEqual([query, 422, 'validation_error']);
      expect(r.body.detail).toEqual(expect.any(String));
      expect(r.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    }
    const many = await t.call('GET', '/v1/stats?resolution=hour&since=2025-01-01T00:00:00Z&until=2025-03-01T00:00:00Z');
    expect(many.body.detail).toMatch(/1000 buckets/);
    for (const path of ['/v1/stats/tags', '/v1/stats/domains']) {
      const r = await t.call('GET', `${path}?since=2025-03-01T00:00:00Z&until=2025-02-01T00:00:00Z`);
      expect([path, r.status, r.body.errors?.[0]?.field]).toEqual([path, 422, 'since']);
    }
    // Many hours are fine for the totals, which have no buckets.
    const long = await t.call('GET', '/v1/stats/tags?since=2025-01-01T00:00:00Z&until=2025-12-01T00:00:00Z');
    expect(long.status).toBe(200);
  });

  it("answers 401 without a key, and only the caller's account", async () => {
    for (const path of ['/v1/stats', '/v1/stats/tags', '/v1/stats/domains'])
      expect((await t.call('GET', path, undefined, { key: null })).status).toBe(401);
    const other = await createAccount(t.server.store, { name: 'Other', plan: 'pro' });
    const r = await t.call('GET', '/v1/stats', undefined, { key: other.key });
    expect(r.status).toBe(200);
    expect(nonZero(r.body.totals)).toEqual({});
    expect((await t.call('GET', '/v1/stats/tags', undefined, { key: other.key })).body.tags).toEqual([]);
  });
});
