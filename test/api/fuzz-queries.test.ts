import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL_STATUSES } from '../../src/core/email-status.js';
import { EVENT_TYPES } from '../../src/core/event-filter.js';
import { RESOLUTIONS } from '../../src/core/stats.js';
import { SUPPRESSION_TYPES } from '../../src/model.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { answered, fuzz, fuzzTimeoutMs, type FuzzRequest } from '../helpers/fuzz.js';
import { queryStrings } from '../helpers/fuzz-values.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Generated query strings for the list routes, on a real server with some mail in it: each answer a 2xx or
// a 4xx in the error shape, never a 5xx (and a read writes nothing).
const RUNS = 40;
const UNKNOWN = '01890000-0000-7000-8000-000000000000';

const integer = fc.oneof(
  fc.integer({ min: -2, max: 1200 }).map(String),
  fc.constantFrom(
    '100000',
    '100001',
    '-0',
    '1e2',
    '0x10',
    ' 5',
    '5 ',
    '1.5',
    '9007199254740993',
    '',
    'NaN',
    'Infinity',
  ),
);
const page = { page: integer, limit: integer };
const list = (values: readonly string[]) =>
  fc.oneof(
    fc.constantFrom(...values),
    fc.array(fc.constantFrom(...values, '', 'QUEUED', 'x'), { minLength: 2, maxLength: 3 }).map((v) => v.join(',')),
  );
const time = fc.oneof(
  fc
    .date({ min: new Date('1999-12-31T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom('2026-06-01T09:00Z', '2026-06-01T09:00:00+05:30', '2026-06-01', '0000-01-01T00:00:00Z', 'now'),
);
const tag = fc.constantFrom('welcome', 'receipt', 'Welcome', 'no-such-tag');
const domain = fc.constantFrom('example.com', 'EXAMPLE.COM', 'recipient.test', 'other.test');
const recipient = fc.constantFrom('jane@recipient.test', 'JANE@recipient.test', 'nobody@recipient.test');

describe.each(testDatabases())('fuzzed list queries on %s', (kind) => {
  let t: TestServer;
  let emailId = '';
  let cursor = '';
  let webhookId = '';
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api', TAIFA_UPDATES_SETTLE_MS: '0' });
    await sandboxSender(t);
    for (const tags of [['welcome'], ['receipt', 'welcome'], null]) {
      const r = await t.call('POST', '/v1/emails', sendBody({ tags }));
      expect(r.status).toBe(202);
      emailId = r.body.id;
    }
    const events = await t.call('GET', '/v1/events?limit=1');
    cursor = events.headers.get('x-next-cursor') ?? '';
    expect(cursor).not.toBe('');
    const hook = await t.call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook' });
    webhookId = hook.body.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const timeout = fuzzTimeoutMs(RUNS);
  const get = (path: string | fc.Arbitrary<string>, params: Record<string, fc.Arbitrary<string>>) =>
    fc
      .tuple(typeof path === 'string' ? fc.constant(path) : path, queryStrings(params))
      .map(([p, q]): FuzzRequest => ({ method: 'GET', path: p + q }));
  const run = async (requests: fc.Arbitrary<FuzzRequest>) => {
    const seen = await fuzz(t, requests, RUNS);
    if (!process.env.TAIFA_FUZZ_PATH) expect(answered(seen, 200, 300), JSON.stringify([...seen])).toBeGreaterThan(0);
  };
  const statuses = list(EMAIL_STATUSES);

  it('GET /v1/emails, /search, /updates and /scheduled', { timeout }, async () => {
    const search = fc.constantFrom(
      'to:jane@recipient.test',
      'tag:"welcome"',
      'status:queued hello',
      '"hello there"',
      '',
    );
    await run(
      fc.oneof(
        get('/v1/emails', { status: statuses, ...page }),
        get('/v1/emails/search', { q: search, tag, status: statuses, ...page }),
        get('/v1/emails/updates', { since: time, after_id: fc.constantFrom(emailId, UNKNOWN, '') }),
        get('/v1/emails/scheduled', page),
      ),
    );
  });

  it('GET /v1/events', { timeout }, async () => {
    await run(
      get('/v1/events', {
        type: list(EVENT_TYPES),
        email_id: fc.constantFrom(emailId, UNKNOWN, 'x'),
        recipient,
        tag,
        domain,
        bot: fc.constantFrom('true', 'false', '1', '0', 'yes', ''),
        since: time,
        until: time,
        order: fc.constantFrom('asc', 'desc', 'ASC'),
        cursor: fc.oneof(fc.constant(cursor), fc.constantFrom(`${cursor}x`, cursor.slice(1), 'eyJ9', 'a'.repeat(200))),
        limit: integer,
      }),
    );
  });

  it('GET /v1/stats, /tags and /domains', { timeout }, async () => {
    const range = { since: time, until: time, tag, domain };
    await run(
      fc.oneof(
        get('/v1/stats', { ...range, resolution: fc.constantFrom(...RESOLUTIONS, 'week', 'HOUR') }),
        get(fc.constantFrom('/v1/stats/tags', '/v1/stats/domains'), range),
      ),
    );
  });

  it('GET /v1/suppressions and /v1/suppressions/:type/:address', { timeout }, async () => {
    const type = fc.constantFrom(...SUPPRESSION_TYPES, 'spam');
    const address = fc.constantFrom('jane%40recipient.test', 'JANE@recipient.test', 'x', '%C3%BC%40x.test', '%2F');
    await run(
      fc.oneof(
        get('/v1/suppressions', { type, q: fc.constantFrom('jane', '@', '%', '_'), domain, ...page }),
        get(
          fc.tuple(type, address).map(([ty, a]) => `/v1/suppressions/${ty}/${a}`),
          { domain, tag },
        ),
      ),
    );
  });

  it('GET /v1/webhooks and /v1/webhooks/:id/deliveries', { timeout }, async () => {
    const status = fc.constantFrom('pending', 'succeeded', 'failed', 'ok');
    await run(
      fc.oneof(
        get('/v1/webhooks', page),
        get(
          fc.constantFrom(webhookId, UNKNOWN, 'x').map((id) => `/v1/webhooks/${id}/deliveries`),
          { status, ...page },
        ),
      ),
    );
  });
});
