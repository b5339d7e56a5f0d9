import {
  checkWebhookInput,
  MAX_WEBHOOKS_PER_ACCOUNT,
  SECRET_GRACE_MS,
  type WebhookChanges,
  type WebhookInput,
} from '../core/webhook-endpoints.js';
import { errors } from '../core/errors.js';
import { newId, newWebhookSecret } from '../ids.js';
import type { SecretBox } from '../secret-box.js';
import type { Store } from '../store/database.js';
import type { WebhookRow } from '../store/schema.js';
import { inWriteTransaction } from '../store/transactions.js';
import * as repo from '../store/webhooks-repo.js';
import { checkWebhookTarget, type TargetGuardOptions } from '../webhooks/target-guard.js';

/** What reading webhooks needs: their signing secrets are stored sealed. */
export interface WebhookStore {
  store: Store;
  secrets: SecretBox;
}

/** What the webhook use cases need. */
export interface WebhookDeps extends WebhookStore {
  /** How a target URL is judged (private addresses refused unless allowed). */
  guard: TargetGuardOptions;
}

/** A stored webhook with its signing secrets opened (SecretKeyError when they cannot be). */
export function openWebhook(row: WebhookRow, secrets: SecretBox): WebhookRow {
  return {
    ...row,
    secret: secrets.open(row.secret, 'webhook-secret'),
    previous_secret: row.previous_secret && secrets.open(row.previous_secret, 'webhook-secret'),
  };
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
 * included) with a fresh signing secret, stored sealed, which the row returned carries and the 201 shows
 * once. 409 when the account has MAX_WEBHOOKS_PER_ACCOUNT already.
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
  const stored = {
    ...row,
    secret: deps.secrets.seal(row.secret, 'webhook-secret'),
    event_types: row.event_types && JSON.stringify(row.event_types),
  };
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
  deps: WebhookStore,
  accountId: string,
  page: { limit: number; offset: number },
): Promise<WebhookRow[]> {
  const rows = await repo.listWebhooks(deps.store.db, accountId, page);
  return rows.map((row) => openWebhook(row, deps.secrets));
}

/** One of an account's webhooks as stored (its secrets sealed); 404 otherwise (another account's included). */
export async function requireWebhook(store: Store, accountId: string, id: string): Promise<WebhookRow> {
  const row = await repo.getWebhook(store.db, accountId, id);
  if (!row) throw errors.notFound('Webhook');
  return row;
}

/** One of an account's webhooks, its secrets opened; 404 otherwise (another account's included). */
export async function findWebhook(deps: WebhookStore, accountId: string, id: string): Promise<WebhookRow> {
  return openWebhook(await requireWebhook(deps.store, accountId, id), deps.secrets);
}

/** Changes any of url, events, domain, tag, enabled, human_only; re-enabling clears why it was disabled. */
export async function updateWebhook(
  deps: WebhookDeps,
  accountId: string,
  id: string,
  input: WebhookInput,
): Promise<WebhookRow> {
  // A webhook that is not the account's is a 404 before its fields are judged (and before any look-up).
  const current = await requireWebhook(deps.store, accountId, id);
  const set = columns(await checked(deps, input), current.enabled === 1);
  if (Object.keys(set).length === 0) return findWebhook(deps, accountId, id);
  const row = await repo.updateWebhook(deps.store.db, accountId, id, { ...set, updated_at: Date.now() });
  if (!row) throw errors.notFound('Webhook');
  return openWebhook(row, deps.secrets);
}

/**
 * A new signing secret (shown once, in the row returned); the one it replaces keeps signing beside it for
 * 24 hours, so that receivers can switch over without losing a delivery.
 */
export async function rotateSecret(deps: WebhookStore, accountId: string, id: string): Promise<WebhookRow> {
  const now = Date.now();
  const row = await repo.rotateWebhookSecret(deps.store.db, accountId, id, {
    secret: deps.secrets.seal(newWebhookSecret(), 'webhook-secret'),
    previousExpiresAt: now + SECRET_GRACE_MS,
    now,
  });
  if (!row) throw errors.notFound('Webhook');
  return openWebhook(row, deps.secrets);
}

/** Deletes a webhook with its pending and past deliveries; 404 if it is not the account's. */
export async function removeWebhook(store: Store, accountId: string, id: string): Promise<void> {
  if (!(await repo.deleteWebhook(store.db, accountId, id))) throw errors.notFound('Webhook');
}
