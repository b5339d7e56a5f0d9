import type { Logger } from 'pino';
import { failingDisabledReason, signingSecrets } from '../core/webhook-endpoints.js';
import { decideWebhookAttempt } from '../core/webhook-retry.js';
import { newId } from '../ids.js';
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
  private readonly perEndpoint = new Map<string, number>();
  private readonly sends = new Set<Promise<void>>();
  private results: AttemptResult[] = [];
  private writing: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly sender: WebhookSender,
    private readonly opts: DispatcherOptions,
    private readonly log: Logger,
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

  /** Stops claiming, lets posts in flight finish, and records them. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.sends]);
    await this.flushResults();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.claimAndSend();
      } catch (error) {
        this.log.error({ err: error }, 'webhook dispatch failed; retrying');
      }
      if (!this.running) break;
      // Full: wait for a slot. Idle: wait for the poll interval (or a wake-up).
      if (claimed === 0 || this.inFlight >= this.opts.concurrency) await this.pause();
    }
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

  private async claimAndSend(): Promise<number> {
    const free = this.opts.concurrency - this.inFlight;
    if (free <= 0) return 0;
    const busy = [...this.perEndpoint].filter(([, n]) => n >= this.opts.perEndpoint).map(([id]) => id);
    const now = Date.now();
    const rows = await claimDueDeliveries(this.store.db, {
      workerId: this.workerId,
      now,
      leaseMs: this.opts.leaseMs,
      limit: free,
      busy,
    });
    if (rows.length === 0) return 0;
    const endpoints = new Map(
      (await webhooksByIds(this.store.db, [...new Set(rows.map((r) => r.webhook_id))])).map((w) => [w.id, w]),
    );
    const surplus: string[] = [];
    for (const row of rows) {
      const endpoint = endpoints.get(row.webhook_id);
      const n = this.perEndpoint.get(row.webhook_id) ?? 0;
      if (!endpoint || n >= this.opts.perEndpoint) {
        surplus.push(row.id);
        continue;
      }
      this.track(row, endpoint);
    }
    await releaseDeliveries(this.store.db, this.workerId, surplus, now);
    return rows.length - surplus.length;
  }

  private track(row: WebhookDeliveryRow, endpoint: WebhookRow): void {
    this.inFlight++;
    this.perEndpoint.set(endpoint.id, (this.perEndpoint.get(endpoint.id) ?? 0) + 1);
    const p = this.send(row, endpoint).finally(() => {
      this.inFlight--;
      const n = (this.perEndpoint.get(endpoint.id) ?? 1) - 1;
      if (n === 0) this.perEndpoint.delete(endpoint.id);
      else this.perEndpoint.set(endpoint.id, n);
      this.sends.delete(p);
      this.wake();
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
