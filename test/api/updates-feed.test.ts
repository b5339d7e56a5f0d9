import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/services/accounts.js';
import { testDatabases } from '../helpers/databases.js';
import { sendBody } from '../helpers/fixtures.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

/** The settle window these tests run with: short, so that waiting for it stays quick. */
const SETTLE_MS = 1000;

describe.each(testDatabases())('GET /v1/emails/updates on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, {
      TAIFA_SANDBOX: 'true',
      TAIFA_ROLES: 'api',
      TAIFA_UPDATES_SETTLE_MS: String(SETTLE_MS),
    });
  });
  afterAll(async () => t?.close());

  /** A fresh business account with a verified sender at `domain`, and `n` emails sent from it (ids in order). */
  async function accountWithEmails(domain: string, n: number): Promise<{ key: string; ids: string[] }> {
    const a = await createAccount(t.server.store, { name: domain, plan: 'business' });
    const as = { key: a.key };
    const d = await t.call('POST', '/v1/domains', { name: domain }, as);
    await t.call('POST', `/v1/domains/${d.body.id}/verify`, undefined, as);
    await t.call('POST', '/v1/senders', { email: `hello@${domain}` }, as);
    const ids: string[] = [];
    for (let i = 0; i < n; i += 100) {
      const batch = Array.from({ length: Math.min(100, n - i) }, (_, j) =>
        sendBody({ from_: { email: `hello@${domain}` }, subject: `m${i + j}` }),
      );
      const r = await t.call('POST', '/v1/emails/batch', batch, as);
      if (r.status !== 202 || r.body.sent !== batch.length) throw new Error(JSON.stringify(r.body));
      ids.push(...r.body.results.map((x: { id: string }) => x.id));
    }
    return { key: a.key, ids };
  }

  const stamp = (id: string, updatedAt: number) =>
    t.server.store.db.updateTable('emails').set({ updated_at: updatedAt }).where('id', '=', id).execute();

  /** Polls as the API reference documents it: `since` only, the last `updated_at` seen, until a page is empty. */
  async function drainWithSinceOnly(key: string, since: number): Promise<{ seen: string[]; pages: number[] }> {
    const seen: string[] = [];
    const pages: number[] = [];
    let cursor = new Date(since).toISOString();
    for (let i = 0; i < 20; i++) {
      const page = await t.call('GET', `/v1/emails/updates?since=${cursor}`, undefined, { key });
      expect(page.status).toBe(200);
      if (page.body.length === 0) break;
      pages.push(page.body.length);
      seen.push(...page.body.map((e: { id: string }) => e.id));
      cursor = page.body[page.body.length - 1].updated_at;
    }
    return { seen, pages };
  }

  it('reads `since` as ISO 8601 with a time zone, and answers 422 naming it otherwise', async () => {
    for (const bad of [
      '',
      '?since=',
      '?since=yesterday',
      '?since=2026-01-01T00:00:00',
      '?since=2026-01-01',
      '?since=1767225600000',
    ]) {
      const r = await t.call('GET', `/v1/emails/updates${bad}`);
      expect([bad, r.status]).toEqual([bad, 422]);
      expect(r.body.errors[0].field).toBe('since');
    }
    for (const good of ['2026-01-01T00:00:00Z', '2026-01-01T03:00:00%2B03:00', '2026-01-01T00:00:00.123Z']) {
      expect((await t.call('GET', `/v1/emails/updates?since=${good}`)).status).toBe(200);
    }
  });

  it('lists changes oldest first once they have settled, and a change moves an email to the end', async () => {
    const { key, ids } = await accountWithEmails('order.test', 3);
    const base = Date.now() - 60_000;
    for (const [i, id] of ids.entries()) await stamp(id, base + i);
    const first = await t.call('GET', `/v1/emails/updates?since=${new Date(base - 1).toISOString()}`, undefined, {
      key,
    });
    expect(first.body.map((e: { id: string }) => e.id)).toEqual(ids);
    expect(first.body[0]).toMatchObject({ status: 'queued', source: 'api', updated_at: new Date(base).toISOString() });
    const last = first.body[2];
    expect(
      (await t.call('GET', `/v1/emails/updates?since=${last.updated_at}&after_id=${last.id}`, undefined, { key })).body,
    ).toEqual([]);

    // The first email changes (its stamp is now): it shows once the settle window has passed, last.
    await t.server.store.db
      .updateTable('emails')
      .set({ status: 'failed', updated_at: Date.now() })
      .where('id', '=', ids[0]!)
      .execute();
    expect((await t.call('GET', `/v1/emails/updates?since=${last.updated_at}`, undefined, { key })).body).toEqual([]);
    const next = await eventually('the change to settle', async () => {
      const r = await t.call('GET', `/v1/emails/updates?since=${last.updated_at}&after_id=${last.id}`, undefined, {
        key,
      });
      return r.body.length ? r.body : undefined;
    });
    expect(next.map((e: { id: string; status: string }) => [e.id, e.status])).toEqual([[ids[0], 'failed']]);
  });

  it('still shows a change that commits after a newer one the poller saw, within the settle window', async () => {
    const {
      key,
      ids: [a, b],
    } = await accountWithEmails('late.test', 2);
    const old = Date.now() - 60_000;
    await stamp(a!, old);
    await stamp(b!, old);
    const seen: string[] = [];
    let since = new Date(old).toISOString();
    const poll = async () => {
      const r = await t.call('GET', `/v1/emails/updates?since=${since}`, undefined, { key });
      for (const e of r.body as Array<{ id: string; updated_at: string }>) {
        seen.push(e.id);
        since = e.updated_at;
      }
    };
    // A commits with a fresh stamp; a poller comes by at once.
    const stampA = Date.now();
    await stamp(a!, stampA);
    await poll();
    // B's transaction had stamped before A's but commits only now, still inside the window.
    await stamp(b!, stampA - 50);
    await eventually(
      'both changes to be polled',
      async () => {
        await poll();
        return seen.includes(a!) && seen.includes(b!) ? true : undefined;
      },
      5 * SETTLE_MS,
    );
    expect(seen).toEqual([b, a]);
  });

  it('never ends a page inside a millisecond, so polling with `since` alone misses nothing', async () => {
    const { key, ids } = await accountWithEmails('same-ms.test', 60);
    const base = Date.now() - 120_000;
    // 45 emails in distinct milliseconds, then 15 in one: a cut at 50 would fall inside those 15.
    for (const [i, id] of ids.entries()) await stamp(id, i < 45 ? base + i : base + 100);
    const split = await drainWithSinceOnly(key, base - 1);
    expect(split.pages).toEqual([45, 15]);
    expect(split.seen.slice().sort()).toEqual(ids.slice().sort());

    // 60 emails in a single millisecond: the page holds all of them rather than lose ten.
    for (const id of ids) await stamp(id, base + 200);
    const one = await drainWithSinceOnly(key, base + 100);
    expect(one.pages).toEqual([60]);
    expect(one.seen.slice().sort()).toEqual(ids.slice().sort());
  });

  it('pages at exactly 50 within a millisecond when the poller passes after_id too', async () => {
    const { key, ids } = await accountWithEmails('after-id.test', 60);
    const at = Date.now() - 60_000;
    for (const id of ids) await stamp(id, at);
    // Without after_id the millisecond comes whole; with it (from the smallest id) in pages of 50.
    expect(
      (await t.call('GET', `/v1/emails/updates?since=${new Date(at - 1).toISOString()}`, undefined, { key })).body,
    ).toHaveLength(60);
    const seen: string[] = [];
    let cursor = `since=${new Date(at).toISOString()}&after_id=0`;
    const sizes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const page = await t.call('GET', `/v1/emails/updates?${cursor}`, undefined, { key });
      if (page.body.length === 0) break;
      sizes.push(page.body.length);
      seen.push(...page.body.map((e: { id: string }) => e.id));
      const lastRow = page.body[page.body.length - 1];
      cursor = `since=${lastRow.updated_at}&after_id=${lastRow.id}`;
    }
    expect(sizes).toEqual([50, 10]);
    expect(seen.sort()).toEqual(ids.slice().sort());
  });
});
