import { errors } from './errors.js';

/** Where a walk of the events list stands: its direction, and the id (or id bound) its last page ended at. */
export interface EventCursor {
  order: 'asc' | 'desc';
  after: string;
}

/** An id, or an id bound (ids.ts `idBoundAt`): what a cursor may carry. */
const POSITION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The cursor as the API hands it out: opaque (base64url of a small JSON), so that its content can change. */
export function encodeEventCursor(c: EventCursor): string {
  return Buffer.from(JSON.stringify({ o: c.order, a: c.after })).toString('base64url');
}

/** A cursor handed out by encodeEventCursor; 422 naming `cursor` for anything else. */
export function decodeEventCursor(text: string): EventCursor {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    /* not ours */
  }
  const c = (parsed ?? {}) as { o?: unknown; a?: unknown };
  if ((c.o !== 'asc' && c.o !== 'desc') || typeof c.a !== 'string' || !POSITION.test(c.a))
    throw errors.validation([
      { field: 'cursor', error: 'is not a cursor this API gave out (pass the x-next-cursor header as it came)' },
    ]);
  return { order: c.o, after: c.a };
}
