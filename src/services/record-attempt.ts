import type { Decision } from '../core/delivery-decision.js';
import { emailStatusOf } from '../core/email-status.js';
import { isHardBounce, type SuppressedDecision } from '../core/suppression-rules.js';
import type { EventType, SmtpReply } from '../model.js';
import { recordEvents } from '../store/events-repo.js';
import type { GroupCommitter } from '../store/group-commit.js';
import { recordAttempt, updateEmailStatus } from '../store/queue-repo.js';
import type { RecipientRow } from '../store/schema.js';
import { copyOf, newEvent } from './new-event.js';
import { addSuppression } from './suppressions.js';

/**
 * Records what one delivery attempt decided, in one group-committed transaction: the recipient's new
 * state (fenced on the worker's lease), its events, and the email's status derived from all of its
 * recipients. A hard bounce puts the address on the account's bounce list in the same transaction. A
 * recipient a suppression stopped before any attempt (`reply` null) is recorded the same way, with no
 * attempt counted. False when the lease was lost (it expired and another worker claimed the recipient):
 * that worker's outcome stands, and nothing of this one is written.
 */
export async function recordDeliveryAttempt(
  committer: GroupCommitter,
  a: {
    recipient: RecipientRow;
    workerId: string;
    decision: Decision | SuppressedDecision;
    /** The SMTP reply; null when nothing was sent. */
    reply: SmtpReply | null;
    now: number;
    onlyRecipient: boolean;
  },
): Promise<boolean> {
  const { recipient: r, decision, now } = a;
  const events: ReadonlyArray<{ type: EventType; metadata: Record<string, unknown> }> = decision.events;
  return committer.run(async (trx) => {
    const statuses = await recordAttempt(trx, {
      recipientId: r.id,
      emailId: r.email_id,
      workerId: a.workerId,
      status: decision.status,
      now,
      nextAttemptAt: decision.nextAttemptAt,
      onlyRecipient: a.onlyRecipient,
      lastReply: a.reply,
    });
    if (statuses === null) return false;
    await recordEvents(
      trx,
      events.map((ev) => newEvent(copyOf(r), ev.type, ev.metadata, now)),
    );
    if (decision.status === 'bounced' && isHardBounce(events))
      await addSuppression(trx, {
        accountId: r.account_id,
        type: 'bounce',
        address: r.address,
        reason: a.reply?.text ?? null,
        sourceEmailId: r.email_id,
        now,
      });
    const status = emailStatusOf(statuses);
    await updateEmailStatus(trx, r.email_id, {
      status,
      now,
      sent: decision.status === 'sent' || decision.status === 'delivered',
      delivered: status === 'delivered',
      rejection: decision.status === 'rejected' ? decision.reason : undefined,
    });
    return true;
  });
}
