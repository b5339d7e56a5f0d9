import { CompiledQuery, sql } from 'kysely';
import { STAT_COUNTS, type StatCount, type StatCounts } from '../model.js';
import { parameterMarkers, textKey } from './dialects/statement-text.js';
import type { EventEmail, Relabel } from './events-repo.js';
import { chunksOfPowersOf4 } from './insert-rows.js';
import type { Db, NewEvent, Trx } from './schema.js';
import { atEnd } from './transactions.js';

/** The rollups' bucket: one UTC hour. Days and months are sums of whole hours. */
export const HOUR_MS = 3_600_000;

/** The start of the hour `at` falls in. */
const hourOf = (at: number) => at - (((at % HOUR_MS) + HOUR_MS) % HOUR_MS);

/** The rollup row of all of a domain's emails; a tag's row has the tag (tags are never blank). */
export const ALL_TAGS = '';

/** The predicate of migration 0005's partial index, as a literal (SQLite ignores it for a bound parameter). */
const COUNTED = sql.lit(1);

/** One rollup row's change. */
interface RowDelta {
  accountId: string;
  bucketStart: number;
  domain: string;
  tag: string;
  counts: number[];
}

/** The changes of one call, per rollup row, summed in memory before anything is written. */
class RollupDeltas {
  private readonly rows = new Map<string, RowDelta>();

  /** Adds `n` to `count` in the hour of `at`, on the email's domain row and on each of its tags' rows. */
  add(email: EventEmail, at: number, count: StatCount, n: number): void {
    if (n === 0) return;
    const index = STAT_COUNTS.indexOf(count);
    const bucketStart = hourOf(at);
    for (const tag of [ALL_TAGS, ...email.tags]) {
      const key = `${email.account_id}\0${bucketStart}\0${email.domain}\0${tag}`;
      let row = this.rows.get(key);
      if (!row) {
        row = { accountId: email.account_id, bucketStart, domain: email.domain, tag, counts: STAT_COUNTS.map(() => 0) };
        this.rows.set(key, row);
      }
      row.counts[index]! += n;
    }
  }

  /** The rows that change, in key order: concurrent writers on PostgreSQL lock them in one order. */
  sorted(): RowDelta[] {
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return [...this.rows.values()]
      .filter((r) => r.counts.some((c) => c !== 0))
      .sort(
        (a, b) =>
          cmp(a.accountId, b.accountId) ||
          a.bucketStart - b.bucketStart ||
          cmp(a.domain, b.domain) ||
          cmp(a.tag, b.tag),
      );
  }
}

/** Opens and clicks: the counters an engagement event moves. */
const ENGAGEMENT = {
  open: { counted: 'opened', unique: 'opened_unique', machine: 'opened_machine', first: 'opened_at' },
  click: { counted: 'clicked', unique: 'clicked_unique', machine: 'clicked_machine', first: 'clicked_at' },
} as const;
type EngagementType = keyof typeof ENGAGEMENT;

const isEngagement = (type: string): type is EngagementType => type === 'open' || type === 'click';

/** What a call changes of one recipient's first counted open and click. */
interface FirstsChange {
  recipientId: string;
  email: EventEmail;
  /** The earliest counted open/click among the call's new events. */
  earliest: Partial<Record<EngagementType, number>>;
  /** A counted open/click was relabelled: the first is looked up again among the events. */
  recount: Partial<Record<EngagementType, true>>;
}

function parsed(metadata: string | null | undefined): Record<string, unknown> {
  if (!metadata) return {};
  try {
    const value: unknown = JSON.parse(metadata);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A bounce is hard when its metadata says `hard: true` or, where `hard` is not given, `bounce_type: 'hard'`. */
function isHard(m: Record<string, unknown>): boolean {
  return typeof m.hard === 'boolean' ? m.hard : m.bounce_type === 'hard';
}

/**
 * Moves the stats rollups by what `events` and `relabels` change, in the caller's transaction (called by
 * recordEvents, after the emails' counters, which also hold the row locks of the emails whose opens
 * and clicks change: see moveFirsts). The rollup rows are hot (every event of an account's domain in
 * an hour moves the same row), so in a group commit's transaction the changes of all its calls are
 * summed and written at its end, last, in one key order (atEnd): a transaction never waits for another
 * row while it holds one of them, and holds them only until its commit. Elsewhere they are written here.
 *
 * The counts are those of docs/stats.md: `accepted` counts an email's recipients at its `queued` event
 * (not the one of a scheduled email's promotion, which was counted at its `scheduled` event), less
 * those a suppression rejected in the same call (the accept path records their `rejected` events with
 * it); opens and clicks count people's counted ones, their first per recipient (unique), and machines'
 * apart; a relabel takes back what its event counted. A handful of statements whatever the number of
 * events: the rows' changes are summed in memory and written in multi-row upserts, in key order.
 */
export async function moveRollups(
  trx: Trx,
  events: readonly NewEvent[],
  relabels: readonly Relabel[],
  emails: ReadonlyMap<string, EventEmail>,
): Promise<void> {
  // Gathered until the end of a group commit's (or inWriteTransaction's) transaction, else written here.
  const gathered = atEnd(trx, 'stats-rollups', () => new RollupDeltas(), writeRollups);
  const deltas = gathered ?? new RollupDeltas();
  const firsts = new Map<string, FirstsChange>();
  const change = (recipientId: string, email: EventEmail) => {
    let c = firsts.get(recipientId);
    if (!c) firsts.set(recipientId, (c = { recipientId, email, earliest: {}, recount: {} }));
    return c;
  };
  const accepts: Array<{ email: EventEmail; at: number }> = [];
  const rejectedWith = new Map<string, number>();
  const cancels: Array<{ email: EventEmail; at: number }> = [];
  for (const e of events) {
    const email = emails.get(e.email_id);
    if (!email) continue;
    const at = e.created_at;
    switch (e.event_type) {
      case 'queued':
        // A scheduled email's promotion: its recipients were counted at its `scheduled` event.
        if (parsed(e.metadata).scheduled !== true) accepts.push({ email, at });
        break;
      case 'scheduled':
        accepts.push({ email, at });
        break;
      case 'rejected':
        deltas.add(email, at, 'rejected', 1);
        rejectedWith.set(email.id, (rejectedWith.get(email.id) ?? 0) + 1);
        break;
      case 'cancelled':
        cancels.push({ email, at });
        break;
      case 'sent':
      case 'delivered':
      case 'deferred':
      case 'failed':
        deltas.add(email, at, e.event_type, 1);
        break;
      case 'bounced':
        deltas.add(email, at, 'bounced', 1);
        deltas.add(email, at, isHard(parsed(e.metadata)) ? 'bounced_hard' : 'bounced_soft', 1);
        break;
      case 'unsubscribe':
        deltas.add(email, at, 'unsubscribed', 1);
        break;
      case 'complaint':
        deltas.add(email, at, 'complained', 1);
        break;
      case 'open':
      case 'click': {
        const names = ENGAGEMENT[e.event_type];
        if (e.bot) deltas.add(email, at, names.machine, 1);
        if (e.counted === 1 && e.recipient_id) {
          deltas.add(email, at, names.counted, 1);
          const c = change(e.recipient_id, email);
          c.earliest[e.event_type] = Math.min(c.earliest[e.event_type] ?? at, at);
        }
        break;
      }
    }
  }
  for (const { email, at } of accepts)
    deltas.add(email, at, 'accepted', email.recipients - (rejectedWith.get(email.id) ?? 0));
  if (cancels.length > 0) {
    const cancelled = await cancelledRecipients(trx, [...new Set(cancels.map((c) => c.email.id))]);
    for (const { email, at } of cancels) deltas.add(email, at, 'cancelled', cancelled.get(email.id) ?? 0);
  }
  for (const { event: e, bot } of relabels) {
    const email = emails.get(e.email_id);
    if (!email || !isEngagement(e.event_type)) continue;
    const names = ENGAGEMENT[e.event_type];
    if (!e.bot && bot) deltas.add(email, e.created_at, names.machine, 1);
    if (e.counted === 1 && e.recipient_id) {
      deltas.add(email, e.created_at, names.counted, -1);
      change(e.recipient_id, email).recount[e.event_type] = true;
    }
  }
  if (firsts.size > 0) await moveFirsts(trx, [...firsts.values()], deltas);
  if (!gathered) await writeRollups(trx, deltas);
}

/** Writes the rows' changes in key order, in multi-row upserts. */
async function writeRollups(trx: Trx, deltas: RollupDeltas): Promise<void> {
  for (const chunk of chunksOfPowersOf4(deltas.sorted())) await upsertRollups(trx, chunk);
}

/** How many recipients of each email are cancelled (a cancelled scheduled email: all it had accepted). */
async function cancelledRecipients(trx: Trx, emailIds: string[]): Promise<Map<string, number>> {
  const rows = await trx
    .selectFrom('email_recipients')
    .select((eb) => ['email_id', eb.fn.countAll<number>().as('n')])
    .where('email_id', 'in', emailIds)
    .where('status', '=', 'cancelled')
    .groupBy('email_id')
    .execute();
  return new Map(rows.map((r) => [r.email_id, Number(r.n)]));
}

/**
 * Moves the recipients' first counted open and click, and with them the unique counts: a recipient's
 * unique open is counted in the hour of its first counted open; an earlier one arriving later, or a
 * relabel of the first, moves it (to the next counted open, or away when none is left). The read
 * before the write is safe on PostgreSQL: a counted open or click, or the relabel of one, moved its
 * email's counters just before, in this transaction, so the email's row is locked until the commit
 * and writers of the same recipient take turns.
 */
async function moveFirsts(trx: Trx, changes: FirstsChange[], deltas: RollupDeltas): Promise<void> {
  changes.sort((a, b) => (a.recipientId < b.recipientId ? -1 : a.recipientId > b.recipientId ? 1 : 0));
  const stored = await readFirsts(
    trx,
    changes.map((c) => c.recipientId),
  );
  const recount = changes.filter((c) => c.recount.open || c.recount.click).map((c) => c.recipientId);
  const counted = recount.length > 0 ? await firstCounted(trx, recount) : new Map<string, Record<string, number>>();
  const writes: Array<{ recipient_id: string; opened_at: number | null; clicked_at: number | null }> = [];
  for (const c of changes) {
    const before = stored.get(c.recipientId) ?? { opened_at: null, clicked_at: null };
    const after = { ...before };
    for (const type of ['open', 'click'] as const) {
      const { first, unique } = ENGAGEMENT[type];
      const old = before[first];
      const earliest = c.earliest[type];
      const now = c.recount[type]
        ? (counted.get(c.recipientId)?.[type] ?? null)
        : earliest !== undefined && (old === null || earliest < old)
          ? earliest
          : old;
      if (now === old) continue;
      after[first] = now;
      if (old !== null) deltas.add(c.email, old, unique, -1);
      if (now !== null) deltas.add(c.email, now, unique, 1);
    }
    if (after.opened_at !== before.opened_at || after.clicked_at !== before.clicked_at)
      writes.push({ recipient_id: c.recipientId, ...after });
  }
  for (const chunk of chunksOfPowersOf4(writes)) {
    const p = parameterMarkers(trx);
    const values = chunk.map(() => `(${p()}, ${p()}, ${p()})`).join(', ');
    await trx.executeQuery(
      CompiledQuery.raw(
        `insert into "engagement_firsts" ("recipient_id", "opened_at", "clicked_at") values ${values} on conflict ("recipient_id") do update set "opened_at" = excluded."opened_at", "clicked_at" = excluded."clicked_at"`,
        chunk.flatMap((w) => [w.recipient_id, w.opened_at, w.clicked_at]),
      ),
    );
  }
}

/** Statement texts of readFirsts, by dialect and list length. */
const firstsTexts = new Map<string, string>();

/** The stored first times of the recipients (none for a recipient with no row). */
async function readFirsts(
  trx: Trx,
  ids: readonly string[],
): Promise<Map<string, { opened_at: number | null; clicked_at: number | null }>> {
  const out = new Map<string, { opened_at: number | null; clicked_at: number | null }>();
  for (let i = 0; i < ids.length; i += 512) {
    // Padded to a power of two by repeating the last id: a dozen statement texts, not one per length.
    const part = ids.slice(i, i + 512);
    let n = 1;
    while (n < part.length) n *= 2;
    const params = [...part, ...Array<string>(n - part.length).fill(part.at(-1)!)];
    const key = `${textKey(trx)}:${n}`;
    let text = firstsTexts.get(key);
    if (text === undefined) {
      const p = parameterMarkers(trx);
      text = `select "recipient_id", "opened_at", "clicked_at" from "engagement_firsts" where "recipient_id" in (${params.map(() => p()).join(', ')})`;
      firstsTexts.set(key, text);
    }
    const r = await trx.executeQuery<{ recipient_id: string; opened_at: number | null; clicked_at: number | null }>(
      CompiledQuery.raw(text, params),
    );
    for (const row of r.rows)
      out.set(row.recipient_id, {
        opened_at: row.opened_at === null ? null : Number(row.opened_at),
        clicked_at: row.clicked_at === null ? null : Number(row.clicked_at),
      });
  }
  return out;
}

/** The recipients' first counted open and click among the stored events (after this call's changes). */
async function firstCounted(trx: Trx, ids: string[]): Promise<Map<string, Record<string, number>>> {
  const rows = await trx
    .selectFrom('email_events')
    .select((eb) => ['recipient_id', 'event_type', eb.fn.min<number>('created_at').as('first')])
    .where('counted', '=', COUNTED)
    .where('recipient_id', 'in', ids)
    .where('event_type', 'in', ['open', 'click'])
    .groupBy(['recipient_id', 'event_type'])
    .execute();
  const out = new Map<string, Record<string, number>>();
  for (const r of rows) {
    if (r.recipient_id === null) continue;
    const m = out.get(r.recipient_id) ?? {};
    m[r.event_type] = Number(r.first);
    out.set(r.recipient_id, m);
  }
  return out;
}

const KEY_COLUMNS = ['account_id', 'bucket_start', 'domain', 'tag'];
/** Statement texts of upsertRollups, by dialect and row count. */
const upsertTexts = new Map<string, string>();

/** Adds the rows' changes, creating the rows that do not exist yet: one statement. */
async function upsertRollups(trx: Trx, rows: readonly RowDelta[]): Promise<void> {
  const key = `${textKey(trx)}:${rows.length}`;
  let text = upsertTexts.get(key);
  if (text === undefined) {
    const p = parameterMarkers(trx);
    const columns = [...KEY_COLUMNS, ...STAT_COUNTS];
    const tuple = () => `(${columns.map(() => p()).join(', ')})`;
    text =
      `insert into "stats_rollups" (${columns.map((c) => `"${c}"`).join(', ')}) values ${rows.map(tuple).join(', ')}` +
      ` on conflict (${KEY_COLUMNS.map((c) => `"${c}"`).join(', ')}) do update set ` +
      STAT_COUNTS.map((c) => `"${c}" = "stats_rollups"."${c}" + excluded."${c}"`).join(', ');
    upsertTexts.set(key, text);
  }
  await trx.executeQuery(
    CompiledQuery.raw(
      text,
      rows.flatMap((r) => [r.accountId, r.bucketStart, r.domain, r.tag, ...r.counts]),
    ),
  );
}

/** What the stats read: one account's rows over [from, to) (hour starts), for one domain and/or tag. */
export interface RollupFilter {
  accountId: string;
  from: number;
  to: number;
  domain?: string;
  tag?: string;
}

const sums = STAT_COUNTS.map((c) => sql<number>`sum(${sql.ref(c)})`.as(c));

function countsOf(row: Record<string, unknown>): StatCounts {
  return Object.fromEntries(STAT_COUNTS.map((c) => [c, Number(row[c] ?? 0)])) as StatCounts;
}

function filtered(db: Db, f: RollupFilter, tags: 'one' | 'each') {
  let q = db
    .selectFrom('stats_rollups')
    .where('account_id', '=', f.accountId)
    .where('bucket_start', '>=', f.from)
    .where('bucket_start', '<', f.to);
  if (f.domain !== undefined) q = q.where('domain', '=', f.domain);
  if (tags === 'each') q = q.where('tag', f.tag === undefined ? '<>' : '=', f.tag ?? ALL_TAGS);
  else q = q.where('tag', '=', f.tag ?? ALL_TAGS);
  return q;
}

/**
 * The counts per bucket of `bucketMs` (an hour or a day: a multiple of the hour that divides the epoch
 * evenly in UTC), for buckets that have any; the caller fills in the others. Sums the domains' `''`
 * rows, or the rows of the tag asked for, so that no email is counted twice.
 */
export async function rollupBuckets(
  db: Db,
  f: RollupFilter,
  bucketMs: number,
): Promise<Array<{ start: number; counts: StatCounts }>> {
  const bucket = sql<number>`${sql.ref('bucket_start')} - ${sql.ref('bucket_start')} % ${sql.lit(bucketMs)}`;
  const rows = await filtered(db, f, 'one')
    .select(bucket.as('start'))
    .select(sums)
    .groupBy(bucket)
    .orderBy(bucket)
    .execute();
  return rows.map((r) => ({ start: Number(r.start), counts: countsOf(r) }));
}

/** The counts over [from, to) per tag (of every tag, or the one asked for) or per sending domain. */
export async function rollupTotals(
  db: Db,
  f: RollupFilter,
  by: 'tag' | 'domain',
): Promise<Array<{ key: string; counts: StatCounts }>> {
  const rows = await filtered(db, f, by === 'tag' ? 'each' : 'one')
    .select(sql.ref<string>(by).as('key'))
    .select(sums)
    .groupBy(by)
    .execute();
  return rows.map((r) => ({ key: r.key, counts: countsOf(r) }));
}
