import type { Insertable } from 'kysely';
import type { Store } from '../store/database.js';
import type { GroupCommitter } from '../store/group-commit.js';
import { insertAcceptedEmails } from '../store/emails-repo.js';
import { claimIdempotencyKey, releaseIdempotencyKey } from '../store/idempotency-repo.js';
import { findSenderWithDomain } from '../store/senders-repo.js';
import type { EmailAttachmentsTable, NewEmail, NewEvent, NewRecipient } from '../store/schema.js';
import { QuotaLedger } from '../store/usage-repo.js';
import { errors } from '../core/errors.js';
import { newId, randomToken } from '../ids.js';
import type { TtlCache } from '../ttl-cache.js';
import { usagePeriods, type PlanLimits } from '../core/plans.js';
import { distinctRecipients } from '../core/recipients.js';
import type { SendRequest } from '../core/send-validation.js';
import { searchTokens } from '../core/search-query.js';
import { sendingDomain } from '../core/suppression-address.js';
import { decideSuppressed } from '../core/suppression-rules.js';
import { copyOf, newEvent } from './new-event.js';
import { suppressionsOf } from './suppression-check.js';

/** What a 202 answers for one email: `rejected` when every recipient is on a suppression list. */
export interface Accepted {
  id: string;
  status: 'queued' | 'scheduled' | 'rejected';
  message_id: string;
  /** One sentence per suppressed recipient, or null when none is. */
  rejection_reason: string | null;
}

/** An email ready to be written: its rows and the answer the client will get. */
export interface PreparedEmail {
  email: NewEmail;
  recipients: NewRecipient[];
  attachments: Insertable<EmailAttachmentsTable>[];
  events: NewEvent[];
  searchTokens: string[];
  accepted: Accepted;
  /** Recipients that take quota: all but those a suppression rejected. */
  quota: number;
}

/** Recent sender look-ups by account and address. */
export type SenderCache = TtlCache<Awaited<ReturnType<typeof findSenderWithDomain>>>;

/** Who is sending. */
export interface Sender {
  accountId: string;
  userId: string;
}

function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

function json(value: unknown): string | null {
  if (
    value === null ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && value !== null && Object.keys(value).length === 0)
  )
    return null;
  return JSON.stringify(value);
}

/**
 * Checks the sender (registered, on a verified domain) and builds the rows of an accepted email: one
 * row per recipient (to, cc, bcc; an address given twice is delivered once), its attachments and its
 * `queued` (or `scheduled`) event. Nothing is written.
 */
export async function prepareEmail(
  store: Store,
  who: Sender,
  req: SendRequest,
  opts: { now: number; source?: string; retryOfId?: string | null; senderCache?: SenderCache },
): Promise<PreparedEmail> {
  const cacheKey = `${who.accountId}\n${req.from.email.toLowerCase()}`;
  let found = opts.senderCache?.get(cacheKey);
  if (!found) {
    found = await findSenderWithDomain(store.db, who.accountId, req.from.email.toLowerCase());
    if (found) opts.senderCache?.set(cacheKey, found);
  }
  if (!found)
    throw errors.senderNotAllowed(
      'from_.email',
      `${req.from.email} is not a registered sender; register it with POST /v1/senders first.`,
    );
  if (found.domain.status !== 'verified') {
    throw errors.senderNotAllowed(
      'from_.email',
      `The domain ${found.domain.name} of ${req.from.email} is not verified; run POST /v1/domains/${found.domain.id}/verify.`,
    );
  }
  const now = opts.now;
  const id = newId();
  const messageId = `<${id}@${found.domain.name}>`;
  const scheduled = req.sendAt !== null;
  const recipients: NewRecipient[] = distinctRecipients(req.to, req.cc, req.bcc).map(
    ({ kind, address: a }, position) => ({
      id: newId(),
      email_id: id,
      account_id: who.accountId,
      position,
      kind,
      address: a.email,
      name: a.name,
      domain: domainOf(a.email),
      status: scheduled ? 'scheduled' : 'queued',
      next_attempt_at: scheduled ? null : now,
      locked_by: null,
      locked_until: null,
      first_attempt_at: null,
      last_attempt_at: null,
      last_reply: null,
      verp_token: randomToken(20),
      created_at: now,
      updated_at: now,
    }),
  );
  const dropped = await dropSuppressed(store, who.accountId, recipients, {
    fromEmail: req.from.email,
    tags: req.tags,
    now,
  });
  const quota = recipients.filter((r) => r.status !== 'rejected').length;
  const status = quota === 0 ? 'rejected' : scheduled ? 'scheduled' : 'queued';
  const rejectionReason = dropped.reasons.length ? dropped.reasons.join(' ') : null;
  return {
    email: {
      id,
      account_id: who.accountId,
      domain_id: found.domain.id,
      user_id: who.userId,
      from_email: req.from.email,
      from_name: req.from.name ?? found.sender.name,
      to_json: JSON.stringify(req.to),
      cc_json: json(req.cc),
      bcc_json: json(req.bcc),
      reply_to_json: req.replyTo ? JSON.stringify(req.replyTo) : null,
      subject: req.subject,
      html_body: req.html,
      text_body: req.text,
      headers_json: json(req.headers),
      tags_json: json(req.tags),
      status,
      source: opts.source ?? 'api',
      message_id: messageId,
      rejection_reason: rejectionReason,
      tracking_json: Object.keys(req.tracking).length ? JSON.stringify(req.tracking) : null,
      unsubscribe: req.unsubscribe === null ? null : req.unsubscribe ? 1 : 0,
      scheduled_at: req.sendAt,
      created_at: now,
      updated_at: now,
      sent_at: null,
      delivered_at: null,
      retry_of_id: opts.retryOfId ?? null,
    },
    recipients,
    attachments: req.attachments.map((a, i) => ({
      id: newId(),
      email_id: id,
      position: i,
      filename: a.filename,
      content_type: a.contentType,
      content: a.content,
      size: a.content.length,
    })),
    // One `queued`/`scheduled` event for the email (none when nothing will be sent); the delivery events
    // that follow, and the rejections of suppressed recipients, are per recipient.
    events: [
      ...(status === 'rejected'
        ? []
        : [
            newEvent(
              { emailId: id, accountId: who.accountId },
              status,
              req.sendAt !== null ? { send_at: new Date(req.sendAt).toISOString() } : null,
              now,
            ),
          ]),
      ...dropped.events,
    ],
    searchTokens: searchTokens({
      fromEmail: req.from.email,
      fromName: req.from.name ?? found.sender.name,
      subject: req.subject,
      recipients: recipients.map((r) => r.address),
      tags: req.tags,
    }),
    accepted: { id, status, message_id: messageId, rejection_reason: rejectionReason },
    quota,
  };
}

/**
 * Marks the recipients on a suppression list `rejected` (no attempt, no quota), looked up in one query
 * before the commit rather than inside it: the group commit holds SQLite's one write lock, and a
 * suppression added between this look-up and the commit is still caught by the worker's check just
 * before delivery. Returns their `rejected` events and one sentence for each.
 */
async function dropSuppressed(
  store: Store,
  accountId: string,
  recipients: NewRecipient[],
  mail: { fromEmail: string; tags: readonly string[]; now: number },
): Promise<{ events: NewEvent[]; reasons: string[] }> {
  const scope = { accountId, domain: sendingDomain(mail.fromEmail), tags: mail.tags };
  const stops = await suppressionsOf(
    store.db,
    recipients.map((r) => ({ ...scope, address: r.address })),
  );
  const events: NewEvent[] = [];
  const reasons: string[] = [];
  recipients.forEach((r, i) => {
    const stop = stops[i];
    if (!stop) return;
    const decision = decideSuppressed(r.address, stop);
    r.status = decision.status;
    r.next_attempt_at = null;
    reasons.push(decision.reason);
    for (const ev of decision.events) events.push(newEvent(copyOf(r), ev.type, ev.metadata, mail.now));
  });
  return { events, reasons };
}

/** An idempotent request: its key, a hash of its body, and the answer to store for replays. */
export interface IdempotentWrite {
  key: string;
  requestHash: string;
  statusCode: number;
  response: string;
}

export type CommitResult =
  { kind: 'committed' } | { kind: 'over_quota'; limit: 'daily' | 'monthly'; max: number } | { kind: 'replay' };

/**
 * Writes prepared emails in one group-committed transaction, after taking their recipients from the
 * day's and the month's quota and claiming the idempotency key; resolves only after the commit.
 * Over quota or a key already claimed, nothing is written.
 */
export async function commitEmails(
  deps: { committer: GroupCommitter },
  who: Sender,
  prepared: PreparedEmail[],
  limits: PlanLimits,
  opts: { now: number; idempotency?: IdempotentWrite },
): Promise<CommitResult> {
  const n = prepared.reduce((sum, p) => sum + p.quota, 0);
  const { day, month } = usagePeriods(opts.now);
  return deps.committer.run(async (trx, batch): Promise<CommitResult> => {
    const idem = opts.idempotency;
    if (idem && !(await claimIdempotencyKey(trx, { accountId: who.accountId, ...idem, now: opts.now })))
      return { kind: 'replay' };
    // A batch whose every email failed validation, or whose every recipient is suppressed, takes nothing
    // (the first only records its idempotent answer; the second still records its rejected emails).
    if (n > 0) {
      const ledger = batch.shared('quota', () => {
        const made = new QuotaLedger();
        batch.add('quota', made, (t) => made.flush(t));
        return made;
      });
      const over = await ledger.take(trx, who.accountId, [
        { period: day, n, limit: limits.dailyLimit },
        { period: month, n, limit: limits.monthlyLimit },
      ]);
      if (over !== -1) {
        if (idem) await releaseIdempotencyKey(trx, who.accountId, idem.key);
        return over === 0
          ? { kind: 'over_quota', limit: 'daily', max: limits.dailyLimit }
          : { kind: 'over_quota', limit: 'monthly', max: limits.monthlyLimit };
      }
    }
    // The rows themselves are written once for the whole group, after every unit took its quota.
    for (const p of prepared) batch.add('accepted-emails', p, insertAcceptedEmails);
    return { kind: 'committed' };
  }, who.accountId);
}
