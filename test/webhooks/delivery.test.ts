import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { testDatabases } from '../helpers/databases.js';
import { eventually, settled, startTestServer, type TestServer } from '../helpers/server.js';
import { WebhookReceiver, type Received } from '../helpers/webhook-receiver.js';

const SENDER = { email: 'hello@example.com', name: 'Example' };

/** A sandbox server with a verified example.com and its sender, posting webhooks with a compressed schedule. */
async function sandbox(kind: Parameters<typeof startTestServer>[0], env: Record<string, string> = {}) {
  const t = await startTestServer(kind, {
    TAIFA_SANDBOX: 'true',
    TAIFA_ALLOW_PRIVATE_WEBHOOKS: 'true',
    TAIFA_WEBHOOK_RETRY_SCHEDULE: '1,1,1',
    TAIFA_WEBHOOK_POLL_INTERVAL_MS: '50',
    ...env,
  });
  const d = await t.call('POST', '/v1/domains', { name: 'example.com' });
  await t.call('POST', `/v1/domains/${d.body.id}/verify`);
  await t.call('POST', '/v1/senders', SENDER);
  return t;
}

async function send(t: TestServer, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await t.call('POST', '/v1/emails', {
    from_: SENDER,
    to: [{ email: 'jane@recipient.test' }],
    subject: 'Your receipt',
    text: 'Thanks!',
    ...extra,
  });
  expect(r.status).toBe(202);
  return r.body.id as string;
}

async function hook(t: TestServer, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const r = await t.call('POST', '/v1/webhooks', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

/** What a receiver's standardwebhooks check says of a request: the payload, or the error. */
function verify(secret: string, r: Pick<Received, 'body' | 'headers'>): { ok: boolean; error?: string } {
  try {
    new Webhook(secret).verify(r.body, r.headers);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: String(error) };
  }
}

describe.each(testDatabases())('webhook delivery on %s', (kind) => {
  let t: TestServer;
  let rx: WebhookReceiver;
  beforeAll(async () => {
    rx = await WebhookReceiver.start();
    t = await sandbox(kind);
  });
  afterAll(async () => {
    await t?.close();
    await rx?.down();
  });

  it('posts every event of an email, signed so that a standardwebhooks receiver verifies it', async () => {
    const w = await hook(t, { url: rx.url('/all'), events: ['*'] });
    const id = await send(t, { tags: ['receipts'] });
    await settled(t, id, 'delivered');
    const got = await eventually('three events', async () => {
      const mine = rx.at('/all').filter((r) => r.json?.data?.email_id === id);
      return mine.length >= 3 ? mine : undefined;
    });
    expect(got.map((r) => r.json.type).sort()).toEqual(['email.delivered', 'email.queued', 'email.sent']);
    const delivered = got.find((r) => r.json.type === 'email.delivered')!;
    expect(delivered.json).toMatchObject({
      type: 'email.delivered',
      data: {
        email_id: id,
        recipient: 'jane@recipient.test',
        from: 'hello@example.com',
        subject: 'Your receipt',
        tags: ['receipts'],
      },
    });
    expect(delivered.json.data.message_id).toMatch(/^<.+@example\.com>$/);
    expect(delivered.json.data.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(delivered.json.timestamp)).toBeGreaterThan(0);
    expect(delivered.headers['content-type']).toBe('application/json');
    expect(delivered.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    for (const r of got) expect(verify(w.secret, r)).toEqual({ ok: true });

    // A receiver refuses a changed body, another secret, and an old timestamp.
    expect(verify(w.secret, { ...delivered, body: delivered.body.replace('Your receipt', 'Your refund') }).ok).toBe(
      false,
    );
    expect(verify('whsec_' + Buffer.alloc(24, 7).toString('base64'), delivered).ok).toBe(false);
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const stale = verify(w.secret, { ...delivered, headers: { ...delivered.headers, 'webhook-timestamp': old } });
    expect(stale.ok).toBe(false);
  });

  it('sends only the event types, domain and tag an endpoint asked for', async () => {
    await hook(t, { url: rx.url('/delivered'), events: ['email.delivered'] });
    await hook(t, { url: rx.url('/other-domain'), events: ['email.delivered'], domain: 'elsewhere.test' });
    await hook(t, { url: rx.url('/tagged'), events: ['email.queued'], tag: 'welcome' });
    const plain = await send(t);
    const tagged = await send(t, { tags: ['welcome'] });
    await settled(t, plain, 'delivered');
    await settled(t, tagged, 'delivered');
    await eventually('both delivered events', async () =>
      rx.at('/delivered').filter((r) => [plain, tagged].includes(r.json.data.email_id)).length === 2 ? true : undefined,
    );
    const tagHits = await eventually('the tagged queued event', async () => {
      const got = rx.at('/tagged');
      return got.length >= 1 ? got : undefined;
    });
    expect(tagHits.map((r) => r.json.data.email_id)).toEqual([tagged]);
    expect(tagHits[0]!.json.type).toBe('email.queued');
    expect(rx.at('/delivered').every((r) => r.json.type === 'email.delivered')).toBe(true);
    expect(rx.at('/other-domain')).toEqual([]);
  });

  it('retries a failing endpoint with the same webhook-id and logs every attempt', async () => {
    let calls = 0;
    const previous = rx.respond;
    rx.respond = (r) => (r.path === '/flaky' && ++calls <= 2 ? { status: 503, body: 'busy, try later' } : previous(r));
    const w = await hook(t, { url: rx.url('/flaky'), events: ['email.delivered'] });
    const id = await send(t);
    await settled(t, id, 'delivered');
    const got = await eventually('three attempts', async () =>
      rx.at('/flaky').length >= 3 ? rx.at('/flaky') : undefined,
    );
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const log = await eventually('the delivery to succeed', async () => {
      const r = await t.call('GET', `/v1/webhooks/${w.id}/deliveries`);
      return r.body[0]?.status === 'succeeded' ? r.body : undefined;
    });
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ id: got[0]!.headers['webhook-id'], status: 'succeeded', attempt_count: 3 });
    expect(log[0].attempts.map((a: { status_code: number }) => a.status_code)).toEqual([503, 503, 200]);
    expect(log[0].attempts[0].response_body).toBe('busy, try later');
    expect(log[0].payload.type).toBe('email.delivered');
    const failedOnly = await t.call('GET', `/v1/webhooks/${w.id}/deliveries?status=failed`);
    expect(failedOnly.body).toEqual([]);
    rx.respond = previous;
  });

  it('takes 406 as a refusal (not retried) and gives up once the schedule is used up', async () => {
    const previous = rx.respond;
    rx.respond = (r) =>
      r.path === '/refuse'
        ? { status: 406 }
        : r.path === '/broken'
          ? { status: 500, body: 'x'.repeat(5000) }
          : previous(r);
    const refuse = await hook(t, { url: rx.url('/refuse'), events: ['email.delivered'] });
    const broken = await hook(t, { url: rx.url('/broken'), events: ['email.delivered'] });
    const id = await send(t);
    await settled(t, id, 'delivered');
    const refused = await eventually('the refusal', async () => {
      const r = await t.call('GET', `/v1/webhooks/${refuse.id}/deliveries`);
      return r.body[0]?.status === 'failed' ? r.body[0] : undefined;
    });
    expect(refused).toMatchObject({ attempt_count: 1, last_status_code: 406 });
    const gaveUp = await eventually('the last retry', async () => {
      const r = await t.call('GET', `/v1/webhooks/${broken.id}/deliveries?status=failed`);
      return r.body[0];
    });
    // The first attempt and the three retries of TAIFA_WEBHOOK_RETRY_SCHEDULE=1,1,1.
    expect(gaveUp.attempt_count).toBe(4);
    expect(gaveUp.attempts).toHaveLength(4);
    expect(gaveUp.attempts[0].response_body).toHaveLength(1024);
    expect(rx.at('/refuse')).toHaveLength(1);
    rx.respond = previous;
  });

  it('replays a delivery with its webhook-id, and test-sends a sample event showing the answer', async () => {
    const w = await hook(t, { url: rx.url('/replay'), events: ['email.sent'] });
    const id = await send(t);
    await settled(t, id, 'delivered');
    const first = await eventually('the sent event', async () => rx.at('/replay')[0]);
    const [delivery] = (await t.call('GET', `/v1/webhooks/${w.id}/deliveries`)).body;
    const replay = await t.call('POST', `/v1/webhooks/${w.id}/deliveries/${delivery.id}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body.status).toBe('pending');
    const again = await eventually('the replay', async () => rx.at('/replay')[1]);
    expect(again.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(again.body).toBe(first.body);

    const previous = rx.respond;
    rx.respond = (r) => (r.path === '/replay' ? { status: 202, body: 'got it' } : previous(r));
    const test = await t.call('POST', `/v1/webhooks/${w.id}/test`, { event: 'email.clicked' });
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ status: 'succeeded', event_id: null, last_status_code: 202 });
    expect(test.body.attempts[0]).toMatchObject({ status_code: 202, response_body: 'got it' });
    const sample = rx.at('/replay')[2]!;
    expect(sample.json).toMatchObject({
      type: 'email.clicked',
      data: { bot: null, metadata: { url: 'https://example.com/' }, tags: ['test'] },
    });
    // The same fields a real event's payload has.
    expect(Object.keys(sample.json.data).sort()).toEqual(
      ['bot', ...Object.keys(rx.at('/replay')[0]!.json.data)].sort(),
    );
    expect(verify(w.secret, sample)).toEqual({ ok: true });
    rx.respond = previous;

    const missing = await t.call(
      'POST',
      `/v1/webhooks/${w.id}/deliveries/${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}/replay`,
    );
    expect(missing.status).toBe(404);
  });

  it('signs with both secrets after a rotation', async () => {
    const w = await hook(t, { url: rx.url('/rotated'), events: ['email.queued'] });
    const rotated = await t.call('POST', `/v1/webhooks/${w.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(w.secret);
    await send(t);
    const got = await eventually('the queued event', async () => rx.at('/rotated')[0]);
    expect(got.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verify(w.secret, got)).toEqual({ ok: true });
    expect(verify(rotated.body.secret as string, got)).toEqual({ ok: true });
  });
});

describe.each(testDatabases())('webhook endpoints that fail on %s', (kind) => {
  it('disables an endpoint that failed every attempt for the configured time, and says why', async () => {
    const t = await sandbox(kind, {
      TAIFA_WEBHOOK_DISABLE_AFTER_SECONDS: '1',
      TAIFA_WEBHOOK_RETRY_SCHEDULE: '1,1,1,1',
    });
    const rx = await WebhookReceiver.start();
    try {
      rx.respond = () => ({ status: 500 });
      const w = await hook(t, { url: rx.url(), events: ['email.delivered'] });
      await settled(t, await send(t), 'delivered');
      const off = await eventually('the endpoint to be disabled', async () => {
        const r = await t.call('GET', `/v1/webhooks/${w.id}`);
        return r.body.enabled === false ? r.body : undefined;
      });
      expect(off.disabled_reason).toMatch(/failed for 3 days|failed/);
      expect(off.disabled_reason).toContain('HTTP 500');
    } finally {
      await t.close();
      await rx.down();
    }
  });

  it('never lets a slow endpoint hold back another', async () => {
    const t = await sandbox(kind, { TAIFA_WEBHOOK_CONCURRENCY_PER_ENDPOINT: '2' });
    const rx = await WebhookReceiver.start();
    try {
      // The slow endpoint answers nothing until the fast one has every event.
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      rx.respond = (r) => (r.path === '/slow' ? { status: 200, until: released } : { status: 200 });
      await hook(t, { url: rx.url('/slow'), events: ['*'] });
      await hook(t, { url: rx.url('/fast'), events: ['*'] });
      const ids = await Promise.all([1, 2, 3, 4, 5].map(() => send(t)));
      for (const id of ids) await settled(t, id, 'delivered');
      // Fifteen events each (queued, sent, delivered): the fast endpoint gets them all while the slow one
      // holds its two posts (its cap) unanswered.
      await eventually('the fast endpoint to have all', async () => (rx.at('/fast').length >= 15 ? true : undefined));
      expect(rx.at('/slow').length).toBeLessThanOrEqual(2);
      release();
      await eventually(
        'the slow endpoint to have all',
        async () => (rx.at('/slow').length >= 15 ? true : undefined),
        60_000,
      );
    } finally {
      await t.close();
      await rx.down();
    }
  });

  it('keeps what a down endpoint missed, across a restart, and delivers it once it is back', async () => {
    const rx = await WebhookReceiver.start();
    await rx.down();
    const t = await sandbox(kind, { TAIFA_WEBHOOK_RETRY_SCHEDULE: '1,1,1,1,1,1,1,1,1,1' });
    const w = await hook(t, { url: rx.url(), events: ['email.delivered'] });
    const ids = [await send(t), await send(t), await send(t)];
    for (const id of ids) await settled(t, id, 'delivered');
    await eventually('a refused attempt', async () => {
      const r = await t.call('GET', `/v1/webhooks/${w.id}/deliveries`);
      return r.body.length === 3 && r.body.every((d: { attempt_count: number }) => d.attempt_count >= 1)
        ? r.body
        : undefined;
    });
    const log = (await t.call('GET', `/v1/webhooks/${w.id}/deliveries`)).body;
    expect(log[0].attempts[0]).toMatchObject({ status_code: null, error: 'Connection refused.' });
    // Stop this process and start another on the same database.
    await t.server.close();
    const again = await startTestServer(kind, {
      TAIFA_SANDBOX: 'true',
      TAIFA_ALLOW_PRIVATE_WEBHOOKS: 'true',
      TAIFA_WEBHOOK_RETRY_SCHEDULE: '1',
      TAIFA_WEBHOOK_POLL_INTERVAL_MS: '50',
      DATABASE_URL: t.db.url,
      TAIFA_DATA_DIR: t.dataDir,
    });
    try {
      await rx.up();
      const got = await eventually('all three', async () => (rx.at().length >= 3 ? rx.at() : undefined));
      expect(new Set(got.map((r) => r.json.data.email_id))).toEqual(new Set(ids));
    } finally {
      await again.close();
      await t.close();
      await rx.down();
    }
  });
});
