import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAT_COUNTS, type StatCount } from '../../src/model.js';
import { fillFromEvents } from '../../src/store/migrations/0010-stats-rollups.js';
import { loadScannerLists } from '../../src/tracking/scanner-lists.js';
import { writeHitBatch } from '../../src/tracking/recording/write-hit-batch.js';
import type { Hit } from '../../src/tracking/hit.js';
import { HONEYPOT_URL } from '../../src/tracking/tokens.js';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sendBody } from '../helpers/fixtures.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

// The rollups against the events: a randomised run through the real API, worker, SMTP, tracking
// endpoints, tracking thread and inbound listener, then every rollup row recounted from email_events
// with plain SQL. They must be equal, row for row. TAIFA_TEST_SEED replays a run.

const SEED = Number(process.env.TAIFA_TEST_SEED ?? 20261203);
const HOUR = 3_600_000;
const DOMAINS = ['a.test', 'b.test', 'c.test'];
const TAGS = ['alpha', 'beta', 'gamma'];
const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const GMAIL_PROXY = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
const SCANNERS = ['Barracuda/1.0', 'python-requests/2.31.0', 'Mozilla/5.0 (compatible; Proofpoint URL Defense)'];

/** mulberry32: a small seeded PRNG, so that a failing run can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!,
    shuffle: <T>(xs: T[]): T[] => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [xs[i], xs[j]] = [xs[j]!, xs[i]!];
      }
      return xs;
    },
  };
}

/** A delivered copy as its recipient got it. */
interface Copy {
  address: string;
  envelopeFrom: string;
  messageId: string;
  pixel: string;
  links: string[];
  honeypot: string;
  unsubscribe: string;
}

type Row = { account_id: string; bucket_start: number; domain: string; tag: string } & Record<StatCount, number>;
const rowKey = (r: { account_id: string; bucket_start: number; domain: string; tag: string }) =>
  `${r.account_id} ${new Date(r.bucket_start).toISOString()} ${r.domain} ${r.tag || '*'}`;

describe.each(testDatabases())('stats rollups recounted from the events on %s', (kind) => {
  let t: TestServer;
  let dns: DnsServer;
  let sink: SmtpSink;

  beforeAll(async () => {
    sink = await startSmtpSink({
      rcptReply: (rcpt, attempt) => {
        if (rcpt.startsWith('gone')) return { code: 550, message: '5.1.1 No such user here' };
        if (rcpt.startsWith('full')) return { code: 552, message: '5.2.2 Mailbox full' };
        if (rcpt.startsWith('busy') && attempt === 1) return { code: 450, message: '4.2.1 Try again later' };
        return null;
      },
    });
    dns = await startDnsServer({
      mx: { 'rcpt.test': [{ exchange: 'mx.rcpt.test', priority: 10 }] },
      a: { 'mx.rcpt.test': ['127.0.0.1'] },
    });
    t = await startTestServer(kind, {
      TAIFA_DELIVERY: 'direct',
      TAIFA_DNS_SERVERS: dns.address,
      TAIFA_MX_PORT: String(sink.port),
      TAIFA_RETRY_SCHEDULE: '1',
      TAIFA_TRUST_PROXY: '127.0.0.1',
      // People read at once here, and come back a second later.
      TAIFA_PREFETCH_SECONDS: '0',
      TAIFA_OPEN_COALESCE_SECONDS: '1',
      TAIFA_CLICK_COALESCE_SECONDS: '1',
    });
    for (const d of DOMAINS) await verifiedDomain(t, dns, d);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await dns?.close();
  });

  const db = () => t.server.store.db;

  /** The rollup table, rows that count anything, by key. */
  async function stored(): Promise<Map<string, Row>> {
    const rows = (await db().selectFrom('stats_rollups').selectAll().execute()) as Row[];
    return new Map(
      rows
        .map((r) => ({ ...r, bucket_start: Number(r.bucket_start) }))
        .filter((r) => STAT_COUNTS.some((c) => Number(r[c]) !== 0))
        .map((r) => [rowKey(r), { ...r, ...Object.fromEntries(STAT_COUNTS.map((c) => [c, Number(r[c])])) }]),
    );
  }

  /**
   * The truth: every count recomputed from email_events (and each email's recipients, domain and tags)
   * with plain SQL, per email and hour, then summed onto the email's domain row and each of its tags' rows.
   */
  async function recounted(): Promise<Map<string, Row>> {
    const hourOf = (column: string) => `${column} - ${column} % ${HOUR}`;
    const perEvent = (count: StatCount, where: string) =>
      `SELECT e.email_id, ${hourOf('e.created_at')} AS hour, '${count}' AS count, COUNT(*) AS n
       FROM email_events e WHERE ${where} GROUP BY e.email_id, ${hourOf('e.created_at')}`;
    // An email's recipients when it was accepted, less those a suppression rejected then (same time).
    const acceptedRecipients = `(SELECT COUNT(*) FROM email_recipients r WHERE r.email_id = e.email_id)
      - (SELECT COUNT(*) FROM email_events x WHERE x.email_id = e.email_id AND x.event_type = 'rejected'
         AND x.created_at = (SELECT MIN(a.created_at) FROM email_events a WHERE a.email_id = e.email_id
           AND a.event_type IN ('queued', 'scheduled')))`;
    const firsts = (count: StatCount, type: string) =>
      `SELECT f.email_id, ${hourOf('f.first')} AS hour, '${count}' AS count, COUNT(*) AS n FROM (
         SELECT email_id, recipient_id, MIN(created_at) AS first FROM email_events
         WHERE event_type = '${type}' AND counted = 1 GROUP BY email_id, recipient_id) f
       GROUP BY f.email_id, ${hourOf('f.first')}`;
    const queries = [
      `SELECT e.email_id, ${hourOf('e.created_at')} AS hour, 'accepted' AS count, ${acceptedRecipients} AS n
       FROM email_events e
       WHERE e.event_type = 'scheduled' OR (e.event_type = 'queued' AND (e.metadata IS NULL OR e.metadata NOT LIKE '%"scheduled":true%'))`,
      `SELECT e.email_id, ${hourOf('e.created_at')} AS hour, 'cancelled' AS count, ${acceptedRecipients} AS n
       FROM email_events e WHERE e.event_type = 'cancelled'`,
      perEvent('sent', `e.event_type = 'sent'`),
      perEvent('delivered', `e.event_type = 'delivered'`),
      perEvent('deferred', `e.event_type = 'deferred'`),
      perEvent('bounced', `e.event_type = 'bounced'`),
      perEvent('bounced_hard', `e.event_type = 'bounced' AND e.metadata LIKE '%"hard":true%'`),
      perEvent('bounced_soft', `e.event_type = 'bounced' AND e.metadata LIKE '%"hard":false%'`),
      perEvent('rejected', `e.event_type = 'rejected'`),
      perEvent('failed', `e.event_type = 'failed'`),
      perEvent('opened', `e.event_type = 'open' AND e.counted = 1`),
      perEvent('opened_machine', `e.event_type = 'open' AND e.bot <> ''`),
      perEvent('clicked', `e.event_type = 'click' AND e.counted = 1`),
      perEvent('clicked_machine', `e.event_type = 'click' AND e.bot <> ''`),
      perEvent('unsubscribed', `e.event_type = 'unsubscribe'`),
      perEvent('complained', `e.event_type = 'complaint'`),
      firsts('opened_unique', 'open'),
      firsts('clicked_unique', 'click'),
    ];
    const emails = new Map(
      (await db().selectFrom('emails').select(['id', 'account_id', 'from_email', 'tags_json']).execute()).map((m) => [
        m.id,
        m,
      ]),
    );
    const out = new Map<string, Row>();
    for (const q of queries) {
      const { rows } = await sql<{
        email_id: string;
        hour: number;
        count: StatCount;
        n: number;
      }>`${sql.raw(q)}`.execute(db());
      for (const r of rows) {
        const m = emails.get(r.email_id)!;
        const domain = m.from_email.slice(m.from_email.lastIndexOf('@') + 1).toLowerCase();
        for (const tag of ['', ...(m.tags_json ?? [])]) {
          const key = { account_id: m.account_id, bucket_start: Number(r.hour), domain, tag };
          const row =
            out.get(rowKey(key)) ?? ({ ...key, ...Object.fromEntries(STAT_COUNTS.map((c) => [c, 0])) } as Row);
          row[r.count] += Number(r.n);
          out.set(rowKey(key), row);
        }
      }
    }
    for (const [k, r] of out) if (STAT_COUNTS.every((c) => r[c] === 0)) out.delete(k);
    return out;
  }

  /** Both tables as the truth would have them, compared key by key (a difference names its row). */
  async function expectRecounted(): Promise<Map<string, Row>> {
    const truth = recounted();
    const [expected, actual] = [await truth, await stored()];
    const sortedRows = (m: Map<string, Row>) => [...m.keys()].sort().map((k) => [k, m.get(k)]);
    expect(sortedRows(actual)).toEqual(sortedRows(expected));
    const { rows: firsts } = await sql<{ recipient_id: string; open: number | null; click: number | null }>`
      SELECT recipient_id, MIN(CASE WHEN event_type = 'open' THEN created_at END) AS open,
        MIN(CASE WHEN event_type = 'click' THEN created_at END) AS click
      FROM email_events WHERE counted = 1 GROUP BY recipient_id`.execute(db());
    const kept = await db().selectFrom('engagement_firsts').selectAll().execute();
    const asText = (id: string, o: unknown, c: unknown) =>
      `${id} ${o === null ? '-' : Number(o)} ${c === null ? '-' : Number(c)}`;
    expect(
      kept
        .filter((r) => r.opened_at !== null || r.clicked_at !== null)
        .map((r) => asText(r.recipient_id, r.opened_at, r.clicked_at))
        .sort(),
    ).toEqual(firsts.map((r) => asText(r.recipient_id, r.open, r.click)).sort());
    return expected;
  }

  it('keeps every rollup row equal to a recount from the events after a randomised run', async () => {
    const rnd = prng(SEED);
    // Addresses are drawn again and again: a hard bounce puts one on the bounce list, and the next
    // email to it is rejected (at acceptance, or just before delivery when the bounce came in between).
    const pool = [
      ...Array.from({ length: 14 }, (_, i) => `p${i}@rcpt.test`),
      ...Array.from({ length: 3 }, (_, i) => `gone${i}@rcpt.test`),
      ...Array.from({ length: 3 }, (_, i) => `full${i}@rcpt.test`),
      ...Array.from({ length: 3 }, (_, i) => `busy${i}@rcpt.test`),
    ];
    const html =
      '<p>Hi</p><a href="https://shop.test/a">A</a> <a href="https://shop.test/b">B</a> <a href="https://shop.test/c">C</a>';
    const sent: string[] = [];
    const scheduled: string[] = [];
    for (let i = 0; i < 36; i++) {
      const to = [...new Set(Array.from({ length: 1 + rnd.int(3) }, () => rnd.pick(pool)))];
      const tags = TAGS.filter(() => rnd.chance(0.35));
      // Scheduled an hour ahead: the first two always (one is cancelled, one sent at once), then some.
      const later = i < 2 || rnd.chance(0.12);
      const r = await t.call(
        'POST',
        '/v1/emails/',
        sendBody({
          from_: { email: `hello@${rnd.pick(DOMAINS)}` },
          to: to.map((email) => ({ email })),
          subject: `Run ${i}`,
          html,
          ...(tags.length ? { tags } : {}),
          ...(rnd.chance(0.5) ? { unsubscribe: true } : {}),
          ...(later ? { send_at: new Date(Date.now() + 3_600_000).toISOString() } : {}),
        }),
      );
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      (later ? scheduled : sent).push(r.body.id);
      // Let some go out before the next is accepted, so that bounces can suppress later sends.
      if (rnd.chance(0.3)) await new Promise((res) => setTimeout(res, 150));
    }
    for (const [k, id] of scheduled.entries()) {
      const r = (k === 0 ? false : k === 1 ? true : rnd.chance(0.5))
        ? await t.call('POST', `/v1/emails/scheduled/${id}/send-now`)
        : await t.call('DELETE', `/v1/emails/scheduled/${id}`);
      // 404: every recipient was suppressed, so it was never scheduled.
      expect([200, 404]).toContain(r.status);
    }
    await eventually(
      'every copy settled',
      async () => {
        const open = await db()
          .selectFrom('email_recipients')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', 'in', ['queued', 'deferred', 'scheduled'])
          .executeTakeFirstOrThrow();
        return Number(open.n) === 0 ? true : undefined;
      },
      30_000,
    );

    // The copies as their recipients got them.
    const copies: Copy[] = [];
    for (const m of sink.messages) {
      expect(m.recipients).toHaveLength(1);
      const parsed = await simpleParser(m.raw);
      const h = parsed.html === false ? '' : String(parsed.html ?? '');
      const path = (u: string) => new URL(u.replace(/&amp;/g, '&')).pathname;
      const anchors = [...h.matchAll(/<a href="([^"]+)"([^>]*)>/g)];
      const header = String(parsed.headerLines.find((l) => l.key === 'list-unsubscribe')?.line ?? '');
      copies.push({
        address: m.recipients[0]!,
        envelopeFrom: m.envelopeFrom,
        messageId: String(parsed.messageId ?? ''),
        pixel: path(/<img src="([^"]+\/v1\/track\/open\/[^"]+)"/.exec(h)![1]!),
        links: anchors
          .filter((a) => a[1]!.includes('/v1/track/click/') && !a[2]!.includes('display:none'))
          .map((a) => path(a[1]!)),
        honeypot: path(anchors.find((a) => a[2]!.includes('display:none'))![1]!),
        unsubscribe: /<(https?:\/\/[^>]+\/v1\/unsubscribe\/[^>]+)>/.exec(header.replace(/\r?\n\s*/g, ''))?.[1] ?? '',
      });
    }
    expect(copies.length).toBeGreaterThan(20);

    // Hits by people (a few visitors each, by address) and by machines, in shuffled waves.
    let hits = 0;
    const visitors = ['203.0.113.7', '203.0.113.8', '198.51.100.20'];
    const clickedBy = new Map<Copy, string[]>();
    const get = (p: string, ua: string, ip: string) => {
      hits++;
      return fetch(t.url + p, { headers: { 'user-agent': ua, 'x-forwarded-for': ip }, redirect: 'manual' });
    };
    const waveOf = (c: Copy): Array<() => Promise<unknown>> => {
      const out: Array<() => Promise<unknown>> = [];
      for (let k = rnd.int(4); k > 0; k--) {
        const ip = rnd.pick(visitors);
        const ua = ip === visitors[2] ? FIREFOX : CHROME;
        const link = rnd.pick(c.links);
        const click = () => {
          clickedBy.set(c, [...(clickedBy.get(c) ?? []), ip]);
          return get(link, ua, ip);
        };
        out.push(
          rnd.pick([
            () => get(c.pixel, ua, ip),
            () => get(c.pixel, ua, ip),
            click,
            () => get(c.pixel, GMAIL_PROXY, '66.249.84.1'),
            () => get(c.pixel, 'Mozilla/5.0', '17.58.63.1'),
            () => get(link, rnd.pick(SCANNERS), '192.0.2.50'),
          ]),
        );
      }
      return out;
    };
    const recorded = () =>
      eventually(`${hits} hits recorded`, async () => {
        const r = await db()
          .selectFrom('email_events')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('event_type', 'in', ['open', 'click'])
          .where(sql<boolean>`coalesce(metadata, '') not like '%"backfilled":true%'`)
          .executeTakeFirstOrThrow();
        return Number(r.n) >= hits ? true : undefined;
      });
    const fire = async (calls: Array<() => Promise<unknown>>) => {
      rnd.shuffle(calls);
      for (let i = 0; i < calls.length; i += 12) await Promise.all(calls.slice(i, i + 12).map((f) => f()));
      await recorded();
    };
    await fire(copies.flatMap(waveOf));
    // A second later: the coalescing windows are over, so people's hits count again.
    await new Promise((res) => setTimeout(res, 1_100));
    await fire(copies.flatMap(waveOf));
    // Some visitors follow the honeypot, most of them after clicking: what they clicked (and the opens
    // those clicks back-filled) is relabelled.
    await fire(
      copies
        .filter(() => rnd.chance(0.4))
        .map((c) => {
          const ip = rnd.chance(0.8) && clickedBy.has(c) ? rnd.pick(clickedBy.get(c)!) : rnd.pick(visitors);
          return () => get(c.honeypot, ip === visitors[2] ? FIREFOX : CHROME, ip);
        }),
    );

    // Unsubscribes (one-click) and complaints (a feedback-loop report at the inbound listener).
    const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: t.server.inboundPort ?? 0, ignoreTLS: true });
    for (const c of copies) {
      if (c.unsubscribe && rnd.chance(0.25)) {
        const r = await fetch(t.url + new URL(c.unsubscribe).pathname, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'List-Unsubscribe=One-Click',
        });
        expect(r.status).toBe(200);
      }
      if (rnd.chance(0.15)) {
        const host = c.envelopeFrom.slice(c.envelopeFrom.lastIndexOf('@') + 1);
        const arf = [
          'From: fbl@isp.test',
          `To: fbl@${host}`,
          'Subject: complaint',
          'MIME-Version: 1.0',
          'Content-Type: multipart/report; report-type=feedback-report; boundary="f"',
          '',
          '--f',
          'Content-Type: text/plain',
          '',
          'This is an email abuse report.',
          '--f',
          'Content-Type: message/feedback-report',
          '',
          'Feedback-Type: abuse',
          'Version: 1',
          `Original-Rcpt-To: <${c.address}>`,
          '',
          '--f',
          'Content-Type: message/rfc822',
          '',
          `Return-Path: <${c.envelopeFrom}>`,
          `Message-ID: ${c.messageId}`,
          `To: ${c.address}`,
          '',
          'Hello',
          '--f--',
          '',
        ].join('\r\n');
        const answer = await smtp.sendMail({ envelope: { from: '', to: [`fbl@${host}`] }, raw: arf });
        expect(answer.response).toMatch(/^250/);
      }
    }
    smtp.close();

    // Hits at chosen times, hours and days apart and out of order, in batches of several, through the
    // tracking thread's own writer: first opens that arrive late, and relabels whose next open is in
    // another hour, move the unique counts between buckets.
    const rows = await db()
      .selectFrom('email_recipients')
      .select(['id', 'email_id'])
      .where('status', '=', 'delivered')
      .orderBy('id')
      .execute();
    const lists = loadScannerLists();
    const rules = { prefetchMs: 0, openCoalesceMs: 60_000, clickCoalesceMs: 30_000, honeypotWindowMs: 4 * HOUR };
    const base = Date.now() + 2 * HOUR;
    for (let batch = 0; batch < 25; batch++) {
      const batchHits: Hit[] = [];
      for (let k = 1 + rnd.int(8); k > 0; k--) {
        const r = rnd.pick(rows);
        const ip = rnd.pick(visitors);
        const kind: Hit['kind'] = rnd.chance(0.5) ? 'open' : 'click';
        const honeypot = kind === 'click' && rnd.chance(0.15);
        batchHits.push({
          emailId: r.email_id,
          recipientId: r.id,
          kind,
          url:
            kind === 'click'
              ? honeypot
                ? HONEYPOT_URL
                : rnd.pick(['https://shop.test/a', 'https://shop.test/b'])
              : null,
          ua: rnd.chance(0.2) ? GMAIL_PROXY : ip === visitors[2] ? FIREFOX : CHROME,
          ip,
          referer: null,
          at: base + rnd.int(72) * HOUR + rnd.int(HOUR),
        });
      }
      await db()
        .transaction()
        .execute((trx) => writeHitBatch(trx, lists, rules, batchHits));
    }

    const truth = await expectRecounted();
    // The run covered what it is meant to.
    const total = (c: StatCount) => [...truth.values()].filter((r) => r.tag === '').reduce((s, r) => s + r[c], 0);
    for (const c of [
      'accepted',
      'sent',
      'cancelled',
      'delivered',
      'deferred',
      'bounced_hard',
      'bounced_soft',
      'rejected',
      'opened',
      'opened_unique',
      'opened_machine',
      'clicked',
      'clicked_unique',
      'clicked_machine',
      'unsubscribed',
      'complained',
    ] as const)
      expect([c, total(c)]).not.toEqual([c, 0]);
    // Relabels happened: a back-filled open is a person's when made, a machine's only once relabelled.
    const relabelled = await db()
      .selectFrom('email_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('event_type', '=', 'open')
      .where('bot', '<>', '')
      .where(sql<boolean>`metadata like '%"backfilled":true%'`)
      .executeTakeFirstOrThrow();
    expect(Number(relabelled.n)).toBeGreaterThan(0);
    // Accepted recipients are those that took quota (a cancelled email's were given back).
    const usage = await db()
      .selectFrom('usage_counters')
      .select((eb) => eb.fn.sum<number>('count').as('n'))
      .where('period', 'like', 'd:%')
      .executeTakeFirstOrThrow();
    expect(total('accepted') - total('cancelled')).toBe(Number(usage.n));
    // The API answers the same totals.
    const api = await t.call(
      'GET',
      `/v1/stats?resolution=day&since=${new Date(Date.now() - 86_400_000).toISOString()}&until=${new Date(base + 80 * HOUR).toISOString()}`,
    );
    expect(api.status).toBe(200);
    for (const c of STAT_COUNTS) expect([c, api.body.totals[c]]).toEqual([c, total(c)]);

    // Migration 0010 fills the same tables from the same events.
    await db().deleteFrom('stats_rollups').execute();
    await db().deleteFrom('engagement_firsts').execute();
    await fillFromEvents(db());
    await expectRecounted();
  });
});
