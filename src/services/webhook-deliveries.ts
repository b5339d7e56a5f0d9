import { errors } from '../core/errors.js';
import { newId } from '../ids.js';
import { WEBHOOK_EVENT_NAMES, type EventType, type WebhookDeliveryStatus, type WebhookEventName } from '../model.js';
import type { Store } from '../store/database.js';
import type { WebhookAttemptRow, WebhookDeliveryRow } from '../store/schema.js';
import { inWriteTransaction } from '../store/transactions.js';
import {
  getDelivery,
  insertTestDelivery,
  listAttempts,
  listDeliveries,
  recordAttemptResults,
  replayDelivery,
  webhookPayload,
} from '../store/webhook-outbox-repo.js';
import { attempt } from '../webhooks/dispatcher.js';
import { newEvent } from './new-event.js';
import { findWebhook, requireWebhook, type WebhookStore } from './webhooks.js';
import type { WebhookSender } from '../webhooks/sender.js';

/** A delivery with its attempts, oldest first. */
export interface DeliveryWithAttempts {
  delivery: WebhookDeliveryRow;
  attempts: WebhookAttemptRow[];
}

async function withAttempts(store: Store, rows: WebhookDeliveryRow[]): Promise<DeliveryWithAttempts[]> {
  const attempts = await listAttempts(
    store.db,
    rows.map((r) => r.id),
  );
  const byDelivery = new Map<string, WebhookAttemptRow[]>();
  for (const a of attempts) byDelivery.set(a.delivery_id, [...(byDelivery.get(a.delivery_id) ?? []), a]);
  return rows.map((delivery) => ({ delivery, attempts: byDelivery.get(delivery.id) ?? [] }));
}

/** GET /v1/webhooks/{id}/deliveries: a page of an endpoint's deliveries, newest first, each with its attempts. */
export async function webhookDeliveries(
  store: Store,
  accountId: string,
  webhookId: string,
  o: { status?: WebhookDeliveryStatus; limit: number; offset: number },
): Promise<DeliveryWithAttempts[]> {
  await requireWebhook(store, accountId, webhookId);
  return withAttempts(store, await listDeliveries(store.db, webhookId, o));
}

/** GET /v1/webhooks/{id}/deliveries/{delivery_id}. */
export async function webhookDelivery(
  store: Store,
  accountId: string,
  webhookId: string,
  deliveryId: string,
): Promise<DeliveryWithAttempts> {
  await requireWebhook(store, accountId, webhookId);
  const row = await getDelivery(store.db, webhookId, deliveryId);
  if (!row) throw errors.notFound('Delivery');
  const [one] = await withAttempts(store, [row]);
  return one ?? { delivery: row, attempts: [] };
}

/**
 * POST /v1/webhooks/{id}/deliveries/{delivery_id}/replay: sends a delivery again (whatever its state),
 * with the same `webhook-id`, so that a receiver that already has it can tell.
 */
export async function replayWebhookDelivery(
  store: Store,
  accountId: string,
  webhookId: string,
  deliveryId: string,
): Promise<DeliveryWithAttempts> {
  await requireWebhook(store, accountId, webhookId);
  if (!(await replayDelivery(store.db, webhookId, deliveryId, Date.now()))) throw errors.notFound('Delivery');
  return webhookDelivery(store, accountId, webhookId, deliveryId);
}

/** A made-up event of `type`, made into a payload as real ones are, for POST /v1/webhooks/{id}/test. */
function samplePayload(accountId: string, type: WebhookEventName, now: number): string {
  const eventType = (Object.keys(WEBHOOK_EVENT_NAMES) as EventType[]).find((t) => WEBHOOK_EVENT_NAMES[t] === type)!;
  const emailId = newId();
  const metadata = { test: true, ...(eventType === 'click' ? { url: 'https://example.com/' } : {}) };
  const event = newEvent(
    { emailId, accountId, recipient: { id: newId(), address: 'jane@example.org' } },
    eventType,
    metadata,
    now,
  );
  return webhookPayload(event, {
    id: emailId,
    account_id: accountId,
    from_email: 'hello@example.com',
    subject: 'A test event from Taifa Mail',
    message_id: `<${emailId}@example.com>`,
    tags: ['test'],
    domain: 'example.com',
    recipients: 1,
    hooked: true,
  });
}

/**
 * POST /v1/webhooks/{id}/test: posts a sample event now, signed like any other, records it as a
 * delivery (not retried) and answers with what the endpoint said. Works on a disabled endpoint too,
 * to check it before enabling it again.
 */
export async function testWebhook(
  deps: WebhookStore,
  sender: WebhookSender,
  accountId: string,
  webhookId: string,
  type: WebhookEventName,
): Promise<DeliveryWithAttempts> {
  const { store } = deps;
  const w = await findWebhook(deps, accountId, webhookId);
  const now = Date.now();
  const workerId = `test-${newId()}`;
  const row = await insertTestDelivery(store.db, {
    webhookId,
    accountId,
    payload: samplePayload(accountId, type, now),
    eventType: type,
    workerId,
    now,
  });
  const result = await attempt(sender, row, w, []);
  await inWriteTransaction(store.db, (trx) =>
    // A test says nothing about the endpoint's health over days: it neither disables nor clears.
    recordAttemptResults(trx, [{ ...result, workerId }], { now: Date.now(), disableReason: null }),
  );
  return webhookDelivery(store, accountId, webhookId, row.id);
}
