import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Every date-time a query string takes, by route and parameter. */
const DATE_PARAMS: Array<[string, string]> = [
  ['/v1/emails/updates', 'since'],
  ['/v1/events', 'since'],
  ['/v1/events', 'until'],
  ['/v1/stats', 'since'],
  ['/v1/stats', 'until'],
  ['/v1/stats/tags', 'since'],
  ['/v1/stats/tags', 'until'],
  ['/v1/stats/domains', 'since'],
  ['/v1/stats/domains', 'until'],
];

/** Dates that do not exist, which a lenient parser rolls over into the next day or month. */
const IMPOSSIBLE = [
  '2026-02-30T00:00:00Z',
  '2026-04-31T12:00:00Z',
  '2026-02-29T00:00:00Z',
  '2026-13-01T00:00:00Z',
  '2026-06-01T25:00:00Z',
  '2026-06-01T24:00:00Z',
  '2026-06-01T23:59:60Z',
  '2026-06-01T00:00:00+25:00',
];

/** A query string with a valid range around `value`, so that only the date-time itself can be at fault. */
function query(param: string, value: string): string {
  const other = param === 'since' ? 'until=2026-07-01T00:00:00Z' : 'since=2026-01-01T00:00:00Z';
  return `${param}=${encodeURIComponent(value)}&${other}`;
}

describe.each(testDatabases())('date-times in query strings on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
  });
  afterAll(async () => t?.close());

  it.each(DATE_PARAMS)('%s refuses an impossible %s with 422 naming it', async (path, param) => {
    for (const value of IMPOSSIBLE) {
      const r = await t.call('GET', `${path}?${query(param, value)}`);
      expect([value, r.status, r.body.code]).toEqual([value, 422, 'validation_error']);
      expect(r.body.errors).toEqual([{ field: param, error: expect.stringMatching(/real ISO 8601 date-time/) }]);
    }
  });

  it.each(DATE_PARAMS)('%s takes a real %s, in any offset', async (path, param) => {
    for (const value of ['2026-02-28T23:59:59.999Z', '2026-03-01T01:00:00+01:00', '2026-03-01T00:00-0000']) {
      const r = await t.call('GET', `${path}?${query(param, value)}`);
      expect([value, r.status]).toEqual([value, 200]);
    }
  });
});

describe.each(testDatabases())('send_at on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  it('refuses a date that does not exist rather than rolling it over, naming send_at and the reason', async () => {
    for (const [sendAt, reason] of [
      ['2027-02-30T09:00:00Z', 'February 2027 has 28 days'],
      ['2027-13-01T09:00:00Z', 'no month 13'],
      ['2027-01-01T25:00:00Z', 'no hour 25'],
      ['2027-01-01T24:00:00Z', 'no hour 24'],
      ['2027-01-01T09:60:00Z', 'no minute 60'],
      ['2027-01-01T09:00:00+24:00', 'offset'],
    ] as const) {
      const r = await t.call('POST', '/v1/emails/', sendBody({ send_at: sendAt }));
      expect([sendAt, r.status, r.body.code]).toEqual([sendAt, 422, 'validation_error']);
      expect(r.body.errors).toEqual([{ field: 'send_at', error: expect.stringContaining(reason) }]);
    }
  });

  it('reads a real send_at to the same moment in any offset', async () => {
    const at = new Date(Date.now() + 2 * 86_400_000);
    at.setUTCMinutes(0, 0, 0);
    const plus = new Date(at.getTime() + 5.5 * 3_600_000).toISOString().replace('.000Z', '+05:30');
    const r = await t.call('POST', '/v1/emails/', sendBody({ send_at: plus }));
    expect(r.status).toBe(202);
    const detail = await t.call('GET', `/v1/emails/${r.body.id}`);
    expect(detail.body.scheduled_at).toBe(at.toISOString());
  });
});
