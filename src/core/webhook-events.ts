import type { EventType } from '../model.js';

/** The webhook name of each event type: `email.` and the past tense (DESIGN: events and statuses). */
export const WEBHOOK_EVENT_NAMES: Readonly<Record<EventType, string>> = {
  queued: 'email.queued',
  scheduled: 'email.scheduled',
  sent: 'email.sent',
  delivered: 'email.delivered',
  deferred: 'email.deferred',
  bounced: 'email.bounced',
  rejected: 'email.rejected',
  failed: 'email.failed',
  cancelled: 'email.cancelled',
  open: 'email.opened',
  click: 'email.clicked',
  unsubscribe: 'email.unsubscribed',
  complaint: 'email.complained',
};

/** Every webhook event name, in the order of the event types. */
export const ALL_WEBHOOK_EVENTS: readonly string[] = Object.values(WEBHOOK_EVENT_NAMES);

/** Whether `name` is a webhook event name. */
export function isWebhookEventName(name: string): boolean {
  return ALL_WEBHOOK_EVENTS.includes(name);
}
