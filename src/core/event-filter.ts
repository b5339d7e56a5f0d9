import type { EventType } from '../model.js';
import { errors } from './errors.js';

/** Every event type, once: a type added to EventType fails to compile here until it is listed. */
const KNOWN: Readonly<Record<EventType, true>> = {
  queued: true,
  scheduled: true,
  sent: true,
  delivered: true,
  deferred: true,
  bounced: true,
  rejected: true,
  failed: true,
  cancelled: true,
  open: true,
  click: true,
  unsubscribe: true,
  complaint: true,
};

/** The event types, as stored and as the API names them. */
export const EVENT_TYPES = Object.keys(KNOWN) as EventType[];

function isEventType(s: string): s is EventType {
  return Object.hasOwn(KNOWN, s);
}

/** The event types of a comma-separated list (any case, blanks ignored); 422 naming `type` for an unknown one. */
export function parseEventTypes(list: string | undefined): EventType[] {
  const given = (list ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = given.filter((s) => !isEventType(s));
  if (unknown.length)
    throw errors.validation([
      { field: 'type', error: `unknown event type ${unknown.join(', ')} (one of ${EVENT_TYPES.join(', ')})` },
    ]);
  return [...new Set(given.filter(isEventType))];
}
