import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_WEBHOOK_EVENTS } from '../../src/core/webhook-events.js';
import { SUPPRESSION_TYPES } from '../../src/model.js';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sandboxSender } from '../helpers/fixtures.js';
import { answered, fuzz, fuzzTimeoutMs, type FuzzRequest } from '../helpers/fuzz.js';
import { bodies, oddString, transportTwist } from '../helpers/fuzz-values.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Generated bodies for the suppression lists (JSON and CSV) and the webhook endpoints, on a real server:
// each answer a 2xx or a 4xx in the error shape, and a refused request writes nothing.
const RUNS = 60;
const UNKNOWN = '01890000-0000-7000-8000-000000000000';

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 4 });
const plainOrOdd = (plain: fc.Arbitrary<string>) =>
  fc.oneof({ arbitrary: plain, weight: 4 }, { arbitrary: oddString, weight: 1 });

const address = plainOrOdd(
  fc.oneof(fc.constantFrom('jane@recipient.test', 'JANE@Recipient.Test', 'ünï@exämple.test'), fc.emailAddress()),
);
const type = plainOrOdd(fc.constantFrom(...SUPPRESSION_TYPES));
const scope = opt(plainOrOdd(fc.constantFrom('example.com', 'welcome')));

const suppression = fc.record(
  { address, type, domain: scope, tag: scope, reason: opt(plainOrOdd(fc.constantFrom('asked by phone', ''))) },
  { requiredKeys: ['address', 'type'] },
);
const suppressionsBody = fc.oneof(
  { arbitrary: fc.record({ suppressions: fc.array(suppression, { minLength: 1, maxLength: 4 }) }), weight: 12 },
  // One item over the cap, each small (a hostile string 10,001 times would be a request of a gigabyte).
  {
    arbitrary: fc.constant({
      suppressions: Array.from({ length: 10_001 }, () => ({ address: 'x@y.test', type: 'bounce' })),
    }),
    weight: 1,
  },
);

/** A CSV field as a careful writer quotes it, or as written by hand (stray quotes, commas, line breaks). */
const csvField = fc.oneof(
  address.map((v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)),
  type,
  oddString,
);
const csvFile = fc
  .tuple(
    fc.oneof(
      fc.constantFrom('address,type,domain,tag,reason', 'type,address', 'address', '', '\ufeffaddress,type'),
      fc
        .array(fc.constantFrom('address', 'type', 'domain', 'tag', 'reason', 'x'), { maxLength: 6 })
        .map((h) => h.join(',')),
    ),
    fc.array(fc.array(csvField, { maxLength: 5 }), { maxLength: 5 }),
    fc.constantFrom('\n', '\r\n', '\r'),
  )
  .map(([header, rows, eol]) => [header, ...rows.map((r) => r.join(','))].join(eol));

const webhookUrl = plainOrOdd(
  fc.oneof(
    fc.constantFrom(
      'https://hooks.example.test/taifa',
      'http://hooks.example.test:8080/x?y=1',
      'https://private.example.test/x',
      'https://93.184.215.14/hook',
      'http://127.0.0.1/x',
      'http://[::1]/x',
      'https://user:pw@hooks.example.test/x',
      'ftp://hooks.example.test/x',
      'hooks.example.test/x',
    ),
    fc.webUrl(),
  ),
);
const webhookFields = {
  url: webhookUrl,
  events: opt(fc.array(plainOrOdd(fc.constantFrom('*', ...ALL_WEBHOOK_EVENTS)), { maxLength: 4 })),
  domain: scope,
  tag: scope,
  enabled: fc.boolean(),
  human_only: fc.boolean(),
};

describe.each(testDatabases())('fuzzed suppression and webhook requests on %s', (kind) => {
  let dns: DnsServer;
  let t: TestServer;
  let webhookId = '';
  beforeAll(async () => {
    // Webhook hosts resolve through a loopback DNS server (nothing is looked up outside), and the guard runs as
    // in production. The API alone: nothing is posted, nothing in the background changes the tables.
    dns = await startDnsServer({
      a: { 'hooks.example.test': ['93.184.215.14'], 'private.example.test': ['10.0.0.1'] },
    });
    t = await startTestServer(kind, {
      TAIFA_SANDBOX: 'true',
      TAIFA_ROLES: 'api',
      TAIFA_DNS_SERVERS: dns.address,
      TAIFA_ALLOW_PRIVATE_WEBHOOKS: 'false',
    });
    await sandboxSender(t);
    const hook = await t.call('POST', '/v1/webhooks', { url: 'https://hooks.example.test/first' });
    expect(hook.status).toBe(201);
    webhookId = hook.body.id;
  });
  afterAll(async () => {
    await t?.close();
    await dns?.close();
  });

  const expectSomeAccepted = (seen: Map<number, number>) => {
    if (!process.env.TAIFA_FUZZ_PATH) expect(answered(seen, 200, 300), JSON.stringify([...seen])).toBeGreaterThan(0);
  };
  const timeout = fuzzTimeoutMs(RUNS);
  const requests = (method: FuzzRequest['method'], path: fc.Arbitrary<string>, valid: fc.Arbitrary<unknown>) =>
    fc
      .tuple(path, bodies(valid), transportTwist)
      .map(([p, b, twist]): FuzzRequest => ({ method, path: p, ...b, ...twist }));

  it('POST /v1/suppressions', { timeout }, async () => {
    expectSomeAccepted(await fuzz(t, requests('POST', fc.constant('/v1/suppressions'), suppressionsBody), RUNS));
  });

  it('POST /v1/suppressions/import', { timeout }, async () => {
    const csv = fc
      .tuple(csvFile, fc.constantFrom('text/csv', 'text/csv; charset=utf-8', 'application/json', null))
      .map(([raw, contentType]): FuzzRequest => ({
        method: 'POST',
        path: '/v1/suppressions/import',
        raw,
        contentType,
      }));
    expectSomeAccepted(await fuzz(t, csv, RUNS));
  });

  it('POST /v1/webhooks', { timeout }, async () => {
    const valid = fc.record(webhookFields, { requiredKeys: ['url'] });
    expectSomeAccepted(await fuzz(t, requests('POST', fc.constant('/v1/webhooks'), valid), RUNS));
  });

  it('PATCH /v1/webhooks/:id', { timeout }, async () => {
    const id = fc.oneof(
      { arbitrary: fc.constant(webhookId), weight: 6 },
      { arbitrary: fc.constantFrom(UNKNOWN, 'x', 'a'.repeat(300)), weight: 1 },
    );
    const path = id.map((i) => `/v1/webhooks/${i}`);
    const valid = fc.record(webhookFields, { requiredKeys: [] });
    expectSomeAccepted(await fuzz(t, requests('PATCH', path, valid), RUNS));
  });
});
