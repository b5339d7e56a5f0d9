import { Ajv } from 'ajv';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { domainView } from '../../src/api/domains.js';
import { emailDetail, emailSummary, eventView, recipientLinksView, scheduledView } from '../../src/api/email-views.js';
import { emailDetail as emailDetailSchema } from '../../src/api/email-schemas.js';
import { senderBody } from '../../src/api/sender-schemas.js';
import { trackingLinksBody } from '../../src/api/tracking-links-schemas.js';
import { iso } from '../../src/ids.js';
import { trackingLinks } from '../../src/services/tracking-links.js';
import { listApiKeys } from '../../src/store/api-keys-repo.js';
import { getDomain, listDomains } from '../../src/store/domains-repo.js';
import { getEmail, listAttachments, listEmails, listRecipients } from '../../src/store/emails-repo.js';
import { listEvents } from '../../src/store/events-repo.js';
import { listScheduled } from '../../src/store/schedule-repo.js';
import { listSenders } from '../../src/store/senders-repo.js';
import { TrackingTokens } from '../../src/tracking/tokens.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { eventually, settled, startTestServer, type TestServer } from '../helpers/server.js';

/*
 * The response schemas name every property, and Fastify's serializer sends only what they name: these
 * tests hold each answer against the view that builds it (or, where no view is exported, against the
 * full set of its field names), so that a field a view returns but its schema forgets shows up here
 * instead of silently vanishing from the API.
 */

/** What a value becomes as JSON (undefined left out): what a route without a schema would send. */
const json = (v: unknown) => JSON.parse(JSON.stringify(v));
const keys = (o: object) => Object.keys(o).sort();
const sorted = (...names: string[]) => [...names].sort();

const SUMMARY = [
  'id',
  'from_address',
  'to_addresses',
  'subject',
  'status',
  'source',
  'opened_count',
  'clicked_count',
  'tags',
  'scheduled_at',
  'created_at',
  'sent_at',
  'delivered_at',
  'retry_of_id',
];
const DETAIL = sorted(
  ...SUMMARY,
  'cc_addresses',
  'bcc_addresses',
  'reply_to',
  'text_body',
  'html_body',
  'headers',
  'message_id',
  'rejection_reason',
  'opened_at',
  'clicked_at',
  'tracking',
  'unsubscribe',
  'recipients',
  'attachments',
  'events',
);
const RECIPIENT = sorted(
  'email',
  'name',
  'type',
  'status',
  'attempts',
  'last_reply',
  'last_attempt_at',
  'next_attempt_at',
);
const EVENT = sorted('id', 'event_type', 'recipient', 'metadata', 'created_at');
const SEARCH = sorted(
  'id',
  'from_address',
  'to_addresses',
  'subject',
  'status',
  'tags',
  'source',
  'created_at',
  'delivered_at',
);
const SCHEDULED = sorted(
  'id',
  'from_address',
  'to_addresses',
  'subject',
  'status',
  'tags',
  'scheduled_at',
  'seconds_until_send',
  'created_at',
);
const ACCEPTED = sorted('id', 'status', 'message_id', 'rejection_reason');
const DOMAIN = sorted(
  'id',
  'name',
  'status',
  'records',
  'dkim_selector',
  'return_path_host',
  'open_tracking',
  'click_tracking',
  'pixel_position',
  'tracking_host',
  'unsubscribe_links',
  'created_at',
  'verified_at',
  'last_checked_at',
  'warnings',
);
const RECORD = ['type', 'name', 'value', 'purpose', 'status'];
const CHECKED = ['found', 'matches', 'current_values'];
const SENDER = sorted('id', 'email', 'name', 'domain_id', 'created_at');
const API_KEY = sorted('id', 'name', 'prefix', 'created_at', 'last_used_at');
const SAVED_SEARCH = sorted('id', 'name', 'query', 'range', 'status', 'domain', 'source');
const RECIPIENT_LINKS = sorted('recipient', 'pixel_url', 'links');
const LINK = sorted('url', 'tracked_url');

/** A record's field names: a priority on MX, and what the DNS check found once checked. */
const recordKeys = (r: { type: string }, checked: boolean) =>
  sorted(...RECORD, ...(r.type === 'MX' ? ['priority'] : []), ...(checked ? CHECKED : []));

describe.each(testDatabases())('response schemas on %s', (kind) => {
  let t: TestServer;
  let accountId: string;
  let domainId: string;
  /** The email sent with every optional field, and one retried. */
  let mainId: string;
  let retriedId: string;
  const db = () => t.server.store.db;

  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_UPDATES_SETTLE_MS: '200' });
    domainId = await sandboxSender(t);
    accountId = (await db().selectFrom('domains').select('account_id').where('id', '=', domainId).executeTakeFirst())!
      .account_id;
  });
  afterAll(async () => t?.close());

  it('send, batch, validate and retry answer with every field', async () => {
    const sent = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({
        cc: [{ email: 'carbon@recipient.test' }],
        bcc: [{ email: 'blind@recipient.test', name: 'Blind' }],
        reply_to: { email: 'support@example.com', name: 'Support' },
        headers: { 'X-Order': '1234' },
        tags: ['receipts', 'billing'],
        tracking: { open: true, click: false },
        attachments: [
          { filename: 'a.txt', content_type: 'text/plain', content_base64: Buffer.from('hello').toString('base64') },
        ],
      }),
    );
    expect(sent.status).toBe(202);
    expect(keys(sent.body)).toEqual(ACCEPTED);
    expect(sent.body).toMatchObject({ status: 'queued', rejection_reason: null });
    mainId = sent.body.id;

    const batch = await t.call('POST', '/v1/emails/batch', [sendBody({ subject: 'In a batch' }), sendBody({ to: [] })]);
    expect(batch.status).toBe(202);
    expect(keys(batch.body)).toEqual(sorted('total', 'sent', 'failed', 'results'));
    expect(batch.body).toMatchObject({ total: 2, sent: 1, failed: 1 });
    for (const r of batch.body.results) expect(keys(r)).toEqual(sorted('id', 'status', 'rejection_reason'));
    expect(batch.body.results[0]).toMatchObject({ status: 'queued', rejection_reason: null });
    expect(batch.body.results[1]).toMatchObject({ id: null, status: 'error', rejection_reason: expect.any(String) });

    for (const body of [sendBody(), sendBody({ subject: '' })]) {
      const v = await t.call('POST', '/v1/emails/validate', body);
      expect(v.status).toBe(200);
      expect(keys(v.body)).toEqual(sorted('valid', 'can_send', 'issues', 'plan', 'usage'));
      expect(keys(v.body.usage)).toEqual(sorted('daily', 'daily_limit', 'monthly', 'monthly_limit'));
      for (const issue of v.body.issues) expect(keys(issue)).toEqual(['error', 'field']);
    }
    expect((await t.call('POST', '/v1/emails/validate', sendBody({ subject: '' }))).body.issues).not.toEqual([]);

    // A failed email, retried: the retry's answer is the send answer, and its copy points back.
    const failed = await t.call('POST', '/v1/emails/', sendBody({ subject: 'Will be failed' }));
    await settled(t, failed.body.id, 'delivered');
    await db().updateTable('emails').set({ status: 'failed' }).where('id', '=', failed.body.id).execute();
    await db()
      .updateTable('email_recipients')
      .set({ status: 'failed' })
      .where('email_id', '=', failed.body.id)
      .execute();
    const retry = await t.call('POST', `/v1/emails/${failed.body.id}/retry`);
    expect(retry.status).toBe(202);
    expect(keys(retry.body)).toEqual(ACCEPTED);
    retriedId = retry.body.id;
    for (const id of [mainId, batch.body.results[0].id, retriedId]) await settled(t, id, 'delivered');
  });

  it('answers the detail and the events as their views build them, field for field', async () => {
    const d = (await t.call('GET', `/v1/emails/${mainId}`)).body;
    const email = (await getEmail(db(), accountId, mainId))!;
    const [recipients, attachments, events] = await Promise.all([
      listRecipients(db(), mainId),
      listAttachments(db(), mainId),
      listEvents(db(), mainId),
    ]);
    expect(d).toEqual(json(emailDetail(email, recipients, attachments, events)));
    expect(keys(d)).toEqual(DETAIL);
    expect(d.recipients).toHaveLength(3);
    for (const r of d.recipients) expect(keys(r)).toEqual(RECIPIENT);
    for (const e of d.events) expect(keys(e)).toEqual(EVENT);
    expect(d.attachments).toEqual([{ filename: 'a.txt', content_type: 'text/plain', size: 5 }]);
    // The free-form objects arrive whole.
    expect(d.headers).toEqual({ 'X-Order': '1234' });
    expect(d.tracking).toEqual({ open: true, click: false });
    expect(d.recipients[0].last_reply).toMatchObject({ code: 250 });
    expect(d.events.some((e: { metadata: unknown }) => e.metadata !== null)).toBe(true);

    const timeline = await t.call('GET', `/v1/emails/${mainId}/events`);
    expect(timeline.body).toEqual(json(events.map(eventView)));
  });

  it('answers the list, search and the updates feed with every field of their views', async () => {
    const rows = await listEmails(db(), accountId, { statuses: [], limit: 100, offset: 0 });
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const list = await t.call('GET', '/v1/emails/?limit=100');
    expect(list.body).toEqual(json(rows.map(emailSummary)));
    for (const e of list.body) expect(keys(e)).toEqual(sorted(...SUMMARY));
    expect(list.body.find((e: { id: string }) => e.id === retriedId).retry_of_id).toEqual(expect.any(String));

    const search = await t.call('GET', '/v1/emails/search?limit=100');
    expect(search.body).toHaveLength(rows.length);
    for (const e of search.body) {
      expect(keys(e)).toEqual(SEARCH);
      const full = list.body.find((x: { id: string }) => x.id === e.id);
      expect(e).toEqual(Object.fromEntries(SEARCH.map((k) => [k, full[k]])));
    }

    const updates = await eventually('every email in the updates feed', async () => {
      const r = await t.call('GET', '/v1/emails/updates?since=1970-01-01T00:00:00Z');
      return r.body.length === rows.length ? r.body : undefined;
    });
    for (const e of updates) {
      const row = rows.find((x) => x.id === e.id)!;
      expect(e).toEqual(json({ ...emailSummary(row), updated_at: iso(row.updated_at) }));
    }
  });

  it('answers the scheduled list, paged and streamed, with every field of its view; cancel and send-now', async () => {
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const ids: string[] = [];
    for (const subject of ['Later', 'Later too']) {
      const r = await t.call('POST', '/v1/emails/', sendBody({ subject, send_at: sendAt, tags: ['later'] }));
      expect([r.status, r.body.status]).toEqual([202, 'scheduled']);
      ids.push(r.body.id);
    }
    const now = Date.now();
    const expected = (await listScheduled(db(), accountId, { limit: 100, offset: 0 })).map((e) =>
      json(scheduledView(e, now)),
    );
    // seconds_until_send moves with the clock: compared within a few seconds, the rest exactly.
    const steady = (list: Array<Record<string, unknown>>) => list.map(({ seconds_until_send: _s, ...rest }) => rest);
    for (const path of ['/v1/emails/scheduled?limit=100', '/v1/emails/scheduled']) {
      const r = await t.call('GET', path);
      expect(r.status).toBe(200);
      expect(steady(r.body)).toEqual(steady(expected));
      for (const e of r.body) {
        expect(keys(e)).toEqual(SCHEDULED);
        expect(Math.abs(e.seconds_until_send - 3600)).toBeLessThan(30);
      }
    }

    const cancelled = await t.call('DELETE', `/v1/emails/scheduled/${ids[0]}`);
    expect(cancelled.body).toEqual({ id: ids[0], status: 'cancelled' });
    const now2 = await t.call('POST', `/v1/emails/scheduled/${ids[1]}/send-now`);
    expect(now2.body).toEqual({ id: ids[1], status: 'queued' });
  });

  it('answers domains as domainView builds them, before and after the DNS check', async () => {
    const list = await t.call('GET', '/v1/domains');
    expect(list.body).toEqual(json((await listDomains(db(), accountId)).map(domainView)));
    for (const d of list.body) {
      expect(keys(d)).toEqual(DOMAIN);
      for (const r of d.records) expect(keys(r)).toEqual(recordKeys(r, true));
    }

    const created = await t.call('POST', '/v1/domains', { name: 'fresh.test' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual(json(domainView((await getDomain(db(), accountId, created.body.id))!)));
    for (const r of created.body.records) expect(keys(r)).toEqual(recordKeys(r, false));
    expect(created.body.records.some((r: { type: string }) => r.type === 'MX')).toBe(true);

    const patched = await t.call('PATCH', `/v1/domains/${created.body.id}`, { pixel_position: 'top' });
    expect(patched.body).toEqual(json(domainView((await getDomain(db(), accountId, created.body.id))!)));
    const verified = await t.call('POST', `/v1/domains/${created.body.id}/verify`);
    const one = await t.call('GET', `/v1/domains/${created.body.id}`);
    expect(verified.body).toEqual(one.body);
    expect(one.body).toEqual(json(domainView((await getDomain(db(), accountId, created.body.id))!)));
    for (const r of one.body.records) expect(keys(r)).toEqual(recordKeys(r, true));

    const deleted = await t.call('DELETE', `/v1/domains/${created.body.id}`);
    expect(deleted.body).toEqual({ id: created.body.id, deleted: true });
  });

  it('answers senders and API keys with every field', async () => {
    const sender = await t.call('POST', '/v1/senders', { email: 'billing@example.com' });
    expect(sender.status).toBe(201);
    expect(keys(sender.body)).toEqual(SENDER);
    expect(sender.body).toMatchObject({ email: 'billing@example.com', name: null, domain_id: domainId });
    const senders = await t.call('GET', '/v1/senders');
    expect(senders.body).toEqual(
      (await listSenders(db(), accountId)).map((s) => ({
        id: s.id,
        email: s.email,
        name: s.name,
        domain_id: s.domain_id,
        created_at: iso(s.created_at),
      })),
    );
    expect((await t.call('DELETE', `/v1/senders/${sender.body.id}`)).body).toEqual({
      id: sender.body.id,
      deleted: true,
    });

    const key = await t.call('POST', '/v1/api-keys', { name: 'Deploys' });
    expect(key.status).toBe(201);
    expect(keys(key.body)).toEqual(sorted(...API_KEY, 'key'));
    expect(key.body.key).toMatch(/^tfm_k_/);
    const list = await t.call('GET', '/v1/api-keys');
    expect(list.body).toEqual(
      (await listApiKeys(db(), accountId)).map((k) => ({
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        created_at: iso(k.created_at),
        last_used_at: iso(k.last_used_at),
      })),
    );
    for (const k of list.body) expect(keys(k)).toEqual(API_KEY);
    expect((await t.call('DELETE', `/v1/api-keys/${key.body.id}`)).body).toEqual({ id: key.body.id, deleted: true });
  });

  it('answers saved searches and the health check with every field', async () => {
    const put = await t.call('PUT', '/v1/emails/saved-searches', {
      searches: [
        { name: 'Bounces', status: 'bounced' },
        { id: 'kept', name: 'All', query: 'to:jane', range: '7d' },
      ],
    });
    expect(put.status).toBe(200);
    expect(keys(put.body)).toEqual(['searches']);
    for (const s of put.body.searches) expect(keys(s)).toEqual(SAVED_SEARCH);
    expect(put.body.searches[1]).toEqual({
      id: 'kept',
      name: 'All',
      query: 'to:jane',
      range: '7d',
      status: null,
      domain: null,
      source: null,
    });
    expect((await t.call('GET', '/v1/emails/saved-searches')).body).toEqual(put.body);

    const health = await t.call('GET', '/healthz', undefined, { key: null });
    expect(health.body).toEqual({ status: 'ok', sandbox: true, delivery: 'sandbox' });
  });

  it("answers each recipient's tracking links as their view builds them, documented with an example", async () => {
    const sent = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({
        cc: [{ email: 'carbon@recipient.test' }],
        html: '<p><a href="https://shop.test/order">Your order</a></p>',
        tracking: { open: true, click: true },
      }),
    );
    const links = await t.call('GET', `/v1/emails/${sent.body.id}/links`);
    const deps = {
      store: t.server.store,
      tokens: new TrackingTokens('test-secret'),
      publicUrl: 'http://localhost:3000',
    };
    const view = (await trackingLinks(deps, accountId, sent.body.id)).map(recipientLinksView);
    expect(links.body).toEqual(json(view));
    expect(links.body).toHaveLength(2);
    for (const r of links.body) {
      expect(keys(r)).toEqual(RECIPIENT_LINKS);
      expect(r.links).toHaveLength(1);
      for (const l of r.links) expect(keys(l)).toEqual(LINK);
    }

    const doc = (await t.call('GET', '/v1/openapi.json', undefined, { key: null })).body;
    const op = doc.paths['/v1/emails/{id}/links'].get;
    expect(op).toMatchObject({
      tags: ['Emails'],
      summary: expect.any(String),
      description: expect.stringContaining('prefetch'),
    });
    // The schema's `examples` is the response's example in the document.
    const example = op.responses['200'].content['application/json'].example;
    expect(example).toEqual(trackingLinksBody.examples[0]);
    // The example is an answer the schema allows, with every field an answer has.
    const validate = new Ajv({ strict: false, validateFormats: false }).compile(trackingLinksBody);
    expect([validate(example), validate.errors ?? null]).toEqual([true, null]);
    for (const r of example) {
      expect(keys(r)).toEqual(RECIPIENT_LINKS);
      for (const l of r.links) expect(keys(l)).toEqual(LINK);
    }
  });

  it('drops a field that a schema does not name, and keeps the free-form objects whole', async () => {
    const d = (await t.call('GET', `/v1/emails/${mainId}`)).body;
    const app = Fastify();
    // What a view might one day add by mistake, at every level; and what free-form objects may hold.
    app.get('/detail', { schema: { response: { 200: emailDetailSchema } } }, async () => ({
      ...d,
      account_id: accountId,
      headers: { ...d.headers, 'X-Another': 'kept' },
      tracking: { ...d.tracking, future_option: 'kept' },
      recipients: d.recipients.map((r: Record<string, unknown>) => ({
        ...r,
        verp_token: 'secret',
        last_reply: { ...(r.last_reply as object), anything: ['kept'] },
      })),
      attachments: d.attachments.map((a: Record<string, unknown>) => ({ ...a, content: 'aGVsbG8=' })),
      events: d.events.map((e: Record<string, unknown>) => ({ ...e, bot: '', metadata: { nested: { kept: true } } })),
    }));
    app.get('/sender', { schema: { response: { 200: senderBody } } }, async () => ({
      id: domainId,
      email: 'a@example.com',
      name: null,
      domain_id: domainId,
      created_at: '2026-01-01T00:00:00.000Z',
      account_id: accountId,
    }));
    try {
      const detail = (await app.inject({ method: 'GET', url: '/detail' })).json();
      expect(detail).toEqual({
        ...d,
        headers: { ...d.headers, 'X-Another': 'kept' },
        tracking: { ...d.tracking, future_option: 'kept' },
        recipients: d.recipients.map((r: Record<string, unknown>) => ({
          ...r,
          last_reply: { ...(r.last_reply as object), anything: ['kept'] },
        })),
        events: d.events.map((e: Record<string, unknown>) => ({ ...e, metadata: { nested: { kept: true } } })),
      });
      const sender = (await app.inject({ method: 'GET', url: '/sender' })).json();
      expect(keys(sender)).toEqual(SENDER);
    } finally {
      await app.close();
    }
  });
});
