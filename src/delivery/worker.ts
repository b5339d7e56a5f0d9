import type { Logger } from 'pino';
import { decideAttempt, decideRenderFailure } from '../core/delivery-decision.js';
import { decideSuppressed, type Suppression } from '../core/suppression-rules.js';
import { randomToken } from '../ids.js';
import type { RetryPolicy } from '../core/retry-policy.js';
import type { AttemptOutcome } from '../core/smtp-outcome.js';
import type { SecretBox } from '../secret-box.js';
import type { Store } from '../store/database.js';
import type { GroupCommitter } from '../store/group-commit.js';
import { recordDeliveryAttempt } from '../services/record-attempt.js';
import { suppressionsOf } from '../services/suppression-check.js';
import { claimDueRecipients, releaseLeases, renewLeases } from '../store/queue-repo.js';
import type { RecipientRow } from '../store/schema.js';
import type { TrackingTokens, UnsubscribeTokens } from '../tracking/tokens.js';
import { groupForConnection } from './connection-groups.js';
import { LeaseKeeper } from './lease-keeper.js';
import { MessageCache } from './message-cache.js';
import type { Transport } from './transport.js';

export interface WorkerOptions {
  /** Signs the tracking URLs of each recipient's copy. */
  tokens: TrackingTokens;
  /** Signs the unsubscribe links of each recipient's copy. */
  unsubscribeTokens: UnsubscribeTokens;
  /** Base of tracking URLs when a domain has no tracking host. */
  publicUrl: string;
  /** Opens the domains' DKIM keys, stored sealed. */
  secrets: SecretBox;
  /** Connections (so transactions) in flight at once. */
  concurrency: number;
  leaseMs: number;
  pollIntervalMs: number;
  policy: RetryPolicy;
}

/**
 * The delivery loop: claims due recipients under a lease (kept alive while held, see LeaseKeeper),
 * renders each email once, hands one transaction per recipient to the transport (same-domain recipients
 * of an email back-to-back on one slot, so on one connection), and records the outcome (status, events,
 * the email's derived status, fenced on the lease) in a group-committed transaction before that slot
 * sends again. So at most `concurrency` transactions can be sent and not yet recorded when the process dies.
 */
export class DeliveryWorker {
  readonly id = `w-${randomToken(10)}`;
  /** Claimed, not started: groups of one email and domain. */
  private buffer: RecipientRow[][] = [];
  private buffered = 0;
  /** Recipients whose transaction is under way (sent or being sent, not yet recorded). */
  private readonly inFlight = new Set<string>();
  private readonly leases: LeaseKeeper;
  private readonly messages: MessageCache;
  /** Claimed recipients found on a suppression list: recorded `rejected` when their turn comes, never sent. */
  private readonly suppressed = new Map<string, Suppression>();
  private readonly tasks = new Set<Promise<void>>();
  private claiming = false;
  private stopping = false;
  /** The drain timed out: outcomes still arriving are not recorded, their leases expire. */
  private abandoned = false;
  private claimedOnce = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeRequested = false;

  constructor(
    private readonly store: Store,
    private readonly committer: GroupCommitter,
    private readonly transport: Transport,
    private readonly opts: WorkerOptions,
    private readonly log: Logger,
  ) {
    this.messages = new MessageCache(store, {
      tokens: opts.tokens,
      unsubscribeTokens: opts.unsubscribeTokens,
      publicUrl: opts.publicUrl,
      secrets: opts.secrets,
    });
    this.leases = new LeaseKeeper({
      leaseMs: opts.leaseMs,
      renew: (ids, now) =>
        committer.run((trx) => renewLeases(trx, { workerId: this.id, ids, now, leaseMs: opts.leaseMs })),
      onLost: (ids) => this.leasesLost(ids),
      log,
    });
  }

  /** Starts the loop. */
  start(): void {
    this.leases.start();
    this.pump();
  }

  /** Asks the loop to look for due work now (after an email was queued in this process). */
  wake(): void {
    if (this.stopping) return;
    this.wakeRequested = true;
    if (this.wakeTimer) {
      clearTimeout(this.wakeTimer);
      this.wakeTimer = null;
    }
    this.pump();
  }

  /**
   * Stops claiming at once, gives back unstarted leases, and lets in-flight transactions finish and be
   * recorded for up to `drainTimeoutMs`; after that, what is still in flight is left to its leases,
   * which expire so that another process tries it again.
   */
  async stop(drainTimeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.stopping = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    while (this.claiming) await new Promise((r) => setTimeout(r, 5));
    this.buffer = [];
    this.buffered = 0;
    // Unstarted work goes back now, so another process can take it while ours finishes.
    await this.releaseUnstarted();
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.allSettled([...this.tasks]).then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.min(drainTimeoutMs, 2_147_483_647)))),
    ]);
    clearTimeout(timer);
    if (!drained) {
      this.abandoned = true;
      this.log.warn(
        { inFlight: this.inFlight.size, drainTimeoutMs },
        'drain timed out; the leases of transactions still in flight will expire and another process will retry them',
      );
    }
    await this.leases.stop();
    await this.releaseUnstarted();
    await this.transport.close();
  }

  /** Gives back every lease held for a recipient whose transaction has not started. */
  private async releaseUnstarted(): Promise<void> {
    const ids = this.leases.ids().filter((id) => !this.inFlight.has(id));
    for (const id of ids) this.leases.drop(id);
    await releaseLeases(this.store.db, this.id, ids, Date.now()).catch((error: unknown) =>
      this.log.warn({ err: error }, 'could not release leases; they will expire'),
    );
  }

  /** Renewal found leases taken by another worker: unstarted ones are dropped (the fence covers the rest). */
  private leasesLost(ids: string[]): void {
    const lost = new Set(ids.filter((id) => !this.inFlight.has(id)));
    if (lost.size === 0) return;
    this.log.warn({ count: lost.size }, 'leases lost before their transactions started; another worker has them');
    for (const id of lost) this.leases.drop(id);
    for (const group of this.buffer) {
      for (const r of group.filter((x) => lost.has(x.id))) this.settle(r);
    }
    this.buffer = this.buffer.map((g) => g.filter((r) => !lost.has(r.id))).filter((g) => g.length > 0);
    this.buffered = this.buffer.reduce((n, g) => n + g.length, 0);
  }

  private pump(): void {
    if (this.stopping) return;
    while (this.tasks.size < this.opts.concurrency && this.buffer.length > 0) {
      const group = this.buffer.shift()!;
      this.buffered -= group.length;
      this.startTask(group);
    }
    // Refill at the low-water mark, not after every transaction: each claim is a write. The buffer is
    // small (about one batch) and its leases are renewed, so waiting there cannot cost a lease.
    if (this.claiming || this.buffered > this.opts.concurrency / 2) return;
    if (this.tasks.size >= this.opts.concurrency && !this.wakeRequested) return;
    void this.claim();
  }

  private async claim(): Promise<void> {
    this.claiming = true;
    this.wakeRequested = false;
    let claimed: RecipientRow[] = [];
    try {
      // Everything held counts: the buffer, the transactions under way and the rest of their groups.
      const limit = this.opts.concurrency * 2 - this.leases.count();
      if (limit > 0) {
        const now = Date.now();
        claimed = await claimDueRecipients(this.store.db, {
          workerId: this.id,
          now,
          leaseMs: this.opts.leaseMs,
          limit,
        });
        for (const r of claimed) this.leases.hold(r.id, r.locked_until ?? now + this.opts.leaseMs);
        if (claimed.length && !this.claimedOnce) {
          this.claimedOnce = true;
          // bench/deliver measures from this line.
          this.log.info({ count: claimed.length, claimedAt: now }, 'first recipients claimed');
        }
        await this.messages.preload(claimed);
        await this.findSuppressed(claimed);
      }
    } catch (error) {
      this.log.error({ err: error }, 'claiming due recipients failed; retrying');
      // Loading their emails failed (a database hiccup): give them back rather than fail them for it.
      for (const r of claimed) {
        this.leases.drop(r.id);
        this.settle(r);
      }
      await releaseLeases(
        this.store.db,
        this.id,
        claimed.map((r) => r.id),
        Date.now(),
      ).catch(() => undefined);
      claimed = [];
    } finally {
      this.claiming = false;
    }
    const groups = groupForConnection(claimed);
    this.buffer.push(...groups);
    this.buffered += claimed.length;
    if (this.stopping) return;
    if (claimed.length > 0 || this.wakeRequested) this.pump();
    else this.sleep();
  }

  private sleep(): void {
    if (this.wakeTimer || this.stopping) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.pump();
    }, this.opts.pollIntervalMs);
  }

  /** Sends a group's transactions one after the other on one slot, so they reuse one connection. */
  private startTask(group: RecipientRow[]): void {
    const task = (async () => {
      for (const r of group) {
        if (this.stopping) return; // the rest of the group is released by stop()
        if (!this.leases.canStart(r.id, Date.now())) {
          this.log.warn(
            { emailId: r.email_id, recipient: r.address },
            'lease about to expire before the transaction could start; leaving it to be claimed again',
          );
          this.leases.drop(r.id);
          this.settle(r);
          continue;
        }
        this.inFlight.add(r.id);
        try {
          await this.attempt(r);
        } catch (error) {
          this.log.error(
            { err: error, recipientId: r.id },
            'recording a delivery attempt failed; the lease will expire and it will be retried',
          );
        } finally {
          this.inFlight.delete(r.id);
          this.leases.drop(r.id);
          this.settle(r);
        }
      }
    })().finally(() => {
      this.tasks.delete(task);
      this.pump();
    });
    this.tasks.add(task);
  }

  /** Done with a claimed recipient (recorded, skipped or lost). */
  private settle(r: RecipientRow): void {
    this.messages.settle(r);
    this.suppressed.delete(r.id);
  }

  /**
   * Looks a claim's recipients up in the suppression lists, in one query: one added after the email was
   * accepted still stops its delivery.
   */
  private async findSuppressed(claimed: RecipientRow[]): Promise<void> {
    const scoped = claimed.flatMap((r) => {
      const scope = this.messages.scopeOf(r.email_id);
      return scope ? [{ r, scope }] : [];
    });
    const stops = await suppressionsOf(
      this.store.db,
      scoped.map(({ r, scope }) => ({ ...scope, address: r.address })),
    );
    scoped.forEach(({ r }, i) => {
      const stop = stops[i];
      if (stop) this.suppressed.set(r.id, stop);
    });
  }

  private async attempt(r: RecipientRow): Promise<void> {
    const stop = this.suppressed.get(r.id);
    if (stop) {
      await this.recordSuppressed(r, stop);
      return;
    }
    let message: { from: string; raw: Buffer; onlyRecipient: boolean };
    try {
      message = await this.messages.messageFor(r);
    } catch (error) {
      // Our own fault: nothing went out, and retrying will not help.
      const text = error instanceof Error ? error.message : String(error);
      this.log.error({ err: error, emailId: r.email_id, recipient: r.address }, 'could not render the message');
      await this.record(
        r,
        {
          kind: 'config_fault',
          reply: { code: null, text: `could not render the message: ${text}`, dsn: null, host: null },
        },
        true,
      );
      return;
    }
    const outcome = await this.transport.deliver({
      emailId: r.email_id,
      recipientId: r.id,
      from: message.from,
      to: r.address,
      recipientDomain: r.domain,
      raw: message.raw,
    });
    await this.record(r, outcome, false, message.onlyRecipient);
  }

  /** Records a suppressed recipient `rejected`, through the same path as an attempt's outcome; nothing is sent. */
  private async recordSuppressed(r: RecipientRow, stop: Suppression): Promise<void> {
    if (this.abandoned) return;
    const decision = decideSuppressed(r.address, stop);
    const recorded = await recordDeliveryAttempt(this.committer, {
      recipient: r,
      workerId: this.id,
      decision,
      reply: null,
      now: Date.now(),
      onlyRecipient: false,
    });
    this.log.info({ emailId: r.email_id, recipient: r.address, recorded, reason: decision.reason }, 'suppressed');
  }

  private async record(r: RecipientRow, outcome: AttemptOutcome, fatal: boolean, onlyRecipient = false): Promise<void> {
    if (this.abandoned) {
      this.log.warn(
        { emailId: r.email_id, recipient: r.address, reply: outcome.reply.text },
        'drain timed out: outcome not recorded; the lease will expire and the recipient will be tried again',
      );
      return;
    }
    const now = Date.now();
    const attempt = r.attempts + 1;
    const decision = fatal
      ? decideRenderFailure(outcome.reply.text, attempt)
      : decideAttempt(outcome, {
          attempt,
          firstAttemptAt: r.first_attempt_at,
          now,
          policy: this.opts.policy,
          confirmsDelivery: this.transport.confirmsDelivery,
        });
    const recorded = await recordDeliveryAttempt(this.committer, {
      recipient: r,
      workerId: this.id,
      decision,
      reply: outcome.reply,
      now,
      onlyRecipient,
    });
    if (!recorded) {
      this.log.warn(
        { emailId: r.email_id, recipient: r.address, status: decision.status, reply: outcome.reply.text },
        'lease lost to another worker during the transaction; this outcome is not recorded',
      );
      return;
    }
    this.log.debug(
      { emailId: r.email_id, recipient: r.address, status: decision.status, reply: outcome.reply.text },
      'delivery attempt',
    );
  }
}
