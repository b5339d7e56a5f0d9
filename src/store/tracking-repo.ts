import { CompiledQuery, sql } from 'kysely';
import type { BotKind, EventMetadata, EventType } from '../model.js';
import { parameterMarkers, textKey } from './dialects/statement-text.js';
import type { EventRow, Trx } from './schema.js';

/**
 * The predicates of the partial indexes of migration 0005, as literals: SQLite uses a partial index
 * only when the query repeats its predicate, and a bound parameter does not count.
 */
const COUNTED = sql.lit(1);
const OPEN = sql.lit<'open'>('open');

/**
 * Pads an id list to a power of two by repeating its last id, so that `IN (…)` lists of any length
 * compile to a dozen statements, not one per length (SQLite keeps prepared statements by their text).
 */
function padded(ids: readonly string[]): string[] {
  let n = 1;
  while (n < ids.length) n *= 2;
  const out = [...ids];
  const last = ids.at(-1);
  while (last !== undefined && out.length < n) out.push(last);
  return out;
}

/** A recipient a tracking token names, with the time its copy went out (null: not recorded as sent). */
export interface TrackedRecipient {
  emailId: string;
  accountId: string;
  address: string;
  sentAt: number | null;
}

/** The recipients among `ids`, by id. */
export async function findTrackedRecipients(trx: Trx, ids: readonly string[]): Promise<Map<string, TrackedRecipient>> {
  const out = new Map<string, TrackedRecipient>();
  if (ids.length === 0) return out;
  const rows = await trx
    .selectFrom('email_recipients')
    .select(['id', 'email_id', 'account_id', 'address', 'status', 'last_attempt_at'])
    .where('id', 'in', padded(ids))
    .execute();
  for (const r of rows) {
    out.set(r.id, {
      emailId: r.email_id,
      accountId: r.account_id,
      address: r.address,
      sentAt: r.status === 'sent' || r.status === 'delivered' ? r.last_attempt_at : null,
    });
  }
  return out;
}

/** An open or click as the batch rules read it back. */
export interface EngagementRow {
  recipient_id: string;
  event_type: Extract<EventType, 'open' | 'click'>;
  bot: BotKind;
  /** Decoded by the store's JsonColumnsPlugin, as every JSON column. */
  metadata: EventMetadata | null;
  created_at: number;
}

/**
 * For the recipients of a batch: their counted opens and clicks since `countedSince`, and (when
 * `machineClicksSince` is given) their clicks by machines since then, among which the honeypot's trap.
 */
export async function recentEngagement(
  trx: Trx,
  recipientIds: readonly string[],
  countedSince: number,
  machineClicksSince: number | null,
): Promise<EngagementRow[]> {
  if (recipientIds.length === 0) return [];
  const ids = padded(recipientIds);
  const params: unknown[] =
    machineClicksSince === null ? [...ids, countedSince] : [...ids, countedSince, ...ids, machineClicksSince];
  const r = await trx.executeQuery<EngagementRow>(
    CompiledQuery.raw(recentEngagementText(trx, ids.length, machineClicksSince !== null), params),
  );
  return r.rows;
}

const engagementTexts = new Map<string, string>();

/**
 * The text of recentEngagement's query, written out and kept per list length: with a few hundred ids
 * in two IN lists, building it with Kysely cost more than running it. The partial indexes' predicates
 * stay literals (see COUNTED).
 */
function recentEngagementText(trx: Trx, n: number, machineClicks: boolean): string {
  const key = `${textKey(trx)}:${n}:${machineClicks}`;
  let text = engagementTexts.get(key);
  if (text === undefined) {
    const p = parameterMarkers(trx);
    const list = () => Array.from({ length: n }, p).join(', ');
    const columns = '"recipient_id", "event_type", "bot", "metadata", "created_at"';
    text = `select ${columns} from "email_events" where "counted" = 1 and "recipient_id" in (${list()}) and "event_type" in ('open', 'click') and "created_at" >= ${p()}`;
    if (machineClicks)
      text += ` union all select ${columns} from "email_events" where "event_type" = 'click' and "bot" <> '' and "recipient_id" in (${list()}) and "created_at" >= ${p()}`;
    engagementTexts.set(key, text);
  }
  return text;
}

/** Which of the recipients have a counted open (any time). */
export async function recipientsWithCountedOpen(trx: Trx, recipientIds: readonly string[]): Promise<Set<string>> {
  if (recipientIds.length === 0) return new Set();
  const rows = await trx
    .selectFrom('email_events')
    .select('recipient_id')
    .distinct()
    .where('counted', '=', COUNTED)
    .where('recipient_id', 'in', padded(recipientIds))
    .where('event_type', '=', OPEN)
    .execute();
  return new Set(rows.flatMap((r) => (r.recipient_id === null ? [] : [r.recipient_id])));
}

/**
 * A recipient's events of one type since `since`, by people (`human`) or by machines, newest first
 * (read by the email's index).
 */
export async function recentEvents(
  trx: Trx,
  target: { emailId: string; recipientId: string },
  type: Extract<EventType, 'open' | 'click'>,
  since: number,
  human: boolean,
  limit = 50,
): Promise<EventRow[]> {
  return trx
    .selectFrom('email_events')
    .selectAll()
    .where('email_id', '=', target.emailId)
    .where('recipient_id', '=', target.recipientId)
    .where('event_type', '=', type)
    .where('created_at', '>=', since)
    .where('bot', human ? '=' : '<>', '')
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
}
