import SQLite from 'better-sqlite3';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { loadScannerLists } from '../../src/tracking/scanner-lists.js';
import { writeHitBatch } from '../../src/tracking/recording/write-hit-batch.js';
import { type Hit, type HitRules } from '../../src/tracking/hit.js';
import { sendBody } from '../helpers/fixtures.js';
import { eventually, type TestServer } from '../helpers/server.js';

export const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
export const HTML =
  '<html><body><p>Hi</p><a href="https://shop.test/a?x=1&amp;y=2">Shop</a> <a href="https://shop.test/b">B</a> <a href="mailto:x@y.test">mail</a></body></html>';

/** A delivered email as its recipient got it, with its tracking URLs as paths. */
export interface TrackedEmail {
  id: string;
  recipientId: string;
  html: string;
  text: string;
  pixel: string;
  links: string[];
  honeypot: string;
}

/** The delivered copy of an email (sandbox capture): its HTML and text parts. */
export async function receivedParts(t: TestServer, id: string): Promise<{ html: string; text: string; raw: string }> {
  const raw = await t.call('GET', `/v1/emails/${id}/raw`);
  const parsed = await simpleParser(Buffer.from(raw.body));
  return {
    html: parsed.html === false ? '' : String(parsed.html ?? ''),
    text: parsed.text ?? '',
    raw: String(raw.body),
  };
}

/** Waits until an email is delivered. */
export const delivered = (t: TestServer, id: string) =>
  eventually('delivered', async () =>
    (await t.call('GET', `/v1/emails/${id}`)).body.status === 'delivered' ? true : undefined,
  );

/**
 * Sends (HTML with two links and a mailto:, text with one link, unless `extra` says otherwise), waits for
 * delivery and returns the tracking URLs of the copy. `sentLongAgo` moves the send an hour back, past
 * the prefetch window, as if the person read the mail later.
 */
export async function sendTracked(
  t: TestServer,
  extra: Record<string, unknown> = {},
  sentLongAgo = true,
): Promise<TrackedEmail> {
  const r = await t.call(
    'POST',
    '/v1/emails/',
    sendBody({ html: HTML, text: 'Visit https://shop.test/a now.', ...extra }),
  );
  if (r.status !== 202) throw new Error(`send: ${r.status} ${JSON.stringify(r.body)}`);
  await delivered(t, r.body.id);
  if (sentLongAgo)
    await t.server.store.db
      .updateTable('email_recipients')
      .set({ last_attempt_at: Date.now() - 3_600_000 })
      .where('email_id', '=', r.body.id)
      .execute();
  const recipient = await t.server.store.db
    .selectFrom('email_recipients')
    .select('id')
    .where('email_id', '=', r.body.id)
    .executeTakeFirstOrThrow();
  const { html, text } = await receivedParts(t, r.body.id);
  const path = (u: string) => new URL(u.replace(/&amp;/g, '&')).pathname;
  const pixel = /<img src="([^"]+\/v1\/track\/open\/[^"]+)"/.exec(html)?.[1];
  const anchors = [...html.matchAll(/<a href="([^"]+)"([^>]*)>/g)];
  return {
    id: r.body.id,
    recipientId: recipient.id,
    html,
    text,
    pixel: pixel ? path(pixel) : '',
    links: anchors
      .filter((a) => a[1]!.includes('/v1/track/click/') && !a[2]!.includes('display:none'))
      .map((a) => path(a[1]!)),
    honeypot: anchors.filter((a) => a[2]!.includes('display:none')).map((a) => path(a[1]!))[0] ?? '',
  };
}

/** Loads a tracking URL as a mail client or browser would (no redirect following). */
export const hit = (t: TestServer, p: string, ua = CHROME, headers: Record<string, string> = {}) =>
  fetch(t.url + p, { headers: { 'user-agent': ua, ...headers }, redirect: 'manual' });

export interface Engagement {
  event_type: string;
  metadata: Record<string, any>;
  created_at: string;
}

/** The email's detail as the API shows it. */
export const detail = async (t: TestServer, id: string) => (await t.call('GET', `/v1/emails/${id}`)).body;

/** The open and click events of a detail, in order, as [type, bot, reason, coalesced]. */
export const engagement = (d: { events: Engagement[] }) =>
  d.events
    .filter((e) => e.event_type === 'open' || e.event_type === 'click')
    .map((e) => [e.event_type, e.metadata.bot, e.metadata.reason, Boolean(e.metadata.coalesced)]);

/** Waits until the detail shows `n` engagement events and the given counters (hits are written behind the answer). */
export const waitEvents = (t: TestServer, id: string, n: number, counts: Record<string, number> = {}) =>
  eventually(`${n} engagement events`, async () => {
    const d = await detail(t, id);
    return engagement(d).length >= n && Object.entries(counts).every(([k, v]) => d[k] === v) ? d : undefined;
  });

/** The default windows of the rules, in ms (as configured by default). */
export const RULES: HitRules = {
  prefetchMs: 10_000,
  openCoalesceMs: 60_000,
  clickCoalesceMs: 30_000,
  honeypotWindowMs: 300_000,
};

/**
 * Records hits as the endpoints would, at the times given, in one transaction per hit: for rules about
 * time (windows) without waiting for the clock.
 */
export async function recordAt(
  t: TestServer,
  e: TrackedEmail,
  hits: Array<Partial<Hit> & Pick<Hit, 'kind' | 'at'>>,
  rules: HitRules = RULES,
): Promise<void> {
  const lists = loadScannerLists();
  for (const h of hits) {
    await t.server.store.db.transaction().execute((trx) =>
      writeHitBatch(trx, lists, rules, [
        {
          emailId: e.id,
          recipientId: e.recipientId,
          url: null,
          ua: CHROME,
          ip: '203.0.113.7',
          referer: null,
          ...h,
        },
      ]),
    );
  }
}

/** Holds the write lock on the events (SQLite: the database; PostgreSQL: the table) until released. */
export async function holdEventWrites(t: TestServer): Promise<() => Promise<void>> {
  if (t.db.kind === 'sqlite') {
    const holder = new SQLite(t.db.url.slice('sqlite:'.length));
    holder.exec('begin exclusive');
    return async () => {
      holder.exec('rollback');
      holder.close();
    };
  }
  const client = new pg.Client({ connectionString: t.db.url });
  await client.connect();
  await client.query('begin');
  await client.query('lock table email_events in exclusive mode');
  return async () => {
    await client.query('rollback');
    await client.end();
  };
}
