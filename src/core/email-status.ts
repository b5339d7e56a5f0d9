import type { EmailStatus, RecipientStatus } from '../model.js';
import { errors } from './errors.js';

/** Every status, in the order an email advances through them. */
export const EMAIL_STATUSES: readonly EmailStatus[] = [
  'scheduled',
  'queued',
  'deferred',
  'sent',
  'delivered',
  'bounced',
  'rejected',
  'failed',
  'cancelled',
];
const KNOWN: ReadonlySet<string> = new Set(EMAIL_STATUSES);

/** States in which a recipient is still waiting for an attempt. */
export const IN_FLIGHT: ReadonlySet<RecipientStatus> = new Set(['scheduled', 'queued', 'deferred']);

const ADVANCEMENT: Partial<Record<RecipientStatus, number>> = {
  scheduled: 0,
  queued: 1,
  deferred: 2,
  sent: 3,
  delivered: 4,
};

/**
 * An email's status follows its recipients: while any is in flight, the least advanced state among
 * those still moving forward; once all are done, `delivered` if every recipient was delivered,
 * otherwise the state of the first recipient (in order) that was not.
 */
export function emailStatusOf(recipientStatuses: readonly RecipientStatus[]): EmailStatus {
  if (recipientStatuses.length === 0) return 'queued';
  if (recipientStatuses.some((s) => IN_FLIGHT.has(s))) {
    let least: RecipientStatus = 'delivered';
    for (const s of recipientStatuses) {
      const rank = ADVANCEMENT[s];
      if (rank !== undefined && rank < (ADVANCEMENT[least] ?? Infinity)) least = s;
    }
    return least;
  }
  return recipientStatuses.find((s) => s !== 'delivered') ?? 'delivered';
}

function isEmailStatus(s: string): s is EmailStatus {
  return KNOWN.has(s);
}

/** The statuses of comma-separated lists (any case, blanks ignored); 422 naming `status` for an unknown one. */
export function parseStatuses(...lists: (string | undefined)[]): EmailStatus[] {
  const given = lists
    .flatMap((l) => (l ?? '').split(','))
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = given.filter((s) => !isEmailStatus(s));
  if (unknown.length)
    throw errors.validation([
      { field: 'status', error: `unknown status ${unknown.join(', ')} (one of ${EMAIL_STATUSES.join(', ')})` },
    ]);
  return given.filter(isEmailStatus);
}
