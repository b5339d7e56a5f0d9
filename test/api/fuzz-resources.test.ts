import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender } from '../helpers/fixtures.js';
import { answered, fuzz, fuzzTimeoutMs, type FuzzRequest } from '../helpers/fuzz.js';
import { bodies, oddString, transportTwist } from '../helpers/fuzz-values.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Generated bodies for the account's resources — domains, senders, API keys, saved searches — on a real
// server: each answer a 2xx or a 4xx in the error shape, and a refused request writes nothing.
const RUNS = 60;
/** A well-formed id that no row has. */
const UNKNOWN = '01890000-0000-7000-8000-000000000000';

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 4 });
const plainOrOdd = (plain: fc.Arbitrary<string>) =>
  fc.oneof({ arbitrary: plain, weight: 4 }, { arbitrary: oddString, weight: 1 });

/** Ids for a path: one that exists, one that does not, and ones that are no id at all. */
const idFor = (...existing: string[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...existing), weight: 6 },
    { arbitrary: fc.constantFrom(UNKNOWN, 'x', '0', '%00', '%zz', 'a'.repeat(300), `${UNKNOWN}/verify`), weight: 1 },
  );

function requests(
  method: FuzzRequest['method'],
  path: fc.Arbitrary<string>,
  valid: fc.Arbitrary<unknown>,
): fc.Arbitrary<FuzzRequest> {
  return fc
    .tuple(path, bodies(valid), transportTwist)
    .map(([p, body, twist]) => ({ method, path: p, ...body, ...twist }));
}

const domainName = plainOrOdd(
  fc.oneof(
    // Mostly names already added (409) or refused: each new domain costs a 2048-bit RSA key.
    {
      arbitrary: fc.constantFrom('example.com', 'Example.COM.', 'pending.test', 'localhost', '-x.test', 'a..b'),
      weight: 6,
    },
    { arbitrary: fc.domain(), weight: 1 },
  ),
);

const domainSettings = fc.record(
  {
    open_tracking: fc.boolean(),
    click_tracking: fc.boolean(),
    pixel_position: fc.constantFrom('top', 'bottom'),
    tracking_host: opt(plainOrOdd(fc.oneof(fc.constant('track.example.com'), fc.domain()))),
    unsubscribe_links: fc.boolean(),
  },
  { requiredKeys: [] },
);

const senderBody = fc.record(
  {
    email: plainOrOdd(
      fc.oneof(
        fc.constantFrom('hello@example.com', 'HELLO@example.com', 'x@pending.test', 'x@unknown.test'),
        fc.stringMatching(/^[a-z0-9.+_-]{1,20}$/).map((local) => `${local}@example.com`),
        fc.emailAddress(),
      ),
    ),
    name: opt(plainOrOdd(fc.constantFrom('Support', 'Ünï Team'))),
  },
  { requiredKeys: ['email'] },
);

const apiKeyBody = fc.record({ name: plainOrOdd(fc.constantFrom('CI', 'Production key')) }, { requiredKeys: [] });

const filter = opt(plainOrOdd(fc.constantFrom('tag:welcome', 'to:jane@recipient.test', '7d', 'queued,sent', '')));
const savedSearch = fc.record(
  {
    id: opt(plainOrOdd(fc.constantFrom('s1', 's2', UNKNOWN))),
    name: plainOrOdd(fc.constantFrom('Bounces', 'Welcome mail')),
    query: filter,
    range: filter,
    status: filter,
    domain: filter,
    source: filter,
  },
  { requiredKeys: ['name'] },
);
const savedSearches = fc.oneof(
  { arbitrary: fc.record({ searches: fc.array(savedSearch, { maxLength: 4 }) }), weight: 8 },
  { arbitrary: fc.constant({ searches: Array.from({ length: 51 }, (_, i) => ({ name: `s${i}` })) }), weight: 1 },
);

describe.each(testDatabases())('fuzzed resource requests on %s', (kind) => {
  let t: TestServer;
  let domainId = '';
  let pendingId = '';
  beforeAll(async () => {
    // The API alone: nothing in the background changes the tables under test.
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
    domainId = await sandboxSender(t);
    const pending = await t.call('POST', '/v1/domains', { name: 'pending.test' });
    expect(pending.status).toBe(201);
    pendingId = pending.body.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const expectSomeAccepted = (seen: Map<number, number>) => {
    if (!process.env.TAIFA_FUZZ_PATH) expect(answered(seen, 200, 300), JSON.stringify([...seen])).toBeGreaterThan(0);
  };
  const timeout = fuzzTimeoutMs(RUNS);

  it('POST /v1/domains', { timeout }, async () => {
    expectSomeAccepted(
      await fuzz(t, requests('POST', fc.constant('/v1/domains'), fc.record({ name: domainName })), RUNS),
    );
  });

  it('PATCH /v1/domains/:id', { timeout }, async () => {
    const path = idFor(domainId, pendingId).map((id) => `/v1/domains/${id}`);
    expectSomeAccepted(await fuzz(t, requests('PATCH', path, domainSettings), RUNS));
  });

  it('POST /v1/senders', { timeout }, async () => {
    expectSomeAccepted(await fuzz(t, requests('POST', fc.constant('/v1/senders'), senderBody), RUNS));
  });

  it('POST /v1/api-keys', { timeout }, async () => {
    expectSomeAccepted(await fuzz(t, requests('POST', fc.constant('/v1/api-keys'), apiKeyBody), RUNS));
  });

  it('PUT /v1/emails/saved-searches', { timeout }, async () => {
    const path = fc.constant('/v1/emails/saved-searches');
    expectSomeAccepted(await fuzz(t, requests('PUT', path, savedSearches), RUNS));
  });
});
