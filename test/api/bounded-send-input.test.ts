import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const MiB = 1024 * 1024;

/** `n` custom headers X-H0, X-H1… each with `value`. */
function headers(n: number, value = 'v'): Record<string, string> {
  const h: Record<string, string> = {};
  for (let i = 0; i < n; i++) h[`X-H${i}`] = value;
  return h;
}

/** Custom headers of exactly `bytes` UTF-8 bytes of names and values together, values of 2000 characters or fewer. */
function headersOfBytes(bytes: number): Record<string, string> {
  const h: Record<string, string> = {};
  let left = bytes;
  for (let i = 0; left > 0; i++) {
    const name = `X-F${i}`;
    const value = 'x'.repeat(Math.min(2000, left - name.length));
    h[name] = value;
    left -= name.length + value.length;
  }
  return h;
}

// A request's work must be bounded by the limits it is held to, not by its own size: counts and lengths are
// checked before anything walks the parts, and what is over them is answered with those errors alone (so
// a body with other faults too shows that nothing else was checked).
describe.each(testDatabases())('send bodies far over the limits on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  const emailCount = async () => (await t.call('GET', '/v1/emails/?limit=100')).body.length as number;

  it('refuses 1,000,000 custom headers by their count alone, naming headers, and stores nothing', async () => {
    const before = await emailCount();
    // 17 MB of headers, and other faults that a full check would report as well. (Written as JSON text
    // directly: building the object in the test would take longer than the server's answer.)
    const many = Array.from({ length: 1_000_000 }, (_, i) => `"X-H${i}":"v"`).join(',');
    const body = JSON.stringify({ ...sendBody({ headers: {}, subject: 42 }), colour: 'red' });
    const r = await t.call('POST', '/v1/emails/', undefined, {
      raw: body.replace('"headers":{}', `"headers":{${many}}`),
    });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('validation_error');
    expect(r.body.errors).toEqual([{ field: 'headers', error: 'must have at most 100 headers (it has 1000000)' }]);
    expect(await emailCount()).toBe(before);
    expect((await t.call('GET', '/healthz', undefined, { key: null })).status).toBe(200);
  });

  it('takes 100 headers and 16 KiB of them, not one more of either', async () => {
    expect((await t.call('POST', '/v1/emails/', sendBody({ headers: headers(100) }))).status).toBe(202);
    const many = await t.call('POST', '/v1/emails/', sendBody({ headers: headers(101) }));
    expect([many.status, many.body.errors]).toEqual([
      422,
      [{ field: 'headers', error: 'must have at most 100 headers (it has 101)' }],
    ]);

    expect((await t.call('POST', '/v1/emails/', sendBody({ headers: headersOfBytes(16_384) }))).status).toBe(202);
    const big = await t.call('POST', '/v1/emails/', sendBody({ headers: headersOfBytes(16_385) }));
    expect(big.status).toBe(422);
    expect(big.body.errors).toEqual([{ field: 'headers', error: expect.stringMatching(/at most 16 KiB.*not 16385/) }]);
    // Bytes, not characters: 1,000 two-byte characters weigh 2,000.
    const wide = { ...headersOfBytes(16_384 - 1003), 'X-E': 'é'.repeat(1000) };
    expect((await t.call('POST', '/v1/emails/', sendBody({ headers: wide }))).status).toBe(422);
  });

  it('refuses floods of recipients, tags, attachments or unknown fields, and a huge string, each by its size', async () => {
    const many = <T>(v: T) => Array.from({ length: 100_000 }, () => v);
    const unknown: Record<string, number> = {};
    for (let i = 0; i < 100_000; i++) unknown[`f${i}`] = i;
    for (const [what, body, errors] of [
      ['to', sendBody({ to: many({ email: 'nope' }) }), [{ field: 'to', error: 'must have at most 50 items' }]],
      ['tags', sendBody({ tags: many(7) }), [{ field: 'tags', error: 'must have at most 20 items' }]],
      [
        'attachments',
        sendBody({ attachments: many({}) }),
        [{ field: 'attachments', error: 'must have at most 100 items' }],
      ],
      ['fields', { ...sendBody(), ...unknown }, [{ field: 'body', error: 'has 100005 fields; it has at most 14' }]],
      [
        'tracking',
        sendBody({ tracking: unknown }),
        [{ field: 'tracking', error: 'has 100000 fields; it has at most 3' }],
      ],
      [
        'a name',
        sendBody({ from_: { email: 'hello@example.com', name: 'x\n'.repeat(MiB) } }),
        [{ field: 'from_.name', error: 'must be at most 256 characters' }],
      ],
    ] as const) {
      const r = await t.call('POST', '/v1/emails/', body);
      expect([what, r.status, r.body.errors]).toEqual([what, 422, errors]);
    }
  });

  it('holds each email of a batch to the limits on its own, and the dry run reports them', async () => {
    const batch = await t.call('POST', '/v1/emails/batch', [
      sendBody({ subject: 'kept' }),
      sendBody({ headers: headers(100_000) }),
      sendBody({ tags: Array.from({ length: 100_000 }, () => 'x') }),
    ]);
    expect(batch.status).toBe(202);
    expect(batch.body).toMatchObject({ total: 3, sent: 1, failed: 2 });
    expect(batch.body.results.map((r: { rejection_reason: string | null }) => r.rejection_reason)).toEqual([
      null,
      'headers: must have at most 100 headers (it has 100000)',
      'tags: must have at most 20 items',
    ]);

    const dry = await t.call('POST', '/v1/emails/validate', sendBody({ headers: headers(100_000) }));
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ valid: false, can_send: false });
    expect(dry.body.issues).toEqual([
      { field: 'content', error: 'headers must have at most 100 headers (it has 100000)' },
    ]);
  });

  it('counts a batch before checking its emails: 100,000 of them get the batch cap, naming the body', async () => {
    // Each email also over a limit: the count is what is answered.
    const item = sendBody({ tags: Array.from({ length: 21 }, () => 'x') });
    const raw = `[${Array.from({ length: 100_000 }, () => JSON.stringify(item)).join(',')}]`;
    const r = await t.call('POST', '/v1/emails/batch', undefined, { raw });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('validation_error');
    expect(r.body.detail).toBe(
      'A batch on the business plan holds at most 100 emails (batch cap 100); this one has 100000.',
    );
    expect(r.body.errors).toEqual([
      { field: 'body', error: 'has 100000 emails; the business plan allows at most 100 per batch' },
    ]);
  });

  it('reads request bodies of up to 40 MiB and answers a larger one 413 in the API error shape', async () => {
    // Just under: read and judged (an unknown field), not refused for its size.
    const under = JSON.stringify({ ...sendBody(), padding: '' });
    const fill = 40 * MiB - Buffer.byteLength(under);
    const near = await t.call('POST', '/v1/emails/', undefined, {
      raw: under.replace('"padding":""', `"padding":"${'x'.repeat(fill)}"`),
    });
    expect([near.status, near.body.errors]).toEqual([422, [{ field: 'padding', error: 'is not a known field' }]]);

    const over = await t.call('POST', '/v1/emails/', undefined, {
      raw: under.replace('"padding":""', `"padding":"${'x'.repeat(fill + 1)}"`),
    });
    expect(over.status).toBe(413);
    expect(over.body).toMatchObject({ code: 'payload_too_large', detail: expect.stringContaining('40 MiB') });
  });
});
