import type { Logger } from 'pino';
import { emailStatusOf } from '../core/email-status.js';
import type { InboundHandlers, InboundMessage } from '../inbound/listener.js';
import { parseReport } from '../inbound/parse-report.js';
import type { ReportedRecipient } from '../inbound/report-types.js';
import type { EventType, RecipientStatus } from '../model.js';
import type { Store } from '../store/database.js';
import { recordEvents } from '../store/events-repo.js';
import type { GroupCommitter } from '../store/group-commit.js';
import {
  findRecipientByVerpToken,
  findRecipientsByMessageId,
  isReturnPathHost,
  setReportedStatus,
} from '../store/inbound-repo.js';
import { updateEmailStatus } from '../store/queue-repo.js';
import type { RecipientRow, Trx } from '../store/schema.js';
import type { UnsubscribeTokens } from '../tracking/tokens.js';
import { TtlCache } from '../ttl-cache.js';
import { addSuppression } from './suppressions.js';
import { copyOf, newEvent } from './new-event.js';
import { unsubscribe } from './unsubscribe.js';

/** Our mailboxes at each return-path host: VERP return paths, the feedback-loop box and unsubscribe addresses. */
const VERP_BOX = /^bounce\+([A-Za-z0-9]{20})$/i;
const COMPLAINT_BOX = /^(fbl|complaints|abuse)$/i;
/** The mailto of a List-Unsubscribe header: the token keeps its case (base64url). */
const UNSUBSCRIBE_BOX = /^unsubscribe\+([A-Za-z0-9_.-]+)$/i;

/** What the inbound use cases need. */
export interface InboundDeps {
  store: Store;
  committer: GroupCommitter;
  /** Verifies the tokens of unsubscribe addresses. */
  unsubscribeTokens: UnsubscribeTokens;
  log: Logger;
}

function split(address: string): { local: string; host: string } | null {
  const at = address.lastIndexOf('@');
  return at > 0 ? { local: address.slice(0, at), host: address.slice(at + 1).toLowerCase() } : null;
}

function isReportBox(local: string): boolean {
  return VERP_BOX.test(local) || COMPLAINT_BOX.test(local);
}

/** The statuses a report may move a copy out of: a copy still in the queue is the worker's to decide. */
const SETTLED: ReadonlySet<RecipientStatus> = new Set(['sent', 'delivered']);

/** The event a reported recipient becomes, and the status its copy moves to (null: it stays). */
function outcomeOf(
  r: ReportedRecipient,
  current: RecipientStatus,
): { type: EventType; status: RecipientStatus | null } | null {
  switch (r.action) {
    case 'failed':
      return { type: 'bounced', status: SETTLED.has(current) ? 'bounced' : null };
    case 'delayed':
      return { type: 'deferred', status: null };
    case 'delivered':
      return { type: 'delivered', status: current === 'sent' ? 'delivered' : null };
    case 'complaint':
      return { type: 'complaint', status: null };
    default:
      return null; // an auto-reply says nothing about delivery
  }
}

/** Which of our recipient copies a report's recipient is about: by address, else the one copy the token named. */
function matchCopy(r: ReportedRecipient, copies: readonly RecipientRow[], byToken: boolean): RecipientRow | undefined {
  const same = (a: string) =>
    a.toLowerCase() === r.recipient.toLowerCase() || a.toLowerCase() === r.originalRecipient?.toLowerCase();
  return copies.find((c) => same(c.address)) ?? (byToken && copies.length === 1 ? copies[0] : undefined);
}

async function apply(trx: Trx, copy: RecipientRow, r: ReportedRecipient, now: number): Promise<void> {
  const outcome = outcomeOf(r, copy.status);
  if (!outcome) return;
  const metadata = {
    source: r.action === 'complaint' ? 'feedback_report' : 'report',
    action: r.action,
    ...(r.action === 'complaint'
      ? { feedback_type: r.feedbackType }
      : { reason: r.reason, hard: r.hard, dsn: r.status || null, smtp_code: r.replyCode ? Number(r.replyCode) : null }),
    diagnostic: r.diagnostic,
    ...(outcome.type === 'bounced' ? { bounce_type: r.hard ? 'hard' : 'soft' } : {}),
  };
  await recordEvents(trx, [newEvent(copyOf(copy), outcome.type, metadata, now)]);
  if (outcome.status) {
    const statuses = await setReportedStatus(trx, {
      recipientId: copy.id,
      emailId: copy.email_id,
      status: outcome.status,
      now,
    });
    const status = emailStatusOf(statuses);
    await updateEmailStatus(trx, copy.email_id, { status, now, sent: false, delivered: status === 'delivered' });
  }
  const list = r.action === 'complaint' ? 'complaint' : r.action === 'failed' && r.hard ? 'bounce' : null;
  if (list)
    await addSuppression(trx, {
      accountId: copy.account_id,
      type: list,
      address: copy.address,
      reason:
        list === 'complaint'
          ? `complaint (${r.feedbackType || 'abuse'})`
          : `${r.reason}: ${r.diagnostic}`.slice(0, 500),
      sourceEmailId: copy.email_id,
      now,
    });
}

/**
 * The listener's handlers: our mailboxes are the VERP return paths, the feedback-loop box and the
 * unsubscribe addresses (only with a genuine token) at any domain's return-path host. A message to an
 * unsubscribe address unsubscribes the recipient its token names, whatever it says; any other is read as
 * a report (bounce, delay, delivery, complaint) and applied to the copies it names, in one transaction,
 * before the listener answers 250. A report that names no copy of ours is logged and dropped (still 250:
 * the sender cannot do better).
 */
export function inboundHandlers(deps: InboundDeps): InboundHandlers {
  const hosts = new TtlCache<boolean>(60_000, 10_000);
  return {
    async accepts(address) {
      const a = split(address);
      if (!a) return false;
      const unsubscribeToken = UNSUBSCRIBE_BOX.exec(a.local)?.[1];
      if (unsubscribeToken !== undefined ? !deps.unsubscribeTokens.verify(unsubscribeToken) : !isReportBox(a.local))
        return false;
      let known = hosts.get(a.host);
      if (known === undefined) {
        known = await isReturnPathHost(deps.store.db, a.host);
        hosts.set(a.host, known);
      }
      return known;
    },
    async handle(m: InboundMessage) {
      const unsubscribes = m.recipients.flatMap((r) => {
        const target = deps.unsubscribeTokens.verify(UNSUBSCRIBE_BOX.exec(split(r)?.local ?? '')?.[1] ?? '');
        return target ? [target] : [];
      });
      for (const target of unsubscribes) await unsubscribe(deps, target, 'mailto');
      if (unsubscribes.length === m.recipients.length) return;
      const report = parseReport(m.raw);
      const token =
        m.recipients.map((r) => VERP_BOX.exec(split(r)?.local ?? '')?.[1]).find(Boolean) ?? report.verpToken;
      const byToken = token ? await findRecipientByVerpToken(deps.store.db, token) : undefined;
      const copies = byToken
        ? [byToken]
        : report.messageId
          ? await findRecipientsByMessageId(deps.store.db, report.messageId)
          : [];
      const matched = report.recipients.flatMap((r) => {
        const copy = matchCopy(r, copies, byToken !== undefined);
        return copy ? [{ copy, r }] : [];
      });
      if (matched.length === 0) {
        deps.log.info(
          { recipients: m.recipients, reported: report.recipients.length, token },
          'inbound: a report about no email of ours',
        );
        return;
      }
      const now = Date.now();
      await deps.committer.run(async (trx) => {
        for (const { copy, r } of matched) await apply(trx, copy, r, now);
      });
    },
  };
}
