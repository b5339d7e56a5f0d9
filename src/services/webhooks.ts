import {
  checkWebhookInput,
  MAX_WEBHOOKS_PER_ACCOUNT,
  SECRET_GRACE_MS,
  type WebhookChanges,
  type WebhookInput,
} from '../core/webhook-endpoints.js';
import { errors } from '../core/errors.js';
import { newId, newWebhookSecret } from '../ids.js';
import type { Store } from '../store/database.js';
import type { WebhookRow } from '../store/schema.js';
import { inWriteTransaction } from '../store/transactions.js';
import * as repo from '../store/webhooks-repo.js';
import { checkWebhookTarget, type TargetGuardOptions } from '../webhooks/target-guard.js';

/** What the webhook use cases need. */
export interface WebhookDeps {
  store: Store;
  /** How a target URL is judged (private addresses refused unless allowed). */
  guard: TargetGuardOptions;
}

/** The checked fields of a request, or its 422; a changed URL's target is judged by the guard. */
async function checked(deps: WebhookDeps, input: WebhookInput): Promise<WebhookChanges> {
  const result = checkWebhookInput(input);
  if (!result.ok) throw errors.validation(result.errors);
  if (result.value.url !== undefined) await checkWebhookTarget(result.value.url, deps.guard);
  return result.value;
}

/** Columns of changes (booleans as 0/1, the event list as JSON text) to a webhook that is `enabled` or not. */
function columns(c: WebhookChanges, enabled: boolean): repo.WebhookUpdate {
  const set: repo.WebhookUpdate = {};
  if (c.url !== undefined) set.url = c.url;
  if (c.event_types !== undefined) set.event_types = c.event_types && JSON.stringify(c.event_types);
  if (c.domain !== undefined) set.domain = c.domain;
  if (c.tag !== undefined) set.tag = c.tag;
  if (c.human_only !== undefined) set.human_only = c.human_only ? 1 : 0;
  if (c.enabled !== undefined) set.enabled = c.enabled ? 1 : 0;
  // Switched on again by hand: whatever disabled it is forgiven, and three days of failure count afresh.
  if (c.enabled && !enabled) Object.assign(set, { disabled_reason: null, failing_since: null });
  return set;
}

/**
 * Creates an endpoint (every event unless `events` names some; enabled; machines' opens and clicks
 * included) with a fresh signing secret, which the row carries and the 201 shows once. 409 when the
 * account has MAX_WEBHOOKS_PER_ACCOUNT already.
 */
export async function createWebhook(
  deps: WebhookDeps,
  accountId: string,
  input: WebhookInput & { url: string },
): Promise<WebhookRow> {
  const c = await checked(deps, input);
  const now = Date.now();
  const row: WebhookRow = {
    id: newId(),
    account_id: accountId,
    url: c.url ?? input.url,
    event_types: c.event_types ?? null,
    domain: c.domain ?? null,
    tag: c.tag ?? null,
    enabled: c.enabled === false ? 0 : 1,
    human_only: c.human_only ? 1 : 0,
    secret: newWebhookSecret(),
    previous_secret: null,
    previous_secret_expires_at: null,
    disabled_reason: null,
    failing_since: null,
    created_at: now,
    updated_at: now,
  };
  const stored = { ...row, event_types: row.event_types && JSON.stringify(row.event_types) };
  const added = await inWriteTransaction(deps.store.db, (trx) =>
    repo.insertWebhookWithin(trx, stored, MAX_WEBHOOKS_PER_ACCOUNT),
  );
  if (!added)
    throw errors.conflict(
      `An account has at most ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks; delete one first (one endpoint can take many events).`,
      'webhook_limit_reached',
    );
  return row;
}

/** An account's webhooks, newest first. */
export async function webhookList(
  store: Store,
  accountId: string,
  page: { limit: number; offset: number },
): Promise<WebhookRow[]> {
  return repo.listWebhooks(store.db, accountId, page);
}

/** One of an account's webhooks; 404 otherwise (another account's included). */
export async function findWebhook(store: Store, accountId: string, id: string): Promise<WebhookRow> {
  const row = await repo.getWebhook(store.db, accountId, id);
  if (!row) throw errors.notFound('Webhook');
  return row;
}

/** Changes any of url, events, domain, tag, enabled, human_only; re-enabling clears why it was disabled. */
export async function updateWebhook(
  deps: WebhookDeps,
  accountId: string,
  id: string,
  input: WebhookInput,
): Promise<WebhookRow> {
  // A webhook that is not the account's is a 404 before its fields are judged (and before any look-up).
  const current = await findWebhook(deps.store, accountId, id);
  const set = columns(await checked(deps, input), current.enabled === 1);
  if (Object.keys(set).length === 0) return findWebhook(deps.store, accountId, id);
  const row = await repo.updateWebhook(deps.store.db, accountId, id, { ...set, updated_at: Date.now() });
  if (!row) throw errors.notFound('Webhook');
  return row;
}

/**
 * A new signing secret (shown once, in the row returned); the one it replaces keeps signing beside it for
 * 24 hours, so that receivers can switch over without losing a delivery.
 */
export async function rotateSecret(store: Store, accountId: string, id: string): Promise<WebhookRow> {
  const now = Date.now();
  const row = await repo.rotateWebhookSecret(store.db, accountId, id, {
    secret: newWebhookSecret(),
    previousExpiresAt: now + SECRET_GRACE_MS,
    now,
  });
  if (!row) throw errors.notFound('Webhook');
  return row;
}

/** Deletes a webhook with its pending and past deliveries; 404 if it is not the account's. */
export async function removeWebhook(store: Store, accountId: string, id: string): Promise<void> {
  if (!(await repo.deleteWebhook(store.db, accountId, id))) throw errors.notFound('Webhook');
}
