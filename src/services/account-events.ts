import { decodeEventCursor, encodeEventCursor } from '../core/event-cursor.js';
import { parseEventTypes } from '../core/event-filter.js';
import { errors } from '../core/errors.js';
import { listAccountEvents } from '../store/account-events-repo.js';
import type { Store } from '../store/database.js';
import type { EventRow } from '../store/schema.js';

/** GET /v1/events as the route parsed it. */
export interface EventListRequest {
  /** Event types, comma-separated. */
  type?: string;
  emailId?: string;
  recipient?: string;
  tag?: string;
  domain?: string;
  bot?: boolean;
  /** created_at bounds, inclusive, epoch ms. */
  since?: number;
  until?: number;
  order?: 'asc' | 'desc';
  cursor?: string;
  limit: number;
}

/** A page of events and the cursor of the next one (null: there is none, newest first). */
export interface EventList {
  events: EventRow[];
  nextCursor: string | null;
}

/**
 * A page of an account's events, filtered, newest first or oldest first (`order`), from the cursor on.
 * Only events recorded at least the settle window ago (`settledBy`) are listed, in both orders: an
 * event's id is made before its transaction commits, so a younger one could still be joined by an
 * older one, which a cursor already past it would skip. Oldest first, the walk never ends: the next
 * cursor is always given, and once the page is short it points past everything settled, so that
 * polling with it brings only what was recorded since.
 */
export async function accountEvents(
  store: Store,
  accountId: string,
  r: EventListRequest,
  o: { settledBy: number },
): Promise<EventList> {
  const cursor = r.cursor === undefined ? undefined : decodeEventCursor(r.cursor);
  if (cursor && r.order && cursor.order !== r.order)
    throw errors.validation([{ field: 'cursor', error: `was given for order=${cursor.order}, not ${r.order}` }]);
  if (r.since !== undefined && r.until !== undefined && r.until < r.since)
    throw errors.validation([{ field: 'until', error: 'must not be before since' }]);
  const order = cursor?.order ?? r.order ?? 'desc';
  const page = await listAccountEvents(
    store.db,
    accountId,
    {
      types: parseEventTypes(r.type),
      emailId: r.emailId,
      recipient: r.recipient?.trim().toLowerCase(),
      tag: r.tag?.toLowerCase(),
      domain: r.domain?.trim().toLowerCase(),
      bot: r.bot,
      since: r.since,
      until: r.until,
    },
    { order, after: cursor?.after, settledBy: o.settledBy, limit: r.limit },
  );
  const last = page.events.at(-1);
  if (last && page.events.length === r.limit)
    return { events: page.events, nextCursor: encodeEventCursor({ order, after: last.id }) };
  if (order === 'desc') return { events: page.events, nextCursor: null };
  // Oldest first and short: every match up to `through` is in this page (or an earlier one).
  const after = cursor && cursor.after > page.through ? cursor.after : page.through;
  return { events: page.events, nextCursor: encodeEventCursor({ order, after }) };
}
