import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import { idBoundAt } from '../ids.js';
import type { EventType } from '../model.js';
import { countEmailsWithTokens, emailIdsWithTokens } from './dialects/search.js';
import type { Database, Db, EventRow } from './schema.js';

/** What GET /v1/events narrows the account's events to; every field given must match. */
export interface AccountEventFilter {
  /** Empty: every type. */
  types: readonly EventType[];
  emailId?: string;
  /** An address, lower-cased: compared with each event's recipient, case aside. */
  recipient?: string;
  /** Lower-cased: one of the email's tags, case aside. */
  tag?: string;
  /** The sending domain, lower-cased. */
  domain?: string;
  /** true: opens and clicks by machines; false: every other event. */
  bot?: boolean;
  /** Bounds of created_at, inclusive, in epoch ms. */
  since?: number;
  until?: number;
}

/** Where a page starts and how far it may reach. */
export interface EventWindow {
  order: 'asc' | 'desc';
  /** The id (or id bound) the previous page ended at, excluded. */
  after?: string;
  /**
   * Only events whose id was made at or before this time (epoch ms): ids are made before their
   * transaction commits, so a younger id may still have an older one in flight behind it.
   */
  settledBy: number;
  limit: number;
}

/** A page of events, and the last id it could have held (every match up to it past `after` is in it). */
export interface EventPage {
  events: EventRow[];
  through: string;
}

/**
 * How long after its created_at an event may be recorded, at most, in ms: a tracking hit waits in the
 * recording thread's buffer (longer while the database is slow). `until` bounds ids to its time plus
 * this, so that a page never walks the events recorded after `until` (an event recorded later than this
 * after it happened is missed by `until`; `since` misses none).
 */
const RECORDING_LAG_MS = 60_000;

/**
 * Up to this many emails, an email filter (tag, domain, recipient) reads the events email by email;
 * past it, it walks the account's events in order and checks each one's email, which fills a page
 * quickly because so many emails match. The two cost the same (about a page's worth of index entries
 * for every match of the walk, against every event of the set) near this size at 10 million events.
 */
const EMAIL_SET_MAX = 5_000;

/** Types whose events can be a machine's (the only ones with `bot` set). */
const HIT_TYPES: readonly EventType[] = ['open', 'click'];

type EventQuery = SelectQueryBuilder<Database, 'email_events', EventRow>;

/**
 * A page of an account's events matching `f`, in id order (the order they were recorded), from
 * `w.after` on. Three ways in, by what narrows most: one email's events by the emails' index; the
 * events of a small set of emails (those whose search tokens hold the tag, domain or recipient) the
 * same way; else a walk of the account's events by (account, id), or by (account, type, id) for one
 * type, a walk per type merged for several, checking the rest of the filter on each event.
 */
export async function listAccountEvents(
  db: Db,
  accountId: string,
  f: AccountEventFilter,
  w: EventWindow,
  o: { emailSetMax?: number } = {},
): Promise<EventPage> {
  let through = idBoundAt(w.settledBy, 'last');
  if (f.until !== undefined) through = minId(through, idBoundAt(f.until + RECORDING_LAG_MS, 'last'));
  const page = (events: EventRow[]) => ({ events, through });
  const types = f.bot ? (f.types.length ? f.types : HIT_TYPES).filter((t) => HIT_TYPES.includes(t)) : f.types;
  if (f.bot && types.length === 0) return page([]);
  const ordered = (q: EventQuery) => q.orderBy('id', w.order).limit(w.limit);
  const narrowed = (q: EventQuery, emailsChecked: boolean) =>
    ordered(inWindow(matching(q, f, emailsChecked), f, w, through));

  if (f.emailId !== undefined) {
    const owned = await db
      .selectFrom('emails')
      .select('id')
      .where('id', '=', f.emailId)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    if (!owned) return page([]);
    return page(await narrowed(ofTypes(ofEmails(db, sql`${owned.id}`), types), false).execute());
  }
  const tokens = [
    ...(f.tag !== undefined ? [`tag:${f.tag}`] : []),
    ...(f.domain !== undefined ? [`domain:${f.domain}`] : []),
    ...(f.recipient !== undefined ? [`to:${f.recipient}`] : []),
  ];
  if (tokens.length) {
    const max = o.emailSetMax ?? EMAIL_SET_MAX;
    const n = await countEmailsWithTokens(db, accountId, tokens, max + 1);
    if (n === 0) return page([]);
    if (n <= max) {
      const emails = ofEmails(db, emailIdsWithTokens(db, accountId, tokens));
      return page(await narrowed(ofTypes(emails, types), true).execute());
    }
  }
  const ofAccount = () => db.selectFrom('email_events').selectAll().where('account_id', '=', accountId);
  if (types.length <= 1) return page(await narrowed(ofTypes(ofAccount(), types), false).execute());
  // One walk per type, each at most a page long, merged: an IN list of types would read them all and sort.
  const [first, ...rest] = types.map((t, i) =>
    db.selectFrom(narrowed(ofTypes(ofAccount(), [t]), false).as(`t${i}`)).selectAll(),
  );
  let merged = first!;
  for (const q of rest) merged = merged.unionAll(q);
  return page(await db.selectFrom(merged.as('merged')).selectAll().orderBy('id', w.order).limit(w.limit).execute());
}

function minId(a: string, b: string): string {
  return a < b ? a : b;
}

/** The events of some emails, all the account's: one id, or a subquery of ids. */
function ofEmails(db: Db, emailIds: RawBuilder<unknown>): EventQuery {
  return db
    .selectFrom('email_events')
    .selectAll()
    .where(sql<boolean>`${sql.ref('email_id')} in (${emailIds})`);
}

function ofTypes(q: EventQuery, types: readonly EventType[]): EventQuery {
  if (types.length === 0) return q;
  return types.length === 1 ? q.where('event_type', '=', types[0]!) : q.where('event_type', 'in', types);
}

/** The filter's conditions but type and email id (which pick the way in); `emailsChecked`: but tag and domain too. */
function matching(q: EventQuery, f: AccountEventFilter, emailsChecked: boolean): EventQuery {
  if (f.bot === true) q = q.where('bot', '<>', '');
  if (f.bot === false) q = q.where((eb) => eb.or([eb('bot', 'is', null), eb('bot', '=', '')]));
  if (f.recipient !== undefined) q = q.where(sql`lower(${sql.ref('recipient')})`, '=', f.recipient);
  if (f.since !== undefined) q = q.where('created_at', '>=', f.since);
  if (f.until !== undefined) q = q.where('created_at', '<=', f.until);
  if (emailsChecked || (f.tag === undefined && f.domain === undefined)) return q;
  // Checked on the email itself, as its search tokens were made: a scalar subquery rather than EXISTS,
  // which SQLite runs behind a Bloom filter of every email, built anew for each query.
  const tag =
    f.tag === undefined ? sql`` : sql` and lower(e.tags_json) ${like(`%${escapeLike(JSON.stringify(f.tag))}%`)}`;
  const domain = f.domain === undefined ? sql`` : sql` and lower(e.from_email) ${like(`%@${escapeLike(f.domain)}`)}`;
  return q.where(
    sql<boolean>`(select count(*) from emails e where e.id = ${sql.ref('email_events.email_id')}${tag}${domain}) > 0`,
  );
}

/** `%`, `_` and `\` taken literally by `like`. */
function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** LIKE with the backslash as escape (said out loud: SQLite has no default escape character). */
function like(pattern: string): RawBuilder<unknown> {
  return sql`like ${pattern} escape '\\'`;
}

/** The id range of the page: past the cursor, from `since`, up to `through`. */
function inWindow(q: EventQuery, f: AccountEventFilter, w: EventWindow, through: string): EventQuery {
  if (f.since !== undefined) q = q.where('id', '>=', idBoundAt(f.since, 'first'));
  q = q.where('id', '<=', through);
  if (w.after !== undefined) q = q.where('id', w.order === 'asc' ? '>' : '<', w.after);
  return q;
}
