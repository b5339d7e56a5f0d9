import type { Logger } from 'pino';
import { decideAttempt } from '../core/delivery-decision.js';
import { distinctRecipients } from '../core/recipients.js';
import type { Address } from '../core/send-validation.js';
import { emailStatusOf } from '../core/email-status.js';
import { newId, randomToken } from '../core/ids.js';
import type { RetryPolicy } from '../core/retry-policy.js';
import type { AttemptOutcome } from '../core/smtp-outcome.js';
import type { Store } from '../store/database.js';
import { getDomainById } from '../store/domains-repo.js';
import { loadEmailsForDelivery } from '../store/emails-repo.js';
import type { GroupCommitter } from '../store/group-commit.js';
import { claimDueRecipients, recordAttempt, releaseLeases, updateEmailStatus } from '../store/queue-repo.js';
import type { AttachmentRow, DomainRow, EmailRow, RecipientRow } from '../store/schema.js';
import { dkimKey, type DkimKey } from './dkim.js';
import { renderMime } from './render-mime.js';
import { isTracked, trackedBodies, trackedTemplate, trackingPlan, type TrackedTemplate, type TrackingPlan } from '../tracking/plan.js';
import type { TrackingTokens } from '../tracking/tokens.js';
import type { Transport } from './transport.js';

export interface WorkerOptions {
  /** Signs the tracking URLs of each recipient's copy. */
  tokens: TrackingTokens;
  /** Base of tracking URLs when a domain has no tracking host. */
  publicUrl: string;
  concurrency: number;
  leaseMs: number;
  pollIntervalMs: number;
  policy: RetryPolicy;
}

interface Rendered {
  email: EmailRow;
  domain: DomainRow;
  key: DkimKey;
  attachments: AttachmentRow[];
  plan: TrackingPlan;
  /** The message every recipient gets, when the email is not tracked; null means render per recipient. */
  shared: Buffer | null;
  /** For tracked emails: the bodies rewritten once, to be filled with each recipient's URLs. */
  template: TrackedTemplate | null;
  /** How many recipients the email has (to, cc and bcc, an address given twice counted once, as accepted). */
  recipientCount: number;
}


/** How many recipients an email was accepted with. */
function recipientCount(email: EmailRow): number {
  const list = (j: string | null): Address[] => (j ? (JSON.parse(j) as Address[]) : []);
  return distinctRecipients(list(email.to_json), list(email.cc_json), list(email.bcc_json)).length;
}

/**
 * The delivery loop: claims due recipients under a lease, renders each email once, hands one
 * transaction per recipient to the transport, and records the outcome (status, events, the email's
 * derived status) in a group-committed transaction before that slot takes new work. So at most
 * `concurrency` transactions can be sent and not yet recorded when the process dies.
 */
export class DeliveryWorker {
  readonly id = `w-${randomToken(10)}`;
  private readonly buffer: RecipientRow[] = [];
  private readonly rendered = new Map<string, Promise<Rendered>>();
  /** Claimed recipients per email not yet recorded: a rendered message is dropped when it reaches 0. */
  private readonly pendingByEmail = new Map<string, number>();
  private readonly keys = new Map<string, DkimKey>();
  private readonly tasks = new Set<Promise<void>>();
  private claiming = false;
  private stopping = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeRequested = false;

  constructor(
    private readonly store: Store,
    private readonly committer: GroupCommitter,
    private readonly transport: Transport,
    private readonly opts: WorkerOptions,
    private readonly log: Logger,
  ) {}

  /** Starts the loop. */
  start(): void {
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

  /** Stops claiming, gives back unstarted leases, lets in-flight transactions finish and be recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    const unstarted = this.buffer.splice(0).map((r) => r.id);
    while (this.claiming) await new Promise((r) => setTimeout(r, 5));
    unstarted.push(...this.buffer.splice(0).map((r) => r.id));
    await Promise.allSettled([...this.tasks]);
    await releaseLeases(this.store.db, this.id, unstarted, Date.now()).catch((error: unknown) => this.log.warn({ err: error }, 'could not release leases; they will expire'));
    await this.transport.close();
  }

  private pump(): void {
    if (this.stopping) return;
    while (this.tasks.size < this.opts.concurrency && this.buffer.length > 0) this.startTask(this.buffer.shift()!);
    // Refill at the low-water mark, not after every transaction: each claim is a write.
    if (this.claiming || this.buffer.length > this.opts.concurrency / 2) return;
    if (this.tasks.size >= this.opts.concurrency && !this.wakeRequested) return;
    void this.claim();
  }

  private async claim(): Promise<void> {
    this.claiming = true;
    this.wakeRequested = false;
    let claimed: RecipientRow[] = [];
    try {
      const limit = this.opts.concurrency * 2 - this.buffer.length - this.tasks.size;
      if (limit > 0) {
        claimed = await claimDueRecipients(this.store.db, this.store.dialect, { workerId: this.id, now: Date.now(), leaseMs: this.opts.leaseMs, limit });
        await this.preload(claimed);
      }
    } catch (error) {
      this.log.error({ err: error }, 'claiming due recipients failed; retrying');
    } finally {
      this.claiming = false;
    }
    if (this.stopping) {
      this.buffer.push(...claimed);
      return;
    }
    this.buffer.push(...claimed);
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

  /** Loads the claimed recipients' emails in two queries and renders each email once. */
  private async preload(recipients: RecipientRow[]): Promise<void> {
    for (const r of recipients) this.pendingByEmail.set(r.email_id, (this.pendingByEmail.get(r.email_id) ?? 0) + 1);
    const missing = [...new Set(recipients.map((r) => r.email_id))].filter((id) => !this.rendered.has(id));
    if (missing.length === 0) return;
    const loaded = await loadEmailsForDelivery(this.store.db, missing);
    for (const id of missing) {
      const entry = loaded.get(id);
      const render = (async (): Promise<Rendered> => {
        if (!entry) throw new Error('the email no longer exists');
        const found = entry.email.domain_id ? await this.domain(entry.email.domain_id) : undefined;
        if (!found?.domain || !found.key) throw new Error('the sending domain was deleted');
        const plan = trackingPlan(entry.email, found.domain, this.opts.publicUrl);
        // Tracked emails differ per recipient (their own pixel and link tokens); the others are rendered once.
        const tracked = isTracked(plan, entry.email);
        const shared = tracked ? null : await renderMime(entry.email, entry.attachments, found.key);
        const template = tracked ? await trackedTemplate(entry.email, plan) : null;
        return { email: entry.email, domain: found.domain, key: found.key, attachments: entry.attachments, plan, shared, template, recipientCount: recipientCount(entry.email) };
      })();
      render.catch(() => undefined);
      this.rendered.set(id, render);
    }
  }

  /**
   * A domain (read afresh for each claimed batch, so changed settings apply to the next emails) and
   * its DKIM key, parsed once per key rather than per message.
   */
  private async domain(id: string): Promise<{ domain: DomainRow | undefined; key: DkimKey | null }> {
    const domain = await getDomainById(this.store.db, id);
    if (!domain) return { domain, key: null };
    const cached = this.keys.get(id);
    if (cached && cached.pem === domain.dkim_private_key && cached.selector === domain.dkim_selector) return { domain, key: cached };
    const key = dkimKey(domain.name, domain.dkim_selector, domain.dkim_private_key);
    this.keys.set(id, key);
    return { domain, key };
  }

  private startTask(r: RecipientRow): void {
    const task = this.attempt(r)
      .catch((error: unknown) => this.log.error({ err: error, recipientId: r.id }, 'recording a delivery attempt failed; the lease will expire and it will be retried'))
      .finally(() => {
        this.tasks.delete(task);
        const left = (this.pendingByEmail.get(r.email_id) ?? 1) - 1;
        if (left > 0) this.pendingByEmail.set(r.email_id, left);
        else {
          this.pendingByEmail.delete(r.email_id);
          this.rendered.delete(r.email_id);
        }
        this.pump();
      });
    this.tasks.add(task);
  }

  private async attempt(r: RecipientRow): Promise<void> {
    let rendered: Rendered;
    let raw: Buffer;
    try {
      rendered = await (this.rendered.get(r.email_id) ?? Promise.reject(new Error('the email was not loaded')));
      raw = rendered.shared
        ?? await renderMime(rendered.email, rendered.attachments, rendered.key, trackedBodies(rendered.email, rendered.plan, rendered.template!, this.opts.tokens, r.id));
    } catch (error) {
      // Our own fault: nothing went out, and retrying will not help.
      const text = error instanceof Error ? error.message : String(error);
      this.log.error({ err: error, emailId: r.email_id, recipient: r.address }, 'could not render the message');
      await this.record(r, { kind: 'config_fault', reply: { code: null, text: `could not render the message: ${text}`, dsn: null, host: null } }, true);
      return;
    }
    const outcome = await this.transport.deliver({
      emailId: r.email_id,
      recipientId: r.id,
      from: `bounce+${r.verp_token}@${rendered.domain.return_path_host}`,
      to: r.address,
      recipientDomain: r.domain,
      raw,
    });
    await this.record(r, outcome, false, rendered.recipientCount === 1);
  }

  private async record(r: RecipientRow, outcome: AttemptOutcome, fatal: boolean, onlyRecipient = false): Promise<void> {
    const now = Date.now();
    const attempt = r.attempts + 1;
    const decision = fatal
      ? { status: 'failed' as const, nextAttemptAt: null, events: [{ type: 'failed', metadata: { reason: outcome.reply.text, attempt } }] }
      : decideAttempt(outcome, { attempt, queuedAt: r.created_at, now, policy: this.opts.policy, confirmsDelivery: this.transport.confirmsDelivery });
    await this.committer.run(async (trx) => {
      const statuses = await recordAttempt(trx, {
        recipientId: r.id, emailId: r.email_id, workerId: this.id, status: decision.status, now, nextAttemptAt: decision.nextAttemptAt, onlyRecipient,
        lastReply: JSON.stringify(outcome.reply),
        events: decision.events.map((ev) => ({
          id: newId(), email_id: r.email_id, account_id: r.account_id, recipient_id: r.id, recipient: r.address,
          event_type: ev.type, metadata: JSON.stringify(ev.metadata), bot: null, created_at: now,
        })),
      });
      const status = emailStatusOf(statuses);
      await updateEmailStatus(trx, r.email_id, {
        status, now, sent: decision.status === 'sent' || decision.status === 'delivered', delivered: status === 'delivered',
      });
    });
    this.log.debug({ emailId: r.email_id, recipient: r.address, status: decision.status, reply: outcome.reply.text }, 'delivery attempt');
  }
}
