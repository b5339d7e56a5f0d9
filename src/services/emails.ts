import { parseStatuses } from '../core/email-status.js';
import { errors } from '../core/errors.js';
import { fieldTokenGroups, parseSearchQuery } from '../core/search-query.js';
import { findCapture } from '../store/captures-repo.js';
import type { Store } from '../store/database.js';
import { getEmail, listAttachments, listEmails, listRecipients, listUpdates } from '../store/emails-repo.js';
import { listEvents } from '../store/events-repo.js';
import type { AttachmentRow, EmailRow, EventRow, RecipientRow } from '../store/schema.js';
import { searchEmails } from '../store/search-repo.js';

/** An email with everything its detail page shows. */
export interface EmailDetail {
  email: EmailRow;
  recipients: RecipientRow[];
  attachments: AttachmentRow[];
  events: EventRow[];
}

async function found(store: Store, accountId: string, id: string): Promise<EmailRow> {
  const email = await getEmail(store.db, accountId, id);
  if (!email) throw errors.notFound('Email');
  return email;
}

/** One of an account's emails with its recipients, attachments and events; 404 otherwise. */
export async function emailDetail(store: Store, accountId: string, id: string): Promise<EmailDetail> {
  const email = await found(store, accountId, id);
  const [recipients, attachments, events] = await Promise.all([
    listRecipients(store.db, email.id),
    listAttachments(store.db, email.id),
    listEvents(store.db, email.id),
  ]);
  return { email, recipients, attachments, events };
}

/** A page of an email's events, oldest first, after the cursor (an event id); 404 for another's email. */
export async function emailEvents(
  store: Store,
  accountId: string,
  id: string,
  page: { after?: string; limit: number },
): Promise<EventRow[]> {
  const email = await found(store, accountId, id);
  return listEvents(store.db, email.id, page);
}

/** The raw message the sandbox captured for one recipient's copy (the first recipient's by default). */
export async function capturedMessage(
  store: Store,
  accountId: string,
  id: string,
  recipient?: string,
): Promise<Buffer> {
  const email = await found(store, accountId, id);
  const raw = await findCapture(store.db, email.id, recipient);
  if (!raw)
    throw errors.notFound('Captured message (only sandbox mode keeps the raw message, once it has been rendered)');
  return raw;
}

/** An account's emails, newest first, optionally of some statuses (comma-separated). */
export async function emailList(
  store: Store,
  accountId: string,
  o: { status?: string; limit: number; offset: number },
): Promise<EmailRow[]> {
  return listEmails(store.db, accountId, { statuses: parseStatuses(o.status), limit: o.limit, offset: o.offset });
}

/** An account's emails changed after `since` and settled by `until` (see listUpdates). */
export async function emailUpdates(
  store: Store,
  accountId: string,
  o: { since: number; afterId?: string; until: number; limit: number },
): Promise<EmailRow[]> {
  return listUpdates(store.db, accountId, o);
}

/**
 * An account's emails matching a search (the inline tokens `to:`, `from:`, `status:`,
 * `domain:`, `tag:`, phrases and words), of the statuses in `status` (comma-separated) too.
 */
export async function searchEmailLog(
  store: Store,
  accountId: string,
  o: { q: string; tag?: string; status?: string; limit: number; offset: number },
): Promise<EmailRow[]> {
  const q = parseSearchQuery(o.q);
  return searchEmails(
    store.db,
    accountId,
    { fields: fieldTokenGroups(q, o.tag), text: q.text },
    {
      statuses: parseStatuses(o.status, ...q.status),
      limit: o.limit,
      offset: o.offset,
    },
  );
}
