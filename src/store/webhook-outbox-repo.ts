import { CompiledQuery, sql, type Kysely } from 'kysely';
import { newId } from '../ids.js';
import { WEBHOOK_EVENT_NAMES, type WebhookDeliveryStatus } from '../model.js';
import { skippingLocked } from './dialects/row-locks.js';
import { textKey, typedParameterMarkers } from './dialects/statement-text.js';
import type { EventEmail } from './events-repo.js';
import { chunksOfPowersOf4, insertRows } from './insert-rows.js';
import type { Database, Db, NewEvent, Trx, WebhookAttemptRow, WebhookDeliveryRow, WebhookRow } from './schema.js';

/** What an endpoint subscribes to, as the outbox needs it. */
type Subscription = Pick<WebhookRow, 'id' | 'account_id' | 'event_types' | 'domain' | 'tag' | 'human_only'>;

/**
 * Writes, in the caller's transaction, one outbox row per event and enabled endpoint that wants it (its
 * event types, domain and tag filters, and `human_only` for machines' opens and clicks). The payload is
 * made here, once, from the event and its email, and is the exact text every attempt posts and signs.
 */
export async function enqueueWebhookDeliveries(
  trx: Trx,
  events: readonly NewEvent[],
  emails: ReadonlyMap<string, EventEmail>,
): Promise<void> {
  const hooked = events.filter((e) => emails.get(e.email_id)?.hooked);
  if (hooked.length === 0) return;
  const accounts = [...new Set(hooked.map((e) => e.account_id))];
  const subscriptions = await trx
    .selectFrom('webhooks')
    .select(['id', 'account_id', 'event_types', 'domain', 'tag', 'human_only'])
    .where('account_id', 'in', accounts)
    .where('enabled', '=', 1)
    .execute();
  if (subscriptions.length === 0) return;
  const rows = [];
  for (const event of hooked) {
    const email = emails.get(event.email_id);
    if (!email) continue;
    let payload: string | null = null;
    for (const s of subscriptions) {
      if (!wants(s, event, email)) continue;
      payload ??= webhookPayload(event, email);
      rows.push({
        id: newId(),
        webhook_id: s.id,
        account_id: event.account_id,
        event_id: event.id,
        event_type: WEBHOOK_EVENT_NAMES[event.event_type],
        payload,
        status: 'pending' as const,
        next_attempt_at: event.created_at,
        created_at: event.created_at,
        updated_at: event.created_at,
      });
    }
  }
  for (const chunk of chunksOfPowersOf4(rows)) await insertRows(trx, 'webhook_deliveries', chunk);
}

function wants(s: Subscription, event: NewEvent, email: EventEmail): boolean {
  if (s.account_id !== event.account_id) return false;
  if (s.event_types && !s.event_types.includes(WEBHOOK_EVENT_NAMES[event.event_type])) return false;
  if (s.domain !== null && s.domain !== email.domain) return false;
  if (s.tag !== null && !email.tags.includes(s.tag)) return false;
  if (s.human_only === 1 && event.bot) return false;
  return true;
}

/**
 * The body posted for an event: `{type, timestamp, data}`. `timestamp` is the event's time (attempts
 * can arrive out of order); `data.metadata` carries what the event knows (the SMTP reply, a bounce's
 * reason and `bounce_type`, a click's `url`), and a hit carries `bot` (null for a person).
 */
export function webhookPayload(event: NewEvent, email: EventEmail): string {
  const isHit = event.event_type === 'open' || event.event_type === 'click';
  const metadata = typeof event.metadata === 'string' ? (JSON.parse(event.metadata) as unknown) : null;
  return JSON.stringify({
    type: WEBHOOK_EVENT_NAMES[event.event_type],
    timestamp: new Date(event.created_at).toISOString(),
    data: {
      email_id: event.email_id,
      event_id: event.id,
      recipient: event.recipient ?? null,
      from: email.from_email,
      subject: email.subject,
      tags: email.tags,
      message_id: email.message_id,
      metadata: metadata ?? {},
      ...(isHit ? { bot: event.bot ? event.bot : null } : {}),
    },
  });
}

/**
 * Claims up to `limit` due deliveries of enabled endpoints under a lease, soonest due first, skipping
 * the endpoints in `busy` (at their concurrency cap: a slow endpoint's backlog never fills a claim).
 * The lease end is written as the next attempt time, so a dispatcher that dies leaves them due again.
 * The rows are chosen once, in a materialised CTE (see `claimDueRecipients`).
 */
export async function claimDueDeliveries(
  db: Kysely<Database>,
  c: { workerId: string; now: number; leaseMs: number; limit: number; busy: readonly string[] },
): Promise<WebhookDeliveryRow[]> {
  const until = c.now + c.leaseMs;
  return (
    db
      .with(
        (w) => w('claimable').materialized(),
        (qb) => {
          let q = qb
            .selectFrom('webhook_deliveries as d')
            .select('d.id')
            .where(sql<boolean>`d.status = 'pending'`)
            .where('d.next_attempt_at', '<=', c.now)
            .where((w) =>
              w.exists(
                w
                  .selectFrom('webhooks as w')
                  .select('w.id')
                  .whereRef('w.id', '=', 'd.webhook_id')
                  .where('w.enabled', '=', 1),
              ),
            );
          if (c.busy.length > 0) q = q.where('d.webhook_id', 'not in', c.busy);
          return skippingLocked(db, q.orderBy('d.next_attempt_at').limit(c.limit));
        },
      )
      .updateTable('webhook_deliveries')
      .set({ locked_by: c.workerId, locked_until: until, next_attempt_at: until })
      // No second `status = 'pending'` here: SQLite took it as a reason to scan every pending row through
      // the due index, once per claim, instead of looking up the claimed ids (the CTE's locks already
      // hold the rows as they were chosen).
      .where('id', 'in', (eb) => eb.selectFrom('claimable').select('claimable.id'))
      .returningAll()
      .execute()
  );
}

/** Gives claimed deliveries back, due now (claimed beyond an endpoint's free slots). */
export async function releaseDeliveries(db: Db, workerId: string, ids: string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('webhook_deliveries')
    .set({ locked_by: null, locked_until: null, next_attempt_at: now })
    // Still leased to this worker means still pending: every outcome clears the lease. No status check,
    // which SQLite would answer with a scan of every pending row through the due index.
    .where('locked_by', '=', workerId)
    .where('id', 'in', ids)
    .execute();
}

/** The endpoints of `ids` with what posting to them takes. */
export async function webhooksByIds(db: Db, ids: readonly string[]): Promise<WebhookRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('webhooks').selectAll().where('id', 'in', ids).execute();
}

/** One attempt's outcome, and where it leaves the delivery. */
export interface AttemptResult {
  deliveryId: string;
  webhookId: string;
  workerId: string | null;
  attemptedAt: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  /** What the delivery becomes: done, retried at `nextAttemptAt`, or given up. */
  status: WebhookDeliveryStatus;
  nextAttemptAt: number | null;
  /** Whether the endpoint answered as a working endpoint does (2xx, or a deliberate 406). */
  endpointHealthy: boolean;
}

/** How an endpoint's failures are judged: the reason to disable it, failing since `since`, or null while not. */
type DisableReason = (since: number, last: string) => string | null;

/**
 * Records attempts: each delivery's new state and its attempt row, and each endpoint's health — a
 * healthy answer clears `failing_since`, a failure sets it when unset, and an endpoint `disableReason`
 * gives a reason for is switched off with it as `disabled_reason` (a null `disableReason`: the results
 * say nothing of the endpoint's health, as a test send's). A result for a delivery no longer leased to
 * its worker (its lease expired and another took it) is recorded as an attempt only.
 */
export async function recordAttemptResults(
  trx: Trx,
  results: readonly AttemptResult[],
  c: { now: number; disableReason: DisableReason | null },
): Promise<void> {
  if (results.length === 0) return;
  const byWorker = new Map<string | null, AttemptResult[]>();
  for (const r of results) {
    const group = byWorker.get(r.workerId);
    if (group) group.push(r);
    else byWorker.set(r.workerId, [r]);
  }
  for (const [workerId, rs] of byWorker)
    for (const chunk of chunksOfPowersOf4(rs)) await updateDeliveries(trx, chunk, workerId, c.now);
  const attempts = results.map((r) => ({
    id: newId(),
    delivery_id: r.deliveryId,
    webhook_id: r.webhookId,
    attempted_at: r.attemptedAt,
    duration_ms: r.durationMs,
    status_code: r.statusCode,
    error: r.error,
    response_body: r.responseBody,
  }));
  for (const chunk of chunksOfPowersOf4(attempts)) await insertRows(trx, 'webhook_attempts', chunk);
  if (c.disableReason !== null) await moveEndpointHealth(trx, results, c.now, c.disableReason);
}

/** Statement texts of `updateDeliveries`, by dialect, row count and whether a worker's lease is checked. */
const updateTexts = new Map<string, string>();

/**
 * Moves deliveries to their attempts' outcomes in one `UPDATE … FROM (VALUES …)`: a flush of a busy
 * dispatcher holds hundreds of results, and one statement per row cost a round trip each on PostgreSQL
 * (and was most of the dispatcher's database time on SQLite). Only rows still leased to `workerId` move
 * (a null `workerId`: a test send's, leased to nobody that can lose it).
 */
async function updateDeliveries(
  trx: Trx,
  results: readonly AttemptResult[],
  workerId: string | null,
  now: number,
): Promise<void> {
  const key = `${textKey(trx)}\0${results.length}\0${workerId === null ? '' : 'w'}`;
  let text = updateTexts.get(key);
  if (text === undefined) {
    const marker = typedParameterMarkers(trx);
    const tuple = () =>
      `(${marker('text')}, ${marker('text')}, ${marker('bigint')}, ` +
      `${marker('bigint')}, ${marker('integer')}, ${marker('text')})`;
    // Markers in the order they appear in the text: SQLite's `?` are positional.
    const updatedAt = marker('bigint');
    const rows = Array.from({ length: results.length }, tuple).join(', ');
    // VALUES names its columns column1, column2… on both databases.
    text =
      `update webhook_deliveries as d set status = v.column2, attempts = d.attempts + 1, ` +
      `next_attempt_at = v.column3, locked_by = null, locked_until = null, last_attempt_at = v.column4, ` +
      `last_status_code = v.column5, last_error = v.column6, updated_at = ${updatedAt} ` +
      `from (values ${rows}) as v where d.id = v.column1` +
      (workerId === null ? '' : ` and d.locked_by = ${marker('text')}`);
    updateTexts.set(key, text);
  }
  const params: unknown[] = [now];
  for (const r of results) params.push(r.deliveryId, r.status, r.nextAttemptAt, r.attemptedAt, r.statusCode, r.error);
  if (workerId !== null) params.push(workerId);
  await trx.executeQuery(CompiledQuery.raw(text, params));
}

/** The last result per endpoint decides: healthy clears `failing_since`; failing sets it, and may disable. */
async function moveEndpointHealth(
  trx: Trx,
  results: readonly AttemptResult[],
  now: number,
  disableReason: DisableReason,
): Promise<void> {
  const last = new Map<string, AttemptResult>();
  for (const r of results) last.set(r.webhookId, r);
  for (const [id, r] of [...last].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (r.endpointHealthy) {
      await trx
        .updateTable('webhooks')
        .set({ failing_since: null })
        .where('id', '=', id)
        .where('failing_since', 'is not', null)
        .execute();
      continue;
    }
    const w = await trx
      .selectFrom('webhooks')
      .select(['failing_since', 'enabled'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!w) continue;
    if (w.failing_since === null) {
      await trx.updateTable('webhooks').set({ failing_since: r.attemptedAt }).where('id', '=', id).execute();
      continue;
    }
    const reason = disableReason(
      Number(w.failing_since),
      r.statusCode !== null ? `HTTP ${r.statusCode}` : (r.error ?? 'no answer'),
    );
    if (reason === null || w.enabled !== 1) continue;
    await trx
      .updateTable('webhooks')
      .set({ enabled: 0, disabled_reason: reason, updated_at: now })
      .where('id', '=', id)
      .execute();
  }
}

/** A page of an endpoint's deliveries, newest first, optionally of one status. */
export async function listDeliveries(
  db: Db,
  webhookId: string,
  o: { status?: WebhookDeliveryStatus; limit: number; offset: number },
): Promise<WebhookDeliveryRow[]> {
  let q = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
  if (o.status) q = q.where('status', '=', o.status);
  return q.orderBy('id', 'desc').limit(o.limit).offset(o.offset).execute();
}

/** One of an endpoint's deliveries. */
export async function getDelivery(db: Db, webhookId: string, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('webhook_id', '=', webhookId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** The attempts of deliveries, oldest first. */
export async function listAttempts(db: Db, deliveryIds: readonly string[]): Promise<WebhookAttemptRow[]> {
  if (deliveryIds.length === 0) return [];
  return db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where('delivery_id', 'in', deliveryIds)
    .orderBy('attempted_at')
    .orderBy('id')
    .execute();
}

/** Makes a delivery due again now (same id, so receivers can still de-duplicate). */
export async function replayDelivery(db: Db, webhookId: string, id: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', next_attempt_at: now, locked_by: null, locked_until: null, updated_at: now })
    .where('webhook_id', '=', webhookId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Writes a test delivery, leased to `workerId`, as `failed` until its one attempt is recorded: no
 * dispatcher takes it meanwhile, and after a crash mid-send it is not posted again later, unasked.
 */
export async function insertTestDelivery(
  db: Db,
  d: { webhookId: string; accountId: string; payload: string; eventType: string; workerId: string; now: number },
): Promise<WebhookDeliveryRow> {
  const row = {
    id: newId(),
    webhook_id: d.webhookId,
    account_id: d.accountId,
    event_id: null,
    event_type: d.eventType,
    payload: d.payload,
    status: 'failed' as const,
    attempts: 0,
    next_attempt_at: null,
    locked_by: d.workerId,
    locked_until: null,
    last_attempt_at: null,
    last_status_code: null,
    last_error: 'The test send did not finish.',
    created_at: d.now,
    updated_at: d.now,
  };
  await db.insertInto('webhook_deliveries').values(row).execute();
  return row;
}
