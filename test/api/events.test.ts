import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotKind, EventType } from '../../src/model.js';
import { createAccount } from '../../src/services/accounts.js';
import { listAccountEvents, type AccountEventFilter } from '../../src/store/account-events-repo.js';
import { recordEvents } from '../../src/store/events-repo.js';
import type { NewEvent } from '../../src/store/schema.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { eventually, settled, startTestServer, type TestServer } from '../helpers/server.js';
import { hit, sendTracked } from '../tracking/tracked-email.js';

/** The settle window these tests run with: short, so that waiting for it stays quick. */
// Wide enough for a writer's 200 ms between making an id and committing it, plus the commit itself on a
// loaded machine: an oldest-first poller can only promise what has settled.
const SETTLE_MS = 1500;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const GMAIL_PROXY = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';

interface ApiEvent {
  id: string;
  email_id: string;
  recipient: string | null;
  event_type: string;
  metadata: Record<string, unknown> | null;
  bot: string | null;
  created_at: string;
}

describe.each(testDatabases())('GET /v1/events on %s', (kind) => {
  let t: TestServer;
  let accountId: string;
  /** The emails of the account, by name: tags, sending domain and recipients differ. */
  const emails: Record<'receipt' | 'welcome' | 'news', string> = { receipt: '', welcome: '', news: '' };
  const db = () => t.server.store.db;

  /** Events written as a writer would, with ids and times `msAgo` in the past. */
  async function addEvents(
    list: Array<{ email: string; type: EventType; recipient?: string; bot?: BotKind; msAgo: number }>,
  ): Promise<string[]> {
    const now = Date.now();
    const recipients = await db().selectFrom('email_recipients').select(['id', 'email_id', 'address']).execute();
    const rows: NewEvent[] = list.map((e) => {
      const r = recipients.find((x) => x.email_id === e.email && x.address === e.recipient);
      return {
        id: uuidv7({ msecs: now - e.msAgo }),
        email_id: e.email,
        account_id: accountId,
        recipient_id: r?.id ?? null,
        recipient: e.recipient ?? null,
        event_type: e.type,
        metadata: JSON.stringify({ test: true }),
        bot: e.bot ?? (e.type === 'open' || e.type === 'click' ? '' : null),
        counted: 0,
        created_at: now - e.msAgo,
      };
    });
    await db()
      .transaction()
      .execute((trx) => recordEvents(trx, rows));
    return rows.map((r) => r.id);
  }

  /** Every event of the account, newest first, once all are settled (one big page). */
  const everything = async (key = t.key): Promise<ApiEvent[]> =>
    (await t.call('GET', '/v1/events?limit=1000', undefined, { key })).body;

  const get = async (query: string) => {
    const r = await t.call('GET', `/v1/events?limit=1000&${query}`);
    expect([query, r.status]).toEqual([query, 200]);
    return r.body as ApiEvent[];
  };

  beforeAll(async () => {
    t = await startTestServer(kind, {
      TAIFA_SANDBOX: 'true',
      TAIFA_UPDATES_SETTLE_MS: String(SETTLE_MS),
      TAIFA_PREFETCH_SECONDS: '0',
    });
    const domainId = await sandboxSender(t, 'shop.test');
    accountId = (await db().selectFrom('domains').select('account_id').where('id', '=', domainId).executeTakeFirst())!
      .account_id;
    await sandboxSender(t, 'News.Test', 'news');
    await sandboxSender(t);
    const send = async (body: Record<string, unknown>) => {
      const r = await t.call('POST', '/v1/emails/', sendBody(body));
      expect(r.status).toBe(202);
      await settled(t, r.body.id, 'delivered');
      return r.body.id as string;
    };
    emails.receipt = await send({
      from_: { email: 'hello@shop.test' },
      to: [{ email: 'Jane@Recipient.test' }, { email: 'bob@recipient.test' }],
      tags: ['Receipt', 'billing'],
    });
    emails.welcome = await send({
      from_: { email: 'hello@shop.test' },
      to: [{ email: 'bob@recipient.test' }],
      tags: ['welcome'],
    });
    emails.news = await send({ from_: { email: 'news@News.Test' }, to: [{ email: 'carol@recipient.test' }] });
  });
  afterAll(async () => t?.close());

  it("lists every event of the account newest first, each with its email, as the emails' timelines show them", async () => {
    const other = await createAccount(t.server.store, { name: 'Other', plan: 'business' });
    const od = await t.call('POST', '/v1/domains', { name: 'other.test' }, { key: other.key });
    await t.call('POST', `/v1/domains/${od.body.id}/verify`, undefined, { key: other.key });
    await t.call('POST', '/v1/senders', { email: 'hi@other.test' }, { key: other.key });
    const theirs = await t.call('POST', '/v1/emails/', sendBody({ from_: { email: 'hi@other.test' } }), {
      key: other.key,
    });
    expect(theirs.status).toBe(202);

    const timelines = await Promise.all(
      Object.values(emails).map(async (id) => (await t.call('GET', `/v1/emails/${id}`)).body),
    );
    const expected = timelines
      .flatMap((d: { id: string; events: Array<Omit<ApiEvent, 'email_id' | 'bot'>> }) =>
        d.events.map((e) => ({ ...e, email_id: d.id, bot: null })),
      )
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    expect(expected.length).toBeGreaterThanOrEqual(6);
    const listed = await eventually('every event to settle', async () => {
      const all = await everything();
      return all.length === expected.length ? all : undefined;
    });
    expect(listed).toEqual(expected);
    for (const e of listed)
      expect(Object.keys(e).sort()).toEqual(
        ['bot', 'created_at', 'email_id', 'event_type', 'id', 'metadata', 'recipient'].sort(),
      );
    expect(listed.map((e) => e.event_type)).toContain('queued');
    expect(await get('order=asc')).toEqual([...expected].reverse());
    // The other account sees its own only.
    const mine = await eventually("the other account's events", async () => {
      const all = await everything(other.key);
      return all.length >= 2 ? all : undefined;
    });
    expect(new Set(mine.map((e) => e.email_id))).toEqual(new Set([theirs.body.id]));
  });

  it('shows an event only once it is the settle window old', async () => {
    const [id] = await addEvents([
      { email: emails.news, type: 'delivered', recipient: 'carol@recipient.test', msAgo: 0 },
    ]);
    const listed = async () => (await get('type=delivered')).map((e) => e.id);
    expect(await listed()).not.toContain(id);
    await eventually('the event to settle', async () => ((await listed()).includes(id!) ? true : undefined));
  });

  it('filters by type, email, recipient, tag, domain, machine and time, and by several at once', async () => {
    const hour = 3_600_000;
    await addEvents([
      { email: emails.receipt, type: 'open', recipient: 'Jane@Recipient.test', msAgo: hour },
      { email: emails.receipt, type: 'open', recipient: 'bob@recipient.test', bot: 'apple', msAgo: hour - 1000 },
      { email: emails.receipt, type: 'click', recipient: 'Jane@Recipient.test', bot: 'proofpoint', msAgo: hour - 2000 },
      { email: emails.receipt, type: 'click', recipient: 'Jane@Recipient.test', msAgo: hour - 3000 },
      { email: emails.welcome, type: 'complaint', recipient: 'bob@recipient.test', msAgo: hour - 4000 },
      { email: emails.welcome, type: 'open', recipient: 'bob@recipient.test', msAgo: 2 * hour },
      { email: emails.news, type: 'bounced', recipient: 'carol@recipient.test', msAgo: 3 * hour },
      { email: emails.news, type: 'unsubscribe', recipient: 'carol@recipient.test', msAgo: 3 * hour - 1 },
      { email: emails.news, type: 'open', recipient: 'carol@recipient.test', bot: 'gmail', msAgo: 5 * hour },
    ]);
    const all = await everything();
    const ids = (list: ApiEvent[]) => list.map((e) => e.id);
    const expectFilter = async (query: string, keep: (e: ApiEvent) => boolean) => {
      const want = ids(all.filter(keep));
      expect([query, ids(await get(query))]).toEqual([query, want]);
      return want.length;
    };
    const at = (e: ApiEvent) => Date.parse(e.created_at);
    const tags: Record<string, string[]> = { [emails.receipt]: ['receipt', 'billing'], [emails.welcome]: ['welcome'] };
    const from: Record<string, string> = { [emails.receipt]: 'shop.test', [emails.welcome]: 'shop.test' };
    from[emails.news] = 'news.test';

    expect(await expectFilter('type=open', (e) => e.event_type === 'open')).toBe(4);
    expect(await expectFilter('type=OPEN,%20click', (e) => ['open', 'click'].includes(e.event_type))).toBe(6);
    expect(
      await expectFilter('type=complaint,bounced,unsubscribe', (e) =>
        ['complaint', 'bounced', 'unsubscribe'].includes(e.event_type),
      ),
    ).toBe(3);
    await expectFilter(`email_id=${emails.welcome}`, (e) => e.email_id === emails.welcome);
    const jane = await expectFilter('recipient=jane@recipient.TEST', (e) => e.recipient === 'Jane@Recipient.test');
    expect(jane).toBeGreaterThanOrEqual(4);
    // A recipient is a whole address: its local part or its domain alone names no one.
    for (const part of ['jane', 'jane@', 'recipient.test', '@recipient.test'])
      expect([part, await get(`recipient=${encodeURIComponent(part)}`)]).toEqual([part, []]);
    await expectFilter(
      'recipient=bob@recipient.test&type=open',
      (e) => e.recipient === 'bob@recipient.test' && e.event_type === 'open',
    );
    await expectFilter('tag=RECEIPT', (e) => tags[e.email_id]?.includes('receipt') ?? false);
    await expectFilter('tag=welcome', (e) => e.email_id === emails.welcome);
    expect(await get('tag=receip')).toEqual([]);
    await expectFilter('domain=Shop.Test', (e) => from[e.email_id] === 'shop.test');
    await expectFilter('domain=news.test', (e) => from[e.email_id] === 'news.test');
    expect(await get('domain=test')).toEqual([]);
    expect(await expectFilter('bot=true', (e) => e.bot !== null)).toBe(3);
    await expectFilter('bot=false', (e) => e.bot === null);
    const machines = await get('bot=true');
    expect(machines.map((e) => e.bot).sort()).toEqual(['apple', 'gmail', 'proofpoint']);
    expect((await get('type=open&bot=false')).every((e) => e.bot === null && e.event_type === 'open')).toBe(true);
    const since = Date.now() - 2 * hour - 1;
    const until = Date.now() - hour + 1500;
    await expectFilter(
      `since=${new Date(since).toISOString()}&until=${new Date(until).toISOString()}`,
      (e) => at(e) >= since && at(e) <= until,
    );
    await expectFilter(`until=${new Date(since).toISOString()}`, (e) => at(e) <= since);
    await expectFilter(
      `type=open,click&bot=false&tag=receipt&domain=shop.test&recipient=jane@recipient.test&since=${new Date(since).toISOString()}`,
      (e) =>
        ['open', 'click'].includes(e.event_type) &&
        e.bot === null &&
        e.email_id === emails.receipt &&
        e.recipient === 'Jane@Recipient.test' &&
        at(e) >= since,
    );
    expect(await get(`email_id=${uuidv7()}`)).toEqual([]);
  });

  it('finds the same events whether it reads a small set of emails one by one or walks every event', async () => {
    const filters: Array<Partial<AccountEventFilter>> = [
      { tag: 'receipt' },
      { tag: 'welcome', types: ['open'] },
      { domain: 'shop.test' },
      { domain: 'news.test', bot: true },
      { recipient: 'jane@recipient.test' },
      { recipient: 'bob@recipient.test', tag: 'welcome' },
      { tag: 'billing', domain: 'shop.test', types: ['open', 'click'], bot: false },
    ];
    for (const given of filters) {
      const f: AccountEventFilter = { types: [], ...given };
      const w = { order: 'desc' as const, settledBy: Date.now() - SETTLE_MS, limit: 1000 };
      const bySet = await listAccountEvents(db(), accountId, f, w);
      const byWalk = await listAccountEvents(db(), accountId, f, w, { emailSetMax: 0 });
      expect(bySet.events.length).toBeGreaterThan(0);
      expect([given, byWalk.events.map((e) => e.id)]).toEqual([given, bySet.events.map((e) => e.id)]);
    }
  });

  it("marks a machine's open apart from a person's, as the tracking endpoint recorded them", async () => {
    const e = await sendTracked(t);
    expect((await hit(t, e.pixel, GMAIL_PROXY)).status).toBe(200);
    expect((await hit(t, e.pixel)).status).toBe(200);
    const opens = await eventually('both opens listed', async () => {
      const r = await get(`email_id=${e.id}&type=open`);
      return r.length === 2 ? r : undefined;
    });
    expect(opens.map((o) => o.bot)).toEqual([null, 'gmail']);
    expect((await get(`email_id=${e.id}&bot=true`)).map((o) => o.id)).toEqual([opens[1]!.id]);
    expect((await get(`email_id=${e.id}&bot=false&type=open`)).map((o) => o.id)).toEqual([opens[0]!.id]);
  });

  it('pages with an opaque cursor in x-next-cursor, newest first and oldest first', async () => {
    const all = await everything();
    for (const order of ['desc', 'asc'] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      for (;;) {
        const query: string = `order=${order}&limit=4${cursor ? `&cursor=${cursor}` : ''}`;
        const r = await t.call<ApiEvent[]>('GET', `/v1/events?${query}`);
        expect(r.status).toBe(200);
        seen.push(...r.body.map((e) => e.id));
        cursor = r.headers.get('x-next-cursor');
        pages++;
        if (r.body.length < 4) break;
      }
      const want = all.map((e) => e.id);
      expect(seen).toEqual(order === 'desc' ? want : [...want].reverse());
      expect(pages).toBe(Math.floor(want.length / 4) + 1);
      // Newest first, the walk ends; oldest first, it goes on: the last cursor brings what comes next.
      if (order === 'desc') expect(cursor).toBeNull();
      else {
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        const empty = await t.call('GET', `/v1/events?cursor=${cursor}`);
        expect(empty.body).toEqual([]);
        cursor = empty.headers.get('x-next-cursor');
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        const [late] = await addEvents([
          { email: emails.news, type: 'delivered', recipient: 'carol@recipient.test', msAgo: 0 },
        ]);
        const next = await eventually('the new event after the cursor', async () => {
          const r = await t.call('GET', `/v1/events?cursor=${cursor}`);
          return r.body.length ? r.body : undefined;
        });
        expect(next.map((e: ApiEvent) => e.id)).toEqual([late]);
      }
    }
  });

  it('neither skips nor repeats an event while events are being written, newest first or oldest first', async () => {
    const recipient = await db()
      .selectFrom('email_recipients')
      .select(['id', 'address'])
      .where('email_id', '=', emails.news)
      .executeTakeFirstOrThrow();
    const written: Array<{ id: string; at: number }> = [];
    let writing = true;
    // Each writer makes an event's id, then commits it up to 200 ms later (less than the settle window),
    // as a transaction in flight would: meanwhile the other writers commit younger ids.
    const writer = async () => {
      while (writing) {
        const at = Date.now();
        const id = uuidv7({ msecs: at });
        await sleep(Math.random() * 200);
        const event: NewEvent = {
          id,
          email_id: emails.news,
          account_id: accountId,
          recipient_id: recipient.id,
          recipient: recipient.address,
          event_type: 'deferred',
          metadata: null,
          bot: null,
          counted: 0,
          created_at: at,
        };
        await db()
          .transaction()
          .execute((trx) => recordEvents(trx, [event]));
        written.push({ id, at });
      }
    };
    const page = async (query: string) => {
      const r = await t.call<ApiEvent[]>('GET', `/v1/events?type=deferred&limit=5&${query}`);
      expect(r.status).toBe(200);
      return { ids: r.body.map((e) => e.id), cursor: r.headers.get('x-next-cursor') };
    };
    // Oldest first: one poller follows the cursor for as long as events come.
    const polled: string[] = [];
    let cursor = '';
    const poll = async () => {
      const p = await page(`order=asc${cursor ? `&cursor=${cursor}` : ''}`);
      polled.push(...p.ids);
      cursor = p.cursor!;
      return p.ids.length;
    };
    // Newest first: walks from the top to the end, one after another; each must hold every event settled
    // when it started, once.
    const walks: Array<{ startedAt: number; ids: string[] }> = [];
    const walk = async () => {
      const w = { startedAt: Date.now(), ids: [] as string[] };
      let next: string | null = null;
      do {
        const p = await page(next ? `cursor=${next}` : 'order=desc');
        w.ids.push(...p.ids);
        next = p.cursor;
      } while (next);
      walks.push(w);
    };
    const writers = Promise.all([writer(), writer(), writer()]);
    const stopAt = Date.now() + 4000;
    while (Date.now() < stopAt) {
      await poll();
      if (walks.length < 4 && Date.now() > stopAt - 3000 + walks.length * 700) await walk();
    }
    writing = false;
    await writers;
    await sleep(SETTLE_MS + 50);
    while ((await poll()) > 0);

    const all = written.map((w) => w.id).sort();
    expect(all.length).toBeGreaterThan(20);
    expect(polled).toEqual(all);
    expect(walks.length).toBeGreaterThanOrEqual(2);
    for (const w of walks) {
      expect(w.ids).toEqual([...new Set(w.ids)].sort().reverse());
      const settledThen = written.filter((e) => e.at <= w.startedAt - SETTLE_MS).map((e) => e.id);
      expect(w.ids).toEqual(expect.arrayContaining(settledThen));
    }
  });

  it('answers 422 naming the field for a bad filter, date, cursor or limit', async () => {
    const asc = (await t.call('GET', '/v1/events?order=asc&limit=1')).headers.get('x-next-cursor');
    const cases: Array<[string, string]> = [
      ['type=opened', 'type'],
      ['type=open,nope', 'type'],
      ['since=yesterday', 'since'],
      ['until=2026-01-01T00:00:00', 'until'],
      ['since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z', 'until'],
      ['cursor=nonsense', 'cursor'],
      [`cursor=${Buffer.from('{"o":"asc","a":"x"}').toString('base64url')}`, 'cursor'],
      [`cursor=${asc}&order=desc`, 'cursor'],
      ['bot=maybe', 'bot'],
      ['email_id=123', 'email_id'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['order=sideways', 'order'],
      ['tag=', 'tag'],
    ];
    for (const [query, field] of cases) {
      const r = await t.call('GET', `/v1/events?${query}`);
      expect([query, r.status, r.body.code]).toEqual([query, 422, 'validation_error']);
      expect([query, r.body.errors.map((e: { field: string }) => e.field)]).toEqual([query, [field]]);
    }
    expect((await t.call('GET', '/v1/events', undefined, { key: null })).status).toBe(401);
  });
});
