import { getEmail, listAttachments, listRecipients } from '../store/emails-repo.js';
import { errors } from '../core/errors.js';
import { sendRetry, type Answer, type Caller, type SendDeps } from './send-emails.js';
import type { SendRequest } from '../core/send-validation.js';
import type { Address } from '../model.js';

const RETRYABLE = new Set(['bounced', 'rejected', 'failed']);
const RECEIVED = new Set(['sent', 'delivered']);

/**
 * POST /v1/emails/{id}/retry: a new email with the same content, linked by `retry_of_id`, to the
 * recipients that did not receive the original. Only bounced, rejected or failed emails (409 otherwise).
 */
export async function retryEmail(deps: SendDeps, caller: Caller, emailId: string): Promise<Answer> {
  const email = await getEmail(deps.store.db, caller.accountId, emailId);
  if (!email) throw errors.notFound('Email');
  if (!RETRYABLE.has(email.status)) throw errors.notRetryable(email.status);
  const [recipients, attachments] = await Promise.all([
    listRecipients(deps.store.db, email.id),
    listAttachments(deps.store.db, email.id),
  ]);
  const again = recipients.filter((r) => !RECEIVED.has(r.status));
  const pick = (kind: string): Address[] =>
    again.filter((r) => r.kind === kind).map((r) => ({ email: r.address, name: r.name }));
  const req: SendRequest = {
    from: { email: email.from_email, name: email.from_name },
    to: pick('to'),
    cc: pick('cc'),
    bcc: pick('bcc'),
    replyTo: email.reply_to_json,
    subject: email.subject,
    html: email.html_body,
    text: email.text_body,
    headers: email.headers_json ?? {},
    tags: email.tags_json ?? [],
    attachments: attachments.map((a) => ({
      filename: a.filename,
      contentType: a.content_type,
      content: Buffer.from(a.content),
    })),
    sendAt: null,
    tracking: email.tracking_json ?? {},
    unsubscribe: email.unsubscribe === null ? null : email.unsubscribe === 1,
  };
  // Only cc/bcc recipients failed: they still go out, as the original's cc/bcc.
  return sendRetry(deps, caller, req, email.id, email.source);
}
