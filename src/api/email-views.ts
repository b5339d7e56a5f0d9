import { iso } from '../ids.js';
import type { Address } from '../model.js';
import type { RecipientLinks } from '../services/tracking-links.js';
import type { ScheduledRow } from '../store/schedule-repo.js';
import type { AttachmentRow, EmailRow, EventRow, RecipientRow } from '../store/schema.js';

function addresses(list: readonly Address[] | null): string[] | null {
  return list && list.length ? list.map((a) => a.email) : null;
}

/** `Name <email>` or `email`. */
export function formatMailbox(email: string, name: string | null): string {
  if (!name) return email;
  const quoted = /[",;:<>()[\]@\\]/.test(name) ? `"${name.replace(/(["\\])/g, '\\$1')}"` : name;
  return `${quoted} <${email}>`;
}

/** The list shape of an email. */
export function emailSummary(e: EmailRow) {
  return {
    id: e.id,
    from_address: formatMailbox(e.from_email, e.from_name),
    to_addresses: addresses(e.to_json) ?? [],
    subject: e.subject,
    status: e.status,
    source: e.source,
    opened_count: e.opened_count,
    clicked_count: e.clicked_count,
    tags: e.tags_json,
    scheduled_at: iso(e.scheduled_at),
    created_at: iso(e.created_at),
    sent_at: iso(e.sent_at),
    delivered_at: iso(e.delivered_at),
    retry_of_id: e.retry_of_id,
  };
}

/** The scheduled-list shape, with the seconds left at `nowMs`. */
export function scheduledView(e: ScheduledRow, nowMs: number) {
  const at = e.scheduled_at ?? nowMs;
  return {
    id: e.id,
    from_address: formatMailbox(e.from_email, e.from_name),
    to_addresses: addresses(e.to_json) ?? [],
    subject: e.subject,
    status: e.status,
    tags: e.tags_json,
    scheduled_at: iso(at),
    seconds_until_send: Math.max(0, Math.round((at - nowMs) / 1000)),
    created_at: iso(e.created_at),
  };
}

/** An event as the API shows it. */
export function eventView(ev: EventRow) {
  return {
    id: ev.id,
    event_type: ev.event_type,
    recipient: ev.recipient,
    metadata: ev.metadata,
    created_at: iso(ev.created_at),
  };
}

/** A recipient with its own delivery state and last SMTP reply. */
export function recipientView(r: RecipientRow) {
  return {
    email: r.address,
    name: r.name,
    type: r.kind,
    status: r.status,
    attempts: r.attempts,
    last_reply: r.last_reply,
    last_attempt_at: iso(r.last_attempt_at),
    next_attempt_at: r.status === 'queued' || r.status === 'deferred' ? iso(r.next_attempt_at) : null,
  };
}

/** The detail shape, plus recipients and attachment metadata. */
export function emailDetail(e: EmailRow, recipients: RecipientRow[], attachments: AttachmentRow[], events: EventRow[]) {
  const replyTo = e.reply_to_json;
  return {
    ...emailSummary(e),
    cc_addresses: addresses(e.cc_json),
    bcc_addresses: addresses(e.bcc_json),
    reply_to: replyTo ? formatMailbox(replyTo.email, replyTo.name) : null,
    text_body: e.text_body,
    html_body: e.html_body,
    headers: e.headers_json ?? {},
    message_id: e.message_id,
    rejection_reason: e.rejection_reason,
    opened_at: iso(e.opened_at),
    clicked_at: iso(e.clicked_at),
    tracking: e.tracking_json,
    unsubscribe: e.unsubscribe === null ? null : e.unsubscribe === 1,
    recipients: recipients.map(recipientView),
    attachments: attachments.map((a) => ({ filename: a.filename, content_type: a.content_type, size: a.size })),
    events: events.map(eventView),
  };
}

/** One recipient's open pixel and tracked links (GET /v1/emails/{id}/links). */
export function recipientLinksView(r: RecipientLinks) {
  return {
    recipient: r.recipient,
    pixel_url: r.pixelUrl,
    links: r.links.map((l) => ({ url: l.url, tracked_url: l.trackedUrl })),
  };
}
