/** Recipient delivery states, in the order an email advances through them. */
export type RecipientStatus =
  'scheduled' | 'queued' | 'deferred' | 'sent' | 'delivered' | 'bounced' | 'rejected' | 'failed' | 'cancelled';

/** States in which a recipient is still waiting for an attempt. */
export const IN_FLIGHT: ReadonlySet<string> = new Set(['scheduled', 'queued', 'deferred']);

const ADVANCEMENT: Record<string, number> = { scheduled: 0, queued: 1, deferred: 2, sent: 3, delivered: 4 };

/**
 * An email's status follows its recipients: while any is in flight, the least advanced state among
 * those still moving forward; once all are done, `delivered` if every recipient was delivered,
 * otherwise the state of the first recipient (in order) that was not.
 */
export function emailStatusOf(recipientStatuses: readonly string[]): string {
  if (recipientStatuses.length === 0) return 'queued';
  if (recipientStatuses.some((s) => IN_FLIGHT.has(s))) {
    let least = 'delivered';
    for (const s of recipientStatuses) {
      const rank = ADVANCEMENT[s];
      if (rank !== undefined && rank < ADVANCEMENT[least]!) least = s;
    }
    return least;
  }
  return recipientStatuses.find((s) => s !== 'delivered') ?? 'delivered';
}
