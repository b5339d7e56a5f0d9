import { WEBHOOK_EVENT_NAMES, type WebhookEventName } from '../model.js';

/** Every webhook event name, in the order of the event types. */
export const ALL_WEBHOOK_EVENTS: readonly WebhookEventName[] = Object.values(WEBHOOK_EVENT_NAMES);

/** Whether `name` is a webhook event name. */
export function isWebhookEventName(name: string): name is WebhookEventName {
  return (ALL_WEBHOOK_EVENTS as readonly string[]).includes(name);
}
