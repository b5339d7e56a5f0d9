import type { Logger } from 'pino';
import { failingDisabledReason, signingSecrets } from '../core/webhook-endpoints.js';
import { decideWebhookAttempt } from '../core/webhook-retry.js';
import { newId } from '../ids.js';
import type { SecretBox } from '../secret-box.js';
import { openWebhook } from '../services/webhooks.js';
import type { Store } from '../store/database.js';
import type { WebhookDeliveryRow, WebhookRow } from '../store/schema.js';
import { inWriteTransaction } from '../store/transactions.js';
import {
  claimDueDeliveries,
  recordAttemptResults,
  releaseDeliveries,
  webhooksByIds,
  type AttemptResult,
} from '../store/webhook-outbox-repo.js';
import type { WebhookSender } from './sender.js';
import { signedHeaders } from './sign.js';

export interface DispatcherOptions {
  /** Delays before each retry, in seconds; when used up the delivery is `failed`. */
  retryScheduleSeconds: readonly number[];
  /** An endpoint failing every attempt for this long is disabled. */
  disableAfterMs: number;
  /** Posts in flight at once, per process. */
  concurrency: number;
  /** Posts in flight at once to one endpoint. */
  perEndpoint: number;
  /** How often an idle dispatcher looks for due deliveries. */
  pollIntervalMs: number;
  /** How long a claimed delivery stays this process's. */
  leaseMs: number;
}

/**
 * Sends the webhook outbox (the `webhooks` role): claims due deliveries under a lease, posts each,
 * signed, and records every attempt with where it leaves the delivery (done, retried later, given
 * up). A concurrency cap per endpoint and overall keeps a slow or dead endpoint from holding the
 * others back: a claim skips endpoints at their cap. Results are written in groups, one transaction
 * for whatever finished meanwhile.
 */
export class WebhookDispatcher {
  readonly workerId = `webhooks-${newId()}`;
  private running = false;
  private loop: Promise<void> | null = null;
  private inFlight = 0;
  /** Claimed deliveries per endpoint, waiting for one of its slots, and its posts in flight. */
  private readonly endpoints = new Map<
    string,
    { endpoint: WebhookRow; waiting: WebhookDeliveryRow[]; inFlight: number }
  >();
  private readonly sends = new Set<Promise<void>>();
  private results: AttemptResult[] = [];
  private writing: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  /** When a claim that skipped busy endpoints last found nothing (see claim). */
  private emptyBusyClaimAt = -Infinity;

  constructor(
    private readonly store: Store,
    private readonly sender: WebhookSender,
    private readonly opts: DispatcherOptions,
    private readonly log: Logger,
    /** Opens the endpoints' signing secrets, stored sealed. */
    private readonly secrets: SecretBox,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Looks for due deliveries now (an event was just written). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stops claiming, lets posts in flight finish, records them, and gives back what was claimed and not sent. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    const unsent = [...this.endpoints.values()].flatMap((q) => q.waiting.splice(0).map((r) => r.id));
    await Promise.allSettled([...this.sends]);
    await this.flushResults();
    await releaseDeliveries(this.store.db, this.workerId, unsent, Date.now()).catch((error: unknown) =>
      this.log.warn({ err: error }, 'could not give back claimed webhook deliveries; their leases will expire'),
    );
  }

  /** Claimed and not yet posted, all endpoints together. */
  private waiting(): number {
    let n = 0;
    for (const q of this.endpoints.values()) n += q.waiting.length;
    return n;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.claim();
      } catch (error) {
        this.log.error({ err: error }, 'webhook dispatch failed; retrying');
      }
      if (!this.running) break;
      // Idle, or enough in hand: wait for the poll interval (or a wake-up: posts used up half of what was in hand).
      if (claimed === 0 || this.waiting() >= this.claimLimit() / 2) await this.pause();
    }
  }

  /** How many deliveries are claimed ahead of their posts: a few rounds of every slot. */
  private claimLimit(): number {
    return this.opts.concurrency * 4;
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = null;
        resolve();
      };
      const timer = setTimeout(done, this.opts.pollIntervalMs);
      this.wakeUp = done;
    });
  }

  /**
   * Claims due deliveries in one statement, in big batches (one transaction for hundreds of posts), but
   * never for an endpoint that already has a few rounds of its slots claimed: a slow endpoint's backlog
   * stays in the database, where it holds no one back and no lease runs out on it.
   */
  private async claim(): Promise<number> {
    const room = this.claimLimit() - this.waiting();
    if (room <= 0) return 0;
    const enough = this.opts.perEndpoint * 4;
    const busy = [...this.endpoints].filter(([, q]) => q.waiting.length + q.inFlight >= enough).map(([id]) => id);
    // A claim that skips busy endpoints reads past all their due rows: with one endpoint's backlog of
    // thousands, every post's wake-up cost a scan of it, for nothing. After such a claim finds nothing,
    // the next one skipping endpoints waits for the poll interval; a claim with none busy is cheap (the
    // first due rows are the ones taken) and is never held back.
    const now = Date.now();
    if (busy.length > 0 && now - this.emptyBusyClaimAt < this.opts.pollIntervalMs) return 0;
    const rows = await claimDueDeliveries(this.store.db, {
      workerId: this.workerId,
      now,
      leaseMs: this.opts.leaseMs,
      limit: room,
      busy,
    });
    if (rows.length === 0 && busy.length > 0) this.emptyBusyClaimAt = now;
    if (rows.length === 0) return 0;
    const stored = await webhooksByIds(this.store.db, [...new Set(rows.map((r) => r.webhook_id))]);
    for (const endpoint of stored.map((w) => openWebhook(w, this.secrets))) {
      const q = this.endpoints.get(endpoint.id);
      if (q) q.endpoint = endpoint;
      else this.endpoints.set(endpoint.id, { endpoint, waiting: [], inFlight: 0 });
    }
    for (const row of rows) this.endpoints.get(row.webhook_id)?.waiting.push(row);
    this.pump();
    return rows.length;
  }

  /** Starts posts while there are slots: per endpoint, and overall. */
  private pump(): void {
    for (const [id, q] of this.endpoints) {
      while (q.waiting.length > 0 && q.inFlight < this.opts.perEndpoint && this.inFlight < this.opts.concurrency) {
        this.track(q.waiting.shift()!, q);
      }
      if (q.waiting.length === 0 && q.inFlight === 0) this.endpoints.delete(id);
    }
  }

  private track(row: WebhookDeliveryRow, q: { endpoint: WebhookRow; inFlight: number }): void {
    this.inFlight++;
    q.inFlight++;
    const p = this.send(row, q.endpoint).finally(() => {
      this.inFlight--;
      q.inFlight--;
      this.sends.delete(p);
      this.pump();
      if (this.waiting() < this.claimLimit() / 2) this.wake();
    });
    this.sends.add(p);
  }

  private async send(row: WebhookDeliveryRow, endpoint: WebhookRow): Promise<void> {
    const result = await attempt(this.sender, row, endpoint, this.opts.retryScheduleSeconds);
    this.results.push({ ...result, workerId: this.workerId });
    void this.flushResults();
  }

  /** Writes the results gathered so far in one transaction; one write at a time, the next takes what came meanwhile. */
  private flushResults(): Promise<void> {
    if (this.writing) return this.writing;
    if (this.results.length === 0) return Promise.resolve();
    this.writing = (async () => {
      while (this.results.length > 0) {
        const batch = this.results;
        this.results = [];
        const now = Date.now();
        try {
          await inWriteTransaction(this.store.db, (trx) =>
            recordAttemptResults(trx, batch, {
              now,
              disableReason: (since, last) => failingDisabledReason(since, now, this.opts.disableAfterMs, last),
            }),
          );
        } catch (error) {
          // Not recorded: the leases expire and the deliveries are sent again (at least once).
          this.log.error({ err: error, deliveries: batch.length }, 'recording webhook attempts failed');
        }
      }
    })().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }
}

/** Posts one delivery to its endpoint, signed, and decides where the attempt leaves it. */
export async function attempt(
  sender: WebhookSender,
  row: WebhookDeliveryRow,
  endpoint: WebhookRow,
  schedule: readonly number[],
): Promise<AttemptResult> {
  const at = new Date();
  const headers = signedHeaders(row.id, at, row.payload, signingSecrets(endpoint, at.getTime()));
  const res = await sender.post(endpoint.url, row.payload, headers);
  const decision = decideWebhookAttempt({ statusCode: res.statusCode }, row.attempts + 1, Date.now(), schedule);
  return {
    deliveryId: row.id,
    webhookId: endpoint.id,
    workerId: null,
    attemptedAt: at.getTime(),
    durationMs: res.durationMs,
    statusCode: res.statusCode,
    error: res.error ?? decision.error,
    responseBody: res.body,
    status: decision.status,
    nextAttemptAt: decision.nextAttemptAt,
    endpointHealthy: decision.endpointHealthy,
  };
}
