import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/core/accounts.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ids = (r: { body: Array<{ id: string }> }) => r.body.map((e) => e.id);

describe.each(testDatabases())('list, updates and search on %s', (kind) => {
  let t: TestServer;
  const sent: Record<string, string> = {};
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_ROLES: 'api' });
    await sandboxSender(t);
    await sandboxSender(t, 'billing.example.org', 'invoices');
    const send = async (name: string, body: Record<string, unknown>) => {
      const r = await t.call('POST', '/v1/emails/', sendBody(body));
      if (r.status !== 202) throw new Error(JSON.stringify(r.body));
      sent[name] = r.body.id;
    };
    await send('welcome', { subject: 'Welcome to Acme, Jane!', to: [{ email: 'jane@gmail.com' }], tags: ['onboarding'] });
    await send('reset', { subject: 'Password reset requested', to: [{ email: 'bob@yahoo.com' }], tags: ['security'] });
    await send('receipt', { from_: { email: 'invoices@billing.example.org' }, subject: 'Your receipt #12345', to: [{ email: 'carol@gmail.com' }], cc: [{ email: 'accounts@corp.test' }], tags: ['receipt'] });
    await send('resetLater', { subject: 'Reset your password', to: [{ email: 'dave@corp.test' }], send_at: new Date(Date.now() + 3_600_000).toISOString() });
  });
  afterAll(async () => t?.close());

  it('lists newest first with status filter and zero-based paging; checks limit', async () => {
    const all = await t.call('GET', '/v1/emails/');
    expect(all.status).toBe(200);
    expect(ids(all)).toEqual([sent.resetLater, sent.receipt, sent.reset, sent.welcome]);
    expect(all.body[0]).toMatchObject({ status: 'scheduled', source: 'api', opened_count: 0, clicked_count: 0, retry_of_id: null });
    expect(all.body[1].from_address).toBe('Example <invoices@billing.example.org>');
    expect(ids(await t.call('GET', '/v1/emails?status=scheduled'))).toEqual([sent.resetLater]);
    expect(ids(await t.call('GET', '/v1/emails?limit=2&page=1'))).toEqual([sent.reset, sent.welcome]);
    expect(ids(await t.call('GET', '/v1/emails?limit=2&page=2'))).toEqual([]);
    for (const bad of ['limit=0', 'limit=101', 'limit=abc', 'page=-1', 'status=lost']) {
      const r = await t.call('GET', `/v1/emails?${bad}`);
      expect(r.status).toBe(422);
      expect(r.body.errors[0].field).toBe(bad.split('=')[0]);
    }
  });

  it('searches free text across sender, subject and recipients, with inline tokens', async () => {
    const search = async (q: string, extra = '') => ids(await t.call('GET', `/v1/emails/search?q=${encodeURIComponent(q)}${extra}`));
    expect(await search('welcome')).toEqual([sent.welcome]);
    expect(await search('WELCOME jane')).toEqual([sent.welcome]);
    expect(await search('recei')).toEqual([sent.receipt]); // the last word matches as a prefix
    expect(await search('"password reset"')).toEqual([sent.reset]);
    expect(await search('reset')).toEqual([sent.resetLater, sent.reset]);
    expect(await search('to:gmail.com')).toEqual([sent.receipt, sent.welcome]);
    expect(await search('to:jane@gmail.com')).toEqual([sent.welcome]);
    expect(await search('to:corp.test')).toEqual([sent.resetLater, sent.receipt]); // cc counts as a recipient
    expect(await search('from:invoices@billing.example.org')).toEqual([sent.receipt]);
    expect(await search('domain:example.com')).toEqual([sent.resetLater, sent.reset, sent.welcome]);
    expect(await search('tag:receipt')).toEqual([sent.receipt]);
    expect(await search('reset status:scheduled')).toEqual([sent.resetLater]);
    expect(await search('', '&status=queued&tag=security')).toEqual([sent.reset]);
    expect(await search('gmail')).toEqual([sent.receipt, sent.welcome]);
    expect(await search('nothing-like-this')).toEqual([]);
    expect(await search('')).toHaveLength(4);
    const r = await t.call('GET', `/v1/emails/search?q=${encodeURIComponent('to:gmail.com')}&limit=1&page=1`);
    expect(ids(r)).toEqual([sent.welcome]);
    expect(Object.keys(r.body[0]).sort()).toEqual(['created_at', 'delivered_at', 'from_address', 'id', 'source', 'status', 'subject', 'tags', 'to_addresses']);
  });

  it('answers odd queries with results, never an error', async () => {
    for (const q of ['"', '""', "'", 'to:', 'from:@@@', 'AND OR NOT', '*', 'a* b*', 'tag:"black friday"', '\\', 'x:y:z', 'NEAR(a b)', '😀', '-', 'status:BOUNCED', "o'brien", 'a & b | !c <-> d']) {
      const r = await t.call('GET', `/v1/emails/search?q=${encodeURIComponent(q)}`);
      expect([r.status, q]).toEqual([200, q]);
      expect(Array.isArray(r.body)).toBe(true);
    }
    expect((await t.call('GET', '/v1/emails/search?q=status:lost')).status).toBe(422);
  });

  it("does not find another account's emails", async () => {
    const other = await createAccount(t.server.store, { name: 'Other', plan: 'pro' });
    expect((await t.call('GET', '/v1/emails/search?q=welcome', undefined, { key: other.key })).body).toEqual([]);
    expect((await t.call('GET', '/v1/emails/', undefined, { key: other.key })).body).toEqual([]);
  });

  it('polls updates oldest change first, losslessly with after_id', async () => {
    expect((await t.call('GET', '/v1/emails/updates')).status).toBe(422);
    expect((await t.call('GET', '/v1/emails/updates?since=yesterday')).body.errors[0].field).toBe('since');
    const first = await t.call('GET', '/v1/emails/updates?since=2000-01-01T00:00:00Z');
    expect(ids(first)).toEqual([sent.welcome, sent.reset, sent.receipt, sent.resetLater]);
    const last = first.body[3];
    expect((await t.call('GET', `/v1/emails/updates?since=${last.updated_at}&after_id=${last.id}`)).body).toEqual([]);
    // A change moves an email to the end of the feed.
    expect((await t.call('DELETE', `/v1/emails/scheduled/${sent.resetLater}`)).status).toBe(200);
    const next = await t.call('GET', `/v1/emails/updates?since=${last.updated_at}&after_id=${last.id}`);
    expect(next.body.map((e: { id: string; status: string }) => [e.id, e.status])).toEqual([[sent.resetLater, 'cancelled']]);
  });

  it('misses nothing when many emails change in the same millisecond', async () => {
    const now = Date.now() + 60_000;
    await t.server.store.db.updateTable('emails').set({ updated_at: now }).execute();
    const seen: string[] = [];
    let cursor = `since=${new Date(now - 1).toISOString()}`;
    for (let i = 0; i < 5; i++) {
      const page = await t.call('GET', `/v1/emails/updates?${cursor}`);
      if (page.body.length === 0) break;
      seen.push(...ids(page));
      const lastRow = page.body[page.body.length - 1];
      cursor = `since=${lastRow.updated_at}&after_id=${lastRow.id}`;
    }
    expect(seen.sort()).toEqual(Object.values(sent).sort());
  });
});
