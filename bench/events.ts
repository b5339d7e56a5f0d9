// bench/events: seeds N events (10,000,000 by default) in bulk — accounts, emails with tags and sending
// domains, their recipients and search tokens, and events of every type with some machines' hits — then
// prints the p95 of GET /v1/events unfiltered and with each filter, and of GET /v1/stats, each against
// the p95 of GET /v1/emails/{id} measured in the same run, over HTTP against a server in a child process,
// on SQLite and on PostgreSQL.
// Usage: BENCH_EVENTS_N=1000000 npx tsx bench/events.ts
//   BENCH_EVENTS_N      events to seed (default 10000000)
//   BENCH_EVENTS_RUNS   requests per case (default 300, after 5 warm-up requests)
//   BENCH_EVENTS_DBS    sqlite,postgres (default both)
//   BENCH_EVENTS_KEEP   a folder: seed into it once (SQLite there, PostgreSQL as taifa_bench_events_N) and keep
//                       the databases, so that later runs with the same N only measure (drop them by hand)
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { searchTokens } from '../src/core/search-query.js';
import type { BotKind, EventType } from '../src/model.js';
import { createAccount } from '../src/services/accounts.js';
import { migrateToLatest, openStore, type Store } from '../src/store/database.js';
import { insertRows } from '../src/store/insert-rows.js';
import type { NewEmail, NewEvent, NewRecipient } from '../src/store/schema.js';
import { fillFromEvents } from '../src/store/migrations/0010-stats-rollups.js';
import { indexEmails } from '../src/store/search-repo.js';
import {
  addOwnComm,
  codeVersion,
  cpuWindow,
  describeOtherLoad,
  machine,
  newBenchKey,
  PG_ADMIN_URL,
  runMain,
  startTaifa,
  tempDir,
  tempPostgres,
  waitForQuiet,
} from './lib.js';

const N = Number(process.env.BENCH_EVENTS_N ?? 10_000_000);
const RUNS = Number(process.env.BENCH_EVENTS_RUNS ?? 300);
const DBS = (process.env.BENCH_EVENTS_DBS ?? 'sqlite,postgres').split(',').map((s) => s.trim());
/** A folder to keep the seeded databases in: a later run with the same N measures them again without seeding. */
const KEEP = process.env.BENCH_EVENTS_KEEP;
const WARM_UP = 5;
const DAY = 86_400_000;

// A small deterministic PRNG (mulberry32), so that runs are comparable; its draws are independent enough
// for rare choices (one in 10,000) to come out at their rate.
let seed = 42;
const rand = () => {
  let t = (seed = (seed + 0x6d2b79f5) | 0);
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
const chance = (p: number) => rand() < p;

/** The accounts: the measured one sends 80% of the mail, three others the rest. */
const OTHER_ACCOUNTS = 3;
const SENDERS: ReadonlyArray<[string, number]> = [
  ['receipts@shop.example.com', 0.5],
  ['billing@pay.example.net', 0.3],
  ['alerts@ops.example.io', 0.199],
  ['hello@rare.example.org', 0.001],
];
const TAGS = ['receipt', 'password-reset', 'welcome', 'invoice', 'alert', 'shipping', 'newsletter', 'security'];
/** A tag on one email in 10,000 (a handful of emails per million events), and one on one in 1,000. */
const RARE_TAG = 'vip';
const MID_TAG = 'beta';
/** A shared inbox that receives 2% of the mail; everyone else gets a few emails each. */
const HEAVY_RECIPIENT = 'ops-team@company.example';
const recipientPool = Array.from(
  { length: 200_000 },
  (_, i) => `user${i}@${pick(['gmail.com', 'yahoo.com', 'outlook.com', `corp${i % 300}.example`])}`,
);
const BOTS: readonly BotKind[] = ['apple', 'gmail', 'microsoft', 'proofpoint', 'mimecast', 'generic'];
const UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';

function weightedSender(): string {
  let r = rand();
  for (const [s, w] of SENDERS) if ((r -= w) <= 0) return s;
  return SENDERS[0]![0];
}

/** What one seeded email adds. */
interface Seeded {
  email: NewEmail;
  recipients: NewRecipient[];
  events: NewEvent[];
  tokens: string[];
}

/** One email and its life: accepted, sent, delivered or not, opened and clicked by people and machines. */
function seedEmail(accountId: string, createdAt: number, latest: number): Seeded {
  const id = uuidv7({ msecs: createdAt });
  const from = weightedSender();
  const tags = [pick(TAGS), ...(chance(0.3) ? ['transactional'] : [])];
  if (chance(0.0001)) tags.push(RARE_TAG);
  if (chance(0.001)) tags.push(MID_TAG);
  const to = [chance(0.02) ? HEAVY_RECIPIENT : pick(recipientPool), ...(chance(0.1) ? [pick(recipientPool)] : [])];
  const events: NewEvent[] = [];
  const event = (
    type: EventType,
    at: number,
    r: NewRecipient | null,
    extra: { metadata?: string; bot?: BotKind; counted?: number } = {},
  ) => {
    if (at > latest) return;
    events.push({
      id: uuidv7({ msecs: at }),
      email_id: id,
      account_id: accountId,
      recipient_id: r?.id ?? null,
      recipient: r?.address ?? null,
      event_type: type,
      metadata: extra.metadata ?? null,
      bot: extra.bot ?? null,
      counted: extra.counted ?? 0,
      created_at: at,
    });
  };
  const scheduled = chance(0.02);
  if (scheduled) event('scheduled', createdAt, null, { metadata: '{"send_at":"later"}' });
  if (scheduled && chance(0.1)) {
    event('cancelled', createdAt + 60_000, null);
  } else {
    event('queued', createdAt, null);
  }
  let opened = 0;
  let clicked = 0;
  const recipients = to.map((address, position): NewRecipient => {
    const r: NewRecipient = {
      id: uuidv7({ msecs: createdAt }),
      email_id: id,
      account_id: accountId,
      position,
      kind: 'to',
      address,
      name: null,
      domain: address.slice(address.indexOf('@') + 1),
      status: 'delivered',
      attempts: 1,
      next_attempt_at: null,
      locked_by: null,
      locked_until: null,
      first_attempt_at: createdAt + 1000,
      last_attempt_at: createdAt + 2000,
      last_reply: '{"code":250,"message":"2.0.0 OK"}',
      verp_token: `v${id.slice(-12)}${position}`,
      created_at: createdAt,
      updated_at: createdAt + 2000,
    };
    const outcome = rand();
    if (outcome < 0.01) {
      r.status = 'rejected';
      event('rejected', createdAt, r, { metadata: '{"reason":"suppressed"}' });
      return r;
    }
    if (outcome < 0.02) {
      r.status = 'failed';
      event('failed', createdAt + 1000, r, { metadata: '{"error":"relay refused our credentials"}' });
      return r;
    }
    event('sent', createdAt + 1000, r, { metadata: '{"reply":{"code":250,"message":"2.0.0 Ok: queued"}}' });
    if (outcome < 0.06)
      event('deferred', createdAt + 1500, r, { metadata: '{"reply":{"code":451,"message":"4.7.1 Try again later"}}' });
    if (outcome < 0.09) {
      r.status = 'bounced';
      event('bounced', createdAt + 3000, r, {
        metadata: '{"bounce_type":"hard","reason":"user_unknown","dsn":"5.1.1"}',
      });
      return r;
    }
    event('delivered', createdAt + 2000 + Math.floor(rand() * 3000), r, {
      metadata: '{"relay":"mx.example.net","dsn":"2.0.0"}',
    });
    const hit = (type: 'open' | 'click', at: number, bot: BotKind, counted: number) =>
      event(type, at, r, {
        metadata: `{"ua":"${UA}","ip":"203.0.113.${Math.floor(rand() * 250)}"${type === 'click' ? ',"url":"https://shop.example.com/orders/1"' : ''},"bot":"${bot}"}`,
        bot,
        counted,
      });
    if (chance(0.2)) hit('open', createdAt + 10_000, pick(BOTS), 0);
    if (chance(0.05)) hit('click', createdAt + 12_000, pick(BOTS), 0);
    if (chance(0.4)) {
      let at = createdAt + 60_000 + Math.floor(rand() * 2 * DAY);
      hit('open', at, '', 1);
      opened++;
      for (let k = 0; k < 2 && chance(0.4); k++) hit('open', (at += 20_000), '', 0);
      if (chance(0.25)) {
        hit('click', at + 5_000, '', 1);
        clicked++;
      }
    }
    if (chance(0.005)) event('unsubscribe', createdAt + DAY, r, { metadata: '{"source":"one_click"}' });
    if (chance(0.0005)) event('complaint', createdAt + 2 * DAY, r, { metadata: '{"source":"feedback_report"}' });
    return r;
  });
  const email: NewEmail = {
    id,
    account_id: accountId,
    domain_id: null,
    user_id: null,
    from_email: from,
    from_name: 'Shop',
    to_json: JSON.stringify(to.map((email) => ({ email, name: null }))),
    cc_json: null,
    bcc_json: null,
    reply_to_json: null,
    subject: `Your ${tags[0]} #${Math.floor(rand() * 1e6)}`,
    html_body: '<p>Hello</p>',
    text_body: 'Hello',
    headers_json: null,
    tags_json: JSON.stringify(tags),
    status: recipients[0]!.status,
    source: 'api',
    message_id: `<${id}@${from.split('@')[1]}>`,
    rejection_reason: null,
    opened_count: opened,
    clicked_count: clicked,
    scheduled_at: null,
    created_at: createdAt,
    updated_at: createdAt + 2000,
    sent_at: createdAt + 1000,
    delivered_at: createdAt + 2000,
    retry_of_id: null,
    tracking_json: null,
    opened_at: null,
    clicked_at: null,
    unsubscribe: null,
  };
  const tokens = searchTokens({ fromEmail: from, fromName: 'Shop', subject: email.subject, recipients: to, tags });
  return { email, recipients, events, tokens };
}

/** What the measured cases need to know of the seeded data. */
interface Samples {
  emailIds: string[];
  recipients: string[];
  windowStart: number;
}

function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Events wait in one-minute buckets until the emails' clock has passed them, then go in in id order. */
const BUCKET_MS = 60_000;

/**
 * Seeds about N events in transactions of 2,000 emails, in multi-row statements of 400 rows. Events go
 * in in the order a live server writes them (by time, so by id), not email by email: the tables'
 * physical order then follows the ids, as it does in production.
 */
async function seedData(store: Store, benchKey: string): Promise<Samples> {
  await migrateToLatest(store);
  await sql`PRAGMA cache_size = -1000000`.execute(store.db).catch(() => undefined); // SQLite only
  const main = (await createAccount(store, { name: 'Bench', plan: 'business', key: benchKey })).accountId;
  const others: string[] = [];
  for (let i = 0; i < OTHER_ACCOUNTS; i++)
    others.push((await createAccount(store, { name: `Other ${i}`, plan: 'business' })).accountId);
  // Emails spread over the 29 days before the last hour; events after them, never later than now - 10 min.
  const now = Date.now();
  const latest = now - 600_000;
  const span = 29 * DAY;
  const start = now - 3_600_000 - span;
  const samples: Samples = { emailIds: [], recipients: [], windowStart: start + 10 * DAY };
  const waiting = new Map<number, NewEvent[]>();
  let flushedTo = Math.floor(start / BUCKET_MS);
  /** The waiting events older than `until`, in id order. */
  const due = (until: number) => {
    const out: NewEvent[] = [];
    for (; flushedTo < Math.floor(until / BUCKET_MS); flushedTo++) {
      const bucket = waiting.get(flushedTo);
      waiting.delete(flushedTo);
      if (bucket) out.push(...bucket.sort((a, b) => (a.id < b.id ? -1 : 1)));
    }
    return out;
  };
  let events = 0;
  let emails = 0;
  const t0 = Date.now();
  while (events < N || waiting.size > 0) {
    const batch: Seeded[] = [];
    let clock = latest;
    for (let k = 0; k < 2000 && events < N; k++, emails++) {
      // The clock moves with the events written, so that the last of the N comes at the end of the span.
      clock = Math.min(start + Math.floor((events / N) * span), latest);
      const accountId = chance(0.8) ? main : pick(others);
      const s = seedEmail(accountId, clock, latest);
      batch.push(s);
      events += s.events.length;
      for (const e of s.events) {
        const b = Math.floor(e.created_at / BUCKET_MS);
        const bucket = waiting.get(b);
        if (bucket) bucket.push(e);
        else waiting.set(b, [e]);
      }
      if (accountId === main && emails % 997 === 0) {
        samples.emailIds.push(s.email.id);
        samples.recipients.push(s.recipients[0]!.address);
      }
    }
    const ready = due(events < N ? clock : (Math.max(flushedTo, ...waiting.keys()) + 1) * BUCKET_MS);
    await store.db.transaction().execute(async (trx) => {
      for (const rows of chunks(
        batch.map((b) => b.email),
        400,
      ))
        await insertRows(trx, 'emails', rows);
      for (const rows of chunks(
        batch.flatMap((b) => b.recipients),
        400,
      ))
        await insertRows(trx, 'email_recipients', rows);
      const index = batch.map((b) => ({
        id: b.email.id,
        accountId: b.email.account_id,
        createdAt: b.email.created_at,
        tokens: b.tokens,
      }));
      await indexEmails(trx, index);
      for (const rows of chunks(ready, 400)) await insertRows(trx, 'email_events', rows);
    });
    if (emails % 100_000 < 2000)
      process.stdout.write(`\rseeded ${events} events, ${emails} emails (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  process.stdout.write(`\rseeded ${events} events of ${emails} emails in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  // The stats rollups from the seeded events, as migration 0010 fills them on an existing database.
  const t1 = Date.now();
  await fillFromEvents(store.db);
  process.stdout.write(`stats rollups filled from the events in ${((Date.now() - t1) / 1000).toFixed(0)} s\n`);
  // What autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would soon do after a bulk load.
  await sql`ANALYZE`.execute(store.db);
  return samples;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** A measured request: its name and the path of run `i` (cases that take an id rotate through samples). */
type Case = [string, (i: number) => string];

function cases(s: Samples): Case[] {
  const iso = (ms: number) => new Date(ms).toISOString();
  const at = (i: number) => s.windowStart + (i % 100) * 3_600_000;
  return [
    ['GET /v1/events', () => '/v1/events'],
    ['type=delivered', () => '/v1/events?type=delivered'],
    ['type=complaint (rare)', () => '/v1/events?type=complaint'],
    ['type=bounced,complaint,unsubscribe', () => '/v1/events?type=bounced,complaint,unsubscribe'],
    ['email_id', (i) => `/v1/events?email_id=${s.emailIds[i % s.emailIds.length]}`],
    [
      'recipient (a few emails each)',
      (i) => `/v1/events?recipient=${encodeURIComponent(s.recipients[i % s.recipients.length]!)}`,
    ],
    ['recipient (2% of the mail)', () => `/v1/events?recipient=${encodeURIComponent(HEAVY_RECIPIENT)}`],
    ['tag=password-reset (1 email in 8)', () => '/v1/events?tag=password-reset'],
    [`tag=${MID_TAG} (1 in 1,000)`, () => `/v1/events?tag=${MID_TAG}`],
    [`tag=${RARE_TAG} (1 in 10,000)`, () => `/v1/events?tag=${RARE_TAG}`],
    ['domain=pay.example.net (30%)', () => '/v1/events?domain=pay.example.net'],
    ['domain=rare.example.org (0.1%)', () => '/v1/events?domain=rare.example.org'],
    ['bot=true', () => '/v1/events?bot=true'],
    ['bot=false', () => '/v1/events?bot=false'],
    ['since+until (one hour)', (i) => `/v1/events?since=${iso(at(i))}&until=${iso(at(i) + 3_600_000)}`],
    ['order=asc since (one hour)', (i) => `/v1/events?order=asc&since=${iso(at(i))}`],
    ['type=open&bot=false&tag=receipt', () => '/v1/events?type=open&bot=false&tag=receipt'],
    ['GET /v1/stats', () => '/v1/stats'],
    ['GET /v1/stats 30 days by hour', () => `/v1/stats?resolution=hour&since=${iso(s.windowStart - 10 * DAY)}`],
    ['GET /v1/stats tag=receipt by day', () => '/v1/stats?tag=receipt'],
    ['GET /v1/stats/tags', () => '/v1/stats/tags'],
    ['GET /v1/stats/domains', () => '/v1/stats/domains'],
  ];
}

interface Measured {
  name: string;
  p50: number;
  p95: number;
  results: number;
}

async function measure(url: string, key: string, name: string, path: (i: number) => string): Promise<Measured | null> {
  const times: number[] = [];
  let results = 0;
  for (let i = 0; i < RUNS + WARM_UP; i++) {
    const t = performance.now();
    const res = await fetch(url + path(i), { headers: { authorization: `Bearer ${key}` } });
    const body: unknown = await res.json();
    if (res.status === 404 && name.startsWith('GET /v1/stats')) return null;
    if (res.status !== 200) throw new Error(`${name}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    if (i >= WARM_UP) times.push(performance.now() - t);
    results = Array.isArray(body) ? body.length : 1;
  }
  return { name, p50: pct(times, 50), p95: pct(times, 95), results };
}

/** The database of a run: a fresh one, or with BENCH_EVENTS_KEEP one kept (and seeded once) for later runs. */
async function database(kind: string): Promise<{ dir: string; databaseUrl: string; key: string; samples?: Samples }> {
  if (!KEEP) {
    const dir = tempDir('taifa-bench-events-');
    const databaseUrl = kind === 'postgres' ? await tempPostgres() : `sqlite:${dir}/taifa.db`;
    return { dir, databaseUrl, key: newBenchKey() };
  }
  const dir = path.resolve(KEEP, `${kind}-${N}`);
  const seeded = path.join(dir, 'seeded.json');
  const reuse = fs.existsSync(seeded);
  // A seeding that did not finish leaves no seeded.json: start that database again from nothing.
  if (!reuse) fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const databaseUrl =
    kind === 'postgres' ? await keptPostgres(`taifa_bench_events_${N}`, reuse) : `sqlite:${dir}/taifa.db`;
  if (reuse) {
    const kept = JSON.parse(fs.readFileSync(seeded, 'utf8')) as { key: string; samples: Samples };
    process.stdout.write(`reusing the ${N} events seeded in ${databaseUrl}\n`);
    return { dir, databaseUrl, ...kept };
  }
  return { dir, databaseUrl, key: newBenchKey() };
}

/** A PostgreSQL database that outlives the run: the one kept (`reuse`), else a new one. */
async function keptPostgres(name: string, reuse: boolean): Promise<string> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  if (!reuse) {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  }
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function runOn(kind: string): Promise<string[]> {
  if (kind === 'postgres') addOwnComm('postgres');
  const { dir, databaseUrl, key, samples: kept } = await database(kind);
  let samples = kept;
  if (!samples) {
    const store = openStore(databaseUrl);
    samples = await seedData(store, key).finally(() => store.close());
    if (KEEP) fs.writeFileSync(path.join(dir, 'seeded.json'), JSON.stringify({ key, samples }));
  }
  const server = await startTaifa('taifa', {
    TAIFA_DATA_DIR: dir,
    DATABASE_URL: databaseUrl,
    TAIFA_SANDBOX: 'true',
    TAIFA_ROLES: 'api',
    TAIFA_EVENT_RETENTION_DAYS: '0',
  });
  const quiet = await waitForQuiet(60);
  const cpu = cpuWindow();
  const baseline = (await measure(
    server.url,
    key,
    'GET /v1/emails/{id} (baseline)',
    (i) => `/v1/emails/${samples.emailIds[i % samples.emailIds.length]}`,
  ))!;
  const rows = [baseline];
  const skipped: string[] = [];
  for (const [name, path] of cases(samples)) {
    const m = await measure(server.url, key, name, path);
    if (m) rows.push(m);
    else skipped.push(`${name}: 404 (no such route in this tree), not measured`);
  }
  const during = cpu.stop();
  await server.stop();
  const line = (m: Measured) =>
    `${m.name.padEnd(40)} ${m.p50.toFixed(1).padStart(7)} ${m.p95.toFixed(1).padStart(7)} ${(m.p95 / baseline.p95).toFixed(1).padStart(6)}x ${String(m.results).padStart(7)}${m.p95 > 5 * baseline.p95 ? '  over 5x' : ''}`;
  return [
    '',
    `${N} events, ${kind === 'postgres' ? 'PostgreSQL' : 'SQLite'}, ${RUNS} requests each over HTTP, one at a time, after ${WARM_UP} warm-up requests`,
    `${'request'.padEnd(40)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'ratio'.padStart(7)} ${'results'.padStart(7)}`,
    ...rows.map(line),
    ...skipped,
    `other load: before ${describeOtherLoad(quiet)}; during ${describeOtherLoad(during)}`,
  ];
}

async function main(): Promise<void> {
  const out: string[] = [];
  for (const kind of DBS) out.push(...(await runOn(kind)));
  process.stdout.write(
    [
      ...out,
      `target: each p95 at most 5x the baseline's (GET /v1/emails/{id})`,
      `code: ${codeVersion()}`,
      `machine: ${machine()}`,
      '',
    ].join('\n'),
  );
}

runMain(main);
