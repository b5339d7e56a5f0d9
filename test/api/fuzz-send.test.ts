import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender } from '../helpers/fixtures.js';
import { answered, fuzz, fuzzTimeoutMs, type FuzzRequest } from '../helpers/fuzz.js';
import { batchBody, idempotencyHeaders, sendBody } from '../helpers/fuzz-send-bodies.js';
import { bodies, transportTwist } from '../helpers/fuzz-values.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Generated send, batch and validate requests, valid and hostile, on a real server: each answer is a 2xx
// or a 4xx in the error shape, never a 5xx, and a refused request writes nothing (test/helpers/fuzz.ts).
const RUNS = 150;

function requests(path: string, valid: fc.Arbitrary<unknown>): fc.Arbitrary<FuzzRequest> {
  return fc
    .tuple(bodies(valid), transportTwist, idempotencyHeaders)
    .map(([body, twist, headers]) => ({ method: 'POST', path, ...body, ...twist, headers }));
}

/** Whether the run got past the schema: some requests accepted and some refused (not when replaying one case). */
function expectBothOutcomes(seen: Map<number, number>): void {
  if (process.env.TAIFA_FUZZ_PATH) return;
  expect(answered(seen, 200, 300), JSON.stringify([...seen])).toBeGreaterThan(0);
  expect(answered(seen, 400, 500), JSON.stringify([...seen])).toBeGreaterThan(0);
}

describe.each(testDatabases())('fuzzed send requests on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    // The API alone: no worker delivers, so the tables change only by the requests under test.
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
    await sandboxSender(t);
    const pending = await t.call('POST', '/v1/domains', { name: 'pending.test' });
    expect(pending.status).toBe(201);
    const bounced = await t.call('POST', '/v1/suppressions', {
      suppressions: [{ address: 'bounced@recipient.test', type: 'bounce' }],
    });
    expect(bounced.status).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('POST /v1/emails answers every body as documented', { timeout: fuzzTimeoutMs(RUNS) }, async () => {
    expectBothOutcomes(await fuzz(t, requests('/v1/emails', sendBody), RUNS));
  });

  it('POST /v1/emails/batch answers every body as documented', { timeout: fuzzTimeoutMs(RUNS) }, async () => {
    expectBothOutcomes(await fuzz(t, requests('/v1/emails/batch', batchBody), RUNS));
  });

  it('POST /v1/emails/validate answers every body as documented', { timeout: fuzzTimeoutMs(RUNS) }, async () => {
    expectBothOutcomes(await fuzz(t, requests('/v1/emails/validate', sendBody), RUNS));
  });
});
