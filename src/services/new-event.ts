import { newId } from '../ids.js';
import type { EventType } from '../model.js';
import type { NewEvent } from '../store/schema.js';

/** What an event concerns: an email as a whole, or one recipient's copy of it. */
export interface EventSubject {
  emailId: string;
  accountId: string;
  /** The recipient row and address; absent for an email-wide event (queued, scheduled, cancelled). */
  recipient?: { id: string; address: string };
}

/**
 * A new event row, to be written with recordEvents. Tracking hits build theirs in the counting rules,
 * where each also carries who made it (`bot`) and whether it counted.
 */
export function newEvent(subject: EventSubject, type: EventType, metadata: object | null, at: number): NewEvent {
  return {
    id: newId(),
    email_id: subject.emailId,
    account_id: subject.accountId,
    recipient_id: subject.recipient?.id ?? null,
    recipient: subject.recipient?.address ?? null,
    event_type: type,
    metadata: metadata === null ? null : JSON.stringify(metadata),
    bot: null,
    created_at: at,
  };
}

/** The subject of an event about one recipient's copy, from its row. */
export function copyOf(r: { id: string; email_id: string; account_id: string; address: string }): EventSubject {
  return { emailId: r.email_id, accountId: r.account_id, recipient: { id: r.id, address: r.address } };
}
