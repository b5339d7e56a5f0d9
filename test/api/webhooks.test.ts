import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookView } from '../../src/api/webhooks.js';
import { createAccount } from '../../src/services/accounts.js';
import { openWebhook } from '../../src/services/webhooks.js';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const VIEW = [
  'id',
  'url',
  'events',
  'domain',
  'tag',
  'enabled',
  'human_only',
  'secret_hint',
  'previous_secret_expires_at',
  'disabled_reason',
  'failing_since',
  'created_at',
  'updated_at',
].sort();
const DAY = 86_400_000;
/** A well-formed UUIDv7 that no row has. */
const UNKNOWN = '01890000-0000-7000-8000-000000000000';

describe.each(testDatabases())('webhook endpoints through the API on %s', (kind) => {
  let dns: DnsServer;
  let t: TestServer;
  beforeAll(async () => {
    // The hosts resolve to public addresses through a loopback DNS server: the guard runs as in production
    // (no TAIFA_ALLOW_PRIVATE_WEBHOOKS) and nothing is looked up outside. API role only: nothing is posted.
    dns = await startDnsServer({
      a: { 'hooks.example.test': ['93.184.215.14'], 'other.example.test': ['93.184.215.15'] },
    });
    t = await startTestServer(kind, {
      TAIFA_ROLES: 'api',
      TAIFA_DNS_SERVERS: dns.address,
      TAIFA_ALLOW_PRIVATE_WEBHOOKS: 'false',
    });
  });
  afterAll(async () => {
    await t?.close();
    await dns?.close();
  });

  /** A webhook's row, its signing secrets opened (they are stored sealed: see test/secrets/secrets-at-rest.test.ts). */
  const stored = async (id: string) =>
    openWebhook(
      await t.server.store.db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
      t.server.secrets,
    );
  const create = (body: Record<string, unknown>, key?: string) =>
    t.call('POST', '/v1/webhooks', body, key ? { key } : {});

  it('creates an endpoint with its secret shown once, reads it masked, lists, changes and deletes it', async () => {
    const r = await create({ url: 'https://hooks.example.test/taifa', events: ['email.bounced', 'email.delivered'] });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual([...VIEW, 'secret'].sort());
    const secret: string = r.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(r.body).toMatchObject({
      url: 'https://hooks.example.test/taifa',
      events: ['email.delivered', 'email.bounced'],
      domain: null,
      tag: null,
      enabled: true,
      human_only: false,
      secret_hint: `${secret.slice(0, 10)}…`,
      previous_secret_expires_at: null,
      disabled_reason: null,
      failing_since: null,
    });
    expect(r.body.created_at).toMatch(/Z$/);
    const id: string = r.body.id;

    const got = await t.call('GET', `/v1/webhooks/${id}`);
    expect(got.status).toBe(200);
    expect(Object.keys(got.body).sort()).toEqual(VIEW);
    expect(JSON.stringify(got.body)).not.toContain(secret.slice(10));
    // The answer is the view, field for field, and the stored secret is the one shown.
    const row = await stored(id);
    expect(row.secret).toBe(secret);
    expect(got.body).toEqual(webhookView(row));

    const second = await create({ url: 'https://other.example.test/' });
    expect(second.body.events).toEqual(['*']);
    const list = await t.call('GET', '/v1/webhooks');
    expect(list.body.map((w: { id: string }) => w.id).slice(0, 2)).toEqual([second.body.id, id]);
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(10));
    expect((await t.call('GET', '/v1/webhooks?limit=1')).body.map((w: { id: string }) => w.id)).toEqual([
      second.body.id,
    ]);
    expect((await t.call('GET', '/v1/webhooks?limit=1&page=1')).body.map((w: { id: string }) => w.id)).toEqual([id]);
    expect((await t.call('GET', '/v1/webhooks?limit=0')).status).toBe(422);

    const patched = await t.call('PATCH', `/v1/webhooks/${id}`, {
      events: ['*'],
      domain: 'Mail.Example.COM',
      tag: 'receipts',
      human_only: true,
      enabled: false,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      url: 'https://hooks.example.test/taifa',
      events: ['*'],
      domain: 'mail.example.com',
      tag: 'receipts',
      human_only: true,
      enabled: false,
      disabled_reason: null,
      secret_hint: r.body.secret_hint,
    });
    expect((await stored(id)).event_types).toBeNull();
    const moved = await t.call('PATCH', `/v1/webhooks/${id}`, {
      url: 'https://other.example.test/v2',
      events: ['email.opened'],
      domain: null,
      tag: null,
    });
    expect(moved.body).toMatchObject({
      url: 'https://other.example.test/v2',
      events: ['email.opened'],
      domain: null,
      tag: null,
      human_only: true,
    });
    expect((await t.call('PATCH', `/v1/webhooks/${id}`, {})).body).toEqual(moved.body);

    expect((await t.call('DELETE', `/v1/webhooks/${id}`)).body).toEqual({ id, deleted: true });
    expect((await t.call('GET', `/v1/webhooks/${id}`)).status).toBe(404);
    expect((await t.call('DELETE', `/v1/webhooks/${id}`)).status).toBe(404);
    expect((await t.call('DELETE', `/v1/webhooks/${second.body.id}`)).status).toBe(200);
  });

  it('makes secrets that Standard Webhooks libraries sign and verify with', async () => {
    const r = await create({ url: 'https://hooks.example.test/std' });
    const secret: string = r.body.secret;
    const wh = new Webhook(secret);
    const payload = JSON.stringify({ type: 'email.delivered', data: { email_id: 'x' } });
    const at = new Date();
    const signature = wh.sign('msg_1', at, payload);
    // The key is the base64 after whsec_: the HMAC-SHA256 of "id.timestamp.payload".
    const seconds = Math.floor(at.getTime() / 1000);
    const mac = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
      .update(`msg_1.${seconds}.${payload}`)
      .digest('base64');
    expect(signature).toBe(`v1,${mac}`);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(seconds), 'webhook-signature': signature };
    expect(wh.verify(payload, headers)).toEqual(JSON.parse(payload));
    await t.call('DELETE', `/v1/webhooks/${r.body.id}`);
  });

  it('rotates the secret: the new one shown once, the old one kept for 24 hours and said so', async () => {
    const r = await create({ url: 'https://hooks.example.test/rotate' });
    const id: string = r.body.id;
    const rotated = await t.call('POST', `/v1/webhooks/${id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(Object.keys(rotated.body).sort()).toEqual([...VIEW, 'secret'].sort());
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(r.body.secret);
    expect(rotated.body.secret_hint).toBe(`${rotated.body.secret.slice(0, 10)}…`);

    const row = await stored(id);
    expect(row.secret).toBe(rotated.body.secret);
    expect(row.previous_secret).toBe(r.body.secret);
    expect(row.previous_secret_expires_at! - row.updated_at).toBe(DAY);
    const expiry = new Date(row.previous_secret_expires_at!).toISOString();
    expect(rotated.body.previous_secret_expires_at).toBe(expiry);
    const got = await t.call('GET', `/v1/webhooks/${id}`);
    expect(got.body.previous_secret_expires_at).toBe(expiry);
    expect(JSON.stringify(got.body)).not.toContain(rotated.body.secret.slice(10));
    expect(JSON.stringify(got.body)).not.toContain(r.body.secret.slice(10));

    // Rotating again: the secret it replaces is the one kept.
    const again = await t.call('POST', `/v1/webhooks/${id}/rotate-secret`);
    expect((await stored(id)).previous_secret).toBe(rotated.body.secret);
    expect(again.body.secret).not.toBe(rotated.body.secret);
    // Once expired, the previous secret signs no more and reads say so.
    await t.server.store.db
      .updateTable('webhooks')
      .set({ previous_secret_expires_at: Date.now() - 1 })
      .where('id', '=', id)
      .execute();
    expect((await t.call('GET', `/v1/webhooks/${id}`)).body.previous_secret_expires_at).toBeNull();
    expect((await t.call('POST', `/v1/webhooks/${UNKNOWN}/rotate-secret`)).status).toBe(404);
    await t.call('DELETE', `/v1/webhooks/${id}`);
  });

  it('shows why it was disabled, and re-enabling clears it', async () => {
    const r = await create({ url: 'https://hooks.example.test/failing' });
    const id: string = r.body.id;
    const since = Date.now() - 3 * DAY;
    // What the dispatcher writes after three days of failed attempts.
    await t.server.store.db
      .updateTable('webhooks')
      .set({ enabled: 0, disabled_reason: 'Every delivery attempt failed (3 days).', failing_since: since })
      .where('id', '=', id)
      .execute();
    expect((await t.call('GET', `/v1/webhooks/${id}`)).body).toMatchObject({
      enabled: false,
      disabled_reason: 'Every delivery attempt failed (3 days).',
      failing_since: new Date(since).toISOString(),
    });
    // Another change leaves it as it is.
    expect((await t.call('PATCH', `/v1/webhooks/${id}`, { tag: 'x', enabled: false })).body).toMatchObject({
      enabled: false,
      disabled_reason: 'Every delivery attempt failed (3 days).',
    });
    const on = await t.call('PATCH', `/v1/webhooks/${id}`, { enabled: true });
    expect(on.body).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
    const row = await stored(id);
    expect([row.enabled, row.disabled_reason, row.failing_since]).toEqual([1, null, null]);
    // An enabled endpoint that is failing keeps counting: saying enabled again does not restart the clock.
    await t.server.store.db.updateTable('webhooks').set({ failing_since: since }).where('id', '=', id).execute();
    expect((await t.call('PATCH', `/v1/webhooks/${id}`, { enabled: true })).body.failing_since).toBe(
      new Date(since).toISOString(),
    );
    await t.call('DELETE', `/v1/webhooks/${id}`);
  });

  it('refuses bad fields with 422s naming them', async () => {
    const field = async (body: unknown, method = 'POST', path = '/v1/webhooks') => {
      const r = await t.call(method, path, body);
      expect([JSON.stringify(body).slice(0, 60), r.status, r.body.code]).toEqual([
        JSON.stringify(body).slice(0, 60),
        422,
        'validation_error',
      ]);
      return r.body.errors as Array<{ field: string; error: string }>;
    };
    expect(await field({})).toEqual([{ field: 'url', error: 'is required' }]);
    expect(await field({ url: 42 })).toEqual([{ field: 'url', error: 'must be a string' }]);
    expect((await field({ url: '/hooks' }))[0]?.field).toBe('url');
    expect(await field({ url: 'ftp://hooks.example.test/' })).toEqual([
      { field: 'url', error: 'must use https (or http), not ftp' },
    ]);
    expect((await field({ url: 'https://me:secret@hooks.example.test/' }))[0]?.error).toMatch(/credentials/);
    expect(await field({ url: `https://hooks.example.test/${'a'.repeat(2048)}` })).toEqual([
      { field: 'url', error: 'must be at most 2048 characters' },
    ]);
    const events = await field({ url: 'https://hooks.example.test/', events: ['email.delivered', 'email.delivred'] });
    expect(events).toHaveLength(1);
    expect(events[0]?.field).toBe('events');
    expect(events[0]?.error).toMatch(/^has an unknown event "email\.delivred"; known: email\.queued, /);
    expect((await field({ url: 'https://hooks.example.test/', events: 'email.sent' }))[0]?.field).toBe('events');
    expect((await field({ url: 'https://hooks.example.test/', events: [] }))[0]?.field).toBe('events');
    expect(await field({ url: 'https://hooks.example.test/', domain: 'not a domain' })).toEqual([
      { field: 'domain', error: 'is not a domain name' },
    ]);
    expect((await field({ url: 'https://hooks.example.test/', enabled: 'yes' }))[0]?.field).toBe('enabled');
    expect((await field({ url: 'https://hooks.example.test/', human_only: 1 }))[0]?.field).toBe('human_only');
    expect(await field({ url: 'https://hooks.example.test/', secret: 'whsec_mine' })).toEqual([
      { field: 'secret', error: 'is not a known field' },
    ]);
    expect((await field({ url: 'https://nowhere.example.test/' }))[0]).toEqual({
      field: 'url',
      error: 'host nowhere.example.test does not resolve to an address',
    });

    const r = await create({ url: 'https://hooks.example.test/valid' });
    const path = `/v1/webhooks/${r.body.id}`;
    expect((await field({ url: 'mailto:a@b.test' }, 'PATCH', path))[0]?.field).toBe('url');
    expect((await field({ events: ['email.nope'] }, 'PATCH', path))[0]?.field).toBe('events');
    expect((await field({ enabled: null }, 'PATCH', path))[0]?.field).toBe('enabled');
    expect((await t.call('GET', path)).body).toEqual({ ...r.body, secret: undefined });
    expect((await t.call('GET', '/v1/webhooks/not-a-uuid')).body.errors).toEqual([
      { field: 'id', error: 'must be an id this API gave out' },
    ]);
    await t.call('DELETE', path);
  });

  it("answers 404 for another account's webhook, and lists only the account's own", async () => {
    const r = await create({ url: 'https://hooks.example.test/mine' });
    const id: string = r.body.id;
    const other = await createAccount(t.server.store, { name: 'Other', plan: 'free' });
    const as = { key: other.key };
    expect((await t.call('GET', `/v1/webhooks/${id}`, undefined, as)).status).toBe(404);
    expect((await t.call('PATCH', `/v1/webhooks/${id}`, { enabled: false }, as)).status).toBe(404);
    expect((await t.call('POST', `/v1/webhooks/${id}/rotate-secret`, undefined, as)).status).toBe(404);
    expect((await t.call('DELETE', `/v1/webhooks/${id}`, undefined, as)).status).toBe(404);
    expect((await t.call('GET', '/v1/webhooks', undefined, as)).body).toEqual([]);
    expect((await t.call('GET', `/v1/webhooks/${UNKNOWN}`)).body.code).toBe('not_found');
    // Untouched by all that.
    const row = await stored(id);
    expect([row.enabled, row.secret]).toEqual([1, r.body.secret]);
    await t.call('DELETE', `/v1/webhooks/${id}`);
  });

  it('caps an account at 20 endpoints (409 webhook_limit_reached)', async () => {
    const other = await createAccount(t.server.store, { name: 'Many hooks', plan: 'pro' });
    // All at once: the count and the insert take turns, so that no two creates both pass the cap.
    const made = await Promise.all(
      Array.from({ length: 22 }, (_, i) => create({ url: `https://hooks.example.test/${i}` }, other.key)),
    );
    expect(made.map((m) => m.status).sort()).toEqual([...Array(20).fill(201), 409, 409]);
    const over = made.find((m) => m.status === 409)!;
    expect(over.body.code).toBe('webhook_limit_reached');
    expect((await t.call('GET', '/v1/webhooks?limit=100', undefined, { key: other.key })).body).toHaveLength(20);
    const first = made.find((m) => m.status === 201)!;
    await t.call('DELETE', `/v1/webhooks/${first.body.id}`, undefined, { key: other.key });
    expect((await create({ url: 'https://hooks.example.test/21' }, other.key)).status).toBe(201);
  });

  it('deletes the outbox rows and attempts of a deleted endpoint with it', async () => {
    const r = await create({ url: 'https://hooks.example.test/outbox' });
    const row = await stored(r.body.id);
    const now = Date.now();
    const db = t.server.store.db;
    await db
      .insertInto('webhook_deliveries')
      .values({
        id: 'd1',
        webhook_id: row.id,
        account_id: row.account_id,
        event_id: null,
        event_type: 'email.delivered',
        payload: '{}',
        status: 'pending',
        next_attempt_at: now,
        locked_by: null,
        locked_until: null,
        last_attempt_at: null,
        last_status_code: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await db
      .insertInto('webhook_attempts')
      .values({
        id: 'a1',
        delivery_id: 'd1',
        webhook_id: row.id,
        attempted_at: now,
        duration_ms: 5,
        status_code: 500,
        error: null,
        response_body: null,
      })
      .execute();
    expect((await t.call('DELETE', `/v1/webhooks/${row.id}`)).status).toBe(200);
    const left = await Promise.all([
      db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', row.id).execute(),
      db.selectFrom('webhook_attempts').select('id').where('webhook_id', '=', row.id).execute(),
    ]);
    expect(left).toEqual([[], []]);
  });
});
