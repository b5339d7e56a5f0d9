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

/** What a 202 answers for one email. */
export interface Accepted {
  id: string;
  status: 'queued' | 'scheduled';
  message_id: string;
  rejection_reason: null;
}

/** An email ready to be written: its rows and the answer the client will get. */
export interface PreparedEmail {
  email: NewEmail;
  recipients: NewRecipient[];
  attachments: Insertable<EmailAttachmentsTable>[];
  events: NewEvent[];
  searchTokens: string[];
  accepted: Accepted;
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
  const status = scheduled ? 'scheduled' : 'queued';
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
      rejection_reason: null,
      tracking_json: Object.keys(req.tracking).length ? JSON.stringify(req.tracking) : null,
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
    // One `queued`/`scheduled` event for the email; the delivery events that follow are per recipient.
    events: [
      {
        id: newId(),
        email_id: id,
        account_id: who.accountId,
        recipient_id: null,
        recipient: null,
        event_type: status,
        metadata: scheduled ? JSON.stringify({ send_at: new Date(req.sendAt!).toISOString() }) : null,
        bot: null,
        created_at: now,
      },
    ],
    searchTokens: searchTokens({
      fromEmail: req.from.email,
      fromName: req.from.name ?? found.sender.name,
      subject: req.subject,
      recipients: recipients.map((r) => r.address),
      tags: req.tags,
    }),
    accepted: { id, status, message_id: messageId, rejection_reason: null },
  };
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
  const n = prepared.reduce((sum, p) => sum + p.recipients.length, 0);
  const { day, month } = usagePeriods(opts.now);
  return deps.committer.run(async (trx, batch): Promise<CommitResult> => {
    const idem = opts.idempotency;
    if (idem && !(await claimIdempotencyKey(trx, { accountId: who.accountId, ...idem, now: opts.now })))
      return { kind: 'replay' };
    // A batch whose every email failed validation takes nothing (it only records its idempotent answer).
    if (n === 0) return { kind: 'committed' };
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
    // The rows themselves are written once for the whole group, after every unit took its quota.
    for (const p of prepared) batch.add('accepted-emails', p, insertAcceptedEmails);
    return { kind: 'committed' };
  }, who.accountId);
}
